"""What each demo model does, chosen by model id. Delays are seconds at time_scale 1."""

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .catalog import PROVIDER_NAME
from .generation import (
    ConnectionReset,
    FunctionCallItem,
    Generation,
    MessageItem,
    OutputLimitReached,
    ReasoningSummaryItem,
    ReasoningTextItem,
    Script,
)
from .prompts import Prompt
from .wire import KEEPALIVE, Framing, dumps, error_envelope

USER_ID = "user_2DemoFakeOpenRouterUser0001"


@dataclass(frozen=True)
class Pace:
    first: float  # seconds before the first piece
    gap: float  # seconds between pieces


@dataclass(frozen=True)
class Performance:
    script: Callable[[Generation, Prompt], Script]
    framing: Framing = Framing.OPENROUTER
    # A cap on output tokens that applies whatever the request asks for.
    output_limit: int | None = None
    # Delays in real seconds whatever the time scale: a fault's silence stays a silence.
    real_time: bool = False


@dataclass(frozen=True)
class Refusal:
    """An error answered before the first byte: plain JSON, even for `stream: true`."""

    status: int
    body: dict[str, Any]
    headers: tuple[tuple[str, str], ...] = ()


def play(performance: Performance, generation: Generation, prompt: Prompt) -> Script:
    try:
        yield from performance.script(generation, prompt)
    except OutputLimitReached:
        yield from generation.stop_incomplete()


def words(text: str) -> list[str]:
    """One piece per word with its leading whitespace, as tokenizers split (R02)."""
    return re.findall(r"\s*\S+|\s+", text)


def chunks(text: str, size: int) -> list[str]:
    return [text[start : start + size] for start in range(0, len(text), size)]


def _message(generation: Generation, output_index: int, pieces: list[str], pace: Pace) -> Script:
    message = MessageItem(generation, output_index)
    yield from message.open()
    yield from generation.stream(message, pieces, first=pace.first, gap=pace.gap)
    yield from message.close()


def _swift(generation: Generation, prompt: Prompt) -> Script:
    answer = (
        f"Quick answer on “{prompt.topic}”: start from the simplest version that works, "
        "check it against one real example, then add detail only where the example shows "
        "a gap. That keeps the result easy to verify and cheap to change."
    )
    yield from generation.opening()
    yield from _message(generation, 0, words(answer), Pace(first=0.2, gap=0.01))
    yield from generation.complete()


def _reasoner(generation: Generation, prompt: Prompt) -> Script:
    thought = (
        f"The user asks about “{prompt.topic}”. They want a direct answer, not a survey. "
        "Plan: state the main point first, back it with one concrete reason, then name the "
        "most common pitfall. Keep it to one paragraph."
    )
    answer = (
        f"Short version: with “{prompt.topic}”, decide what a good result looks like before "
        "you start, because that choice drives every later step. The most common pitfall is "
        "polishing a detail before the overall shape works."
    )
    yield from generation.opening()
    reasoning = ReasoningTextItem(generation, 0)
    yield from reasoning.open()
    yield from generation.stream(reasoning, words(thought), first=0.4, gap=0.03)
    yield from _message(generation, 1, words(answer), Pace(first=0.15, gap=0.03))
    # Quirk (a) of SPEC §4.3: the reasoning item is closed after the message.
    yield from reasoning.close()
    yield from generation.complete()


def _summarizer(generation: Generation, prompt: Prompt) -> Script:
    summary = (
        f"**Understanding the request**\n\nThe user wants help with “{prompt.topic}”. "
        "I'll give the core idea first, then a small example, and end with a next step "
        "they can take right away."
    )
    answer = (
        f"The core idea behind “{prompt.topic}”: break it into the smallest piece you can "
        "check, get that piece right, and build outward.\n\nFor example, write down one "
        "input and the output you expect, and test against it before anything else. A good "
        "next step is to try that with your own case now."
    )
    yield from generation.opening()
    reasoning = ReasoningSummaryItem(generation, 0)
    yield from reasoning.open()
    yield from generation.stream(reasoning, words(summary), first=0.4, gap=0.03)
    yield from reasoning.close()
    yield from _message(generation, 1, words(answer), Pace(first=0.15, gap=0.025))
    yield from generation.complete()


def _markdown(generation: Generation, prompt: Prompt) -> Script:
    answer = (
        f"## Notes on {prompt.topic}\n\n"
        "An overview in four parts:\n\n"
        "- **Goal**: what a good result looks like\n"
        "- **Constraints**: time, budget and tools\n"
        "- **Risks**: what could go wrong first\n"
        "- **Next step**: the smallest useful action\n\n"
        "| Option | Effort | Payoff |\n"
        "|---|---|---|\n"
        "| Quick fix | Low | Short-term |\n"
        "| Refactor | Medium | Lasting |\n"
        "| Rewrite | High | Uncertain |\n\n"
        "A small helper to compare them:\n\n"
        "```python\n"
        "def score(effort: int, payoff: int) -> float:\n"
        '    """Payoff per unit of effort: higher is better."""\n'
        "    return payoff / max(effort, 1)\n"
        "\n"
        "\n"
        "print(score(effort=2, payoff=5))\n"
        "```\n\n"
        "Pick the option with the best score, then revisit it after the first result."
    )
    yield from generation.opening()
    yield from _message(generation, 0, words(answer), Pace(first=0.3, gap=0.025))
    yield from generation.complete()


def _long_answer(prompt: Prompt) -> str:
    return (
        f"Let me take “{prompt.topic}” slowly and in order, since a careful answer is worth "
        "the wait.\n\n"
        "1. Start with the goal. Write one sentence that says what a good outcome looks like "
        "and who it is for. If you cannot write that sentence yet, that is the first thing to "
        "fix, and it is cheaper to fix now than later.\n\n"
        "2. List what you already know. Facts, constraints, deadlines and the tools at hand "
        "all belong here. Keep each item short so the list stays easy to scan and to "
        "change.\n\n"
        "3. Find the riskiest assumption. Ask which single belief, if it turned out wrong, "
        "would sink the whole plan. Test that one first, with the smallest experiment you can "
        "run today.\n\n"
        "4. Build the simplest version that could work. Resist adding options, settings and "
        "special cases until a real example asks for them. Simple things are easier to check "
        "and to explain.\n\n"
        "5. Check it against reality. Compare the result with the goal from step one, note "
        "every gap, and decide which gap matters most. Fix that one and check again.\n\n"
        "6. Write down what you learned. A few lines on what worked, what did not and why "
        "will save the next person, who may well be you, a great deal of time.\n\n"
        "That is the whole method: a clear goal, an honest list, one risk at a time, and "
        "steady checking. It is slow, but it rarely goes badly wrong."
    )


def _slow(generation: Generation, prompt: Prompt) -> Script:
    yield from generation.opening()
    yield from _message(generation, 0, words(_long_answer(prompt)), Pace(first=1.0, gap=0.16))
    yield from generation.complete()


def _echo(generation: Generation, prompt: Prompt) -> Script:
    # Fixed-size pieces cut through words and tags, as real token boundaries do.
    pieces = chunks(f"You wrote:\n\n{prompt.text}", 6)
    yield from generation.opening()
    yield from _message(generation, 0, pieces, Pace(first=0.1, gap=0.01))
    yield from generation.complete()


def _tool_caller(generation: Generation, prompt: Prompt) -> Script:
    place = re.search(r"\bin ([A-Z][\w'-]*(?: [A-Z][\w'-]*)*)", prompt.text)
    arguments = dumps({"location": place[1] if place else "Paris", "unit": "celsius"})
    yield from generation.opening()
    call = FunctionCallItem(generation, 0, name="get_weather")
    yield from call.open()
    yield from generation.stream(call, chunks(arguments, 5), first=0.3, gap=0.03)
    yield from call.close()
    yield from generation.complete()


def _quiet(generation: Generation, prompt: Prompt) -> Script:
    pieces = words(
        f"Thanks for waiting. On “{prompt.topic}”: the answer is short, it just took a while "
        "to start."
    )
    yield from generation.opening(keepalives=12, interval=0.5)
    message = MessageItem(generation, 0)
    yield from message.open()
    yield from generation.stream(message, pieces[:3], first=0.1, gap=0.03)
    # A keep-alive can also arrive between two deltas (X3).
    yield from generation.keepalive()
    yield from generation.stream(message, pieces[3:], first=0.03, gap=0.03)
    yield from message.close()
    yield from generation.complete()


def _fail_midstream(generation: Generation, prompt: Prompt) -> Script:
    pieces = words(f"Starting on “{prompt.topic}”: the first thing to check is whether")
    yield from generation.opening()
    message = MessageItem(generation, 0)
    yield from message.open()
    yield from generation.stream(message, pieces, first=0.2, gap=0.05)
    yield from generation.fail(after=0.3)


def _fail_incomplete(generation: Generation, prompt: Prompt) -> Script:
    yield from generation.opening()
    yield from _message(generation, 0, words(_long_answer(prompt)), Pace(first=0.2, gap=0.03))
    yield from generation.complete()


@dataclass(frozen=True)
class Schedule:
    """The benchmark model's clock: seconds to the first piece, seconds between pieces,
    and how many pieces."""

    first: float = 0.02
    gap: float = 0.05
    count: int = 20


_SCHEDULE_FIELD = re.compile(r"\b(first|gap|count)=(\d+(?:\.\d+)?)\b")
MAX_BENCH_PIECES = 100_000


def bench_schedule(prompt: Prompt) -> Schedule:
    """The schedule a benchmark prompt asks for, e.g. `first=0.02 gap=0.05 count=100`;
    what it leaves out keeps its default."""
    values = {name: float(value) for name, value in _SCHEDULE_FIELD.findall(prompt.text)}
    default = Schedule()
    return Schedule(
        first=values.get("first", default.first),
        gap=values.get("gap", default.gap),
        count=min(int(values.get("count", default.count)), MAX_BENCH_PIECES),
    )


def _paced(generation: Generation, prompt: Prompt) -> Script:
    """The benchmark's model. Each piece is ` <due>`: the `time.monotonic()` second it is
    due at, counted from the first token (the moment `GET /generation` measures from), so
    a reader on the same machine can tell how late each piece arrived. The clock is
    absolute at time scale 1: a piece sent late does not push back the ones after it."""
    schedule = bench_schedule(prompt)
    yield from generation.opening()
    message = MessageItem(generation, 0)
    yield from message.open()
    for number in range(schedule.count):
        generation.spend_token(reasoning=False)
        due = generation.first_token_at + schedule.first + number * schedule.gap
        yield max(0.0, due - time.monotonic()), message.delta(f" {due:.6f}")
    yield from message.close()
    yield from generation.complete()


# The fault modes: each breaks one way a real connection breaks (SPEC §4.4, §5.1).
# Seconds a fault keeps the connection open without sending anything more: longer than
# any client waits.
SILENCE = 24 * 3600.0
# Real OpenRouter comments every few seconds; faster here so a test sees several.
FAULT_KEEPALIVE_GAP = 0.1


def _fault_start(generation: Generation, prompt: Prompt) -> Script:
    """A few words of an answer, its message left open."""
    yield from generation.opening()
    message = MessageItem(generation, 0)
    yield from message.open()
    pieces = words(f"Starting on “{prompt.topic}”: the first thing to check is whether")
    yield from generation.stream(message, pieces, first=0.02, gap=0.005)


def _silence() -> Script:
    # The connection stays open; an empty chunk sends nothing.
    yield SILENCE, b""


def _fault_failed(generation: Generation, prompt: Prompt) -> Script:
    yield from _fault_start(generation, prompt)
    yield from generation.fail(error_event=False, done=False)
    yield from _silence()


def _fault_error_event(generation: Generation, prompt: Prompt) -> Script:
    yield from _fault_start(generation, prompt)
    yield from generation.fail(failed=False, done=False)
    yield from _silence()


def _fault_incomplete(generation: Generation, prompt: Prompt) -> Script:
    yield from _fault_start(generation, prompt)
    yield from generation.stop_incomplete(done=False)
    yield from _silence()


def _fault_reset(generation: Generation, prompt: Prompt) -> Script:
    yield from _fault_start(generation, prompt)
    raise ConnectionReset


def _fault_silence(generation: Generation, prompt: Prompt) -> Script:
    yield from _silence()


def _fault_keepalive_forever(generation: Generation, prompt: Prompt) -> Script:
    while True:
        yield FAULT_KEEPALIVE_GAP, KEEPALIVE


SCENARIOS: dict[str, Performance | Refusal] = {
    "demo/swift": Performance(_swift),
    "demo/reasoner": Performance(_reasoner),
    "demo/summarizer": Performance(_summarizer, framing=Framing.OPENAI),
    "demo/markdown": Performance(_markdown),
    "demo/slow": Performance(_slow),
    "demo/echo": Performance(_echo),
    "demo/tool-caller": Performance(_tool_caller),
    "demo/quiet": Performance(_quiet),
    "demo/fail-auth": Refusal(401, error_envelope(401, "User not found.")),
    "demo/fail-credits": Refusal(
        402,
        error_envelope(
            402,
            "Insufficient credits. This account never purchased credits. Make sure your key "
            "is on the correct account or org, and if so, purchase more at "
            "https://openrouter.ai/settings/credits",
        ),
    ),
    "demo/fail-rate-limit": Refusal(
        429,
        error_envelope(
            429,
            "Provider returned error",
            metadata={
                "provider_name": PROVIDER_NAME,
                "raw": "demo/fail-rate-limit is temporarily rate-limited upstream. Please retry "
                "shortly, or add your own key to accumulate your rate limits: "
                "https://openrouter.ai/settings/integrations",
            },
        )
        | {"user_id": USER_ID},
        headers=(("retry-after", "7"),),
    ),
    "demo/fail-provider-down": Refusal(
        502,
        error_envelope(
            502,
            "Provider returned error",
            metadata={
                "provider_name": PROVIDER_NAME,
                "raw": "upstream connect error or disconnect/reset before headers",
                "error_type": "provider_unavailable",
            },
        ),
    ),
    "demo/fail-midstream": Performance(_fail_midstream),
    "demo/fail-incomplete": Performance(_fail_incomplete, output_limit=24),
    "bench/paced": Performance(_paced),
    "fault/overloaded": Refusal(
        503,
        error_envelope(
            503,
            "No instances available",
            metadata={"provider_name": PROVIDER_NAME, "error_type": "provider_overloaded"},
        ),
        headers=(("retry-after", "2"),),
    ),
    "fault/failed": Performance(_fault_failed, real_time=True),
    "fault/error-event": Performance(_fault_error_event, real_time=True),
    "fault/incomplete": Performance(_fault_incomplete, real_time=True),
    "fault/reset": Performance(_fault_reset, real_time=True),
    "fault/silence": Performance(_fault_silence, real_time=True),
    "fault/keepalive-forever": Performance(_fault_keepalive_forever, real_time=True),
}
