"""`make bench` keeps working: its smoke run measures every figure end to end, and the
fake's benchmark model keeps the clock the figures are read against.

The targets are not checked here (the figures depend on the machine); the harness is.
"""

import itertools
import json
import math
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from playground.bench import report
from playground.bench.stats import added_ms, percentile
from playground.fake_openrouter import FakeOpenRouter

BASE_URL = "https://openrouter.ai/api/v1"
HEADERS = {"Authorization": "Bearer sk-or-v1-bench-test"}
BROWSER_KEYS = {"browser_long_tasks", "browser_event_to_screen_p95_ms"}
# Figures that are counts or ratios rather than times or sizes, with their largest
# plausible value in the smoke run (its own counts: see figures.SMOKE).
COUNTS = {"max_active_streams": 8, "open_streams": 12, "page_requests": 15, "soak_memory_ratio": 3}


def pieces(raw: bytes) -> list[str]:
    deltas = []
    for line in raw.decode().split("\n"):
        if line.startswith("data: {") and '"response.output_text.delta"' in line:
            deltas.append(json.loads(line.removeprefix("data: "))["delta"])
    return deltas


async def _post(fake: FakeOpenRouter, body: dict) -> httpx.Response:
    async with httpx.AsyncClient(
        transport=fake.transport(), base_url=BASE_URL, headers=HEADERS
    ) as client:
        return await client.post("/responses", json=body)


async def test_the_paced_model_stamps_each_piece_with_the_time_it_is_due():
    fake = FakeOpenRouter(time_scale=0, bench_models=True)
    prompt = "Benchmark stream: first=0.5 gap=0.25 count=4"

    response = await _post(fake, {"model": "bench/paced", "input": prompt, "stream": True})

    stamps = [float(piece) for piece in pieces(response.content)]
    assert all(piece.startswith(" ") for piece in pieces(response.content))
    assert len(stamps) == 4
    gaps = [later - earlier for earlier, later in itertools.pairwise(stamps)]
    assert gaps == pytest.approx([0.25, 0.25, 0.25], abs=1e-5)


async def test_the_paced_model_keeps_its_defaults_for_what_the_prompt_leaves_out():
    fake = FakeOpenRouter(time_scale=0, bench_models=True)

    response = await _post(fake, {"model": "bench/paced", "input": "count=3", "stream": True})

    stamps = [float(piece) for piece in pieces(response.content)]
    assert len(stamps) == 3
    assert stamps[1] - stamps[0] == pytest.approx(0.05, abs=1e-5)


async def test_only_a_fake_made_for_the_benchmark_offers_its_models():
    demo = FakeOpenRouter(time_scale=0)
    bench = FakeOpenRouter(time_scale=0, bench_models=True)

    async with httpx.AsyncClient(transport=demo.transport(), base_url=BASE_URL) as client:
        demo_ids = [model["id"] for model in (await client.get("/models")).json()["data"]]
    async with httpx.AsyncClient(transport=bench.transport(), base_url=BASE_URL) as client:
        bench_ids = [model["id"] for model in (await client.get("/models")).json()["data"]]
    refused = await _post(demo, {"model": "bench/paced", "input": "count=1"})

    assert "bench/paced" not in demo_ids
    assert bench_ids == [*demo_ids, "bench/paced"]
    assert refused.status_code == 400
    assert refused.json()["error"]["message"] == "bench/paced is not a valid model ID"


def test_what_the_app_adds_is_the_difference_of_percentiles_never_below_zero():
    direct = [0.010, 0.011, 0.012, 0.013, 0.050]
    app = [0.012, 0.013, 0.014, 0.015, 0.052]

    assert percentile(direct, 50) == 0.012
    assert percentile(direct, 75) == 0.013
    assert added_ms(app, direct, 50) == 2.0
    assert added_ms(direct, app, 50) == 0.0


def test_the_smoke_benchmark_measures_every_figure_and_stops_its_processes(tmp_path: Path):
    output = tmp_path / "bench.json"
    env = {**os.environ, "BENCH_JSON": str(output)}

    finished = subprocess.run(
        [sys.executable, "-m", "playground.bench", "--smoke"],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )

    assert finished.returncode == 0, finished.stdout[-3000:] + finished.stderr[-3000:]
    figures = json.loads(output.read_text())
    chromium = Path("/usr/bin/chromium").exists()
    for key in report.KEYS:
        value = figures[key]
        if value is None:
            assert key in BROWSER_KEYS and not chromium, f"{key} was not measured"
            continue
        assert isinstance(value, int | float) and not isinstance(value, bool), key
        assert math.isfinite(value) and value >= 0, (key, value)
        assert value <= COUNTS.get(key, 60_000), (key, value)
    assert figures["open_streams"] >= 1
    assert figures["soak_memory_ratio"] > 0
    assert figures["page_requests"] >= 3
    assert 0 < figures["page_js_kb_gz"] < figures["page_total_kb_gz"]
    assert figures["render_compare_p95_ms"] > 0 and figures["render_run_p95_ms"] > 0
    assert 0 < figures["attach_p50_ms"] <= figures["attach_p99_ms"]
    for figure in report.FIGURES:
        assert figure.label in finished.stdout
    # Every server it started is gone: nothing answers on their ports any more.
    ports = re.search(r"on port (\d+), the app on port (\d+)", finished.stdout)
    for port in ports.groups():
        with socket.socket() as sock:
            assert sock.connect_ex(("127.0.0.1", int(port))) != 0, f"port {port} still open"
