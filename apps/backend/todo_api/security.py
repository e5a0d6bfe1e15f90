"""Password hashing (argon2id) and access tokens (JWT, HS256)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

JWT_ALGORITHM = "HS256"


def make_password_hasher(fast: bool = False) -> PasswordHasher:
    """argon2-cffi's RFC 9106 low-memory profile; `fast` (APP_ENV=test only) makes test suites quick."""
    if fast:
        return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    return PasswordHasher()


class Passwords:
    def __init__(self, hasher: PasswordHasher) -> None:
        self._hasher = hasher
        # Verified against when the email is unknown, so both cases take the same time.
        self._dummy_hash = hasher.hash("not-a-real-password")

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash or self._dummy_hash, password) and bool(password_hash)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        return self._hasher.check_needs_rehash(password_hash)


class InvalidToken(Exception):
    pass


class Tokens:
    """Issues and checks access tokens.

    Verified tokens are remembered (token -> user id, expiry) so a client sending the same token on
    every request pays for the signature check once; the expiry is still checked on every use.
    """

    CACHE_SIZE = 4096

    def __init__(self, secret: str, expire_minutes: int) -> None:
        self.secret = secret
        self.expire_minutes = expire_minutes
        self._verified: dict[str, tuple[int, float]] = {}

    def issue(self, user_id: int, now: datetime | None = None) -> str:
        now = now or datetime.now(UTC)
        claims = {
            "sub": str(user_id),
            "iat": now,
            "exp": now + timedelta(minutes=self.expire_minutes),
            "typ": "access",
        }
        return jwt.encode(claims, self.secret, algorithm=JWT_ALGORITHM)

    def user_id(self, token: str) -> int:
        known = self._verified.get(token)
        if known is not None:
            user_id, expires = known
            if time.time() < expires:
                return user_id
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
        sub = claims.get("sub")
        if claims.get("typ") != "access" or not isinstance(sub, str) or not sub.isdigit():
            raise InvalidToken("invalid token")
        if len(self._verified) >= self.CACHE_SIZE:
            self._verified.clear()
        self._verified[token] = (int(sub), float(claims["exp"]))
        return int(sub)
