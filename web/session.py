"""Staff sessions in a cookie, CSRF tokens, and the headers every page carries.

The session cookie holds the API's own bearer token (``pipeline.tokens``), HttpOnly and
SameSite=Strict (Secure over https), and is checked exactly as the API checks a bearer token:
signature and expiry, then the user from the database (active, current role). So whatever the
API learns about tokens (a user id, a token version revoked on disable or role change) holds
for the pages too.

CSRF: a random value in its own HttpOnly cookie; forms carry an HMAC of it under the token
signing secret (a "signed double submit"), so a value planted by a sibling site is useless.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Form, Header, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from core.domain import Role
from core.errors import Forbidden, SohoaError, Unauthorized
from pipeline import Runtime
from pipeline.clients import client_address
from pipeline.tokens import CurrentUser, TokenCache, cached_user, jwt_secret, load_user

SESSION_COOKIE = "sohoa_session"
CSRF_COOKIE = "sohoa_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"

#: Scripts only from the app itself (htmx and app.js); no inline script, no eval, no framing.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; object-src 'none'"
)


class LoginRequired(SohoaError):
    """A staff page was opened without a valid session (the page answers with the login)."""

    code = "unauthorized"
    status = 401


def runtime_of(request: Request) -> Runtime:
    """The app's runtime (opened by the API's lifespan)."""
    runtime: Runtime = request.app.state.runtime
    return runtime


def client_of(request: Request) -> str:
    """The client's address as the API sees it: the peer, or what trusted proxies say
    (``pipeline.clients``), so logins and the citizen pages behind a reverse proxy are throttled
    per user, not all together as the proxy."""
    peer = request.client.host if request.client else None
    proxies = runtime_of(request).settings.trusted_proxies
    return client_address(peer, request.headers.getlist("x-forwarded-for"), proxies)


def public_rate_limit(request: Request) -> None:
    """Take a token of the client's budget for citizen calls: the API's bucket, so the pages
    and the API share one budget per client (``RateLimited`` when it is spent)."""
    bucket: Any = getattr(request.app.state, "public_bucket", None)
    if bucket is not None:
        bucket.take(client_of(request))


def secure_cookies(request: Request) -> bool:
    """Mark cookies Secure when the page is served over https."""
    return request.url.scheme == "https"


def set_session(request: Request, response: Response, token: str, max_age: int) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=max_age,
        httponly=True,
        samesite="strict",
        secure=secure_cookies(request),
        path="/",
    )


def clear_session(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")


async def session_user(request: Request) -> CurrentUser | None:
    """The staff member of the session cookie, or None (no, expired or revoked session)."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    runtime = runtime_of(request)
    tokens: TokenCache = request.app.state.token_cache
    try:
        claims = tokens.claims(runtime.settings, token)
    except Unauthorized:
        return None
    # As api.deps.get_current_user: the database decides (active, role, token version), asked
    # in the thread pool only when the cached answer is stale.
    hit, user = cached_user(claims)
    if not hit:
        user = await run_in_threadpool(load_user, runtime, claims)
    return user


def require(*roles: Role) -> object:
    """A dependency: the session's user if their role is one of ``roles`` (or admin)."""
    allowed = {*roles, Role.ADMIN}

    async def check(request: Request) -> CurrentUser:
        user = await session_user(request)
        if user is None:
            raise LoginRequired("login required", detail_vi="Cần đăng nhập.")
        if user.role not in allowed:
            raise Forbidden(
                f"role {user.role!s} may not open this page",
                detail_vi="Vai trò của bạn không có quyền mở trang này.",
            )
        return user

    return Depends(check)


def login_url(request: Request) -> str:
    """The login page, coming back to this page afterwards."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return f"/login?next={quote(target, safe='')}"


def safe_next(target: str | None) -> str:
    """A same-site path to go to after login (never another site)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


# --- CSRF ---------------------------------------------------------------------------------


def _mac(request: Request, value: str) -> str:
    key = jwt_secret(runtime_of(request).settings).encode()
    return hmac.new(key, b"csrf:" + value.encode(), hashlib.sha256).hexdigest()


def csrf_token(request: Request) -> str:
    """The token forms of this page carry (creates the browser's CSRF cookie if needed)."""
    value = getattr(request.state, "csrf_value", None) or request.cookies.get(CSRF_COOKIE)
    if not value or len(value) > 128:
        value = secrets.token_urlsafe(32)
        request.state.csrf_new = True
    request.state.csrf_value = value
    return _mac(request, value)


def attach_csrf_cookie(request: Request, response: Response) -> None:
    """Send the CSRF cookie a page's token was made from, if it is new."""
    if getattr(request.state, "csrf_new", False):
        response.set_cookie(
            CSRF_COOKIE,
            request.state.csrf_value,
            httponly=True,
            samesite="strict",
            secure=secure_cookies(request),
            path="/",
        )


class CsrfFailed(SohoaError):
    """A form arrived without the token of the page it was on."""

    code = "forbidden"
    status = 403
    title_vi = "Phiên làm việc đã hết hạn"


async def check_csrf(
    request: Request,
    csrf_token: Annotated[str, Form(max_length=128)] = "",
    x_csrf_token: Annotated[str, Header(max_length=128)] = "",
) -> None:
    """Refuse a form (or htmx request) whose token does not match the browser's cookie."""
    cookie = request.cookies.get(CSRF_COOKIE, "")
    sent = csrf_token or x_csrf_token
    if not cookie or not sent or not hmac.compare_digest(_mac(request, cookie), sent):
        raise CsrfFailed(
            "the form's security token is missing or wrong; reload the page",
            detail_vi="Mã bảo vệ của biểu mẫu không đúng hoặc đã hết hạn; hãy tải lại trang.",
        )


CsrfChecked = Depends(check_csrf)
StaffUser = Annotated[CurrentUser, require(Role.RECEPTION, Role.SIGNER, Role.LEADER)]

__all__ = [
    "CSP",
    "CSRF_FIELD",
    "CSRF_HEADER",
    "CsrfChecked",
    "CsrfFailed",
    "LoginRequired",
    "StaffUser",
    "attach_csrf_cookie",
    "check_csrf",
    "clear_session",
    "csrf_token",
    "login_url",
    "require",
    "runtime_of",
    "safe_next",
    "session_user",
    "set_session",
]
