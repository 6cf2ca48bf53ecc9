"""Staff accounts (tài khoản cán bộ): creation with its audit entry, and password hashing.

Passwords are hashed with argon2id (pwdlib). The API's login, ``sohoa users``, ``sohoa run``'s
first admin and the bench all create and check accounts through here.
"""

from __future__ import annotations

from functools import lru_cache

from pwdlib import PasswordHash
from sqlalchemy.orm import Session

from core.domain import AuditAction, Role
from core.errors import NotFound
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


def list_users(session: Session) -> list[User]:
    """Every staff account, by user name."""
    return records.list_users(session)


def _user(session: Session, username: str) -> User:
    user = records.get_user(session, username)
    if user is None:
        raise NotFound(f"no user {username!r}", detail_vi="Không tìm thấy tài khoản")
    return user


def set_role(session: Session, *, username: str, role: Role, actor: str) -> User:
    """Change a staff account's role (audited)."""
    user = records.update_user(session, _user(session, username), role=role)
    audit.append(
        session,
        actor=actor,
        action=AuditAction.USER_ROLE_CHANGED,
        subject=username,
        detail=role.value,
    )
    return user


def set_active(session: Session, *, username: str, active: bool, actor: str) -> User:
    """Disable or enable a staff account (audited); a disabled account cannot log in."""
    user = records.update_user(session, _user(session, username), active=active)
    action = AuditAction.USER_ENABLED if active else AuditAction.USER_DISABLED
    audit.append(session, actor=actor, action=action, subject=username)
    return user


def reset_password(session: Session, *, username: str, password: str, actor: str) -> User:
    """Set a new password for a staff account (audited; the password itself is never logged)."""
    user = records.update_user(
        session, _user(session, username), password_hash=hash_password(password)
    )
    audit.append(session, actor=actor, action=AuditAction.USER_PASSWORD_RESET, subject=username)
    return user


__all__ = [
    "create_user",
    "hash_password",
    "list_users",
    "reset_password",
    "set_active",
    "set_role",
    "verify_dummy",
    "verify_password",
]
