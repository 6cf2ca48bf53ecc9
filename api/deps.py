"""``Annotated`` dependencies of the routes: settings, runtime, database session, current user.

Routes declare what they need (``session: SessionDep``, ``user: ReceptionUser``); role checks
raise ``Forbidden`` (403) for an authenticated user with the wrong role and ``Unauthorized``
(401) without a valid token.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import Annotated

from fastapi import Depends, Form, Path, Query, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from api.ratelimit import TokenBucket, client_address
from api.schemas import DOSSIER_CODE_PATTERN, MAX_ID, SafeText
from core.domain import Role
from core.errors import Forbidden, Unauthorized
from core.settings import Settings
from pipeline import Runtime
from pipeline.tokens import CurrentUser, TokenCache, cached_user, load_user

#: Path parameters, bounded so that no value reaches the database that it would refuse.
DocumentId = Annotated[int, Path(ge=1, le=MAX_ID)]
DossierCode = Annotated[str, Path(pattern=DOSSIER_CODE_PATTERN)]
SearchText = Annotated[SafeText | None, Query(max_length=200, description="search text")]
TypeNameForm = Annotated[SafeText, Form(min_length=1, max_length=255)]
SummaryForm = Annotated[SafeText | None, Form(max_length=4000)]

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


# The cheap dependencies below are ``async def`` on purpose: FastAPI runs a plain ``def``
# dependency in the thread pool, and each such hop cost more than the work it wrapped.


async def get_runtime(request: Request) -> Runtime:
    """The runtime built by the app factory (settings, database, object store, queue)."""
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def get_settings_dep(runtime: RuntimeDep) -> Settings:
    return runtime.settings


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


def get_session(runtime: RuntimeDep) -> Iterator[Session]:
    """One session per request; rolled back if the route raised before committing."""
    with runtime.sessions() as session:
        try:
            yield session
        except Exception:
            session.rollback()
            raise


SessionDep = Annotated[Session, Depends(get_session)]


async def get_current_user(
    request: Request,
    runtime: RuntimeDep,
    token: Annotated[str | None, Depends(oauth2_scheme)],
) -> CurrentUser:
    """The user of the bearer token; 401 when missing, invalid, expired, revoked (its token
    version is no longer the account's) or the account is disabled."""
    if not token:
        raise Unauthorized("Authentication required.", detail_vi="Cần đăng nhập.")
    tokens: TokenCache = request.app.state.token_cache
    claims = tokens.claims(runtime.settings, token)
    # The role comes from the database, not the token, so a demotion takes effect at once;
    # the database is asked (in the thread pool) only when the cached answer is stale.
    hit, user = cached_user(claims)
    if not hit:
        user = await run_in_threadpool(load_user, runtime, claims)
    if user is None:
        raise Unauthorized(
            "Unknown, disabled or revoked account.", detail_vi="Tài khoản không hợp lệ."
        )
    return user


def require_roles(*roles: Role) -> Callable[[CurrentUser], Awaitable[CurrentUser]]:
    """A dependency that lets ``roles`` (and admins) through and answers 403 to others."""
    allowed = {*roles, Role.ADMIN}

    async def check(user: Annotated[CurrentUser, Depends(get_current_user)]) -> CurrentUser:
        if user.role not in allowed:
            raise Forbidden(
                f"Role {user.role!s} may not do this.", detail_vi="Vai trò không có quyền này."
            )
        return user

    return check


AnyUser = Annotated[CurrentUser, Depends(get_current_user)]
ReceptionUser = Annotated[CurrentUser, Depends(require_roles(Role.RECEPTION))]
SignerUser = Annotated[CurrentUser, Depends(require_roles(Role.SIGNER))]
AdminUser = Annotated[CurrentUser, Depends(require_roles())]


async def public_rate_limit(request: Request) -> None:
    """Token bucket per client address for the citizen endpoints."""
    bucket: TokenBucket = request.app.state.public_bucket
    bucket.take(client_address(request, request.app.state.runtime.settings))


PublicLimited = Depends(public_rate_limit)

__all__ = [
    "AdminUser",
    "AnyUser",
    "CurrentUser",
    "DocumentId",
    "DossierCode",
    "PublicLimited",
    "ReceptionUser",
    "RuntimeDep",
    "SearchText",
    "SessionDep",
    "SettingsDep",
    "SignerUser",
    "SummaryForm",
    "TokenCache",
    "TypeNameForm",
    "get_current_user",
    "require_roles",
]
