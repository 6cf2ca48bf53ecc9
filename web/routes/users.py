"""Staff accounts for admins (quản trị tài khoản): list, create, change role, disable, reset.

Each change goes through ``pipeline.accounts`` (audited; a role change, disable or password
reset revokes the account's sessions at once).
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import Response

from core.domain import Role
from core.errors import SohoaError
from pipeline import accounts
from pipeline.tokens import CurrentUser
from web.render import error_text, gettext_for, render
from web.session import CsrfChecked, require, runtime_of

router = APIRouter(prefix="/admin/users")

AdminUser = Annotated[CurrentUser, require()]
Username = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._@-]+$")]
USERNAME = re.compile(r"[A-Za-z0-9._@-]{1,64}")
#: As the API's account endpoints require.
MIN_PASSWORD = 8


def _page(
    request: Request,
    user: CurrentUser,
    *,
    message: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    with runtime_of(request).sessions() as session:
        users = [
            {
                "username": u.username,
                "role": str(u.role),
                "active": u.active,
                "created": u.created_at,
            }
            for u in accounts.list_users(session)
        ]
    return render(
        request,
        "users.html",
        {
            "users": users,
            "roles": [r.value for r in Role],
            "message": message,
            "error": error,
            "lang_next": "/admin/users",
        },
        user=user,
        status_code=status_code,
    )


def _role(value: str) -> Role | None:
    try:
        return Role(value)
    except ValueError:
        return None


@router.get("")
def users_page(request: Request, user: AdminUser) -> Response:
    return _page(request, user)


@router.post("", dependencies=[CsrfChecked])
def create(
    request: Request,
    user: AdminUser,
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
    role: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    _ = gettext_for(request)
    chosen = _role(role)
    if not USERNAME.fullmatch(username) or chosen is None or len(password) < MIN_PASSWORD:
        return _page(
            request,
            user,
            error=_(
                "Enter a user name (letters, digits, . _ @ -), a role and a password of at"
                " least 8 characters."
            ),
            status_code=422,
        )
    try:
        with runtime_of(request).session() as session:
            accounts.create_user(
                session, username=username, password=password, role=chosen, actor=user.username
            )
    except SohoaError as exc:
        return _page(request, user, error=error_text(request, exc), status_code=exc.status)
    return _page(request, user, message=_("Account %(name)s created.") % {"name": username})


@router.post("/{username}", dependencies=[CsrfChecked])
def change(
    request: Request,
    username: Username,
    user: AdminUser,
    action: Annotated[str, Form(max_length=16)] = "",
    role: Annotated[str, Form(max_length=16)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
) -> Response:
    """One change to an account: ``role``, ``disable``, ``enable`` or ``password``."""
    _ = gettext_for(request)
    try:
        with runtime_of(request).session() as session:
            if action == "role" and (chosen := _role(role)) is not None:
                accounts.set_role(session, username=username, role=chosen, actor=user.username)
            elif action in ("disable", "enable"):
                if username == user.username and action == "disable":
                    return _page(request, user, error=_("You cannot disable your own account."))
                accounts.set_active(
                    session, username=username, active=action == "enable", actor=user.username
                )
            elif action == "password" and len(password) >= MIN_PASSWORD:
                accounts.reset_password(
                    session, username=username, password=password, actor=user.username
                )
            else:
                return _page(request, user, error=_("Nothing to change."), status_code=422)
    except SohoaError as exc:
        return _page(request, user, error=error_text(request, exc), status_code=exc.status)
    return _page(request, user, message=_("Account %(name)s changed.") % {"name": username})
