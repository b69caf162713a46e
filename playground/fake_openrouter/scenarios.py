"""What each demo model does, chosen by model id. Delays are seconds at time_scale 1.

Most demo models are a `Persona`: a way of answering (its words, pace and reasoning)
that also does what the request asks (wire format §2): call a function, answer from tool
results, answer in JSON for a schema, search the web and cite it, look at images,
summarise or encrypt its reasoning. The failure and fault models keep their scripts
whatever the request, since their failure is the point.

One concern kept in one file: the catalog of demo behaviours, which a reader looks up
by model id.
"""

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .answers import (
    Answer,
    Citation,
    Source,
    cited,
    hints,
    images_seen,
    json_text,
    plan_note,
    search_query,
    sources,
    tool_results,
)
from .catalog import PROVIDER_NAME
from .features import FunctionTool, Plan
from .generation import (
    ConnectionReset,
    FunctionCallItem,
    Generation,
    MessageItem,
    OutputLimitReached,
    ReasoningSummaryItem,
    ReasoningTextItem,
    Script,
    WebSearchCallItem,
)
from .prompts import Prompt
from .schemas import example
from .wire import KEEPALIVE, Framing, dumps, encrypted_reasoning, error_envelope

USER_ID = "user_2DemoFakeOpenRouterUser0001"
# Seconds a web search takes, at time scale 1.
SEARCH_SECONDS = 0.8
ARGUMENT_PIECE = 5


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


def _six_characters(text: str) -> list[str]:
    # Fixed-size pieces cut through words and tags, as real token boundaries do.
    return chunks(text, 6)


@dataclass(frozen=True)
class Persona:
    """A model's way of answering; called as its scenario's script."""

    answer: Callable[[Prompt], str]
    pace: Pace
    split: Callable[[str], list[str]] = words
    # Reasoning models: what they think, and how it streams ("text" raw, as open-weight
    # models do (R02), or "summary", as OpenAI's do (R10)).
    thought: Callable[[Prompt], str] | None = None
    reasoning: str | None = None
    reasoning_pace: Pace = Pace(first=0.4, gap=0.03)
    keepalives: int = 1
    keepalive_interval: float = 0.0
    # A keep-alive comment before this piece of the answer (X3).
    keepalive_before: int | None = None
    # A function called when the request offers none.
    default_call: FunctionTool | None = None
    # Answers JSON that misses a required property (and in prose when not strict).
    sloppy_json: bool = False

    def __call__(self, generation: Generation, prompt: Prompt) -> Script:
        plan = generation.plan
        call = self._call(plan)
        kind = self._reasoning_kind(plan)
        yield from generation.opening(keepalives=self.keepalives, interval=self.keepalive_interval)
        reasoning: ReasoningTextItem | ReasoningSummaryItem | None = None
        index = 0
        if kind is not None and self.thought is not None:
            item_type = ReasoningSummaryItem if kind == "summary" else ReasoningTextItem
            reasoning = item_type(generation, 0)
            if plan.reasoning.encrypted:
                reasoning.encrypted_content = encrypted_reasoning(_endpoint(generation))
            yield from self._think(generation, reasoning, prompt, plan, call)
            if kind == "summary":
                yield from reasoning.close()
            index = 1
        if call is not None:
            yield from self._call_function(generation, index, call, prompt)
        else:
            yield from self._answer(generation, index, prompt, plan)
        if kind == "text" and reasoning is not None:
            # Quirk (a) of wire format §4.3: raw reasoning is closed after the answer.
            yield from reasoning.close()
        yield from generation.complete()

    def _call(self, plan: Plan) -> FunctionTool | None:
        if plan.call is not None:
            return plan.call
        # Its own function only when the request asks for nothing else.
        if plan.tools_offered or plan.tool_choice_none or plan.results:
            return None
        if plan.json_format is not None or plan.search_results is not None:
            return None
        return self.default_call

    def _reasoning_kind(self, plan: Plan) -> str | None:
        if self.reasoning is None or not plan.reasoning.enabled:
            return None
        # Asked for a summary, every reasoning model gives one.
        return "summary" if plan.reasoning.summary else self.reasoning

    def _think(
        self,
        generation: Generation,
        item: ReasoningTextItem | ReasoningSummaryItem,
        prompt: Prompt,
        plan: Plan,
        call: FunctionTool | None,
    ) -> Script:
        assert self.thought is not None
        note = plan_note(
            call=call.name if call else None,
            results=len(plan.results),
            search=plan.search_results is not None,
            json_name=plan.json_format.name if plan.json_format else None,
            images=len(plan.images),
        )
        pieces = words(self.thought(prompt) + note)
        if plan.reasoning.budget is not None:
            pieces = pieces[: plan.reasoning.budget]
        yield from item.open()
        pace = self.reasoning_pace
        yield from generation.stream(item, pieces, first=pace.first, gap=pace.gap)

    def _call_function(
        self, generation: Generation, index: int, call: FunctionTool, prompt: Prompt
    ) -> Script:
        arguments = dumps(example(call.parameters or {}, hints=hints(prompt), required_only=True))
        item = FunctionCallItem(generation, index, name=call.name)
        yield from item.open()
        pieces = chunks(arguments, ARGUMENT_PIECE)
        yield from generation.stream(item, pieces, first=self.pace.first, gap=self.pace.gap)
        yield from item.close()

    def _answer(self, generation: Generation, index: int, prompt: Prompt, plan: Plan) -> Script:
        found: list[Source] = []
        if plan.search_results is not None:
            search = WebSearchCallItem(
                generation, index, query=search_query(prompt), duration=SEARCH_SECONDS
            )
            yield from search.open()
            found = sources(prompt, plan.search_results)
            search.found([source.url for source in found])
            yield from search.close()
            index += 1
        answer = self._text(prompt, plan, found)
        message = MessageItem(generation, index)
        yield from message.open()
        yield from self._stream(generation, message, answer)
        yield from message.close()

    def _text(self, prompt: Prompt, plan: Plan, found: list[Source]) -> Answer:
        if plan.json_format is not None:
            return Answer(json_text(plan.json_format, prompt, sloppy=self.sloppy_json))
        if plan.results:
            answer = Answer(tool_results(plan.results, prompt))
        elif found:
            answer = cited(prompt, found)
        else:
            answer = Answer(self.answer(prompt))
        return answer.after(images_seen(plan.images) + "\n\n") if plan.images else answer

    def _stream(self, generation: Generation, message: MessageItem, answer: Answer) -> Script:
        """The answer piece by piece; each citation once the text it cites is out."""
        pending: list[Citation] = sorted(answer.citations, key=lambda c: c.end_index)
        written = 0
        for number, piece in enumerate(self.split(answer.text)):
            if number == self.keepalive_before:
                yield from generation.keepalive()
            generation.spend_token(reasoning=False)
            delay = self.pace.first if number == 0 else self.pace.gap
            yield delay, message.delta(piece)
            written += len(piece)
            while pending and pending[0].end_index <= written:
                yield 0.0, message.annotate(pending.pop(0).annotation())


def _endpoint(generation: Generation) -> str:
    provider = re.sub(r"[^a-z0-9]+", "-", generation.provider.lower()).strip("-")
    return f"{provider}/{generation.model['id']}"


def _swift_answer(prompt: Prompt) -> str:
    return (
        f"Quick answer on “{prompt.topic}”: start from the simplest version that works, "
        "check it against one real example, then add detail only where the example shows "
        "a gap. That keeps the result easy to verify and cheap to change."
    )


def _reasoner_thought(prompt: Prompt) -> str:
    return (
        f"The user asks about “{prompt.topic}”. They want a direct answer, not a survey. "
        "Plan: state the main point first, back it with one concrete reason, then name the "
        "most common pitfall. Keep it to one paragraph."
    )


def _reasoner_answer(prompt: Prompt) -> str:
    return (
        f"Short version: with “{prompt.topic}”, decide what a good result looks like before "
        "you start, because that choice drives every later step. The most common pitfall is "
        "polishing a detail before the overall shape works."
    )


def _summary(prompt: Prompt) -> str:
    return (
        f"**Understanding the request**\n\nThe user wants help with “{prompt.topic}”. "
        "I'll give the core idea first, then a small example, and end with a next step "
        "they can take right away."
    )


def _summarizer_answer(prompt: Prompt) -> str:
    return (
        f"The core idea behind “{prompt.topic}”: break it into the smallest piece you can "
        "check, get that piece right, and build outward.\n\nFor example, write down one "
        "input and the output you expect, and test against it before anything else. A good "
        "next step is to try that with your own case now."
    )


def _markdown_answer(prompt: Prompt) -> str:
    return (
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


def _echo_answer(prompt: Prompt) -> str:
    return f"You wrote:\n\n{prompt.text}"


def _tool_caller_answer(prompt: Prompt) -> str:
    return (
        f"I would normally look this up with a tool. On “{prompt.topic}”, without one, "
        "all I can say is that a live source would give a better answer."
    )


def _quiet_answer(prompt: Prompt) -> str:
    return (
        f"Thanks for waiting. On “{prompt.topic}”: the answer is short, it just took a while "
        "to start."
    )


def _sloppy_answer(prompt: Prompt) -> str:
    return (
        f"Sure thing! About “{prompt.topic}”: it depends, but mostly it works out if you "
        "keep it simple. Let me know if you need anything else!"
    )


WEATHER = FunctionTool(
    "get_weather",
    {
        "type": "object",
        "properties": {
            "location": {"type": "string", "description": "A city name"},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
        },
        "required": ["location", "unit"],
    },
)

SWIFT = Persona(_swift_answer, Pace(first=0.2, gap=0.01))
REASONER = Persona(
    _reasoner_answer,
    Pace(first=0.15, gap=0.03),
    thought=_reasoner_thought,
    reasoning="text",
)
SUMMARIZER = Persona(
    _summarizer_answer,
    Pace(first=0.15, gap=0.025),
    thought=_summary,
    reasoning="summary",
)
MARKDOWN = Persona(_markdown_answer, Pace(first=0.3, gap=0.025))
SLOW = Persona(_long_answer, Pace(first=1.0, gap=0.16))
ECHO = Persona(_echo_answer, Pace(first=0.1, gap=0.01), split=_six_characters)
TOOL_CALLER = Persona(_tool_caller_answer, Pace(first=0.3, gap=0.03), default_call=WEATHER)
QUIET = Persona(
    _quiet_answer,
    Pace(first=0.1, gap=0.03),
    keepalives=12,
    keepalive_interval=0.5,
    keepalive_before=3,
)
SLOPPY = Persona(_sloppy_answer, Pace(first=0.2, gap=0.02), sloppy_json=True)
CUT_SHORT = Persona(_long_answer, Pace(first=0.2, gap=0.03))


def _fail_midstream(generation: Generation, prompt: Prompt) -> Script:
    pieces = words(f"Starting on “{prompt.topic}”: the first thing to check is whether")
    yield from generation.opening()
    message = MessageItem(generation, 0)
    yield from message.open()
    yield from generation.stream(message, pieces, first=0.2, gap=0.05)
    yield from generation.fail(after=0.3)


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


# The fault modes: each breaks one way a real connection breaks (wire format §4.4, §5.1).
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
    "demo/swift": Performance(SWIFT),
    "demo/reasoner": Performance(REASONER),
    "demo/summarizer": Performance(SUMMARIZER, framing=Framing.OPENAI),
    "demo/markdown": Performance(MARKDOWN),
    "demo/slow": Performance(SLOW),
    "demo/echo": Performance(ECHO),
    "demo/tool-caller": Performance(TOOL_CALLER),
    "demo/quiet": Performance(QUIET),
    "demo/sloppy-json": Performance(SLOPPY),
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
    "demo/fail-incomplete": Performance(CUT_SHORT, output_limit=24),
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


def scenario_for(model: dict[str, Any]) -> Performance | Refusal:
    """The model's scenario; a variant (`…:free`) plays its model's. Every catalog model
    has one (a test checks)."""
    return SCENARIOS.get(model["id"]) or SCENARIOS[model["id"].partition(":")[0]]
