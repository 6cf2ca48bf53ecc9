"""``POST /auth/token`` (OAuth2 password flow) and ``GET /auth/me``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.security import OAuth2PasswordRequestForm

from api.deps import AnyUser, SessionDep, SettingsDep
from api.schemas import Me, Token
from core.domain import Role
from core.errors import Unauthorized
from pipeline.accounts import verify_dummy, verify_password
from pipeline.tokens import create_token
from storage import records

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/token")
def issue_token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: SessionDep,
    settings: SettingsDep,
) -> Token:
    """Exchange a staff user name and password for a bearer token."""
    user = records.get_user(session, form.username)
    if user is None:
        verify_dummy(form.password)
    if user is None or not user.active or not verify_password(form.password, user.password_hash):
        raise Unauthorized(
            "Wrong user name or password.", detail_vi="Sai tên đăng nhập hoặc mật khẩu."
        )
    token, ttl = create_token(settings, user.username, Role(user.role))
    return Token(access_token=token, expires_in=ttl)


@router.get("/me")
def whoami(user: AnyUser) -> Me:
    """The authenticated user."""
    return Me(username=user.username, role=user.role.value)
