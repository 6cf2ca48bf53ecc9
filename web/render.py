"""Rendering pages: one Jinja2 environment per language, the headers every page carries."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from core.errors import SohoaError
from pipeline.tokens import CurrentUser
from web import i18n
from web.session import CSP, CSRF_FIELD, attach_csrf_cookie, csrf_token

TEMPLATES = Path(__file__).parent / "templates"


@lru_cache(maxsize=len(i18n.LOCALES))
def environment(locale: str) -> Environment:
    """The template environment of ``locale`` (its gettext installed, dates formatted)."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    translations = i18n.translations(locale)
    env.install_gettext_callables(  # type: ignore[attr-defined]
        translations.gettext, translations.ngettext, newstyle=True
    )
    env.filters["dt"] = lambda value: i18n.format_dt(value, locale)
    env.filters["d"] = i18n.format_d
    env.filters["signer"] = signer_name
    env.filters["isodt"] = lambda value: i18n.format_dt(i18n.parse_iso(value), locale)
    env.globals["locale"] = locale
    return env


def signer_name(subject: str) -> str:
    """The common name of a certificate subject as pyHanko prints it ("Common Name: X, …")."""
    marker = "Common Name: "
    if marker not in subject:
        return subject
    name = subject.split(marker, 1)[1]
    for stop in (", Organization", ", Organizational Unit", ", Country", ", Locality"):
        name = name.split(stop, 1)[0]
    return name.strip() or subject


def locale_of(request: Request) -> str:
    return i18n.pick_locale(request.cookies.get(i18n.LANG_COOKIE))


def gettext_for(request: Request) -> Any:
    """``_`` for messages composed in a route (flash texts, errors)."""
    return i18n.translations(locale_of(request)).gettext


def error_text(request: Request, exc: SohoaError) -> str:
    """An error in the page's language: the Vietnamese detail, or the English message."""
    if locale_of(request) == "vi":
        return exc.detail_vi or exc.title_vi
    return exc.message


def _subclasses(cls: type[SohoaError]) -> list[type[SohoaError]]:
    found = [cls]
    for sub in cls.__subclasses__():
        found.extend(_subclasses(sub))
    return found


@lru_cache(maxsize=1)
def _titles_vi() -> dict[str, str]:
    titles: dict[str, str] = {}
    for cls in _subclasses(SohoaError):
        titles.setdefault(cls.code, cls.title_vi)
    return titles


def stored_error(request: Request, code: str | None, detail: str | None) -> str:
    """A failed document's recorded error (code + English message) in the page's language."""
    if locale_of(request) == "vi":
        return _titles_vi().get(code or "", "Lỗi hệ thống")
    return detail or code or "error"


def _back_path(request: Request) -> str:
    """Where the language switch returns to: this page, or for a form's answer (a POST URL
    that cannot be opened again) the page the form was on."""
    if request.method == "GET":
        query = f"?{request.url.query}" if request.url.query else ""
        return request.url.path + query
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc == request.url.netloc and referer.path.startswith("/"):
        return referer.path + (f"?{referer.query}" if referer.query else "")
    return "/"


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    user: CurrentUser | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """A page (or htmx fragment) in the visitor's language, with CSP and ``no-store``.

    Every page is ``no-store``: staff pages show personal data, citizen pages a dossier's
    documents, and the receipt step the citizen's secret; none of that belongs in a cache.
    """
    locale = locale_of(request)
    token = csrf_token(request)
    body = (
        environment(locale)
        .get_template(template)
        .render(
            request=request,
            user=user,
            csrf_field=CSRF_FIELD,
            csrf_token=token,
            path=request.url.path,
            stored_error=lambda code, detail: stored_error(request, code, detail),
            **{"lang_next": _back_path(request), **(context or {})},
        )
    )
    response = HTMLResponse(body, status_code=status_code)
    response.headers["Content-Security-Policy"] = CSP
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Language"] = locale
    attach_csrf_cookie(request, response)
    return response


def render_stored(request: Request, doc: Any, user: CurrentUser | None) -> HTMLResponse:
    """The answer to an upload that was stored: its card, and a header telling the page's
    script to clear the form (a refusal keeps the chosen files for a fix)."""
    response = render(request, "partials/upload_done.html", {"doc": doc}, user=user)
    response.headers["X-Sohoa-Stored"] = "1"
    return response


__all__ = [
    "environment",
    "error_text",
    "gettext_for",
    "locale_of",
    "render",
    "render_stored",
    "stored_error",
]
