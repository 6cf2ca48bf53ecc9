"""Wiring the pages into the FastAPI app: routers, static files, HTML error pages.

``install(app)`` is called by ``api.app.create_app`` after the API's problem+json handlers; for
a page (any path outside the API's) an error is answered with an HTML page in the visitor's
language instead, and a missing session with the login page.
"""

from __future__ import annotations

import inspect
import logging
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from core.errors import SohoaError
from web.render import error_text, gettext_for, render
from web.routes import ROUTERS
from web.session import LoginRequired, login_url, session_user

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"
#: Paths that are the API's (problem+json), not pages.
_API_PATHS = ("/api/", "/healthz", "/readyz", "/metrics", "/docs", "/openapi.json", "/redoc")


def is_page(request: Request) -> bool:
    """Whether the request is for a page (answered in HTML) rather than the API."""
    return not request.url.path.startswith(_API_PATHS)


async def _call(handler: Any, request: Request, exc: Exception) -> Response:
    result = handler(request, exc)
    if inspect.isawaitable(result):
        result = await result
    response: Response = result
    return response


def install(app: FastAPI) -> None:
    """Add the pages, ``/static`` and the HTML error handlers to ``app``."""
    api_error = app.exception_handlers.get(SohoaError)
    api_validation = app.exception_handlers.get(RequestValidationError)

    async def page_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, SohoaError)
        if not is_page(request) and api_error is not None:
            return await _call(api_error, request, exc)
        if isinstance(exc, LoginRequired):
            target = login_url(request)
            if request.headers.get("HX-Request"):
                return Response(status_code=204, headers={"HX-Redirect": target})
            return RedirectResponse(target, status_code=303)
        if exc.status >= 500:
            log.warning("page failed", extra={"code": exc.code, "path": request.url.path})
        return render(
            request,
            "error.html",
            {"message": error_text(request, exc), "status": exc.status},
            user=await session_user(request),
            status_code=exc.status,
        )

    async def page_validation(request: Request, exc: Exception) -> Response:
        if not is_page(request) and api_validation is not None:
            return await _call(api_validation, request, exc)
        _ = gettext_for(request)
        return render(
            request,
            "error.html",
            {"message": _("Some fields of the form are missing or invalid."), "status": 422},
            user=await session_user(request),
            status_code=422,
        )

    api_unexpected = app.exception_handlers.get(Exception)

    async def page_unexpected(request: Request, exc: Exception) -> Response:
        if not is_page(request) and api_unexpected is not None:
            return await _call(api_unexpected, request, exc)
        log.exception("page crashed", extra={"path": request.url.path})
        _ = gettext_for(request)
        return render(
            request,
            "error.html",
            {"message": _("An unexpected error occurred; it has been logged."), "status": 500},
            status_code=500,
        )

    app.add_exception_handler(Exception, page_unexpected)
    app.add_exception_handler(SohoaError, page_error)
    app.add_exception_handler(RequestValidationError, page_validation)
    for router in ROUTERS:
        app.include_router(router, include_in_schema=False)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")


__all__ = ["install", "is_page"]
