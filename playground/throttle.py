"""Login rate limiting: failed logins are counted per username and per client address in
Django's cache; too many within a lock period lock that username or address for the lock
period. A lock always ends by itself, so nobody is locked out for good.

Counters live in fixed windows as long as the lock period, keyed by the window's number,
so counting is one atomic `incr` (shared correctly between workers on Redis). The price
is that failures just before and just after a window's end are counted apart: at worst
twice the limit gets through per lock period, still far too slow to guess a password.

Times come from `_now()` and are stored in the cached values; the cache's own expiry only
cleans up, with a margin, so the rules do not depend on the cache backend's clock.
"""

import hashlib
import math
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

# How long past its end a window or a lock stays in the cache, only for cleaning up.
CLEANUP_MARGIN_SECONDS = 60


def _now() -> float:
    return time.time()


def client_ip(request: HttpRequest) -> str:
    """The client's address as the server saw it. X-Forwarded-For is not read: uvicorn
    already puts the real client there for proxies it trusts (FORWARDED_ALLOW_IPS)."""
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _scopes(*, username: str, ip: str | None) -> list[tuple[str, int]]:
    """(cache key part, failure limit) for each counter an attempt counts against."""
    # Hashed so any username makes a short, safe cache key; case-folded so "Alice" and
    # "alice" share one counter.
    name = hashlib.sha256(username.strip().casefold().encode()).hexdigest()
    scopes = [(f"user:{name}", settings.PLAYGROUND_LOGIN_MAX_FAILURES)]
    if ip is not None:
        scopes.append((f"ip:{ip}", settings.PLAYGROUND_LOGIN_MAX_FAILURES_PER_IP))
    return scopes


def _lock_seconds() -> int:
    return max(1, settings.PLAYGROUND_LOGIN_LOCK_SECONDS)


def _window_key(scope: str, now: float) -> str:
    window = int(now // _lock_seconds())
    return f"login-failures:{scope}:{window}"


def _lock_key(scope: str) -> str:
    return f"login-lock:{scope}"


def login_locked_for(*, username: str, ip: str) -> int:
    """Seconds until this username or address may try again; 0 when neither is locked."""
    now = _now()
    ends = [cache.get(_lock_key(scope), 0) for scope, _ in _scopes(username=username, ip=ip)]
    return max(0, math.ceil(max(ends) - now))


def login_failed(*, username: str, ip: str) -> int:
    """Counts a failed login; returns the seconds of the lock it caused, or 0."""
    now = _now()
    lock_seconds = _lock_seconds()
    locked = 0
    for scope, limit in _scopes(username=username, ip=ip):
        key = _window_key(scope, now)
        cache.add(key, 0, timeout=lock_seconds + CLEANUP_MARGIN_SECONDS)
        try:
            failures = cache.incr(key)
        except ValueError:
            # The window expired between add and incr: this failure starts a new one.
            cache.set(key, 1, timeout=lock_seconds + CLEANUP_MARGIN_SECONDS)
            failures = 1
        if failures >= limit:
            cache.set(
                _lock_key(scope), now + lock_seconds, timeout=lock_seconds + CLEANUP_MARGIN_SECONDS
            )
            # After the lock the full number of attempts is available again.
            cache.delete(key)
            locked = lock_seconds
    return locked


def login_succeeded(*, username: str) -> None:
    """Forgets the username's failures; the address's stay, so one known password does
    not reset the count of guesses at other accounts."""
    for scope, _ in _scopes(username=username, ip=None):
        cache.delete(_window_key(scope, _now()))


def lock_message(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    unit = "minute" if minutes == 1 else "minutes"
    return f"Too many failed login attempts. Try again in {minutes} {unit}."
