"""``POST /auth/token`` (OAuth2 password flow) and ``GET /auth/me``.

Logins go through :func:`pipeline.accounts.login`: a user name or client address with too many
recent failures is refused with 429 before any password is hashed, and every try is recorded.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import OAuth2PasswordRequestForm
from starlette.concurrency import run_in_threadpool

from api.deps import AnyUser, RuntimeDep
from api.ratelimit import client_address
from api.schemas import Me, Token
from pipeline.accounts import login
from pipeline.tokens import create_token

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/token", responses={429: {"description": "too many failed logins"}})
async def issue_token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    request: Request,
    response: Response,
    rt: RuntimeDep,
) -> Token:
    """Exchange a staff user name and password for a bearer token."""
    address = client_address(request, rt.settings)
    account = await run_in_threadpool(login, rt, form.username, form.password, address)
    token, ttl = create_token(rt.settings, account)
    response.headers["Cache-Control"] = "no-store"
    return Token(access_token=token, expires_in=ttl)


@router.get("/me")
def whoami(user: AnyUser) -> Me:
    """The authenticated user."""
    return Me(username=user.username, role=user.role.value)
