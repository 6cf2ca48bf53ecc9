"""Staff accounts for admins (quản trị tài khoản): list, create, disable/enable, role, password.

Each change is audited with the admin as actor, and a disable, role change or password reset
revokes the account's existing tokens at once (``pipeline.accounts``). An admin cannot disable
or demote their own account (that would lock the last admin out by a slip).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, status
from pydantic import BaseModel, Field

from api.deps import AdminUser, SessionDep
from core.domain import Role
from core.errors import Conflict
from pipeline import accounts
from pipeline.tokens import CurrentUser, forget_user
from storage.models import User

router = APIRouter(prefix="/users", tags=["users"])

UserName = Annotated[str, Path(pattern=r"^[A-Za-z0-9._@-]{1,64}$")]


class UserOut(BaseModel):
    """A staff account as admins see it (never the password hash)."""

    id: int
    username: str
    role: Role
    active: bool
    created_at: datetime


class UserCreate(BaseModel):
    username: str = Field(pattern=r"^[A-Za-z0-9._@-]{1,64}$")
    role: Role
    password: str = Field(min_length=8, max_length=256)


class RoleChange(BaseModel):
    role: Role


class PasswordReset(BaseModel):
    password: str = Field(min_length=8, max_length=256)


def _out(user: User) -> UserOut:
    return UserOut(
        id=user.id,
        username=user.username,
        role=Role(user.role),
        active=user.active,
        created_at=user.created_at,
    )


def _not_self(admin: CurrentUser, username: str) -> None:
    if admin.username == username:
        raise Conflict(
            "An admin cannot disable or demote their own account.",
            detail_vi="Không thể tự khóa hoặc hạ quyền tài khoản của chính mình.",
        )


@router.get("")
def list_users(session: SessionDep, _admin: AdminUser) -> list[UserOut]:
    """Every staff account."""
    return [_out(u) for u in accounts.list_users(session)]


@router.post("", status_code=status.HTTP_201_CREATED)
def create_user(body: UserCreate, session: SessionDep, admin: AdminUser) -> UserOut:
    """Create a staff account."""
    user = accounts.create_user(
        session,
        username=body.username,
        password=body.password,
        role=body.role,
        actor=admin.username,
    )
    session.commit()
    # Again after the commit: a request in between may have cached the old version.
    forget_user(user.id)
    return _out(user)


@router.post("/{username}/disable")
def disable_user(username: UserName, session: SessionDep, admin: AdminUser) -> UserOut:
    """Disable an account; its tokens stop working at once."""
    _not_self(admin, username)
    user = accounts.set_active(session, username=username, active=False, actor=admin.username)
    session.commit()
    # Again after the commit: a request in between may have cached the old version.
    forget_user(user.id)
    return _out(user)


@router.post("/{username}/enable")
def enable_user(username: UserName, session: SessionDep, admin: AdminUser) -> UserOut:
    """Enable a disabled account (the user logs in again)."""
    user = accounts.set_active(session, username=username, active=True, actor=admin.username)
    session.commit()
    # Again after the commit: a request in between may have cached the old version.
    forget_user(user.id)
    return _out(user)


@router.put("/{username}/role")
def set_role(
    username: UserName, body: RoleChange, session: SessionDep, admin: AdminUser
) -> UserOut:
    """Change an account's role; its tokens stop working at once."""
    if body.role != Role.ADMIN:
        _not_self(admin, username)
    user = accounts.set_role(session, username=username, role=body.role, actor=admin.username)
    session.commit()
    # Again after the commit: a request in between may have cached the old version.
    forget_user(user.id)
    return _out(user)


@router.post("/{username}/password")
def reset_password(
    username: UserName, body: PasswordReset, session: SessionDep, admin: AdminUser
) -> UserOut:
    """Set a new password; the account's tokens stop working at once."""
    user = accounts.reset_password(
        session, username=username, password=body.password, actor=admin.username
    )
    session.commit()
    # Again after the commit: a request in between may have cached the old version.
    forget_user(user.id)
    return _out(user)
