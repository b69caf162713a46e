"""A faithful fake of the OpenRouter API (see SPEC.md), for the demo, the tests and the benchmark.

It stands alone: no Django, and nothing from the project's OpenRouter client.
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
