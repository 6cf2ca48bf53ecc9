"""Staff accounts (tài khoản cán bộ): creation with its audit entry, password hashing, logins.

Passwords are hashed with argon2id (pwdlib). The API's login, ``sohoa users``, ``sohoa run``'s
first admin and the bench all create and check accounts through here.

A role change, a disable and a password reset bump the account's ``token_version``, which
revokes every token issued before (``pipeline.tokens``). :func:`login` is the one login check
(API and web): it refuses at once, without spending an argon2 hash, a user name or client
address with too many recent failures (``SOHOA_LOGIN_MAX_FAILURES`` /
``SOHOA_LOGIN_MAX_FAILURES_PER_ADDRESS`` within ``SOHOA_LOGIN_WINDOW_MINUTES``), records every
attempt, and audits each lockout.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

from pwdlib import PasswordHash
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from core.domain import AuditAction, Role
from core.errors import NotFound, TooManyAttempts, Unauthorized
from core.settings import Settings
from pipeline.context import Runtime
from pipeline.tokens import forget_user
from storage import audit, records
from storage.models import LoginAttempt, User, utcnow

log = logging.getLogger(__name__)


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


def _revoke_tokens(user: User) -> None:
    user.token_version = (user.token_version or 0) + 1
    forget_user(user.id)


def set_role(session: Session, *, username: str, role: Role, actor: str) -> User:
    """Change a staff account's role (audited); its existing tokens are revoked."""
    user = records.update_user(session, _user(session, username), role=role)
    _revoke_tokens(user)
    audit.append(
        session,
        actor=actor,
        action=AuditAction.USER_ROLE_CHANGED,
        subject=username,
        detail=role.value,
    )
    return user


def set_active(session: Session, *, username: str, active: bool, actor: str) -> User:
    """Disable or enable a staff account (audited); a disabled account cannot log in, and
    its existing tokens are revoked."""
    user = records.update_user(session, _user(session, username), active=active)
    _revoke_tokens(user)
    action = AuditAction.USER_ENABLED if active else AuditAction.USER_DISABLED
    audit.append(session, actor=actor, action=action, subject=username)
    return user


def reset_password(session: Session, *, username: str, password: str, actor: str) -> User:
    """Set a new password for a staff account (audited; the password itself is never logged);
    its existing tokens are revoked."""
    user = records.update_user(
        session, _user(session, username), password_hash=hash_password(password)
    )
    _revoke_tokens(user)
    audit.append(session, actor=actor, action=AuditAction.USER_PASSWORD_RESET, subject=username)
    return user


# --- logins --------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoggedIn:
    """The account a successful login is for (what a token is issued to)."""

    id: int
    username: str
    role: Role
    token_version: int


def _locked() -> TooManyAttempts:
    return TooManyAttempts(
        "Too many failed logins; try again later.",
        detail_vi="Đăng nhập sai quá nhiều lần; vui lòng thử lại sau.",
    )


def _failures(session: Session, settings: Settings, username: str, address: str) -> tuple[int, int]:
    """Recent failures of ``username`` (since its last success) and from ``address``."""
    since = utcnow() - timedelta(minutes=settings.login_window_minutes)
    last_ok = session.scalar(
        select(func.max(LoginAttempt.created_at)).where(
            LoginAttempt.username == username, LoginAttempt.succeeded.is_(True)
        )
    )
    user_since = max(since, last_ok) if last_ok is not None else since
    by_user = session.scalar(
        select(func.count()).where(
            LoginAttempt.username == username,
            LoginAttempt.succeeded.is_(False),
            LoginAttempt.created_at > user_since,
        )
    )
    by_address = session.scalar(
        select(func.count()).where(
            LoginAttempt.address == address,
            LoginAttempt.succeeded.is_(False),
            LoginAttempt.created_at > since,
        )
    )
    return int(by_user or 0), int(by_address or 0)


def login_locked(session: Session, settings: Settings, username: str, address: str) -> bool:
    """Whether logins of ``username`` or from ``address`` are locked right now."""
    by_user, by_address = _failures(session, settings, username[:64], address[:64])
    return (
        by_user >= settings.login_max_failures
        or by_address >= settings.login_max_failures_per_address
    )


def record_login_attempt(
    session: Session, settings: Settings, username: str, address: str, *, succeeded: bool
) -> None:
    """Record one login try; the failure that reaches a limit is audited as a lockout."""
    username, address = username[:64], address[:64]
    session.add(LoginAttempt(username=username, address=address, succeeded=succeeded))
    session.flush()
    if succeeded:
        # Old rows of this user no longer count for anything.
        horizon = utcnow() - timedelta(minutes=settings.login_window_minutes)
        session.execute(
            delete(LoginAttempt).where(
                LoginAttempt.username == username, LoginAttempt.created_at < horizon
            )
        )
        return
    by_user, by_address = _failures(session, settings, username, address)
    if by_user == settings.login_max_failures or by_address == (
        settings.login_max_failures_per_address
    ):
        which = "user" if by_user == settings.login_max_failures else "address"
        log.warning("login locked", extra={"by": which, "address": address})
        audit.append(
            session,
            actor=f"login from {address}",
            action=AuditAction.USER_LOCKED,
            subject=username,
            detail=f"{which}: {by_user} failures of the user, {by_address} from the address",
        )


def login(rt: Runtime, username: str, password: str, address: str) -> LoggedIn:
    """Check a staff login (the API's and the web's): the account, or an error.

    Raises:
        TooManyAttempts: the user name or the address is locked (nothing is hashed).
        Unauthorized: unknown user, disabled account or wrong password (all alike).
    """
    with rt.sessions() as session:
        locked = login_locked(session, rt.settings, username, address)
        user = None if locked else records.get_user(session, username)
        found = (
            LoggedIn(user.id, user.username, Role(user.role), user.token_version or 0)
            if user is not None and user.active
            else None
        )
        hashed = user.password_hash if user is not None else None
    if locked:
        raise _locked()
    if hashed is None:
        verify_dummy(password)
    ok = found is not None and hashed is not None and verify_password(password, hashed)
    with rt.session() as session:
        record_login_attempt(session, rt.settings, username, address, succeeded=ok)
    if not ok or found is None:
        raise Unauthorized(
            "Wrong user name or password.", detail_vi="Sai tên đăng nhập hoặc mật khẩu."
        )
    return found


__all__ = [
    "LoggedIn",
    "create_user",
    "hash_password",
    "list_users",
    "login",
    "login_locked",
    "record_login_attempt",
    "reset_password",
    "set_active",
    "set_role",
    "verify_dummy",
    "verify_password",
]
