"""In-process throttles: failed sign-ins per account and per client address, chat calls per user.

State lives in this process only (each worker counts on its own), bounded in size: the oldest keys
are forgotten first. The clock is injectable so tests need not sleep.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable

MAX_KEYS = 100_000


def _remember(table: OrderedDict, key: Hashable, value: object) -> None:
    table[key] = value
    table.move_to_end(key)
    while len(table) > MAX_KEYS:
        table.popitem(last=False)


class SlidingWindow:
    """At most `limit` events per key in any `window` seconds."""

    def __init__(self, limit: int, window: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._events: OrderedDict[Hashable, deque[float]] = OrderedDict()

    def _recent(self, key: Hashable) -> deque[float]:
        events = self._events.get(key) or deque()
        horizon = self.clock() - self.window
        while events and events[0] <= horizon:
            events.popleft()
        return events

    def retry_after(self, key: Hashable) -> int | None:
        """Seconds until one more event is allowed, or None if it is allowed now."""
        events = self._recent(key)
        if len(events) < self.limit:
            return None
        return max(1, math.ceil(events[0] + self.window - self.clock()))

    def add(self, key: Hashable) -> None:
        events = self._recent(key)
        events.append(self.clock())
        _remember(self._events, key, events)

    def take(self, key: Hashable) -> int | None:
        """Counts an event if allowed (None), else returns the seconds to wait and counts nothing."""
        wait = self.retry_after(key)
        if wait is None:
            self.add(key)
        return wait


class AccountBackoff:
    """After `free` failed logins in a row, each further failure locks the account for 1, 2, 4, …
    seconds, never more than `max_seconds`: an attacker guessing gets a few tries a minute, and a
    real user locked out by one waits at most `max_seconds`. A success clears the count; a count
    is forgotten after an hour without failures."""

    FORGET_AFTER = 3600.0

    def __init__(self, free: int, max_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.free = free
        self.max_seconds = max_seconds
        self.clock = clock
        self._state: OrderedDict[Hashable, tuple[int, float, float]] = OrderedDict()  # n, until, last

    def retry_after(self, key: Hashable) -> int | None:
        state = self._state.get(key)
        if state is None:
            return None
        _, until, _ = state
        wait = until - self.clock()
        return math.ceil(wait) if wait > 0 else None

    def failed(self, key: Hashable) -> None:
        now = self.clock()
        failures, _, last = self._state.get(key, (0, 0.0, now))
        if now - last > self.FORGET_AFTER:
            failures = 0
        failures += 1
        lock = 0.0
        if failures > self.free:
            lock = min(self.max_seconds, 2.0 ** (failures - self.free - 1))
        _remember(self._state, key, (failures, now + lock, now))

    def succeeded(self, key: Hashable) -> None:
        self._state.pop(key, None)
