"""`make bench`: what the app adds on top of the upstream stream, measured end to end.

It serves the real ASGI application with uvicorn on a loopback port, with a throwaway
SQLite database and the simulated OpenRouter, and prints:

1. time to first token through the app versus straight from the fake (the app's
   overhead on the figure people feel most), and the ratio;
2. many runs of eight columns at once: wall time, upstream deltas versus SSE events
   the browsers received (the coalescing ratio), and memory per concurrent stream.

Figures vary with the machine's load: compare runs on the same machine, not to a fixed
threshold.
"""

import asyncio
import os
import resource
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

CONCURRENT_RUNS = 16
COLUMNS = 8
TTFT_SAMPLES = 15


def _setup_django(tmp: Path) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{tmp / 'bench.sqlite3'}"
    os.environ["OPENROUTER_API_KEY"] = ""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "playground.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.STATIC_ROOT = tmp / "static"
    settings.STATIC_ROOT.mkdir()
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    call_command("migrate", verbosity=0)


def _serve():
    import uvicorn

    from playground.asgi import build_application

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(
        uvicorn.Config(build_application(), lifespan="off", log_level="warning")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    return server, thread, f"http://127.0.0.1:{sock.getsockname()[1]}"


def _rss_mib() -> float:
    # ru_maxrss is the peak, in KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _current_rss_mib() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


async def _first_token_direct(fake, body) -> float:
    from playground.openrouter import OpenRouterClient, OutputTextDelta

    client = OpenRouterClient(
        base_url="http://fake/api/v1",
        app_url="http://bench",
        app_title="bench",
        transport=fake.transport(),
    )
    start = time.perf_counter()
    try:
        async for event in client.stream(body, api_key="sk-or-v1-bench"):
            if isinstance(event, OutputTextDelta):
                return time.perf_counter() - start
    finally:
        await client.aclose()
    raise RuntimeError("no text arrived")


async def _read_run(http, run_id: int, counts: dict) -> float | None:
    """Reads a run's stream; returns the seconds to its first text event."""
    import httpx_sse

    start = time.perf_counter()
    first = None
    async with httpx_sse.aconnect_sse(http, "GET", f"/runs/{run_id}/stream/") as source:
        async for sse in source.aiter_sse():
            counts["events"] += 1
            if first is None and sse.event.endswith("-output"):
                first = time.perf_counter() - start
    return first


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        _setup_django(Path(tmp))
        import httpx
        from asgiref.sync import async_to_sync
        from django.contrib.auth import get_user_model
        from django.test import Client

        from playground.models import RunColumn
        from playground.openrouter import RequestParams, build_body
        from playground.runs import run_create
        from playground.setups import setup_from_values
        from playground.upstream import connection_for, demo_fake

        fake = demo_fake()
        user = get_user_model().objects.create_user("bench", password="bench-password-1")
        django_client = Client()
        django_client.force_login(user)
        cookies = {"sessionid": django_client.cookies["sessionid"].value}
        server, thread, url = _serve()

        def new_run(models: list[str]):
            setup = setup_from_values(
                prompt="Benchmark prompt: explain latency.",
                instructions="",
                parameters={},
                models=models,
            )
            return run_create(owner=user, setup=setup, connection=connection_for(user))

        # 1. Time to first token: straight from the fake, then through the whole app.
        fake.time_scale = 1.0
        body = build_body(RequestParams(model="demo/swift", prompt="Benchmark prompt."))
        direct = [async_to_sync(_first_token_direct)(fake, body) for _ in range(TTFT_SAMPLES)]

        async def through_app() -> list[float]:
            results = []
            async with httpx.AsyncClient(base_url=url, cookies=cookies, timeout=60) as http:
                for run in runs:
                    results.append(await _read_run(http, run.pk, {"events": 0}))
            return results

        runs = [new_run(["demo/swift"]) for _ in range(TTFT_SAMPLES)]
        via_app = async_to_sync(through_app)()
        direct_ms = statistics.median(direct) * 1000
        app_ms = statistics.median(via_app) * 1000
        print(f"Time to first token, demo/swift (median of {TTFT_SAMPLES})")
        print(f"  straight from the fake   {direct_ms:8.1f} ms")
        print(f"  through the app          {app_ms:8.1f} ms")
        added = app_ms - direct_ms
        print(f"  added by the app         {added:8.1f} ms  (ratio {app_ms / direct_ms:.2f})")

        # 2. Many eight-column runs at once.
        fake.time_scale = 0.2
        models = ["demo/swift", "demo/markdown", "demo/reasoner", "demo/echo"] * (COLUMNS // 4)
        runs = [new_run(models) for _ in range(CONCURRENT_RUNS)]
        counts = {"events": 0}
        rss_before = _current_rss_mib()
        requests_before = len(fake.requests)

        async def all_at_once() -> None:
            limits = httpx.Limits(max_connections=CONCURRENT_RUNS)
            async with httpx.AsyncClient(
                base_url=url, cookies=cookies, timeout=120, limits=limits
            ) as http:
                await asyncio.gather(*(_read_run(http, run.pk, counts) for run in runs))

        start = time.perf_counter()
        async_to_sync(all_at_once)()
        wall = time.perf_counter() - start
        streams = CONCURRENT_RUNS * COLUMNS
        upstream_deltas = sum(
            sum(1 for e in c.events if e["event"].get("type", "").endswith(".delta"))
            for c in RunColumn.objects.filter(run__in=runs)
        )
        done = RunColumn.objects.filter(run__in=runs, status="done").count()
        print(f"\n{CONCURRENT_RUNS} runs x {COLUMNS} columns at once ({streams} upstream streams)")
        print(f"  upstream requests        {len(fake.requests) - requests_before:8d}")
        print(f"  columns done             {done:8d} of {streams}")
        print(f"  wall time                {wall:8.2f} s")
        print(f"  upstream deltas          {upstream_deltas:8d}")
        ratio = counts["events"] / max(upstream_deltas, 1)
        print(f"  SSE events to browsers   {counts['events']:8d}  (ratio {ratio:.2f})")
        grown = max(_current_rss_mib() - rss_before, 0.0)
        per_stream = grown * 1024 / streams
        print(f"  memory grown             {grown:8.1f} MiB  ({per_stream:.0f} KiB a stream)")
        print(f"  peak RSS                 {_rss_mib():8.1f} MiB")

        server.should_exit = True
        thread.join(timeout=10)
    sys.exit(0 if done == streams else 1)


if __name__ == "__main__":
    main()
