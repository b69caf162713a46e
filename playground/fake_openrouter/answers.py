"""The texts of answers that depend on the request: images seen, tool results quoted,
web sources cited, JSON for a schema. Deterministic, so a test can predict them."""

import json
import re
from dataclasses import dataclass
from typing import Any

from .features import Image, JsonFormat, ToolResult
from .prompts import Prompt
from .schemas import Hints, example, missing_required, place_in

SEARCH_QUERY_LENGTH = 100


@dataclass(frozen=True)
class Source:
    url: str
    title: str


@dataclass(frozen=True)
class Citation:
    source: Source
    start_index: int
    end_index: int

    def annotation(self) -> dict[str, Any]:
        """OAPI `URLCitation`, in the key order of the wire format's §3."""
        return {
            "type": "url_citation",
            "url": self.source.url,
            "title": self.source.title,
            "start_index": self.start_index,
            "end_index": self.end_index,
        }


@dataclass(frozen=True)
class Answer:
    text: str
    citations: tuple[Citation, ...] = ()

    def after(self, prefix: str) -> "Answer":
        """This answer with `prefix` before it, its citations moved along."""
        shift = len(prefix)
        return Answer(
            prefix + self.text,
            tuple(
                Citation(c.source, c.start_index + shift, c.end_index + shift)
                for c in self.citations
            ),
        )


def hints(prompt: Prompt) -> Hints:
    return Hints(place=place_in(prompt.text) or "Paris", topic=prompt.topic)


def images_seen(images: tuple[Image, ...]) -> str:
    """ "I can see 2 images: https://… and an uploaded image/png." """
    labels = [image.label for image in images]
    listed = labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]
    count = "1 image" if len(labels) == 1 else f"{len(labels)} images"
    return f"I can see {count}: {listed}."


def tool_results(results: tuple[ToolResult, ...], prompt: Prompt) -> str:
    """An answer built on the tools' outputs, quoting each one."""
    lines = [f"- {result.name} returned: “{result.output}”" for result in results]
    return (
        "Here is what the tools returned:\n\n"
        + "\n".join(lines)
        + f"\n\nSo, on “{prompt.topic}”: going by "
        + ("that result" if len(results) == 1 else "those results")
        + ", the answer is in the output above."
    )


def search_query(prompt: Prompt) -> str:
    text = " ".join(prompt.text.split())
    return text[:SEARCH_QUERY_LENGTH] or "latest news"


_TITLES = [
    "{topic}: an overview",
    "A practical guide to {topic}",
    "{topic} explained",
    "Common questions about {topic}",
    "What changed recently in {topic}",
    "{topic}: pitfalls to avoid",
    "Notes from practitioners on {topic}",
    "{topic} in five minutes",
    "A reference for {topic}",
    "Further reading on {topic}",
]
_CLAIMS = [
    "Most sources agree that it pays to decide what a good result looks like first.",
    "Practitioners recommend checking one real example before adding detail.",
    "The most common pitfall is polishing a detail before the overall shape works.",
    "Small, frequent checks catch problems earlier than one big review.",
    "Recent write-ups stress writing down what was learned after each step.",
]


def sources(prompt: Prompt, count: int) -> list[Source]:
    """`count` made-up sources on example.com (never fetched), named after the prompt."""
    slug = "-".join(re.findall(r"[a-z0-9]+", prompt.topic.lower())[:6]) or "search"
    topic = prompt.topic.rstrip("…")
    return [
        Source(
            f"https://example.com/{slug}/source-{number + 1}",
            _TITLES[number % len(_TITLES)].format(topic=topic),
        )
        for number in range(count)
    ]


def cited(prompt: Prompt, found: list[Source]) -> Answer:
    """One sentence per source, each cited by an annotation spanning it."""
    text = f"Here is what I found on “{prompt.topic}”.\n\n"
    citations = []
    for number, source in enumerate(found):
        if number:
            text += " "
        claim = (
            _CLAIMS[number]
            if number < len(_CLAIMS)
            else f"Source {number + 1} covers the same ground from another angle."
        )
        citations.append(Citation(source, len(text), len(text) + len(claim)))
        text += claim
    return Answer(text, tuple(citations))


def json_text(form: JsonFormat, prompt: Prompt, *, sloppy: bool) -> str:
    """JSON valid for the format; a sloppy model leaves out a required property, and
    wraps its JSON in prose when the schema is not strict."""
    if form.schema is None:
        value: Any = {"topic": prompt.topic, "answer": f"A short answer on {prompt.topic}."}
    else:
        value = example(form.schema, hints=hints(prompt), required_only=False)
    if not sloppy:
        return json.dumps(value, ensure_ascii=False)
    text = json.dumps(missing_required(form.schema, value), ensure_ascii=False)
    if form.strict:
        return text
    return (
        f"Sure! Here is the JSON you asked for:\n\n```json\n{text}\n```\n\n"
        "Let me know if you need anything else."
    )


def plan_note(
    *,
    call: str | None,
    results: int,
    search: bool,
    json_name: str | None,
    images: int,
) -> str:
    """A sentence a reasoning model adds to its thoughts about what the request needs."""
    notes = []
    if images:
        notes.append(
            "There is one image to look at."
            if images == 1
            else f"There are {images} images to look at."
        )
    if call:
        notes.append(f"I'll call {call} to get what I need.")
    elif results:
        notes.append("The tool results are in, so I can answer from them.")
    elif search:
        notes.append("I'll search the web and cite what I find.")
    if json_name and not call:
        notes.append(f"The answer has to be JSON for the {json_name} format.")
    return "".join(f" {note}" for note in notes)
