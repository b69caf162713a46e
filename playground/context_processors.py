from playground.upstream import key_source_for


def connection(request):
    """Lets every page show the demo banner when this person's responses are simulated."""
    user = getattr(request, "user", None)
    signed_in = user is not None and user.is_authenticated
    return {"demo_mode": signed_in and key_source_for(user) == "demo"}
