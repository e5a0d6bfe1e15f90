"""Throttles shared by every replica: failed sign-ins per account and per client address, signups
per address and in total, the assistant's budget per user.

The state is one table of the database the app already has (`limits`, models.Limit): every replica
and every restart sees the same counts. Each rule is one atomic statement, `INSERT … ON CONFLICT
(key) DO UPDATE … WHERE … RETURNING`, on PostgreSQL and SQLite alike: the row is locked while it
is updated, so parallel requests on any number of processes are counted one after the other, and a
request that would go over the limit changes nothing and gets no row back.

Sign-ins are *reserved* before the password is hashed (`LoginLimits.reserve`): the attempt is
counted as a failure up front, and the attempt that goes past the free failures holds the account
(`HOLD_SECONDS`) until its outcome is known. So N parallel wrong passwords for one account lead to at
most `free + 1` password checks, whatever N. A success deletes the account's row; a failure sets the
back-off from the count (1, 2, 4, … s up to the maximum), and from `lockout_failures` consecutive
failures on a cool-down of `lockout_seconds`: after it, one attempt per cool-down, and the account's
own correct password clears the count (the reset path; a password change does too). An attempt
that ends with neither verdict (an error, a cancelled request) gives its reservation back
(`LoginLimits.abandoned`, `Window.give_back`), so errors never pile up into a lock.

Windows are fixed (the count restarts when `window` seconds have passed since the window's first
event), so a key may see up to twice its limit across a window boundary. The clock (wall-clock
seconds: the replicas share it) is injectable so tests need not sleep.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, case, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from todo_api.models import Limit

# The hold a reserved sign-in past the free failures puts on its account until its outcome is known;
# longer than a password check can take (the hash pool is bounded and answers in order).
HOLD_SECONDS = 30.0
# Rows whose window ended or whose lock expired this long ago are deleted (prune).
KEEP_SECONDS = 86_400.0

_limits = Limit.__table__


def _insert(conn: Connection):  # type: ignore[no-untyped-def]
    """INSERT with ON CONFLICT for the connection's dialect (the same statement on both)."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(_limits)


def retry_after(until: float, now: float) -> int:
    return max(1, math.ceil(until - now))


@dataclass
class Window:
    """At most `limit` events per key in a fixed window of `window` seconds."""

    limit: int
    window: float

    def _count(self, conn: Connection, key: str, now: float, within_limit: bool):  # type: ignore[no-untyped-def]
        """Counts one event for `key` (a new window when the last one ended); with `within_limit`,
        only while the window holds fewer than `limit` (else no row comes back)."""
        expired = _limits.c.window_start <= now - self.window
        insert = _insert(conn).values(key=key, hits=1, window_start=now, blocked_until=0.0)
        return conn.execute(
            insert.on_conflict_do_update(
                index_elements=[_limits.c.key],
                set_={
                    "hits": _case(expired, 1, _limits.c.hits + 1),
                    "window_start": _case(expired, now, _limits.c.window_start),
                },
                where=(expired | (_limits.c.hits < self.limit)) if within_limit else None,
            ).returning(_limits.c.hits)
        ).first()

    def take(self, conn: Connection, key: str, now: float) -> int | None:
        """Counts one event when allowed (None); else the seconds to wait, counting nothing."""
        if self._count(conn, key, now, within_limit=True) is not None:
            return None
        start = conn.execute(select(_limits.c.window_start).where(_limits.c.key == key)).scalar()
        return retry_after((now if start is None else start) + self.window, now)

    def wait(self, conn: Connection, key: str, now: float) -> int | None:
        """The seconds to wait before one more event is allowed, or None (counts nothing)."""
        row = conn.execute(select(_limits.c.hits, _limits.c.window_start).where(_limits.c.key == key)).first()
        if row is None or row.window_start <= now - self.window or row.hits < self.limit:
            return None
        return retry_after(row.window_start + self.window, now)

    def add(self, conn: Connection, key: str, now: float) -> None:
        """Counts one event even over the limit (a failure that already happened)."""
        self._count(conn, key, now, within_limit=False)

    @staticmethod
    def give_back(conn: Connection, key: str) -> None:
        """Uncounts one event taken by `take` (a reserved failure that turned out a success)."""
        conn.execute(
            update(_limits).where(_limits.c.key == key, _limits.c.hits > 0).values(hits=_limits.c.hits - 1)
        )


def _case(condition, then, otherwise):  # type: ignore[no-untyped-def]
    return case((condition, then), else_=otherwise)


@dataclass
class LoginLimits:
    """Consecutive failed sign-ins per account: `free` without delay, then 1, 2, 4, … s up to
    `max_seconds`; from `lockout_failures` on, `lockout_seconds` per attempt."""

    free: int
    max_seconds: float
    lockout_failures: int
    lockout_seconds: float

    @property
    def free_failures(self) -> int:
        """Failures in a row that lock nothing (never as many as the lockout)."""
        return min(self.free, self.lockout_failures - 1)

    def backoff(self, failures: int) -> float:
        """Seconds an account is locked after `failures` consecutive failures."""
        if failures >= self.lockout_failures:
            return self.lockout_seconds
        if failures <= self.free_failures:
            return 0.0
        return min(self.max_seconds, 2.0 ** min(failures - self.free_failures - 1, 62))

    def reserve(self, conn: Connection, key: str, now: float) -> tuple[int | None, int]:
        """Counts an attempt as a failure before its password is checked: (None, failures) when it
        may be checked, else (seconds to wait, 0) and nothing counted. The attempt that goes past the
        free failures holds the account until `failed`/`succeeded` say how it went."""
        insert = _insert(conn).values(key=key, hits=1, window_start=now, blocked_until=0.0)
        next_hits = _limits.c.hits + 1
        statement = insert.on_conflict_do_update(
            index_elements=[_limits.c.key],
            set_={
                "hits": next_hits,
                "window_start": now,
                "blocked_until": _case(
                    next_hits > self.free_failures, now + HOLD_SECONDS, _limits.c.blocked_until
                ),
            },
            where=_limits.c.blocked_until <= now,
        ).returning(_limits.c.hits)
        hits = conn.execute(statement).scalar()
        if hits is not None:
            return None, hits
        until = conn.execute(select(_limits.c.blocked_until).where(_limits.c.key == key)).scalar()
        return retry_after(now if until is None else until, now), 0

    def wait(self, conn: Connection, key: str, now: float) -> int | None:
        until = conn.execute(select(_limits.c.blocked_until).where(_limits.c.key == key)).scalar()
        return retry_after(until, now) if until is not None and until > now else None

    def failed(self, conn: Connection, key: str, failures: int, now: float) -> None:
        """The reserved attempt (the account's `failures`-th in a row) was wrong: lock per back-off.
        Only the latest reservation sets the lock (it holds the account): an earlier attempt that
        ends after it must not shorten the hold or the lock it left."""
        conn.execute(
            update(_limits)
            .where(_limits.c.key == key, _limits.c.hits == failures)
            .values(blocked_until=now + self.backoff(failures))
        )

    @staticmethod
    def succeeded(conn: Connection, key: str) -> None:
        conn.execute(delete(_limits).where(_limits.c.key == key))

    @staticmethod
    def abandoned(conn: Connection, key: str, failures: int, now: float) -> None:
        """The reserved attempt ended without a verdict (an error between the reservation and the
        outcome): uncount it and lift its hold. Only while it is still the latest reservation; a later
        one holds the account now, and its outcome sets the lock."""
        conn.execute(
            update(_limits)
            .where(_limits.c.key == key, _limits.c.hits == failures)
            .values(
                hits=_limits.c.hits - 1,
                blocked_until=_case(_limits.c.blocked_until > now, now, _limits.c.blocked_until),
            )
        )


ACCOUNT_PREFIX = "acct:"


def prune(conn: Connection, now: float, longest_window: float, lockout_failures: int) -> int:
    """Deletes rows that no longer limit anything: windows that ended, and account counts below the
    lockout whose last attempt and lock are older than KEEP_SECONDS (an account at the lockout keeps
    its count until its own password clears it). Returns how many."""
    old = now - max(KEEP_SECONDS, longest_window)
    locked_out = _limits.c.key.startswith(ACCOUNT_PREFIX) & (_limits.c.hits >= lockout_failures)
    result = conn.execute(
        delete(_limits).where(
            _limits.c.window_start < old, _limits.c.blocked_until < now - KEEP_SECONDS, ~locked_out
        )
    )
    return result.rowcount or 0


class SharedLimits:
    """Every throttle of the app, with its settings and the clock; app.state.limits."""

    def __init__(self, settings, clock: Callable[[], float] = time.time) -> None:  # type: ignore[no-untyped-def]
        self.clock = clock
        self.login = LoginLimits(
            settings.login_free_failures,
            settings.login_backoff_max_seconds,
            settings.login_lockout_failures,
            settings.login_lockout_seconds,
        )
        self.address_failures = Window(
            settings.login_failures_per_address, settings.login_address_window_seconds
        )
        self.signups_per_address = Window(settings.signups_per_address, settings.signup_window_seconds)
        self.signups_total = Window(settings.signups_total, settings.signup_window_seconds)
        self.chat = Window(settings.chat_requests_per_minute, 60)
        self.longest_window = max(settings.login_address_window_seconds, settings.signup_window_seconds, 60)
