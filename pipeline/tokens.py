"""Staff sessions: bearer tokens (HS256 JWT via pyjwt) and the user they name.

The API (``Authorization: Bearer``) and the web pages (an HttpOnly cookie) share these; the
passwords are ``pipeline.accounts``.

The signing secret is ``SOHOA_JWT_SECRET``; when unset (embedded mode) one is generated once and
kept in ``data_dir/jwt-secret`` (mode 0600) so that the API and CLI processes agree on it.
"""

from __future__ import annotations

import os
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path

import jwt
from sqlalchemy import select

from core.domain import Role
from core.errors import Unauthorized
from core.settings import Settings
from pipeline.context import Runtime
from storage.models import User

ALGORITHM = "HS256"
ISSUER = "sohoa"


def jwt_secret(settings: Settings) -> str:
    """The token signing secret: configured, or created once under the data directory."""
    if settings.jwt_secret is not None:
        return settings.jwt_secret.get_secret_value()
    return _secret_file(settings.resolved_data_dir() / "jwt-secret")


@lru_cache(maxsize=8)
def _secret_file(path: Path) -> str:
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(secrets.token_urlsafe(48))
    return path.read_text(encoding="ascii").strip()


def create_token(settings: Settings, username: str, role: Role) -> tuple[str, int]:
    """A bearer token for ``username``; returns it and its lifetime in seconds."""
    ttl = settings.jwt_ttl_minutes * 60
    now = datetime.now(UTC)
    claims = {
        "sub": username,
        "role": str(role),
        "iss": ISSUER,
        "iat": now,
        "exp": now + timedelta(seconds=ttl),
    }
    return jwt.encode(claims, jwt_secret(settings), algorithm=ALGORITHM), ttl


def decode_token(settings: Settings, token: str) -> tuple[str, Role]:
    """The user name and role in a valid token; ``Unauthorized`` otherwise."""
    username, role, _expires = decode_token_expiry(settings, token)
    return username, role


def decode_token_expiry(settings: Settings, token: str) -> tuple[str, Role, float]:
    """The user name, role and expiry (Unix time) of a valid token; ``Unauthorized`` otherwise."""
    try:
        claims = jwt.decode(
            token,
            jwt_secret(settings),
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["sub", "exp", "iss"]},
        )
        return str(claims["sub"]), Role(claims["role"]), float(claims["exp"])
    except (jwt.PyJWTError, KeyError, ValueError, TypeError) as exc:
        raise Unauthorized(
            "Invalid or expired token.", detail_vi="Mã truy cập không hợp lệ hoặc đã hết hạn."
        ) from exc


@dataclass(frozen=True)
class CurrentUser:
    """The authenticated staff member."""

    id: int
    username: str
    role: Role


#: Seconds a looked-up user is trusted before the database is asked again (so a busy API does
#: not pay a query per request, while a deactivation or demotion takes effect within seconds).
USER_CACHE_SECONDS = 5.0
_user_cache: dict[str, tuple[float, CurrentUser | None]] = {}
_user_cache_lock = threading.Lock()


def load_user(runtime: Runtime, username: str) -> CurrentUser | None:
    """The active account ``username`` (cached for :data:`USER_CACHE_SECONDS`), else None."""
    now = time.monotonic()
    with _user_cache_lock:
        cached = _user_cache.get(username)
    if cached is not None and now - cached[0] < USER_CACHE_SECONDS:
        return cached[1]
    # A short session of its own: on SQLite every transaction holds the write lock, so a
    # session kept open for the whole request would block the route's own writes.
    with runtime.sessions() as session:
        user = session.scalar(select(User).where(User.username == username))
    found = (
        CurrentUser(id=user.id, username=user.username, role=Role(user.role))
        if user is not None and user.active
        else None
    )
    with _user_cache_lock:
        if len(_user_cache) > 10_000:
            _user_cache.clear()
        _user_cache[username] = (now, found)
    return found


class TokenCache:
    """Verified tokens of one app: token → (user name, expiry as a Unix time).

    A token's signature and claims cannot change, so checking them once per process is
    enough; the expiry is still honoured. One cache per app, so apps with different signing
    secrets (tests) never accept each other's tokens.
    """

    def __init__(self, max_tokens: int = 10_000) -> None:
        self.max_tokens = max_tokens
        self._tokens: dict[str, tuple[str, float]] = {}

    def username(self, settings: Settings, token: str) -> str:
        """The user name of a valid ``token``; ``Unauthorized`` otherwise."""
        cached = self._tokens.get(token)
        if cached is not None and time.time() < cached[1]:
            return cached[0]
        username, _role, expires = decode_token_expiry(settings, token)
        if len(self._tokens) >= self.max_tokens:
            self._tokens.clear()
        self._tokens[token] = (username, expires)
        return username


def cached_user(username: str) -> tuple[bool, CurrentUser | None]:
    """(hit, user) from the cache alone, without asking the database."""
    with _user_cache_lock:
        cached = _user_cache.get(username)
    if cached is not None and time.monotonic() - cached[0] < USER_CACHE_SECONDS:
        return True, cached[1]
    return False, None


__all__ = [
    "USER_CACHE_SECONDS",
    "CurrentUser",
    "TokenCache",
    "cached_user",
    "create_token",
    "decode_token",
    "decode_token_expiry",
    "jwt_secret",
    "load_user",
]
