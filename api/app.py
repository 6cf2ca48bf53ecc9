"""The FastAPI application factory: ``create_app(settings)``; ``uvicorn api.app:app`` serves it.

Routes live under ``/api/v1`` (one module per resource in ``api/routes``); health checks and
Prometheus metrics are at the root. Every error is RFC 9457 problem+json (``api.problems``).
Request bodies are cut off while streaming once they exceed the upload limit (413).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from api import problems
from api.auditbuffer import DownloadAudit
from api.headers import SecurityHeadersMiddleware
from api.limits import BodyLimitMiddleware, UploadAuthMiddleware
from api.metrics import MetricsMiddleware
from api.ratelimit import TokenBucket
from api.routes import agencies as agencies_routes
from api.routes import auth, documents, dossiers, health, public, users, verify
from api.routes import indicators as indicators_routes
from api.stage_metrics import StageStats
from core.logging import configure_logging
from core.settings import Settings, get_settings
from pipeline import Runtime
from pipeline.bootstrap import open_runtime
from pipeline.tokens import TokenCache, check_jwt_secret
from web import app as web_app

API_PREFIX = "/api/v1"
#: Room for the multipart framing and form fields around the files themselves.
_MULTIPART_OVERHEAD = 1024 * 1024


def create_app(settings: Settings | None = None, *, runtime: Runtime | None = None) -> FastAPI:
    """Build the API for ``settings`` (default: the environment's)."""
    settings = settings or get_settings()
    if settings.jwt_secret is not None:
        # Refuse to start, rather than sign tokens anyone can forge.
        check_jwt_secret(settings.jwt_secret.get_secret_value())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if getattr(app.state, "runtime", None) is None:
            app.state.runtime = open_runtime(settings)
        app.state.download_audit = DownloadAudit(app.state.runtime)
        app.state.download_audit.start()
        try:
            yield
        finally:
            app.state.download_audit.close()
            app.state.runtime.close()

    app = FastAPI(
        title="sohoa",
        summary="Số hóa hồ sơ: digitize, sign and return one-stop-shop dossiers.",
        version="0.1.0",
        lifespan=lifespan,
        # Off in production (SOHOA_API_DOCS=false): the schema is a map for attackers too.
        docs_url="/docs" if settings.api_docs else None,
        redoc_url="/redoc" if settings.api_docs else None,
        openapi_url="/openapi.json" if settings.api_docs else None,
    )
    app.state.runtime = runtime
    app.state.public_bucket = TokenBucket(settings.public_rate_limit_per_minute)
    app.state.token_cache = TokenCache()
    app.state.stage_stats = StageStats()
    problems.install(app)
    app.add_middleware(
        BodyLimitMiddleware, max_bytes=settings.max_upload_bytes + _MULTIPART_OVERHEAD
    )
    app.add_middleware(
        verify.VerifyBodyLimit,
        max_bytes=settings.verify_max_upload_bytes + _MULTIPART_OVERHEAD,
        path=f"{API_PREFIX}/verify",
    )
    app.add_middleware(MetricsMiddleware)
    app.add_middleware(UploadAuthMiddleware)
    app.add_middleware(SecurityHeadersMiddleware, trusted_proxies=settings.trusted_proxies)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=[o.strip() for o in settings.cors_origins.split(",") if o.strip()],
            allow_methods=["*"],
            allow_headers=["*"],
        )
    for module in (auth, dossiers, documents, public, verify, users):
        app.include_router(module.router, prefix=API_PREFIX)
    app.include_router(agencies_routes.router, prefix=API_PREFIX)
    app.include_router(indicators_routes.router, prefix=API_PREFIX)
    app.include_router(health.router)
    # The pages (reception, back office, citizens, leaders) and their /static assets.
    web_app.install(app)
    return app


def app() -> FastAPI:
    """Factory for ``uvicorn --factory api.app:app``."""
    settings = get_settings()
    configure_logging(settings.log_level, json_lines=settings.log_json)
    return create_app(settings)


__all__ = ["API_PREFIX", "app", "create_app"]
