"""The ASGI entry point: static files first, then Django.

WhiteNoise's Django middleware is sync-only and would push every request, the stream
included, through a thread. Serving STATIC_ROOT with WhiteNoise's own app in front of
Django keeps the stream path async from end to end.
"""

import os
import re

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "playground.settings")

from asgiref.wsgi import WsgiToAsgi
from django.conf import settings
from django.core.asgi import get_asgi_application
from whitenoise import WhiteNoise

# Names written by the manifest storage carry a 12-hex-digit hash: cache them for good.
HASHED_NAME = re.compile(r"\.[0-9a-f]{12}\.\w+$")


def _not_found(environ, start_response):
    start_response("404 Not Found", [("Content-Type", "text/plain")])
    return [b"Not found"]


def build_application():
    django_app = get_asgi_application()
    static_app = WsgiToAsgi(
        WhiteNoise(
            _not_found,
            root=settings.STATIC_ROOT,
            prefix=settings.STATIC_URL,
            immutable_file_test=lambda path, url: bool(HASHED_NAME.search(url)),
        )
    )

    async def application(scope, receive, send):
        if scope["type"] == "http" and scope["path"].startswith(settings.STATIC_URL):
            await static_app(scope, receive, send)
        else:
            await django_app(scope, receive, send)

    return application


application = build_application()
