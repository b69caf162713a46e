"""Letting go of the thread Django gives a request for its sync work.

Under ASGI, Django runs each request in an asgiref `ThreadSensitiveContext`, and its
first thread-sensitive `sync_to_async` call creates a one-worker executor for that context.
A stream keeps that thread idle for as long as the answer takes. asgiref has no public
way to end a context's executor early, so this reads its private state
(`SyncToAsync.thread_sensitive_context`, `SyncToAsync.context_to_thread_executor`). asgiref
is pinned to one version in pyproject.toml, tests/core/test_request_thread.py checks that
version and the behaviour relied on, and nothing else touches that state.
"""

from asgiref.sync import SyncToAsync


def release_request_thread() -> None:
    """Lets the request's own thread go. Sync work later in the request gets a new one."""
    context = SyncToAsync.thread_sensitive_context.get(None)
    executor = SyncToAsync.context_to_thread_executor.pop(context, None) if context else None
    if executor is not None:
        executor.shutdown(wait=False)
