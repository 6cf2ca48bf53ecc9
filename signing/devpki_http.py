"""Certomancer's WSGI server adapted for NSS-based validators (poppler's pdfsig).

NSS rejects OCSP responses whose times carry microseconds (it then soft-fails, so a revoked
certificate would pass) and asks OCSP by GET first; certomancer answers POST only.
"""

from __future__ import annotations

import base64
import binascii
import io
import urllib.parse
import urllib.request
from collections.abc import Callable
from datetime import datetime
from typing import Any

from certomancer.integrations.animator import Animator
from werkzeug.serving import WSGIRequestHandler


class QuietHandler(WSGIRequestHandler):
    """No access log on stderr: the CLI's output is the report."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


class WholeSecondAnimator(Animator):
    """Certomancer's server with whole-second times (NSS rejects OCSP with microseconds)."""

    def at_time(self, request: Any) -> datetime:
        moment: datetime = super().at_time(request)  # type: ignore[no-untyped-call]
        return moment.replace(microsecond=0)


def ocsp_get_adapter(app: Callable[..., Any]) -> Callable[..., Any]:
    """Answer RFC 6960 OCSP GET requests (``/ocsp/<label>/<base64>``) as if POSTed.

    NSS (poppler's pdfsig) tries GET first; certomancer only routes POST.
    """
    marker = "/ocsp/"

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path: str = environ.get("PATH_INFO", "")
        if environ.get("REQUEST_METHOD") == "GET" and marker in path:
            head, _, tail = path.partition(marker)
            label, _, encoded = tail.partition("/")
            if encoded:
                try:
                    body = base64.b64decode(urllib.parse.unquote(encoded))
                except (binascii.Error, ValueError):
                    body = b""
                environ = dict(environ)
                environ.update(
                    {
                        "REQUEST_METHOD": "POST",
                        "PATH_INFO": f"{head}{marker}{label}",
                        "CONTENT_TYPE": "application/ocsp-request",
                        "CONTENT_LENGTH": str(len(body)),
                        "wsgi.input": io.BytesIO(body),
                    }
                )
        return app(environ, start_response)

    return wsgi
