"""The home page, staff login and logout, and the language switch."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from core.domain import Role
from core.errors import SohoaError
from pipeline.accounts import login
from pipeline.tokens import create_token
from web import i18n
from web.render import error_text, render
from web.session import (
    CsrfChecked,
    clear_session,
    client_of,
    runtime_of,
    safe_next,
    secure_cookies,
    session_user,
    set_session,
)

router = APIRouter()

#: Where each role starts after logging in.
HOME_OF = {
    Role.RECEPTION: "/reception",
    Role.SIGNER: "/backoffice",
    Role.ADMIN: "/backoffice",
    Role.LEADER: "/leader",
}


@router.get("/")
async def home(request: Request) -> Response:
    """Citizens' entry points and, for a logged-in officer, their own area."""
    return render(request, "home.html", user=await session_user(request))


@router.get("/login")
async def login_page(
    request: Request, next_: Annotated[str, Query(alias="next", max_length=500)] = "/"
) -> Response:
    return render(request, "login.html", {"next": safe_next(next_)})


@router.post("/login", dependencies=[CsrfChecked])
async def login_submit(
    request: Request,
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    next_: Annotated[str, Form(alias="next", max_length=500)] = "/",
) -> Response:
    """Check the password (with the API's lockout) and open a session cookie."""
    rt = runtime_of(request)
    address = client_of(request)
    try:
        account = await run_in_threadpool(login, rt, username.strip(), password, address)
    except SohoaError as exc:
        return render(
            request,
            "login.html",
            {
                "next": safe_next(next_),
                "username": username,
                "error": error_text(request, exc),
                "lang_next": f"/login?next={quote(safe_next(next_), safe='')}",
            },
            status_code=exc.status,
        )
    token, ttl = create_token(rt.settings, account)
    target = safe_next(next_)
    if target == "/":
        target = HOME_OF.get(Role(account.role), "/")
    response = RedirectResponse(target, status_code=303)
    set_session(request, response, token, ttl)
    return response


@router.post("/logout", dependencies=[CsrfChecked])
async def logout() -> Response:
    response = RedirectResponse("/login", status_code=303)
    clear_session(response)
    return response


@router.get("/lang/{locale}")
async def switch_language(
    request: Request,
    locale: str,
    next_: Annotated[str, Query(alias="next", max_length=500)] = "/",
) -> Response:
    """Remember the chosen language (Vietnamese or English) and go back to the page."""
    response = RedirectResponse(safe_next(next_), status_code=303)
    response.set_cookie(
        i18n.LANG_COOKIE,
        i18n.pick_locale(locale),
        max_age=365 * 24 * 3600,
        samesite="lax",
        secure=secure_cookies(request),
        httponly=True,
        path="/",
    )
    return response
