"""The fence around asgiref's private thread state (playground/core/request_thread.py): the
version installed is the one pinned, and releasing a request's thread shuts the executor
Django's request context made. When this fails after an upgrade, review the fence."""

import threading
from importlib.metadata import version

from asgiref.sync import ThreadSensitiveContext, sync_to_async

from playground.core.request_thread import release_request_thread
from tests.pins import pinned


def test_the_installed_asgiref_is_the_pinned_one():
    assert version("asgiref") == pinned("asgiref")


def current_thread() -> threading.Thread:
    return threading.current_thread()


async def test_releasing_ends_the_request_thread_and_later_work_gets_a_new_one():
    # As Django's ASGI handler runs each request.
    async with ThreadSensitiveContext():
        first = await sync_to_async(current_thread, thread_sensitive=True)()
        assert await sync_to_async(current_thread, thread_sensitive=True)() is first
        release_request_thread()
        first.join(timeout=5)
        assert not first.is_alive()
        second = await sync_to_async(current_thread, thread_sensitive=True)()
        assert second is not first
        release_request_thread()


async def test_releasing_with_no_thread_yet_does_nothing():
    async with ThreadSensitiveContext():
        release_request_thread()
        assert await sync_to_async(current_thread, thread_sensitive=True)() is not None
    release_request_thread()
