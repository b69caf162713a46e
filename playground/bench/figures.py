"""Each figure of `make bench`: how it is measured, and its plan (full or smoke).

One concern kept in one file: the figures are read side by side, each a short function
beside its plan, so the way every figure is taken can be compared at a glance.
"""

import asyncio
import json
import os
import re
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial

from playground.models import Run, RunColumn
from playground.openrouter import redact_headers

from .bare_relay import Relay
from .client import Exchange, Site
from .stats import added_ms, busiest, ms, percentile
from .workload import API_KEY, MODEL, BenchError, Schedule, Stream, Target, closed_loop

# Chromium's own header: what a browser's first visit is offered compressed as.
ACCEPT_ENCODING = "gzip, deflate, br, zstd"
DEMO_MODELS = ["demo/markdown", "demo/reasoner", "demo/summarizer", "demo/swift"]
DEMO_PROMPT = "Compare a quick fix with a careful refactor for a slow report page."
# How often a stream of the idle kind sends (its schedule's gap) and how long a held
# stream may stay silent before it counts as stalled.
STALL_SECONDS = 2.5
# Streams that may be between their POST and their stream's first byte at once while
# many are being opened, as people arriving one after another would be.
OPENING_AT_ONCE = 50
# After its streams end the app still asks for each column's generation record (the fake
# has it 0.5 s after the stream ends; the app tries again after 0.25 s, then 0.5 s) and
# writes it: the CPU figure waits this long so that work is counted.
SETTLE_SECONDS = 2.0

# Each process's CPU seconds so far, by name: "fake", "client" (this process), "app" (its
# workers) and "bare" (the bare relay).
type CpuTimes = Callable[[], dict[str, float]]
type Through = Callable[[Schedule], Awaitable[Stream]]
# How the figures name the processes they report the CPU share of.
PROCESS_NAMES = {"fake": "fake", "client": "load client", "app": "app", "bare": "bare relay"}


@dataclass(frozen=True)
class Plan:
    ttft_pairs: int
    ttft_schedule: Schedule
    concurrent_streams: int
    concurrent_phases: int
    concurrent_ramp: float
    concurrent_measure: float
    concurrent_schedule: Schedule
    jitter_streams: int
    jitter_phases: int
    jitter_schedule: Schedule
    capacity_levels: tuple[int, ...]
    capacity_ramp: float
    capacity_measure: float
    capacity_schedule: Schedule
    open_limit: int
    open_batch: int
    idle_schedule: Schedule
    soak_waves: int
    soak_wave: int
    soak_columns: int
    soak_schedule: Schedule
    cancel_runs: int
    cancel_columns: int
    cancel_schedule: Schedule
    render_samples: int
    browser_columns: int
    browser_schedule: Schedule
    attach_samples: int
    attach_schedule: Schedule
    fanout_viewers: int
    fanout_columns: int
    fanout_schedule: Schedule
    evaluation_cells: int
    evaluation_schedule: Schedule
    # Characters of each column's answer in the live-markdown figure (live_markdown.py).
    live_markdown_chars: int
    bare_capacity_levels: tuple[int, ...]
    cpu_streams: int
    cpu_rounds: int
    cpu_schedule: Schedule


FULL = Plan(
    ttft_pairs=200,
    ttft_schedule=Schedule(first=0.02, gap=0.005, count=5),
    concurrent_streams=100,
    concurrent_phases=4,
    concurrent_ramp=2.0,
    concurrent_measure=2.5,
    concurrent_schedule=Schedule(first=0.02, gap=0.05, count=40),
    jitter_streams=10,
    jitter_phases=4,
    jitter_schedule=Schedule(first=0.02, gap=0.05, count=100),
    capacity_levels=(25, 50, 100, 200, 300, 400, 600),
    capacity_ramp=3.0,
    capacity_measure=3.0,
    capacity_schedule=Schedule(first=0.02, gap=0.05, count=80),
    # A little past the target: each stream held keeps its events for the inspector, and
    # every one is written to the database when the step lets them go.
    open_limit=2250,
    open_batch=375,
    idle_schedule=Schedule(first=0.02, gap=1.0, count=900),
    soak_waves=20,
    soak_wave=40,
    soak_columns=4,
    soak_schedule=Schedule(first=0.02, gap=0.01, count=10),
    cancel_runs=3,
    cancel_columns=8,
    cancel_schedule=Schedule(first=0.02, gap=0.02, count=5000),
    render_samples=60,
    browser_columns=6,
    browser_schedule=Schedule(first=0.02, gap=0.01, count=600),
    attach_samples=200,
    attach_schedule=Schedule(first=0.02, gap=0.05, count=1200),
    fanout_viewers=50,
    fanout_columns=8,
    fanout_schedule=Schedule(first=0.02, gap=0.02, count=200),
    evaluation_cells=200,
    evaluation_schedule=Schedule(first=0.05, gap=0.02, count=25),
    live_markdown_chars=16_000,
    bare_capacity_levels=(100, 200, 300, 400, 500, 600, 800, 1000, 1300, 1600, 2000),
    # Fewer streams than the app holds (figure 4), so its CPU per event is not that of a
    # queue; long enough that the bare relay's time is some 40 clock ticks of 10 ms.
    cpu_streams=25,
    cpu_rounds=2,
    cpu_schedule=Schedule(first=0.02, gap=0.05, count=400),
)

# Tiny counts: proves the harness works end to end in a few seconds a figure.
SMOKE = Plan(
    ttft_pairs=4,
    ttft_schedule=Schedule(first=0.01, gap=0.005, count=3),
    concurrent_streams=4,
    concurrent_phases=2,
    concurrent_ramp=0.2,
    concurrent_measure=0.4,
    concurrent_schedule=Schedule(first=0.01, gap=0.02, count=5),
    jitter_streams=2,
    jitter_phases=2,
    jitter_schedule=Schedule(first=0.01, gap=0.05, count=6),
    capacity_levels=(4, 8),
    capacity_ramp=0.3,
    capacity_measure=0.4,
    capacity_schedule=Schedule(first=0.01, gap=0.05, count=6),
    open_limit=12,
    open_batch=6,
    idle_schedule=Schedule(first=0.01, gap=1.0, count=60),
    soak_waves=3,
    soak_wave=3,
    soak_columns=2,
    soak_schedule=Schedule(first=0.01, gap=0.01, count=4),
    cancel_runs=1,
    cancel_columns=3,
    cancel_schedule=Schedule(first=0.01, gap=0.02, count=500),
    render_samples=4,
    browser_columns=6,
    browser_schedule=Schedule(first=0.02, gap=0.01, count=100),
    attach_samples=5,
    attach_schedule=Schedule(first=0.01, gap=0.05, count=60),
    fanout_viewers=3,
    fanout_columns=2,
    fanout_schedule=Schedule(first=0.01, gap=0.02, count=20),
    evaluation_cells=16,
    evaluation_schedule=Schedule(first=0.01, gap=0.01, count=10),
    live_markdown_chars=1_500,
    bare_capacity_levels=(4, 8),
    # Enough events for the bare relay's CPU time to be a few clock ticks.
    cpu_streams=4,
    cpu_rounds=1,
    cpu_schedule=Schedule(first=0.01, gap=0.005, count=250),
)


def say(text: str) -> None:
    print(text, flush=True)


def _require_ok(streams: list[Stream], what: str) -> None:
    failed = [stream for stream in streams if not stream.ok]
    if failed:
        first = failed[0]
        reason = first.error or f"{first.pieces} of {first.expected} pieces"
        raise BenchError(f"{what}: {len(failed)} of {len(streams)} streams failed ({reason}).")


def _ttfts(streams: list[Stream]) -> list[float]:
    return [stream.ttft for stream in streams if stream.ttft is not None]


# 1. Time to first token, one stream at a time


async def _ttft_pairs(
    target: Target, plan: Plan, through: Through
) -> tuple[list[Stream], list[Stream]]:
    """Pairs of one direct and one relayed stream, in alternating order, so a slow moment
    of the machine weighs on both alike."""
    direct: list[Stream] = []
    relayed: list[Stream] = []
    for number in range(plan.ttft_pairs):
        first_direct = number % 2 == 0
        for use_direct in (first_direct, not first_direct):
            if use_direct:
                direct.append(await target.direct(plan.ttft_schedule))
            else:
                relayed.append(await through(plan.ttft_schedule))
    _require_ok(direct + relayed, "time to first token")
    return direct, relayed


async def ttft_sequential(target: Target, plan: Plan) -> dict[str, float]:
    direct, app = await _ttft_pairs(target, plan, target.through_app)
    direct_t = _ttfts(direct)
    stream_t = _ttfts(app)
    post_t = [stream.post_ttft for stream in app if stream.post_ttft is not None]
    say(
        f"  direct p50 {ms(percentile(direct_t, 50))} p99 {ms(percentile(direct_t, 99))} ms; "
        f"app from GET p50 {ms(percentile(stream_t, 50))} p99 {ms(percentile(stream_t, 99))} "
        f"ms; app from POST p50 {ms(percentile(post_t, 50))} ms ({len(app)} pairs)"
    )
    return {
        "ttft_overhead_stream_p50_ms": added_ms(stream_t, direct_t, 50),
        "ttft_overhead_stream_p99_ms": added_ms(stream_t, direct_t, 99),
        "ttft_overhead_post_p50_ms": added_ms(post_t, direct_t, 50),
        "ttft_direct_p50_ms": ms(percentile(direct_t, 50)),
        "ttft_direct_p99_ms": ms(percentile(direct_t, 99)),
        "ttft_stream_p50_ms": ms(percentile(stream_t, 50)),
        "ttft_stream_p99_ms": ms(percentile(stream_t, 99)),
        "ttft_post_p50_ms": ms(percentile(post_t, 50)),
    }


# 2 and 4. Many streams at once


async def _cpu_shares(cpu: CpuTimes, *, after: float, over: float) -> dict[str, float]:
    """Each process's CPU time over `over` seconds, starting `after` seconds from now, as
    a share of one core (each is one event loop: near 1 is saturated)."""
    await asyncio.sleep(after)
    before, started = cpu(), time.monotonic()
    await asyncio.sleep(over)
    spent, wall = cpu(), time.monotonic() - started
    return {name: round((spent[name] - before[name]) / wall, 3) for name in spent}


@dataclass
class _Phased:
    direct: list[Stream]
    relayed: list[Stream]
    failures: int
    # The processes' CPU shares over the steady part of the last relayed phase.
    shares: dict[str, float]


async def _phases(
    target: Target,
    *,
    through: Through,
    lanes: int,
    phases: int,
    ramp: float,
    measure: float,
    schedule: Schedule,
    cpu: CpuTimes | None = None,
) -> _Phased:
    """Alternating phases of `lanes` direct streams and `lanes` relayed streams at once."""
    phased = _Phased([], [], 0, {})
    for number in range(phases):
        use_direct = number % 2 == 0
        start = partial(target.direct if use_direct else through, schedule)
        loop = closed_loop(lanes, start, ramp=ramp, measure=measure)
        if cpu is None or use_direct:
            streams, failed = await loop
        else:
            (streams, failed), phased.shares = await asyncio.gather(
                loop, _cpu_shares(cpu, after=ramp, over=measure)
            )
        (phased.direct if use_direct else phased.relayed).extend(streams)
        phased.failures += failed
    return phased


async def ttft_concurrent(target: Target, plan: Plan) -> dict[str, float]:
    phased = await _phases(
        target,
        through=target.through_app,
        lanes=plan.concurrent_streams,
        phases=plan.concurrent_phases,
        ramp=plan.concurrent_ramp,
        measure=plan.concurrent_measure,
        schedule=plan.concurrent_schedule,
    )
    direct_t, app_t = _ttfts(phased.direct), _ttfts(phased.relayed)
    failures = phased.failures
    if not direct_t or not app_t:
        raise BenchError(f"{plan.concurrent_streams} streams at once: no stream got an answer.")
    say(
        f"  {plan.concurrent_streams} at once: direct p99 {ms(percentile(direct_t, 99))} ms, "
        f"app p99 {ms(percentile(app_t, 99))} ms ({len(direct_t)} and {len(app_t)} streams, "
        f"{failures} failed)"
    )
    return {
        "ttft_100_failures": failures,
        "ttft_overhead_100_p99_ms": added_ms(app_t, direct_t, 99),
        "ttft_100_direct_p99_ms": ms(percentile(direct_t, 99)),
        "ttft_100_app_p99_ms": ms(percentile(app_t, 99)),
    }


def _at_limit(prefix: str, relay: str, shares: dict[str, float]) -> dict[str, float | str]:
    """The CPU shares of the fake, the load client and the relay (the app or the bare
    relay) where a figure met its limit, and which of them was the busiest."""
    mine = {"fake": shares["fake"], "client": shares["client"], relay: shares[relay]}
    return {
        f"{prefix}_cpu_fake": mine["fake"],
        f"{prefix}_cpu_client": mine["client"],
        f"{prefix}_cpu_relay": mine[relay],
        f"{prefix}_busiest": PROCESS_NAMES[busiest(mine)],
    }


def _shares_text(relay: str, shares: dict[str, float]) -> str:
    return ", ".join(
        f"{PROCESS_NAMES[name]} {shares[name]:.2f}" for name in ("fake", "client", relay)
    )


@dataclass
class _Capacity:
    streams: int
    overhead_p99_ms: float
    # The first level that missed; None when every level held.
    limit: int | None
    # The processes' CPU shares at that level (or at the last, when none missed).
    shares: dict[str, float]


async def _capacity(
    target: Target,
    plan: Plan,
    *,
    through: Through,
    levels: tuple[int, ...],
    cpu: CpuTimes,
    relay: str,
) -> _Capacity:
    """The most streams at once (20 events a second each) with p99 first-token overhead
    under 100 ms and no errors; levels rise until one misses."""
    found = _Capacity(0, 0.0, None, {})
    for level in levels:
        phased = await _phases(
            target,
            through=through,
            lanes=level,
            phases=2,
            ramp=plan.capacity_ramp,
            measure=plan.capacity_measure,
            schedule=plan.capacity_schedule,
            cpu=cpu,
        )
        direct_t, relayed_t = _ttfts(phased.direct), _ttfts(phased.relayed)
        overhead = added_ms(relayed_t, direct_t, 99) if relayed_t and direct_t else float("inf")
        passed = not phased.failures and overhead < 100 and len(relayed_t) >= level // 2
        found.shares = phased.shares
        say(
            f"  {level} streams: p99 overhead {overhead} ms, {phased.failures} failed, "
            f"{len(relayed_t)} streams measured: {'holds' if passed else 'misses'} "
            f"(CPU in cores: {_shares_text(relay, phased.shares)})"
        )
        if not passed:
            found.limit = level
            break
        found.streams, found.overhead_p99_ms = level, overhead
    return found


async def capacity(target: Target, plan: Plan, cpu: CpuTimes) -> dict[str, float | str | None]:
    found = await _capacity(
        target, plan, through=target.through_app, levels=plan.capacity_levels, cpu=cpu, relay="app"
    )
    return {
        "max_active_streams": found.streams,
        "max_active_overhead_p99_ms": found.overhead_p99_ms,
        "capacity_app_limit": found.limit,
        **_at_limit("capacity_app", "app", found.shares),
    }


# 3. Relay delay per event


async def relay_jitter(target: Target, plan: Plan) -> dict[str, float]:
    """Every piece is stamped with the time the fake had it due; its delay is its arrival
    minus that. The app's share is a percentile of the app's delays minus the same
    percentile of the direct ones."""
    direct: list[float] = []
    app: list[float] = []
    schedule = plan.jitter_schedule
    for number in range(plan.jitter_phases):
        use_direct = number % 2 == 0

        async def one(offset: float, use_direct: bool = use_direct) -> Stream:
            await asyncio.sleep(offset)
            if use_direct:
                return await target.direct(schedule, keep_delays=True)
            return await target.through_app(schedule, keep_delays=True)

        spread = schedule.gap / plan.jitter_streams
        streams = await asyncio.gather(
            *(one(index * spread) for index in range(plan.jitter_streams))
        )
        _require_ok(list(streams), "relay delay")
        for stream in streams:
            (direct if use_direct else app).extend(stream.delays)
    say(
        f"  direct delay p50 {ms(percentile(direct, 50))} p99 {ms(percentile(direct, 99))} "
        f"max {ms(max(direct))} ms; app p50 {ms(percentile(app, 50))} "
        f"p99 {ms(percentile(app, 99))} max {ms(max(app))} ms ({len(app)} events)"
    )
    return {
        "relay_jitter_p50_ms": added_ms(app, direct, 50),
        "relay_jitter_p99_ms": added_ms(app, direct, 99),
        # The worst delay seen through the app, less the fake's typical lateness: the
        # largest direct delay is one moment of the fake's, not a baseline to subtract.
        "relay_jitter_max_ms": max(0.0, ms(max(app) - percentile(direct, 50))),
        "relay_direct_p99_ms": ms(percentile(direct, 99)),
        "relay_app_p99_ms": ms(percentile(app, 99)),
    }


# 5. Open, mostly idle streams


@dataclass
class _Held:
    task: asyncio.Task | None = None
    stream: Stream | None = None
    opened: bool = False
    ended: bool = False


async def open_streams(target: Target, plan: Plan, memory: Callable[[], int]) -> dict[str, float]:
    """Opens idle streams (one event a second) in batches while every stream held keeps
    receiving; memory is the app's workers' resident size."""
    schedule = plan.idle_schedule
    held: list[_Held] = []
    gate = asyncio.Semaphore(OPENING_AT_ONCE)
    base_kb = memory()
    good_count = 0
    good_kb = base_kb

    async def hold(item: _Held) -> None:
        def opened(stream: Stream, _: Exchange) -> None:
            item.stream, item.opened = stream, True
            gate.release()

        await gate.acquire()
        try:
            item.stream = await target.through_app(schedule, on_open=opened)
        finally:
            item.ended = True
            if not item.opened:
                item.opened = True
                gate.release()

    try:
        while len(held) < plan.open_limit:
            batch = [_Held() for _ in range(min(plan.open_batch, plan.open_limit - len(held)))]
            for item in batch:
                item.task = asyncio.create_task(hold(item))
            held += batch
            deadline = time.monotonic() + 120
            while not all(item.opened for item in batch) and time.monotonic() < deadline:  # noqa: ASYNC110
                await asyncio.sleep(0.1)
            # A live stream sends a piece a second: every one held must have grown.
            before = [item.stream.pieces if item.stream else 0 for item in held]
            await asyncio.sleep(STALL_SECONDS)
            alive = sum(
                1
                for item, count in zip(held, before, strict=True)
                if item.stream and not item.ended and item.stream.pieces > count
            )
            say(f"  {len(held)} opened, {alive} receiving")
            if alive > good_count:
                good_count, good_kb = alive, memory()
            if alive < len(held):
                break
    finally:
        for item in held:
            if item.task is not None:
                item.task.cancel()
        await asyncio.gather(*(item.task for item in held if item.task), return_exceptions=True)
    per_stream = (good_kb - base_kb) / good_count if good_count else 0.0
    say(f"  {good_count} held at once, {round(per_stream, 1)} KB each")
    return {"open_streams": good_count, "kb_per_open_stream": round(per_stream, 1)}


# 6. Memory over many streams


async def soak(target: Target, plan: Plan, memory: Callable[[], int]) -> dict[str, float]:
    """Waves of multi-column runs: all created by their POSTs, then all streamed at once.
    Memory after the last wave against after the first shows what the streams leave
    behind (the first wave has already grown every cache and pool to its working size)."""
    schedule = plan.soak_schedule
    columns = plan.soak_columns
    after_wave: list[int] = []
    failures = 0
    for _ in range(plan.soak_waves):
        runs = await asyncio.gather(
            *(target.create_bench_run(schedule, columns=columns) for _ in range(plan.soak_wave))
        )
        streams = await asyncio.gather(
            *(target.through_app(schedule, columns=columns, run=run) for run in runs)
        )
        failures += sum(1 for stream in streams if not stream.ok)
        await asyncio.sleep(0.5)
        after_wave.append(memory())
    total = plan.soak_waves * plan.soak_wave * columns
    say(
        f"  {total} model streams ({plan.soak_waves} waves of {plan.soak_wave} runs of "
        f"{columns} columns), {failures} runs failed: {after_wave[0] // 1024} MiB after the "
        f"first wave, {after_wave[-1] // 1024} MiB after the last, "
        f"peak {max(after_wave) // 1024} MiB"
    )
    if failures:
        raise BenchError(f"soak: {failures} of {plan.soak_waves * plan.soak_wave} runs failed.")
    return {"soak_memory_ratio": round(after_wave[-1] / after_wave[0], 3), "soak_streams": total}


# 7. Closing upstream when the run is stopped


def _stored_generations(run_id: int, timeout: float) -> list[tuple[int, str]]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if Run.objects.filter(pk=run_id, status=Run.Status.CANCELLED).exists():
            return list(
                RunColumn.objects.filter(run_id=run_id)
                .order_by("position")
                .values_list("position", "generation_id")
            )
        time.sleep(0.02)
    raise BenchError(f"run {run_id} was not stored as cancelled within {timeout} s")


async def _closed_at(fake: Site, generation_id: str, first_token_at: float) -> float:
    """When the fake saw the stream closed: its generation record counts the generation
    time from the first token, and exists only once the stream has ended."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        response = await fake.get(
            f"/api/v1/generation?id={generation_id}",
            headers={"Authorization": f"Bearer {API_KEY}"},
        )
        if response.status == 200:
            data = json.loads(response.body)["data"]
            if not data["cancelled"]:
                raise BenchError(f"generation {generation_id} was not cancelled")
            return first_token_at + data["generation_time"] / 1000
        await asyncio.sleep(0.01)
    raise BenchError(f"the upstream stream {generation_id} was still open after 10 s")


async def cancel_close(target: Target, plan: Plan) -> dict[str, float]:
    schedule = plan.cancel_schedule
    columns = plan.cancel_columns
    delays: list[float] = []
    for _ in range(plan.cancel_runs):
        stream = Stream("app", expected=schedule.count * columns)
        stream.run_id, stream.posted_at = await target.create_bench_run(schedule, columns=columns)
        async with target.open_run(stream.run_id) as exchange:
            await exchange.response()
            async for event in exchange.events():
                if event.name.endswith(("-output", "-blocks")):
                    target.record_shown(stream, event)
                if len(stream.first_due) == columns:
                    break
            stopped_at = await target.stop_run(stream.run_id)
            exchange.close()
        stored = await asyncio.to_thread(_stored_generations, stream.run_id, 30)
        for position, generation_id in stored:
            first_token_at = stream.first_due[position] - schedule.first
            closed_at = await _closed_at(target.fake, generation_id, first_token_at)
            delays.append(closed_at - stopped_at)
    say(
        f"  {len(delays)} upstream streams of {plan.cancel_runs} {columns}-column runs: "
        f"closed {ms(min(delays))} to {ms(max(delays))} ms after Stop was sent"
    )
    return {"cancel_close_max_ms": max(0.0, ms(max(delays)))}


# 10. Viewers of a live run


async def attach_and_fanout(
    target: Target, plan: Plan, cpu_seconds: Callable[[], float]
) -> dict[str, float]:
    """Attach: a new viewer's GET on a live run to its first event (the run's events so
    far come first). Fan-out: one run watched by many viewers against the same run
    watched by one; the app's extra CPU over the events and the extra viewers."""
    run_id, _ = await target.create_bench_run(plan.attach_schedule)
    delays = []
    try:
        for _ in range(plan.attach_samples):
            async with target.open_run(run_id) as exchange:
                if (await exchange.response()).status != 200:
                    raise BenchError("a viewer's stream did not answer 200")
                event = await anext(exchange.events())
                delays.append(event.at - exchange.sent_at)
                exchange.close()
    finally:
        await target.stop_run(run_id)
    await _watched_run(target, plan, 1, cpu_seconds)  # warms up what a first run pays for
    one_cpu, events = await _watched_run(target, plan, 1, cpu_seconds)
    many_cpu, _ = await _watched_run(target, plan, plan.fanout_viewers, cpu_seconds)
    extra_viewers = plan.fanout_viewers - 1
    per_event_viewer = max(0.0, many_cpu - one_cpu) / (events * extra_viewers) * 1e6
    say(
        f"  attach: {len(delays)} viewers, first event p50 {ms(percentile(delays, 50))} ms, "
        f"p99 {ms(percentile(delays, 99))} ms"
    )
    say(
        f"  fan-out: {plan.fanout_columns} columns, {events} events: "
        f"{round(one_cpu * 1000)} ms of CPU with 1 viewer, {round(many_cpu * 1000)} ms with "
        f"{plan.fanout_viewers}: {per_event_viewer:.1f} µs per event per extra viewer"
    )
    return {
        "attach_p50_ms": ms(percentile(delays, 50)),
        "attach_p99_ms": ms(percentile(delays, 99)),
        "fanout_cpu_us_per_event_viewer": round(per_event_viewer, 2),
    }


async def _watched_run(
    target: Target, plan: Plan, viewers: int, cpu_seconds: Callable[[], float]
) -> tuple[float, int]:
    """The app's CPU seconds while one run is watched by `viewers` to its end, and how
    many events each viewer got."""
    before = cpu_seconds()
    run_id, _ = await target.create_bench_run(plan.fanout_schedule, columns=plan.fanout_columns)

    async def watch() -> int:
        count = 0
        async with target.open_run(run_id) as exchange:
            await exchange.response()
            async for event in exchange.events():
                count += 1
                if event.name == "done":
                    break
        return count

    counts = await asyncio.gather(*(watch() for _ in range(viewers)))
    return cpu_seconds() - before, min(counts)


# 8 and 9. The pages


# Links a browser fetches on load (not `rel="canonical"` and the like).
FETCHED_LINK = re.compile(r'rel="(stylesheet|icon|preload|modulepreload)"')
ASSET = re.compile(
    r'<script[^>]*\ssrc="(?P<script>[^"]+)"|<link[^>]*\shref="(?P<link>[^"]+)"[^>]*>'
)


async def page_weight(app: Site) -> dict[str, float]:
    """The compare page on a first visit: the HTML and everything it references, in the
    bytes sent (compressed where the server compresses)."""
    headers = {"Accept-Encoding": ACCEPT_ENCODING}
    page = await app.get("/", headers=headers)
    if page.status != 200:
        raise BenchError(f"the compare page answered {page.status}")
    sizes = {"html": len(page.body), "js": 0, "css": 0, "other": 0}
    requests = 1
    html = page.body.decode()
    for match in ASSET.finditer(html):
        url = match["script"] or match["link"]
        if match["link"] and not FETCHED_LINK.search(match[0]):
            continue
        asset = await app.get(url, headers=headers)
        if asset.status != 200:
            raise BenchError(f"{url} answered {asset.status}")
        requests += 1
        kind = "js" if match["script"] else "css" if url.endswith(".css") else "other"
        sizes[kind] += len(asset.body)
    total = sum(sizes.values())
    say(
        f"  HTML {round(sizes['html'] / 1024, 1)} KB, JS {round(sizes['js'] / 1024, 1)} KB, "
        f"CSS {round(sizes['css'] / 1024, 1)} KB in {requests} requests"
    )
    return {
        "page_js_kb_gz": round(sizes["js"] / 1024, 1),
        "page_total_kb_gz": round(total / 1024, 1),
        "page_requests": requests,
    }


async def _render_times(app: Site, path: str, samples: int) -> list[float]:
    times = []
    for _ in range(samples):
        start = time.monotonic()
        response = await app.get(path)
        times.append(time.monotonic() - start)
        if response.status != 200:
            raise BenchError(f"{path} answered {response.status}")
    return times


async def render_times(target: Target, plan: Plan) -> dict[str, float]:
    """Time to serve the compare page and a finished four-column run (demo models'
    markdown, reasoning and usage), measured at the client over loopback."""
    run_id, _ = await target.create_run(DEMO_PROMPT, DEMO_MODELS)
    async with target.open_run(run_id) as exchange:
        await exchange.response()
        async for event in exchange.events():
            if event.name == "done":
                break
    compare = await _render_times(target.app, "/", plan.render_samples)
    run = await _render_times(target.app, f"/runs/{run_id}/", plan.render_samples)
    say(
        f"  compare page median {ms(statistics.median(compare))} ms, "
        f"run page median {ms(statistics.median(run))} ms"
    )
    return {
        "render_compare_p95_ms": ms(percentile(compare, 95)),
        "render_run_p95_ms": ms(percentile(run, 95)),
    }


# 11. An evaluation


async def evaluation_wall(target: Target, plan: Plan, owner_name: str) -> dict[str, float]:
    """An evaluation of `evaluation_cells` cases on the bench model, one column, at
    concurrency EVALUATION_CONCURRENCY: its wall time (started to finished, as stored)
    against the ideal, the cells' own durations (request to end, as stored) over the
    concurrency. Above 1 is what the app adds: claiming, storing, checking and starting
    the next cell."""
    dataset_id = await asyncio.to_thread(_bench_dataset, owner_name, plan.evaluation_cells)
    setup = {
        "prompt": plan.evaluation_schedule.prompt + " (case {{n}})",
        "columns": [{"model": MODEL}],
    }
    response = await target.app.post_form(
        "/evaluations/new/",
        [
            ("setup", json.dumps(setup)),
            ("dataset", str(dataset_id)),
            ("check_type", "contains"),
            ("check_value", "case"),
            ("start", "1"),
        ],
        headers={"X-CSRFToken": target.csrf_token},
    )
    match = EVALUATION_URL.search(response.headers.get("location", ""))
    if response.status != 302 or match is None:
        raise BenchError(
            f"starting the evaluation answered {response.status}: {response.text[:300]}"
        )
    evaluation_id = int(match[1])
    timeout = plan.evaluation_cells * plan.evaluation_schedule.seconds * 3 + 60
    wall, durations, concurrency = await asyncio.to_thread(_evaluated, evaluation_id, timeout)
    ideal = sum(durations) / concurrency
    say(
        f"  {len(durations)} cells at concurrency {concurrency}: {round(wall, 2)} s, "
        f"ideal {round(ideal, 2)} s (the cells' {round(sum(durations), 1)} s over {concurrency})"
    )
    return {"evaluation_wall_s": round(wall, 2), "evaluation_wall_ratio": round(wall / ideal, 3)}


EVALUATION_URL = re.compile(r"/evaluations/(\d+)/")


def _bench_dataset(owner_name: str, rows: int) -> int:
    from django.contrib.auth import get_user_model

    from playground.models import Dataset

    owner = get_user_model().objects.get(username=owner_name)
    dataset = Dataset.objects.create(
        owner=owner,
        name=f"Bench cases {time.time()}",
        columns=["n"],
        rows=[{"n": str(number)} for number in range(1, rows + 1)],
    )
    return dataset.pk


def _evaluated(evaluation_id: int, timeout: float) -> tuple[float, list[float], int]:
    from playground.models import Evaluation

    deadline = time.monotonic() + timeout
    while True:
        evaluation = Evaluation.objects.get(pk=evaluation_id)
        if not evaluation.is_live:
            break
        if time.monotonic() > deadline:
            raise BenchError(f"the evaluation was still {evaluation.status} after {timeout:g} s")
        time.sleep(0.2)
    if evaluation.status != Evaluation.Status.DONE:
        raise BenchError(f"the evaluation ended {evaluation.status}: {evaluation.error}")
    cells = list(evaluation.cells.select_related("column"))
    if any(cell.status != "done" or cell.column.total_ms is None for cell in cells):
        raise BenchError("a cell of the evaluation did not answer")
    wall = (evaluation.finished_at - evaluation.started_at).total_seconds()
    return wall, [cell.column.total_ms / 1000 for cell in cells], evaluation.concurrency


# 12. The bare relay beside the app


def _app_request(run_id: int, timeout: float = 10) -> tuple[str, dict[str, str], dict]:
    """What the app stored of the request its run's first column sent upstream. The
    headers as sent are written with the run's end, a moment after its stream ends."""
    deadline = time.monotonic() + timeout
    while Run.objects.filter(pk=run_id, status=Run.Status.STREAMING).exists():
        if time.monotonic() > deadline:
            raise BenchError(f"run {run_id} was not stored within {timeout} s")
        time.sleep(0.02)
    column = RunColumn.objects.get(run_id=run_id, position=0)
    return column.request_url, column.request_headers, column.request_body


async def _same_request(target: Target, schedule: Schedule) -> None:
    """Checks that the bare relay sends upstream what the app sends for the same stream
    (its URL, its headers as sent, key redacted, and its body): otherwise the two relay
    different work and their figures do not compare."""
    stream = await target.through_app(schedule)
    _require_ok([stream], "a run through the app")
    url, headers, body = await asyncio.to_thread(_app_request, stream.run_id)
    request = Relay(os.environ["OPENROUTER_BASE_URL"], dict(os.environ)).request(schedule.prompt)
    bare_headers = redact_headers(
        {name.decode("latin-1"): value.decode("latin-1") for name, value in request.headers.raw}
    )
    differences = [
        what
        for what, same in (
            (f"URL {request.url} against {url}", str(request.url) == url),
            (f"headers {bare_headers} against {headers}", bare_headers == headers),
            (f"body {request.content!r} against {body}", json.loads(request.content) == body),
        )
        if not same
    ]
    if differences:
        raise BenchError(f"the bare relay sends other than the app: {'; '.join(differences)}")


async def bare_ttft(target: Target, plan: Plan) -> dict[str, float]:
    """Figure 1's pairs, with the bare relay in the app's place."""
    await _same_request(target, plan.ttft_schedule)
    direct, bare = await _ttft_pairs(target, plan, target.through_bare)
    direct_t, bare_t = _ttfts(direct), _ttfts(bare)
    say(
        f"  direct p50 {ms(percentile(direct_t, 50))} p99 {ms(percentile(direct_t, 99))} ms; "
        f"bare relay p50 {ms(percentile(bare_t, 50))} p99 {ms(percentile(bare_t, 99))} ms "
        f"({len(bare)} pairs)"
    )
    return {
        "bare_ttft_overhead_p50_ms": added_ms(bare_t, direct_t, 50),
        "bare_ttft_overhead_p99_ms": added_ms(bare_t, direct_t, 99),
        "bare_ttft_direct_p50_ms": ms(percentile(direct_t, 50)),
        "bare_ttft_direct_p99_ms": ms(percentile(direct_t, 99)),
        "bare_ttft_p50_ms": ms(percentile(bare_t, 50)),
        "bare_ttft_p99_ms": ms(percentile(bare_t, 99)),
    }


async def _started_after(delay: float, through: Through, schedule: Schedule) -> Stream:
    await asyncio.sleep(delay)
    return await through(schedule)


async def cpu_per_event(target: Target, plan: Plan, cpu: CpuTimes) -> dict[str, float | str | None]:
    """The same fixed load through the app and through the bare relay, in alternating
    rounds: `cpu_streams` streams at once of `cpu_schedule`, started over one gap. Each
    relay's CPU time over the upstream events it relayed (as many a stream as the bare
    relay's streams bring: it copies them all). The app's counts all it does for a run:
    its POST, its database writes, the generation record it asks for after the stream."""
    schedule = plan.cpu_schedule
    spent = {"app": 0.0, "bare": 0.0}
    streamed = {"app": 0, "bare": 0}
    upstream_events = 0
    shares: dict[str, dict[str, float]] = {}
    spread = schedule.gap / plan.cpu_streams
    for number in range(plan.cpu_rounds * 2):
        relay = "app" if number % 2 == 0 else "bare"
        through = target.through_app if relay == "app" else target.through_bare
        before, started = cpu(), time.monotonic()
        streams = await asyncio.gather(
            *(
                _started_after(index * spread, through, schedule)
                for index in range(plan.cpu_streams)
            )
        )
        after_streams, wall = cpu(), time.monotonic() - started
        _require_ok(list(streams), f"CPU per event through the {PROCESS_NAMES[relay]}")
        await asyncio.sleep(SETTLE_SECONDS)
        spent[relay] += cpu()[relay] - before[relay]
        streamed[relay] += len(streams)
        if relay == "bare":
            upstream_events = streams[0].events
        shares[relay] = {
            name: round((after_streams[name] - before[name]) / wall, 3) for name in before
        }
    events = {relay: count * upstream_events for relay, count in streamed.items()}
    per_event = {relay: round(spent[relay] / events[relay] * 1e6, 2) for relay in spent}
    for relay in spent:
        say(
            f"  {PROCESS_NAMES[relay]}: {round(spent[relay] * 1000)} ms of CPU over "
            f"{events[relay]} upstream events, {per_event[relay]} µs each "
            f"(CPU in cores while streaming: {_shares_text(relay, shares[relay])})"
        )
    return {
        "app_cpu_us_per_event": per_event["app"],
        "bare_cpu_us_per_event": per_event["bare"],
        "cpu_per_event_streams": plan.cpu_streams,
        "cpu_per_event_upstream_events": events["app"],
        **_at_limit("cpu_per_event_app", "app", shares["app"]),
        **_at_limit("cpu_per_event_bare", "bare", shares["bare"]),
    }


async def bare_capacity(target: Target, plan: Plan, cpu: CpuTimes) -> dict[str, float | str | None]:
    """Figure 4's search, with the bare relay in the app's place."""
    found = await _capacity(
        target,
        plan,
        through=target.through_bare,
        levels=plan.bare_capacity_levels,
        cpu=cpu,
        relay="bare",
    )
    return {
        "bare_active_streams": found.streams,
        "bare_active_overhead_p99_ms": found.overhead_p99_ms,
        "capacity_bare_limit": found.limit,
        **_at_limit("capacity_bare", "bare", found.shares),
    }
