"""Exposure and limits: security headers, no-store, docs/metrics settings, authentication
before an upload body is read, per-document size and page limits, no server paths in problems
(in-process app on SQLite, no S3)."""

from __future__ import annotations

import asyncio
import io
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.responses import Response
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import Engine
from starlette.types import Message

import pipeline
from api.app import create_app
from api.problems import scrub_paths
from core.domain import DocumentKind, Role
from core.errors import TooLarge
from core.settings import settings_with
from pipeline import accounts
from pipeline.context import Runtime
from storage.db import session_factory

PASSWORD = "a good long password"
_RUNTIMES: dict[str, Runtime] = {}


def _runtime(engine: Engine, tmp: Path, **overrides: Any) -> Runtime:
    settings = settings_with(data_dir=tmp, jwt_secret=secrets.token_urlsafe(32), **overrides)
    return Runtime(settings=settings, engine=engine, sessions=session_factory(engine))


def _client(rt: Runtime) -> TestClient:
    return TestClient(create_app(rt.settings, runtime=rt))


def _bearer(client: TestClient, rt: Runtime, role: Role) -> dict[str, str]:
    name = f"h{secrets.token_hex(4)}"
    with rt.session() as session:
        accounts.create_user(session, username=name, password=PASSWORD, role=role, actor="t")
    token = client.post("/api/v1/auth/token", data={"username": name, "password": PASSWORD})
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


@pytest.fixture(scope="module")
def client(sqlite_engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    rt = _runtime(sqlite_engine, tmp_path_factory.mktemp("hardening"), max_upload_bytes=4000)
    app = create_app(rt.settings, runtime=rt)

    @app.get("/own-policy")
    def own_policy() -> Response:
        return Response("x", headers={"Content-Security-Policy": "script-src 'self'"})

    with TestClient(app) as test_client:
        _RUNTIMES["client"] = rt
        yield test_client


def test_every_response_carries_security_headers_without_overriding_its_own(
    client: TestClient,
) -> None:
    health = client.get("/healthz")
    assert health.headers["x-content-type-options"] == "nosniff"
    assert health.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in health.headers["content-security-policy"]
    own = client.get("/own-policy")
    assert own.headers["content-security-policy"] == "script-src 'self'"
    assert own.headers["x-content-type-options"] == "nosniff"
    # Citizen answers (and errors) are never cached.
    public = client.get("/api/v1/public/dossiers/X-1", headers={"X-Access-Secret": "s"})
    assert public.status_code == 404
    assert public.headers["cache-control"] == "no-store"


def test_hsts_only_over_https(client: TestClient) -> None:
    assert "strict-transport-security" not in client.get("/healthz").headers
    secure = TestClient(client.app, base_url="https://testserver")
    assert secure.get("/healthz").headers["strict-transport-security"].startswith("max-age=")


def test_docs_and_metrics_follow_their_settings(sqlite_engine: Engine, tmp_path: Path) -> None:
    default = _client(_runtime(sqlite_engine, tmp_path / "a"))
    assert default.get("/openapi.json").status_code == 200
    rt = _runtime(sqlite_engine, tmp_path / "b", api_docs=False, metrics_access="staff")
    closed = _client(rt)
    for path in ("/docs", "/openapi.json", "/redoc"):
        assert closed.get(path).status_code == 404, path
    assert closed.get("/metrics").status_code == 401
    assert closed.get("/metrics", headers=_bearer(closed, rt, Role.RECEPTION)).status_code == 403
    assert closed.get("/metrics", headers=_bearer(closed, rt, Role.ADMIN)).status_code == 200
    off = _client(_runtime(sqlite_engine, tmp_path / "c", metrics_access="off"))
    assert off.get("/metrics").status_code == 404
    scraper = "s" * 40
    scraped = _client(
        _runtime(sqlite_engine, tmp_path / "e", metrics_access="staff", metrics_token=scraper)
    )
    assert (
        scraped.get("/metrics", headers={"Authorization": f"Bearer {scraper}"}).status_code == 200
    )
    assert scraped.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401


def test_an_anonymous_upload_is_refused_before_its_body_is_read(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    app: FastAPI = create_app(
        _runtime(sqlite_engine, tmp_path).settings, runtime=_runtime(sqlite_engine, tmp_path)
    )
    chunks_read = 0
    sent: list[Message] = []

    async def receive() -> Message:
        nonlocal chunks_read
        chunks_read += 1
        return {"type": "http.request", "body": b"\0" * 1024 * 1024, "more_body": True}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/v1/dossiers/000.00.00.H00-261123-0001/documents",
        "raw_path": b"/api/v1/dossiers/000.00.00.H00-261123-0001/documents",
        "query_string": b"",
        "headers": [(b"content-type", b"multipart/form-data; boundary=x")],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
    }
    asyncio.run(asyncio.wait_for(app(scope, receive, send), timeout=30))
    assert sent[0]["status"] == 401
    assert chunks_read == 0


def _png(path: Path) -> Path:
    buffer = io.BytesIO()
    Image.new("L", (50, 50), 255).save(buffer, "PNG")
    path.write_bytes(buffer.getvalue())
    return path


def test_the_size_limit_counts_all_files_of_a_document_together(client: TestClient) -> None:
    rt = _RUNTIMES["client"]
    auth = _bearer(client, rt, Role.RECEPTION)
    # Each file is under the 4000-byte limit, together they are over it.
    files = [("files", (f"p{i}.jpg", b"\xff" * 1500, "image/jpeg")) for i in range(3)]
    response = client.post(
        "/api/v1/dossiers/000.00.00.H00-261123-0001/documents", files=files, headers=auth
    )
    assert response.status_code == 413
    assert response.json()["type"].endswith("/too-large")
    assert "/" not in response.json()["detail"]  # no server path


def test_the_page_limit_counts_all_files_of_a_document_before_storing(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    # No S3 is configured: reaching the store would be a StorageUnavailable, not TooLarge.
    rt = _runtime(sqlite_engine, tmp_path / "d", max_pages=2)
    uploads = [
        pipeline.Upload(f"p{i}.png", _png(tmp_path / f"p{i}.png"), "image/png") for i in range(3)
    ]
    with pytest.raises(TooLarge):
        pipeline.submit_document(
            rt, "X-1", uploads, kind=DocumentKind.SUBMITTED, type_name="t", summary=None, actor="t"
        )


def test_problem_details_carry_no_server_paths() -> None:
    text = "cannot read /srv/sohoa/.sohoa/work/sohoa-upload-ab12/000-scan.tif: truncated"
    assert scrub_paths(text) == "cannot read 000-scan.tif: truncated"
    assert scrub_paths("s3://sohoa-results/a/b.pdf") == "s3://sohoa-results/a/b.pdf"


def test_hsts_behind_a_trusted_tls_proxy_only(sqlite_engine: Engine, tmp_path: Path) -> None:
    rt = _runtime(sqlite_engine, tmp_path / "p", trusted_proxies="127.0.0.1")
    proxied = _client(rt)
    forwarded = {"X-Forwarded-Proto": "https"}
    # TestClient's peer is "testclient", not an address: not a trusted proxy.
    assert "strict-transport-security" not in proxied.get("/healthz", headers=forwarded).headers
    from api.headers import SecurityHeadersMiddleware

    middleware = SecurityHeadersMiddleware(proxied.app, trusted_proxies="10.0.0.0/8")
    trusted = {
        "type": "http",
        "client": ("10.0.0.5", 1),
        "headers": [(b"x-forwarded-proto", b"https")],
    }
    untrusted = {**trusted, "client": ("192.0.2.1", 1)}
    assert middleware._https(trusted) and not middleware._https(untrusted)
