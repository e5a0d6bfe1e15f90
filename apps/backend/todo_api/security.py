"""Password hashing (argon2id) and access tokens (JWT, HS256)."""

from __future__ import annotations

import asyncio
import os
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

JWT_ALGORITHM = "HS256"

# What the process needs besides password hashes, under load (bench/bench_logins.py measures about
# 100 MiB at 32 concurrent logins); the rest of MEMORY_LIMIT_MB is the hashes' budget.
PROCESS_RESERVE_MB = 192
MAX_HASH_CONCURRENCY = 16


def make_password_hasher(
    memory_kib: int = 19 * 1024, time_cost: int = 2, parallelism: int = 1, fast: bool = False
) -> PasswordHasher:
    """argon2id. The defaults are OWASP's Password Storage Cheat Sheet minimum (m=19 MiB, t=2, p=1);
    argon2-cffi's own default (RFC 9106 low-memory, 64 MiB) made 16 concurrent logins cost ~1 GiB.
    `fast` (APP_ENV=test only) makes test suites quick."""
    if fast:
        return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism)


def hash_concurrency(
    memory_limit_mb: int, memory_kib: int, override: int | None = None, cpus: int | None = None
) -> int:
    """How many hashes may run at once: derived from the hash's memory and the process's limit.

    Each running hash holds `memory_kib`; its buffer can stay in the allocator's per-thread arena after
    it is freed, so every hashing thread is counted twice. Hashing is CPU-bound, so more threads than
    CPUs add no throughput and only starve the event loop that serves everything else: the CPU count
    caps it too. Never less than one.
    """
    if override:
        return override
    per_hash_mb = memory_kib / 1024
    budget_mb = memory_limit_mb - PROCESS_RESERVE_MB
    by_memory = int(budget_mb // (2 * per_hash_mb))
    cpus = cpus or len(os.sched_getaffinity(0))
    return max(1, min(MAX_HASH_CONCURRENCY, by_memory, cpus))


class Passwords:
    """Hashes and verifies on a dedicated pool of `concurrency` threads: that is the bound on the
    memory hashing can take (requests beyond it wait their turn, in order). No database connection
    is held while a hash runs; the routes call these between their database calls."""

    def __init__(self, hasher: PasswordHasher, concurrency: int = 1) -> None:
        self._hasher = hasher
        self.concurrency = concurrency
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="argon2")
        # Verified against when the email is unknown, so both cases take the same time.
        self._dummy_hash = hasher.hash("not-a-real-password")

    def hash_now(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify_now(self, password_hash: str | None, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash or self._dummy_hash, password) and bool(password_hash)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    async def hash(self, password: str) -> str:
        return await asyncio.get_running_loop().run_in_executor(self._pool, self.hash_now, password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self.verify_now, password_hash, password)

    def needs_rehash(self, password_hash: str) -> bool:
        return self._hasher.check_needs_rehash(password_hash)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


class InvalidToken(Exception):
    pass


class Caller(NamedTuple):
    """Who a valid token speaks for: the user's id and the session key it was issued with (checked
    against users.session_key on every request, todo_api.deps.require_user)."""

    id: int
    session_key: str


class Tokens:
    """Issues and checks access tokens (claims: `sub` the user id, `sid` the user's session key).

    Verified tokens are remembered (token -> caller, expiry) so a client sending the same token on
    every request pays for the signature check once; the expiry is still checked on every use, and
    whether the session still exists is checked in the database on every request, past this cache.
    """

    CACHE_SIZE = 4096

    def __init__(self, secret: str, expire_minutes: int) -> None:
        self.secret = secret
        self.expire_minutes = expire_minutes
        self._verified: dict[str, tuple[Caller, float]] = {}

    def issue(self, user_id: int, session_key: str = "", now: datetime | None = None) -> str:
        now = now or datetime.now(UTC)
        claims = {
            "sub": str(user_id),
            "sid": session_key,
            "iat": now,
            "exp": now + timedelta(minutes=self.expire_minutes),
            "typ": "access",
        }
        return jwt.encode(claims, self.secret, algorithm=JWT_ALGORITHM)

    def user_id(self, token: str) -> int:
        return self.caller(token).id

    def caller(self, token: str) -> Caller:
        known = self._verified.get(token)
        if known is not None:
            caller, expires = known
            if time.time() < expires:
                return caller
            del self._verified[token]
            raise InvalidToken("token expired")
        try:
            claims = jwt.decode(
                token,
                self.secret,
                algorithms=[JWT_ALGORITHM],
                options={"require": ["exp", "sub"]},
            )
        except jwt.ExpiredSignatureError:
            raise InvalidToken("token expired") from None
        except jwt.PyJWTError:
            raise InvalidToken("invalid token") from None
        sub, sid = claims.get("sub"), claims.get("sid")
        if claims.get("typ") != "access" or not isinstance(sub, str) or not sub.isdigit():
            raise InvalidToken("invalid token")
        if not isinstance(sid, str):  # issued before sessions could end (revision 0005)
            raise InvalidToken("session ended; sign in again")
        if len(self._verified) >= self.CACHE_SIZE:
            self._verified.clear()
        caller = Caller(int(sub), sid)
        self._verified[token] = (caller, float(claims["exp"]))
        return caller
