"""Rate limits, counted in Django's cache: failed logins (per username and per client
address) and runs (per person).

Failed logins: too many within a lock period lock that username or address for the lock
period. A lock always ends by itself, so nobody is locked out for good.

Runs: at most PLAYGROUND_RUNS_PER_MINUTE started per minute, and at most
PLAYGROUND_MAX_CONCURRENT_RUNS not yet finished at once. Both answer with the seconds
to wait (the view's 429 and `Retry-After`).

Counters live in fixed windows, keyed by the window's number, so counting is one atomic
`incr` (shared correctly between workers on Redis). The price is that events just before
and just after a window's end are counted apart: at worst twice the limit gets through
per window, still far too slow to guess a password or to run up a bill unnoticed.

Times come from `_now()` and are stored in the cached values; the cache's own expiry only
cleans up, with a margin, so the rules do not depend on the cache backend's clock.
"""

import hashlib
import math
import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone

# How long past its end a window or a lock stays in the cache, only for cleaning up.
CLEANUP_MARGIN_SECONDS = 60
RUN_WINDOW_SECONDS = 60
# The page opens a new run's stream at once: a run still pending this long after it was
# made was left (the tab closed first) and no longer counts against the concurrent limit.
# A streaming run stops counting once it is stale (playground/runs/lifecycle.py).
ABANDONED_PENDING_SECONDS = 60
# What to wait when every concurrent slot is taken: runs usually end within seconds.
CONCURRENT_RETRY_SECONDS = 10


def _now() -> float:
    return time.time()


def _count(scope: str, *, period: int, now: float) -> int:
    """Counts one event in the current fixed window of `period` seconds; returns the
    window's count so far, this event included."""
    key = f"{scope}:{int(now // period)}"
    timeout = period + CLEANUP_MARGIN_SECONDS
    cache.add(key, 0, timeout=timeout)
    try:
        return cache.incr(key)
    except ValueError:
        # The window expired between add and incr: this event starts a new one.
        cache.set(key, 1, timeout=timeout)
        return 1


def _forget(scope: str, *, period: int, now: float) -> None:
    cache.delete(f"{scope}:{int(now // period)}")


def _window_left(*, period: int, now: float) -> int:
    """Whole seconds until the current window of `period` seconds ends, at least 1."""
    return max(1, math.ceil(period - now % period))


def _wait_message(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} second{'' if seconds == 1 else 's'}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minute{'' if minutes == 1 else 's'}"


# Logins ------------------------------------------------------------------------------


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
        failures = _count(f"login-failures:{scope}", period=lock_seconds, now=now)
        if failures >= limit:
            cache.set(
                _lock_key(scope), now + lock_seconds, timeout=lock_seconds + CLEANUP_MARGIN_SECONDS
            )
            # After the lock the full number of attempts is available again.
            _forget(f"login-failures:{scope}", period=lock_seconds, now=now)
            locked = lock_seconds
    return locked


def login_succeeded(*, username: str) -> None:
    """Forgets the username's failures; the address's stay, so one known password does
    not reset the count of guesses at other accounts."""
    for scope, _ in _scopes(username=username, ip=None):
        _forget(f"login-failures:{scope}", period=_lock_seconds(), now=_now())


def lock_message(seconds: int) -> str:
    return f"Too many failed login attempts. Try again in {_wait_message(max(60, seconds))}."


# Runs --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Refusal:
    """Why a person may not start a run now, and how many seconds to wait."""

    message: str
    retry_after: int


def _unfinished_runs(owner) -> int:
    from playground.models import Run
    from playground.runs.lifecycle import stale_before

    abandoned = timezone.now() - timedelta(seconds=ABANDONED_PENDING_SECONDS)
    return Run.objects.filter(
        Q(status=Run.Status.PENDING, created_at__gte=abandoned)
        | Q(status=Run.Status.STREAMING, started_at__gte=stale_before()),
        owner=owner,
    ).count()


def run_places_left(*, owner) -> int | None:
    """How many more runs `owner` may have unfinished at once now; None without a limit.
    An evaluation starts each cell only when there is a place, so its cells and the
    person's other runs and evaluations together stay within the limit."""
    concurrent = settings.PLAYGROUND_MAX_CONCURRENT_RUNS
    if concurrent <= 0:
        return None
    return max(0, concurrent - _unfinished_runs(owner))


def run_throttle(*, owner) -> Refusal | None:
    """Whether `owner` may start a run now. When allowed, the run is counted in this
    minute's window, so call it only right before creating the run."""
    concurrent = settings.PLAYGROUND_MAX_CONCURRENT_RUNS
    if concurrent > 0 and _unfinished_runs(owner) >= concurrent:
        if concurrent == 1:
            message = "Your other run is still running, and only one may run at once. "
            message += "Wait for it to finish or stop it, then run again."
        else:
            message = f"{concurrent} of your runs are still running, the most allowed at once. "
            message += "Wait for one to finish or stop it, then run again."
        return Refusal(message, CONCURRENT_RETRY_SECONDS)
    per_minute = settings.PLAYGROUND_RUNS_PER_MINUTE
    if per_minute > 0:
        now = _now()
        started = _count(f"runs:{owner.pk}", period=RUN_WINDOW_SECONDS, now=now)
        if started > per_minute:
            wait = _window_left(period=RUN_WINDOW_SECONDS, now=now)
            return Refusal(
                f"Too many runs: at most {per_minute} a minute. "
                f"Try again in {_wait_message(wait)}.",
                wait,
            )
    return None
