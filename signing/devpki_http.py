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


_KEY_CACHE_INSTALLED = False


def install_key_cache() -> None:
    """Make certomancer parse each responder key once instead of on every response.

    Its crypto backend re-loads the private key for every TSA/OCSP/CRL signature (an RSA key
    check costs tens of milliseconds). The cached backend only serves the development PKI, and
    falls back to certomancer's own code for anything but RSA PKCS#1 v1.5 and ECDSA.
    """
    global _KEY_CACHE_INSTALLED
    if _KEY_CACHE_INSTALLED:
        return
    from certomancer import crypto_utils
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, padding

    base = crypto_utils.CRYPTO_BACKEND
    parsed: dict[bytes, Any] = {}

    class _Cached(type(base)):  # type: ignore[misc]
        def generic_sign(self, private_key: Any, tbs_bytes: bytes, sd_algo: Any) -> bytes:
            algo = sd_algo.signature_algo
            if algo not in ("rsassa_pkcs1v15", "ecdsa"):
                return bytes(super().generic_sign(private_key, tbs_bytes, sd_algo))
            der = private_key.dump()
            key: Any = parsed.get(der)
            if key is None:
                key = parsed[der] = serialization.load_der_private_key(der, password=None)
            digest = getattr(hashes, sd_algo.hash_algo.upper())()
            if algo == "rsassa_pkcs1v15":
                return bytes(key.sign(tbs_bytes, padding.PKCS1v15(), digest))
            return bytes(key.sign(tbs_bytes, ec.ECDSA(digest)))

    crypto_utils.CRYPTO_BACKEND = _Cached()
    _KEY_CACHE_INSTALLED = True
