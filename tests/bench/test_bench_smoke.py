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
from playground.bench.bare_relay import RESPONSE_HEAD, Downstream, Relay, Upstream
from playground.bench.stats import added_ms, busiest, percentile, ratio
from playground.fake_openrouter import FakeOpenRouter
from playground.openrouter import RequestParams, build_body

BASE_URL = "https://openrouter.ai/api/v1"
HEADERS = {"Authorization": "Bearer sk-or-v1-bench-test"}
BROWSER_KEYS = {"browser_long_tasks", "browser_event_to_screen_p95_ms"}
# Figures that are counts or ratios rather than times or sizes, with their largest
# plausible value in the smoke run (its own counts: see figures.SMOKE).
COUNTS = {
    "max_active_streams": 8,
    "bare_active_streams": 8,
    "active_streams_ratio": 2,
    "open_streams": 12,
    "page_requests": 15,
    "soak_memory_ratio": 3,
}


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


def test_the_app_over_the_bare_relay_is_a_ratio_only_when_both_were_measured():
    assert ratio(30, 300) == 0.1
    assert ratio(0.7, 0.35) == 2.0
    assert ratio(None, 300) is None
    assert ratio(30, None) is None
    assert ratio(4.0, 0) is None


def test_the_ratios_of_the_report_pair_each_app_figure_with_the_bare_relays():
    figures = {
        "app_cpu_us_per_event": 300.0,
        "bare_cpu_us_per_event": 20.0,
        "max_active_streams": 50,
        "bare_active_streams": 500,
        "ttft_overhead_stream_p50_ms": 12.0,
        "bare_ttft_overhead_p50_ms": 0.0,
    }

    ratios = report.ratios(figures)

    assert ratios["cpu_per_event_ratio"] == 15.0
    assert ratios["active_streams_ratio"] == 0.1
    assert ratios["ttft_overhead_p50_ratio"] is None
    assert ratios["ttft_overhead_p99_ratio"] is None
    targets = {figure.key: figure for figure in report.FIGURES}
    assert report.verdict(targets["cpu_per_event_ratio"], 15.0) == "FAIL"
    assert report.verdict(targets["cpu_per_event_ratio"], 1.8) == "pass"
    assert report.verdict(targets["active_streams_ratio"], 0.75) == "pass"


def test_the_busiest_process_is_the_one_with_the_largest_share_of_a_core():
    assert busiest({"fake": 0.76, "client": 0.3, "bare": 0.24}) == "fake"
    assert busiest({"fake": 0.4, "client": 0.3, "app": 0.98}) == "app"


def test_the_bare_relay_sends_upstream_the_body_and_headers_the_app_sends():
    relay = Relay(
        "http://127.0.0.1:8765/api/v1/",
        {
            "OPENROUTER_API_KEY": "sk-or-v1-bench-test",
            "OPENROUTER_APP_URL": "http://127.0.0.1",
            "OPENROUTER_APP_TITLE": "Bench",
        },
    )
    prompt = "Benchmark stream: first=0.02 gap=0.05 count=80"

    head, _, body = relay.request_bytes(prompt).partition(b"\r\n\r\n")

    request_line, *header_lines = head.decode().split("\r\n")
    headers = dict(line.split(": ", 1) for line in header_lines)
    assert request_line == "POST /api/v1/responses HTTP/1.1"
    assert json.loads(body) == build_body(RequestParams(model="bench/paced", prompt=prompt))
    assert headers["Host"] == "127.0.0.1:8765"
    assert headers["Authorization"] == "Bearer sk-or-v1-bench-test"
    assert headers["HTTP-Referer"] == "http://127.0.0.1"
    assert headers["X-OpenRouter-Title"] == "Bench"
    assert headers["Accept"] == "text/event-stream"
    assert headers["Content-Length"] == str(len(body))


class FakeTransport:
    """What the bare relay's protocols write and whether they closed."""

    def __init__(self) -> None:
        self.written = b""
        self.closed_after = -1

    def write(self, data: bytes) -> None:
        assert self.closed_after < 0, "written after closing"
        self.written += data

    def close(self) -> None:
        self.closed_after = len(self.written)

    def is_closing(self) -> bool:
        return self.closed_after >= 0


def _relayed(response: bytes, piece: int) -> tuple[FakeTransport, FakeTransport]:
    """A stream through the bare relay's protocols, the upstream's response read
    `piece` bytes at a time: the client's transport and the upstream's."""
    client, upstream = FakeTransport(), FakeTransport()
    downstream = Downstream(Relay("http://127.0.0.1:1/api/v1", {}))
    downstream.connection_made(client)
    relayed = Upstream(downstream, b"the request")
    relayed.connection_made(upstream)
    for start in range(0, len(response), piece):
        assert not client.is_closing()
        relayed.data_received(response[start : start + piece])
    return client, upstream


def _chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


@pytest.mark.parametrize("piece", [1, 3, 7, 4096])
def test_the_bare_relay_copies_the_body_unparsed_and_closes_both_sides_after_it(piece):
    body = _chunk(b": OPENROUTER PROCESSING\n\n") + _chunk(b'data: {"n":10}\n\n')
    body += _chunk(b"data: [DONE]\n\n") + b"0\r\n\r\n"
    head = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
    head += b"Transfer-Encoding: chunked\r\n\r\n"

    client, upstream = _relayed(head + body, piece)

    assert upstream.written == b"the request"
    assert client.written == RESPONSE_HEAD + body
    assert client.closed_after == len(client.written)
    assert upstream.is_closing()


def test_the_bare_relay_answers_502_when_the_upstream_refuses():
    refused = b"HTTP/1.1 401 Unauthorized\r\ncontent-length: 2\r\n\r\n{}"

    client, upstream = _relayed(refused, 4096)

    assert client.written.startswith(b"HTTP/1.1 502 Bad Gateway\r\n")
    assert client.written.endswith(b"the upstream answered HTTP/1.1 401 Unauthorized")
    assert client.is_closing() and upstream.is_closing()


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
    for beside in report.BESIDE:
        assert beside.label in finished.stdout
    for limit in report.LIMITS:
        assert figures[f"{limit.prefix}_busiest"] in {"fake", "load client", limit.relay}
        assert f"{limit.label}," in finished.stdout
    # Every server it started is gone: nothing answers on their ports any more.
    ports = re.search(
        r"on port (\d+), the app on port (\d+) .*, the bare relay on port (\d+)", finished.stdout
    )
    for port in ports.groups():
        with socket.socket() as sock:
            assert sock.connect_ex(("127.0.0.1", int(port))) != 0, f"port {port} still open"
