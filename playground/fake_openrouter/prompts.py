"""What the fake reads from a /responses request body: the prompt and its size in tokens."""

import math
from dataclasses import dataclass
from typing import Any

# A rough tokenizer: English text averages about four characters a token.
CHARACTERS_PER_TOKEN = 4
# Input tokens an image costs, by its `detail` (OpenAI's 512 px tiles, roughly).
IMAGE_TOKENS = {"low": 85, "auto": 765, "high": 765, "original": 1105}
TOPIC_WORDS = 6


@dataclass(frozen=True)
class Prompt:
    text: str

    @property
    def topic(self) -> str:
        """The prompt's first words, for answers that refer back to it."""
        words = self.text.split()
        if not words:
            return "your message"
        head = " ".join(words[:TOPIC_WORDS]).rstrip(".,;:!?")
        return head + ("…" if len(words) > TOPIC_WORDS else "")


def prompt_of(body: dict[str, Any]) -> Prompt:
    """The last user message's text: a string `input`, or the last `role: user` item."""
    items = body.get("input")
    if isinstance(items, str):
        return Prompt(items)
    users = [item for item in items or [] if isinstance(item, dict) and item.get("role") == "user"]
    return Prompt("\n".join(_texts(users[-1].get("content")))) if users else Prompt("")


def input_tokens(body: dict[str, Any]) -> int:
    """Tokens in the instructions and every input item (images included), at least one."""
    texts = _texts(body.get("instructions"))
    images = 0
    items = body.get("input")
    if isinstance(items, str):
        texts.append(items)
    else:
        for item in items or []:
            if isinstance(item, dict):
                for field in ("content", "arguments", "output"):
                    texts += _texts(item.get(field))
                images += sum(IMAGE_TOKENS.get(detail, 765) for detail in _details(item))
    characters = sum(len(text) for text in texts)
    return max(1, math.ceil(characters / CHARACTERS_PER_TOKEN) + images)


def _details(item: dict[str, Any]) -> list[str]:
    """The `detail` of each `input_image` part of an item."""
    content = item.get("content")
    parts = content if isinstance(content, list) else []
    return [
        part.get("detail", "auto")
        for part in parts
        if isinstance(part, dict) and part.get("type") == "input_image"
    ]


def _texts(content: Any) -> list[str]:
    """A string, or the `text` of each part in a list of content parts."""
    if isinstance(content, str):
        return [content]
    if isinstance(content, list):
        return [
            part["text"]
            for part in content
            if isinstance(part, dict) and isinstance(part.get("text"), str)
        ]
    return []
