"""Staff accounts (tài khoản cán bộ): creation with its audit entry, and password hashing.

Passwords are hashed with argon2id (pwdlib). The API's login, ``sohoa users``, ``sohoa run``'s
first admin and the bench all create and check accounts through here.
"""

from __future__ import annotations

from functools import lru_cache

from pwdlib import PasswordHash
from sqlalchemy.orm import Session

from core.domain import AuditAction, Role
from storage import audit, records
from storage.models import User


@lru_cache(maxsize=1)
def _hasher() -> PasswordHash:
    return PasswordHash.recommended()


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    return _hasher().hash(password)


def verify_password(password: str, hashed: str) -> bool:
    """Whether ``password`` matches ``hashed`` (False for malformed hashes too)."""
    try:
        return bool(_hasher().verify(password, hashed))
    except Exception:
        return False


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hash_password("not-a-user")


def verify_dummy(password: str) -> None:
    """Spend the time a real password check costs (unknown user names reveal nothing)."""
    verify_password(password, _dummy_hash())


def create_user(session: Session, *, username: str, password: str, role: Role, actor: str) -> User:
    """Add a staff account and its ``user.created`` audit entry (in the caller's transaction).

    Raises:
        Conflict: the user name is taken.
    """
    user = records.create_user(
        session, username=username, password_hash=hash_password(password), role=role
    )
    audit.append(
        session,
        actor=actor,
        action=AuditAction.USER_CREATED,
        subject=username,
        detail=role.value,
    )
    return user


__all__ = ["create_user", "hash_password", "verify_dummy", "verify_password"]
