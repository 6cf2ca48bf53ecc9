"""Staff sessions: bearer tokens (HS256 JWT via pyjwt) and the user they name.

The API (``Authorization: Bearer``) and the web pages (an HttpOnly cookie) share these; the
passwords are ``pipeline.accounts``.

A token names its user by the immutable account id (``sub``) and the account's
``token_version`` (``ver``) at the time it was issued. Disabling an account, changing its role
or resetting its password bumps the version, so every token issued before stops working at
once; a user name deleted and created again is a new id and inherits nothing.

The signing secret is ``SOHOA_JWT_SECRET``; when unset (embedded mode) one is generated once and
kept in ``data_dir/jwt-secret`` (mode 0600) so that the API and CLI processes agree on it. A
configured secret shorter than 32 bytes, or one of the placeholder values written in this
repository, is refused (:func:`check_jwt_secret`).

How a request is authenticated (``api.deps.get_current_user`` and the web's cookie check)::

    claims = token_cache.claims(settings, token)      # Unauthorized if forged or expired
    hit, user = cached_user(claims)                   # no database query when fresh
    if not hit:
        user = load_user(runtime, claims)             # None: disabled, revoked or deleted
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
from typing import Protocol

import jwt
from sqlalchemy import select

from core.domain import Role
from core.errors import ConfigurationError, Unauthorized
from core.settings import Settings
from pipeline.context import Runtime
from storage.models import User

ALGORITHM = "HS256"
ISSUER = "sohoa"
#: Shortest configured secret accepted (HS256 keys should be at least the hash size).
MIN_SECRET_BYTES = 32
#: Values written in this repository (compose fallbacks, examples): public, so never a secret.
PUBLIC_SECRETS = frozenset(
    {
        "change-me-to-a-long-random-string",
        "change-me",
        "changeme",
        "secret",
        "sohoa-secret-key",
        "sohoa-change-me",
        "sohoa-change-me-please",
    }
)


class TokenSubject(Protocol):
    """What a token is issued for: an account's id, name, role and token version."""

    @property
    def id(self) -> int: ...
    @property
    def username(self) -> str: ...
    @property
    def role(self) -> Role: ...
    @property
    def token_version(self) -> int: ...


def check_jwt_secret(secret: str) -> str:
    """``secret`` if it may sign tokens; :class:`ConfigurationError` otherwise."""
    if len(secret.encode("utf-8")) < MIN_SECRET_BYTES:
        raise ConfigurationError(
            f"SOHOA_JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes",
            detail_vi=f"SOHOA_JWT_SECRET phải dài ít nhất {MIN_SECRET_BYTES} byte",
        )
    if secret.strip().lower() in PUBLIC_SECRETS:
        raise ConfigurationError(
            "SOHOA_JWT_SECRET is a placeholder written in the sohoa repository; set a random one",
            detail_vi="SOHOA_JWT_SECRET là giá trị mẫu công khai; hãy đặt một giá trị ngẫu nhiên",
        )
    return secret


def jwt_secret(settings: Settings) -> str:
    """The token signing secret: configured (checked), or created once under the data dir."""
    if settings.jwt_secret is not None:
        return check_jwt_secret(settings.jwt_secret.get_secret_value())
    return _secret_file(settings.resolved_data_dir() / "jwt-secret")


@lru_cache(maxsize=8)
def _secret_file(path: Path) -> str:
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(secrets.token_urlsafe(48))
    return path.read_text(encoding="ascii").strip()


@dataclass(frozen=True)
class TokenClaims:
    """What a verified token says: account id, token version, role and name when issued."""

    user_id: int
    version: int
    role: Role
    username: str
    expires: float


def create_token(settings: Settings, user: TokenSubject) -> tuple[str, int]:
    """A bearer token for the account ``user``; returns it and its lifetime in seconds."""
    ttl = settings.jwt_ttl_minutes * 60
    now = datetime.now(UTC)
    claims = {
        "sub": str(user.id),
        "ver": int(user.token_version or 0),
        "name": user.username,
        "role": str(user.role),
        "iss": ISSUER,
        "iat": now,
        "exp": now + timedelta(seconds=ttl),
        "jti": secrets.token_urlsafe(12),
    }
    return jwt.encode(claims, jwt_secret(settings), algorithm=ALGORITHM), ttl


def decode_token(settings: Settings, token: str) -> TokenClaims:
    """The claims of a valid token; ``Unauthorized`` otherwise (old name-only tokens too)."""
    try:
        claims = jwt.decode(
            token,
            jwt_secret(settings),
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["sub", "ver", "exp", "iss"]},
        )
        return TokenClaims(
            user_id=int(claims["sub"]),
            version=int(claims["ver"]),
            role=Role(claims["role"]),
            username=str(claims.get("name", "")),
            expires=float(claims["exp"]),
        )
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


#: Seconds a looked-up account is trusted before the database is asked again (so a busy API
#: does not pay a query per request). Changes made through this process (API, web) drop the
#: entry at once (:func:`forget_user`); a change made by another process (the CLI, a second API
#: process) takes effect within this time.
USER_CACHE_SECONDS = 1.0
#: user id -> (monotonic time looked up, token version, user or None if inactive/missing)
_user_cache: dict[int, tuple[float, int, CurrentUser | None]] = {}
_user_cache_lock = threading.Lock()


def forget_user(user_id: int) -> None:
    """Drop a cached account (its role, state or token version just changed)."""
    with _user_cache_lock:
        _user_cache.pop(user_id, None)


def _accept(claims: TokenClaims, version: int, user: CurrentUser | None) -> CurrentUser | None:
    return user if user is not None and version == claims.version else None


def load_user(runtime: Runtime, claims: TokenClaims) -> CurrentUser | None:
    """The active account the token names, if the token's version is still current, else None."""
    # A short session of its own: on SQLite every transaction holds the write lock, so a
    # session kept open for the whole request would block the route's own writes.
    with runtime.sessions() as session:
        row = session.execute(
            select(User.id, User.username, User.role, User.active, User.token_version).where(
                User.id == claims.user_id
            )
        ).first()
    found = (
        CurrentUser(id=row.id, username=row.username, role=Role(row.role))
        if row is not None and row.active
        else None
    )
    version = int(row.token_version) if row is not None else -1
    with _user_cache_lock:
        if len(_user_cache) > 10_000:
            _user_cache.clear()
        _user_cache[claims.user_id] = (time.monotonic(), version, found)
    return _accept(claims, version, found)


def cached_user(claims: TokenClaims) -> tuple[bool, CurrentUser | None]:
    """(hit, user) from the cache alone, without asking the database."""
    with _user_cache_lock:
        cached = _user_cache.get(claims.user_id)
    if cached is not None and time.monotonic() - cached[0] < USER_CACHE_SECONDS:
        return True, _accept(claims, cached[1], cached[2])
    return False, None


class TokenCache:
    """Verified tokens of one app: token → its claims.

    A token's signature and claims cannot change, so checking them once per process is
    enough; the expiry is still honoured, and whether the account still accepts the token is
    :func:`load_user`'s question. One cache per app, so apps with different signing secrets
    (tests) never accept each other's tokens.
    """

    def __init__(self, max_tokens: int = 10_000) -> None:
        self.max_tokens = max_tokens
        self._tokens: dict[str, TokenClaims] = {}

    def claims(self, settings: Settings, token: str) -> TokenClaims:
        """The claims of a valid ``token``; ``Unauthorized`` otherwise."""
        cached = self._tokens.get(token)
        if cached is not None and time.time() < cached.expires:
            return cached
        claims = decode_token(settings, token)
        if len(self._tokens) >= self.max_tokens:
            self._tokens.clear()
        self._tokens[token] = claims
        return claims


def authenticate(runtime: Runtime, cache: TokenCache, token: str) -> CurrentUser:
    """The account a bearer token stands for, in one synchronous call; ``Unauthorized``."""
    claims = cache.claims(runtime.settings, token)
    hit, user = cached_user(claims)
    if not hit:
        user = load_user(runtime, claims)
    if user is None:
        raise Unauthorized(
            "Unknown, disabled or revoked account.", detail_vi="Tài khoản không hợp lệ."
        )
    return user


__all__ = [
    "MIN_SECRET_BYTES",
    "PUBLIC_SECRETS",
    "USER_CACHE_SECONDS",
    "CurrentUser",
    "TokenCache",
    "TokenClaims",
    "TokenSubject",
    "authenticate",
    "cached_user",
    "check_jwt_secret",
    "create_token",
    "decode_token",
    "forget_user",
    "jwt_secret",
    "load_user",
]
