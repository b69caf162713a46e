"""A faithful fake of the OpenRouter API, for the demo, the tests and the benchmark.

It stands alone: no Django, and nothing from the project's OpenRouter client. What it
speaks is docs/openrouter-wire-format.md: a "§" in a comment here is a section of that
document, and the labels of recorded evidence (R02, X3, OAPI, …) are listed in its §0.
"""

from .catalog import CATALOG, model_ids
from .messages import EventStream, FakeRequest, FakeResponse, RecordedRequest
from .server import INVALID_KEY, FakeOpenRouter

__all__ = [
    "CATALOG",
    "INVALID_KEY",
    "EventStream",
    "FakeOpenRouter",
    "FakeRequest",
    "FakeResponse",
    "RecordedRequest",
    "model_ids",
]
