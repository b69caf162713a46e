from playground.upstream.connection import key_source_for


def connection(request):
    """Lets every page show the demo banner when this person's responses are simulated.
    Asked only by templates that show it (a page's frame, not its htmx fragments), so a
    fragment costs no query for it."""
    user = getattr(request, "user", None)

    def demo_mode() -> bool:
        return user is not None and user.is_authenticated and key_source_for(user) == "demo"

    return {"demo_mode": demo_mode}
