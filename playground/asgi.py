"""The ASGI entry point: static files first, then Django; and the server's life.

WhiteNoise's Django middleware is sync-only and would push every request, the stream
included, through a thread. Serving STATIC_ROOT with WhiteNoise's own app in front of
Django keeps the stream path async from end to end.

The lifespan messages (Django's handler takes none) say where run tasks run: on the
server's loop from startup on (playground/runs/run_loop.py); at shutdown every live run
is told to end, and the server waits for their last writes.
"""

import asyncio
import contextvars
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
        if scope["type"] == "lifespan":
            await lifespan(receive, send)
            return
        static = scope["type"] == "http" and scope["path"].startswith(settings.STATIC_URL)
        app = static_app if static else django_app
        # Each request runs in a context of its own. The server creates a request's task
        # in whatever context its I/O callback runs in, and that can be the context of an
        # earlier task (CPython gh-140947, uvicorn #2167): one left by a sync view's
        # `async_to_sync` names a thread that has since finished, and the request's sync
        # work would fail with "CurrentThreadExecutor already quit or is broken" (seen in
        # a browser test's static file request).
        await asyncio.get_running_loop().create_task(
            app(scope, receive, send), context=contextvars.Context()
        )

    return application


# Within uvicorn's own graceful shutdown (3 s with `make run`): a run that is told to end
# saves what it has at once.
SHUTDOWN_WAIT_SECONDS = 2.5


async def lifespan(receive, send) -> None:
    from playground.core.shutdown import stop_streams, watch_signals
    from playground.runs import run_loop

    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            run_loop.use_server_loop(asyncio.get_running_loop())
            watch_signals()
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            stop_streams()
            await run_loop.wait_for_tasks(SHUTDOWN_WAIT_SECONDS)
            run_loop.use_server_loop(None)
            await send({"type": "lifespan.shutdown.complete"})
            return


application = build_application()
