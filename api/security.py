"""Bearer tokens (HS256 JWT via pyjwt); passwords are ``pipeline.accounts``.

The signing secret is ``SOHOA_JWT_SECRET``; when unset (embedded mode) one is generated once and
kept in ``data_dir/jwt-secret`` (mode 0600) so that the API and CLI processes agree on it.
"""

from __future__ import annotations

import os
import secrets
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path

import jwt

from core.domain import Role
from core.errors import Unauthorized
from core.settings import Settings

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


__all__ = [
    "create_token",
    "decode_token",
    "decode_token_expiry",
    "jwt_secret",
]
