"""RFC 9457 problem details: every error leaves the API as ``application/problem+json``.

Each ``core.errors`` class has a stable ``type`` URI built from its ``code``, so clients can branch
on the type without parsing messages. Validation errors (422), unknown routes and methods, and
unexpected exceptions (500, without internals) use the same shape.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from core.errors import IntegrityError, SohoaError, Unauthorized

PROBLEM_MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "https://sohoa.gov.vn/problems/"
log = logging.getLogger(__name__)

_HTTP_TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    413: "Content too large",
    415: "Unsupported media type",
    422: "Unprocessable content",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service unavailable",
}


#: An absolute filesystem path (``/srv/sohoa/work/sohoa-upload-x/000-scan.jpg``), not an URL's
#: path (``s3://bucket/key``, ``https://…``): nothing of the server's layout goes to a client.
_SERVER_PATH = re.compile(r"(?<![\w:/.])/(?:[^\s/'\"]+/)+([^\s/'\"]*)")


def scrub_paths(text: str) -> str:
    """``text`` with absolute server paths cut down to their last component."""
    return _SERVER_PATH.sub(lambda m: m.group(1) or "…", text)


def problem_type(code: str) -> str:
    """The stable ``type`` URI of an error code."""
    return TYPE_BASE + code


def problem_response(
    status: int,
    code: str,
    title: str,
    detail: str,
    *,
    instance: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    """A problem+json response."""
    body: dict[str, Any] = {
        "type": problem_type(code),
        "title": title,
        "status": status,
        "detail": scrub_paths(detail),
    }
    if instance:
        body["instance"] = instance
    body.update({k: v for k, v in extra.items() if v is not None})
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def from_error(exc: SohoaError, *, instance: str | None = None) -> JSONResponse:
    """The problem response for a sohoa error."""
    headers: dict[str, str] | None = None
    if isinstance(exc, Unauthorized):
        headers = {"WWW-Authenticate": "Bearer"}
    elif exc.retryable:
        headers = {"Retry-After": "5"}
    return problem_response(
        exc.status,
        exc.code,
        _HTTP_TITLES.get(exc.status, type(exc).__name__),
        exc.message,
        instance=instance,
        headers=headers,
        title_vi=exc.title_vi,
        detail_vi=scrub_paths(exc.detail_vi) if exc.detail_vi else None,
        retryable=exc.retryable or None,
    )


def _http_code(status: int) -> str:
    return {
        400: "bad-request",
        401: "unauthorized",
        403: "forbidden",
        404: "not-found",
        405: "method-not-allowed",
        413: "too-large",
        415: "unsupported-format",
        429: "rate-limited",
    }.get(status, f"http-{status}")


def install(app: FastAPI) -> None:
    """Register the exception handlers that turn everything into problem+json."""

    async def sohoa_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, SohoaError)
        if isinstance(exc, IntegrityError):
            # A stored record is missing or altered: an alert, not a routine failure.
            log.error(
                "INTEGRITY ALERT: %s",
                exc.message,
                extra={"alert": "integrity", "code": exc.code, "path": request.url.path},
            )
        elif exc.status >= 500:
            log.warning("request failed", extra={"code": exc.code, "path": request.url.path})
        return from_error(exc, instance=request.url.path)

    async def validation_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = [
            {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": e.get("type")}
            for e in exc.errors()
        ]
        return problem_response(
            422,
            "validation-error",
            _HTTP_TITLES[422],
            "The request does not match the schema.",
            instance=request.url.path,
            title_vi="Yêu cầu không hợp lệ",
            errors=errors,
        )

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        return problem_response(
            exc.status_code,
            _http_code(exc.status_code),
            _HTTP_TITLES.get(exc.status_code, "HTTP error"),
            str(exc.detail),
            instance=request.url.path,
            headers=dict(exc.headers) if exc.headers else None,
        )

    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", extra={"path": request.url.path})
        return problem_response(
            500,
            "internal-error",
            _HTTP_TITLES[500],
            "An unexpected error occurred; it has been logged.",
            instance=request.url.path,
        )

    app.add_exception_handler(SohoaError, sohoa_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, unexpected)


__all__ = [
    "PROBLEM_MEDIA_TYPE",
    "from_error",
    "install",
    "problem_response",
    "problem_type",
    "scrub_paths",
]
