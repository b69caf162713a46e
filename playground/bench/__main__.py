"""`python -m playground.bench [--smoke]`: see the package's docstring."""

import argparse
import asyncio
import os
import re
import signal
import sys
import tempfile
import time
import timeit
from collections.abc import Awaitable
from pathlib import Path
from typing import TYPE_CHECKING

from . import report
from .client import HttpError, Site
from .workload import API_KEY, APP_TITLE, APP_URL, MODEL, BenchError, Schedule, Target

if TYPE_CHECKING:
    from .figures import Plan
    from .servers import Processes

USERNAME = "bench"
PASSWORD = "bench-password-not-secret-1"
# One worker: without REDIS_URL a run's events live in the process that generates it, and
# a stream opened on another worker could not follow it (README, "Several processes").
WORKERS = 1
# Figure 11's evaluation runs this many generations at once.
EVALUATION_CONCURRENCY = 8
CSRF_IN_PAGE = re.compile(r'"X-CSRFToken": "([^"]+)"')
CSRF_IN_FORM = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _configure(database: Path, fake_port: int) -> dict[str, str]:
    """Production settings for the app, the fake and this process alike."""
    env = {
        "DJANGO_SETTINGS_MODULE": "playground.settings",
        "DEBUG": "false",
        "DATABASE_URL": f"sqlite:///{database}",
        "CACHE_URL": "locmemcache://",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "OPENROUTER_API_KEY": API_KEY,
        "OPENROUTER_BASE_URL": f"http://127.0.0.1:{fake_port}/api/v1",
        "OPENROUTER_APP_URL": APP_URL,
        "OPENROUTER_APP_TITLE": APP_TITLE,
        "PLAYGROUND_ALLOW_SERVER_KEY": "true",
        # One person makes every run here: limits this high are never reached, but they are
        # still checked on every run, as in production.
        "PLAYGROUND_RUNS_PER_MINUTE": "10000000",
        "PLAYGROUND_MAX_CONCURRENT_RUNS": "10000000",
        "PLAYGROUND_EVALUATION_CONCURRENCY": str(EVALUATION_CONCURRENCY),
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    os.environ.update(env)
    import django

    django.setup()
    return {**os.environ, **env}


def _interrupt(signum: int, frame: object) -> None:
    # Ends the run as Ctrl+C does, through every `finally` that stops a process.
    raise KeyboardInterrupt


class Bench:
    """The fake and the app as processes, with the settings they share."""

    def __init__(self, work_dir: Path) -> None:
        self.fake_port = 0
        self.app_port = 0
        self.bare_port = 0
        self.work_dir = work_dir
        self.workers: list[int] = []
        self.fake_process = None
        self.app_process = None
        self.bare_process = None
        self.processes: Processes | None = None

    def prepare(self) -> None:
        from django.conf import settings
        from django.contrib.auth import get_user_model
        from django.core.management import call_command

        from .servers import Processes, free_port

        self.fake_port, self.app_port, self.bare_port = free_port(), free_port(), free_port()
        self.env = _configure(self.work_dir / "bench.sqlite3", self.fake_port)
        self.processes = Processes(self.work_dir)
        say_step("Preparing: migrating a fresh database, collecting static files")
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        get_user_model().objects.create_user(USERNAME, password=PASSWORD)
        say_step(f"Static files in {settings.STATIC_ROOT}; database in {self.work_dir}")

    def start(self) -> None:
        from .servers import bare_relay_argv, fake_argv

        self.fake_process = self.processes.start("fake", fake_argv(self.fake_port), self.env)
        self.processes.wait_for_port("fake", self.fake_process, self.fake_port)
        # Pointed where the app is, so it opens the same upstream streams.
        argv = bare_relay_argv(self.bare_port, self.env["OPENROUTER_BASE_URL"])
        self.bare_process = self.processes.start("bare", argv, self.env)
        self.processes.wait_for_port("bare", self.bare_process, self.bare_port)
        self.start_app()

    def start_app(self) -> None:
        from .servers import app_argv, worker_pids

        self.app_process = self.processes.start("app", app_argv(self.app_port, WORKERS), self.env)
        self.processes.wait_for_port("app", self.app_process, self.app_port)
        deadline = time.monotonic() + 30
        while len(worker_pids(self.app_process.pid)) < WORKERS:
            if time.monotonic() > deadline:
                raise RuntimeError(f"uvicorn did not start {WORKERS} workers")
            time.sleep(0.05)
        self.workers = worker_pids(self.app_process.pid)

    def restart_app(self) -> None:
        """A fresh app, so a memory figure starts from memory no earlier load grew."""
        self.processes.stop(self.app_process)
        self.start_app()

    def cpu_seconds(self) -> float:
        """The CPU time the app's workers have used so far."""
        from .servers import cpu_seconds

        return cpu_seconds(self.workers)

    def cpu_by_process(self) -> dict[str, float]:
        """The CPU time each process of the benchmark has used so far: this one is the
        load client."""
        from .servers import cpu_seconds

        return {
            "fake": cpu_seconds([self.fake_process.pid]),
            "client": cpu_seconds([os.getpid()]),
            "app": cpu_seconds(self.workers),
            "bare": cpu_seconds([self.bare_process.pid]),
        }

    def memory_kb(self) -> int:
        from .servers import rss_kb

        return rss_kb(self.workers)

    def logs(self) -> str:
        return "\n".join(
            f"--- {name} log (last lines) ---\n{self.processes.log_tail(name)}"
            for name in ("fake", "app", "bare")
        )


def say_step(text: str) -> None:
    print(text, flush=True)


async def log_in(app: Site) -> str:
    """Logs the bench's person in with the login form; returns the CSRF token the pages
    give htmx."""
    page = await app.get("/accounts/login/")
    token = CSRF_IN_FORM.search(page.text)
    if token is None:
        raise HttpError(f"the login page answered {page.status} without a form")
    fields = [("csrfmiddlewaretoken", token[1]), ("username", USERNAME), ("password", PASSWORD)]
    response = await app.post_form("/accounts/login/", fields)
    if response.status != 302 or "sessionid" not in app.cookies:
        raise HttpError(f"logging in answered {response.status}")
    compare = await app.get("/")
    header = CSRF_IN_PAGE.search(compare.text)
    if header is None:
        raise HttpError(f"the compare page answered {compare.status} without a CSRF token")
    return header[1]


async def warm_up(target: Target) -> None:
    """Each worker loads the model list and compiles its templates on first use; a few
    rounds of concurrent requests reach both."""
    schedule = Schedule(first=0.01, gap=0.005, count=3)
    for _ in range(3):
        streams = await asyncio.gather(
            *(target.through_app(schedule) for _ in range(8)),
            *(target.direct(schedule) for _ in range(4)),
        )
        failed = [stream for stream in streams if not stream.ok]
        if failed:
            raise BenchError(f"warming up: a stream failed: {failed[0].error}")
        await asyncio.gather(*(target.app.get("/") for _ in range(6)))


def python_speed_us() -> float:
    """How fast this machine runs Python: the best time of `sum(range(1000))`, in µs.
    Figures from two machines compare only after this."""
    return round(min(timeit.repeat("sum(range(1000))", number=1000, repeat=5)) * 1000, 1)


async def measure(
    bench: Bench, plan: "Plan", only: frozenset[str] = frozenset()
) -> tuple[dict[str, float | str | None], list[str]]:
    """Every figure (or those of the steps in `only`: "1" to "13", "browser"); one that
    cannot be measured is None, and why is returned."""
    from . import figures as f
    from .browser import browser_figures
    from .live_markdown import live_markdown_cpu
    from .servers import cpu_load

    fake = Site(bench.fake_port)
    app = Site(bench.app_port)
    target = Target(fake=fake, app=app, csrf_token=await log_in(app), bare=Site(bench.bare_port))
    results: dict[str, float | str | None] = {"python_speed_us": python_speed_us()}
    problems: list[str] = []

    async def step(title: str, keys: list[str], work: Awaitable[dict]) -> None:
        if only and title.split(".")[0].split(":")[0].lower() not in only:
            work.close()
            return
        say_step(f"{title}  [{cpu_load()}]")
        loads.append(os.getloadavg()[0])
        started = time.monotonic()
        try:
            results.update(await work)
        except BenchError as error:
            say_step(f"  could not measure: {error}")
            problems.append(f"{title}: {error}")
            results.update(dict.fromkeys(keys))
        loads.append(os.getloadavg()[0])
        say_step(f"  ({round(time.monotonic() - started, 1)} s)")

    loads: list[float] = []
    await warm_up(target)
    results["load_average_before"] = round(os.getloadavg()[0], 2)
    await step(
        "8. Compare page weight",
        ["page_js_kb_gz", "page_total_kb_gz", "page_requests"],
        f.page_weight(app),
    )
    await step(
        "9. Server time to render the pages",
        ["render_compare_p95_ms", "render_run_p95_ms"],
        f.render_times(target, plan),
    )
    await step(
        "1. Time to first token, one stream at a time",
        ["ttft_overhead_stream_p50_ms", "ttft_overhead_stream_p99_ms", "ttft_overhead_post_p50_ms"],
        f.ttft_sequential(target, plan),
    )
    await step(
        "3. Relay delay per event at 20 events/s",
        ["relay_jitter_p50_ms", "relay_jitter_p99_ms", "relay_jitter_max_ms"],
        f.relay_jitter(target, plan),
    )
    await step(
        f"2. Time to first token, {plan.concurrent_streams} streams at once (20 events/s each)",
        ["ttft_overhead_100_p99_ms"],
        f.ttft_concurrent(target, plan),
    )
    await step(
        "7. Stop to upstream closed",
        ["cancel_close_max_ms"],
        f.cancel_close(target, plan),
    )
    await step(
        "10. Viewers of a live run: attaching, and fan-out",
        ["attach_p50_ms", "attach_p99_ms", "fanout_cpu_us_per_event_viewer"],
        f.attach_and_fanout(target, plan, bench.cpu_seconds),
    )
    await step(
        f"Browser: {plan.browser_columns} columns at 100 tokens/s",
        ["browser_long_tasks", "browser_event_to_screen_p95_ms"],
        browser_figures(f"http://127.0.0.1:{bench.app_port}", app.cookies, plan),
    )
    await step(
        f"11. An evaluation of {plan.evaluation_cells} cells, {EVALUATION_CONCURRENCY} at once",
        ["evaluation_wall_s", "evaluation_wall_ratio"],
        f.evaluation_wall(target, plan, USERNAME),
    )
    await step(
        "4. Active streams at 20 events/s",
        ["max_active_streams"],
        f.capacity(target, plan, bench.cpu_by_process),
    )
    await step(
        "12. The bare relay: time to first token, one stream at a time",
        ["bare_ttft_overhead_p50_ms", "bare_ttft_overhead_p99_ms"],
        f.bare_ttft(target, plan),
    )
    await step(
        f"12. CPU per relayed event, the app and the bare relay, {plan.cpu_streams} streams "
        "at once",
        ["app_cpu_us_per_event", "bare_cpu_us_per_event"],
        f.cpu_per_event(target, plan, bench.cpu_by_process),
    )
    await step(
        "12. The bare relay: active streams at 20 events/s",
        ["bare_active_streams"],
        f.bare_capacity(target, plan, bench.cpu_by_process),
    )
    await step(
        "13. Live markdown: server CPU per flush, 8 columns of 4,000-token answers",
        ["live_markdown_cpu_ms_per_flush", "relay_cpu_ms_per_flush_raw"],
        live_markdown_cpu(plan.live_markdown_chars),
    )
    if not only or "5" in only:
        await _fresh_app(bench, target)
    await step(
        "5. Open idle streams (1 event/s)",
        ["open_streams", "kb_per_open_stream"],
        f.open_streams(target, plan, bench.memory_kb),
    )
    if not only or "6" in only:
        await _fresh_app(bench, target)
    await step(
        "6. Memory over a soak of many streams",
        ["soak_memory_ratio"],
        f.soak(target, plan, bench.memory_kb),
    )
    results.update(report.ratios(results))
    results["load_average_after"] = round(os.getloadavg()[0], 2)
    results["load_average_max"] = round(max(loads), 2)
    return results, problems


async def _fresh_app(bench: Bench, target: Target) -> None:
    """Restarts the app once every stream it served is stored, so the next memory figure
    starts from memory no earlier load grew."""
    await asyncio.to_thread(_wait_until_stored)
    bench.restart_app()
    await warm_up(target)


def _wait_until_stored(timeout: float = 300) -> None:
    """Waits for the app to store every stream it was sent away from."""
    from playground.models import Run

    deadline = time.monotonic() + timeout
    while Run.objects.filter(status=Run.Status.STREAMING).exists():
        if time.monotonic() > deadline:
            raise RuntimeError("runs were still streaming long after their browsers left")
        time.sleep(0.2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m playground.bench",
        description="What the playground adds to the model's own latency, and how much it "
        "holds. Writes the figures to BENCH_JSON (default bench-results.json).",
    )
    parser.add_argument(
        "--smoke", action="store_true", help="tiny counts: checks that the harness works"
    )
    parser.add_argument(
        "--only",
        default="",
        help="comma-separated steps to measure, e.g. 1,3,browser (while profiling one)",
    )
    args = parser.parse_args(argv)
    only = frozenset(step.strip().lower() for step in args.only.split(",") if step.strip())
    output = Path(os.environ.get("BENCH_JSON", "bench-results.json"))
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGHUP, _interrupt)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="playground-bench-") as work_dir:
        bench = Bench(Path(work_dir))
        try:
            bench.prepare()
            from . import figures

            plan = figures.SMOKE if args.smoke else figures.FULL
            bench.start()
            say_step(
                f"Fake OpenRouter on port {bench.fake_port}, the app on port {bench.app_port} "
                f"({WORKERS} workers), the bare relay on port {bench.bare_port}, model {MODEL}"
            )
            results, problems = asyncio.run(measure(bench, plan, only))
        except (BenchError, HttpError, RuntimeError, OSError) as error:
            print(f"\nThe benchmark could not go on: {error}", file=sys.stderr)
            if bench.processes is not None:
                print(bench.logs(), file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            print("\nStopped.", file=sys.stderr)
            return 130
        finally:
            if bench.processes is not None:
                bench.processes.stop_all()
    report.write_json(output, results)
    print()
    print(report.table(results))
    print()
    print(report.beside_table(results))
    print()
    print(report.limits_text(results))
    print(
        f"\nLoad average {results['load_average_before']} before, "
        f"{results['load_average_max']} at most and {results['load_average_after']} after, "
        f"on {os.cpu_count()} cores; Python runs "
        f"sum(range(1000)) in {results['python_speed_us']} µs here. "
        f"{round(time.monotonic() - started)} s in all. Figures in {output}."
    )
    for problem in problems:
        print(f"Not measured: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
