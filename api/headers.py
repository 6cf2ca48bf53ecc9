"""Security headers on every response, where the response has not set them itself.

Pages that need their own policy (the web pages' ``Content-Security-Policy``, a route's own
``Cache-Control``) keep it: a header already present is never replaced. The defaults suit what
the API serves (JSON, problem+json and PDF downloads): nothing may be framed, sniffed, or run,
and no API answer is kept in a cache, since most carry personal data, a citizen's access secret
or a citizen's document. HSTS is sent on HTTPS requests only (behind a TLS proxy, set
``SOHOA_TRUSTED_PROXIES``: its ``X-Forwarded-Proto`` is then believed).
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pipeline.clients import is_trusted, trusted_networks

#: Sent unless the response already has them.
DEFAULT_HEADERS: tuple[tuple[str, str], ...] = (
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
)
#: For responses without a policy of their own: JSON and PDFs need none of the web.
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
#: The interactive docs (Swagger UI, ReDoc) load their scripts from a CDN; only in dev.
_DOCS_PATHS = ("/docs", "/redoc")
HSTS = "max-age=31536000; includeSubDomains"


class SecurityHeadersMiddleware:
    """Pure ASGI middleware adding :data:`DEFAULT_HEADERS`, a CSP and ``no-store`` for
    ``/api/`` answers, and HSTS over HTTPS, each only where missing."""

    def __init__(
        self, app: ASGIApp, *, api_prefix: str = "/api/", trusted_proxies: str = ""
    ) -> None:
        self.app = app
        self.api_prefix = api_prefix
        self.proxies = trusted_networks(trusted_proxies)

    def _https(self, scope: Scope) -> bool:
        if scope.get("scheme") == "https":
            return True
        # Behind a TLS-terminating proxy we trust, its X-Forwarded-Proto says how the client came.
        client = scope.get("client")
        if not self.proxies or not client or not is_trusted(str(client[0]), self.proxies):
            return False
        proto: bytes = dict(scope.get("headers") or []).get(b"x-forwarded-proto", b"")
        return proto.split(b",")[0].strip().lower() == b"https"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        https = self._https(scope)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in DEFAULT_HEADERS:
                    if name not in headers:
                        headers[name] = value
                if "content-security-policy" not in headers and not path.startswith(_DOCS_PATHS):
                    headers["Content-Security-Policy"] = API_CSP
                if path.startswith(self.api_prefix) and "cache-control" not in headers:
                    headers["Cache-Control"] = "no-store"
                if https and "strict-transport-security" not in headers:
                    headers["Strict-Transport-Security"] = HSTS
            await send(message)

        await self.app(scope, receive, send_with_headers)


__all__ = ["API_CSP", "DEFAULT_HEADERS", "HSTS", "SecurityHeadersMiddleware"]
