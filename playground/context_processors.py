from playground.upstream import current_connection


def connection(request):
    """Lets every page show the demo banner when responses are simulated."""
    return {"connection": current_connection()}
