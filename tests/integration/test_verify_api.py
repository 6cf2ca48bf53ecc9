"""``POST /verify`` over HTTP: its own upload limit, ``verify-limit`` problems for bombs, and an
API that stays responsive (``/healthz`` p99 < 100 ms) while ten bombs are validated (#11)."""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine

from api.app import create_app
from core.domain import SignatureLevel
from core.settings import Settings
from pipeline.context import Runtime
from signing import SignatureRequest, sign_pdf
from storage.db import session_factory
from tests.verify_inputs import xref_bomb

pytestmark = pytest.mark.integration
MiB = 1024 * 1024


def _settings(base: Settings, **extra: object) -> Settings:
    return base.model_copy(
        update={
            "jwt_secret": SecretStr("verify-api-test-secret-verify-api-test-secret"),
            "public_rate_limit_per_minute": 100_000,
            "verify_max_upload_bytes": 1 * MiB,
            **extra,
        }
    )


def _client(settings: Settings, engine: Engine) -> TestClient:
    runtime = Runtime(settings=settings, engine=engine, sessions=session_factory(engine))
    return TestClient(create_app(settings, runtime=runtime))


@pytest.fixture(scope="module")
def api(signing_settings: Settings, sqlite_engine: Engine) -> Iterator[TestClient]:
    with _client(_settings(signing_settings), sqlite_engine) as client:
        yield client


def test_a_signed_file_gets_its_report_with_vietnamese_labels(
    api: TestClient, signing_settings: Settings, pdfa_1page: Path, tmp_path: Path
) -> None:
    out = tmp_path / "signed.pdf"
    request = SignatureRequest(level=SignatureLevel.B_LTA)
    sign_pdf(pdfa_1page, out, request, settings=signing_settings)
    response = api.post("/api/v1/verify", files={"file": ("a.pdf", out.read_bytes())})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["verdict"] == "valid" and body["verdict_vi"] == "Hợp lệ"
    assert body["labels_vi"]["serial_number"] == "Số hiệu chứng thư"
    sig = body["signatures"][0]
    assert sig["issuer"] and sig["serial_number"] and sig["revocation_source"] == "embedded-ocsp"


def test_verify_has_its_own_smaller_upload_limit(api: TestClient) -> None:
    big = b"%PDF-1.7\n" + b"0" * (2 * MiB)
    response = api.post("/api/v1/verify", files={"file": ("big.pdf", big)})
    assert response.status_code == 413
    assert response.json()["type"].endswith("/too-large")


def test_a_bomb_is_a_verify_limit_problem(api: TestClient) -> None:
    response = api.post("/api/v1/verify", files={"file": ("bomb.pdf", xref_bomb(5_000_000))})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith("/verify-limit")
    assert "xref" in response.json()["detail"]


def test_garbage_is_a_clear_input_problem(api: TestClient) -> None:
    response = api.post("/api/v1/verify", files={"file": ("x.pdf", b"%PDF-1.7\nnot really")})
    assert response.status_code == 422
    assert response.json()["type"].endswith("/corrupt-file")


def test_an_upload_makes_the_server_fetch_nothing(
    signing_settings: Settings, sqlite_engine: Engine, pdfa_1page: Path, tmp_path: Path
) -> None:
    """SSRF over HTTP: OCSP/CRL URLs of a *trusted* chain point at a listener; no request."""
    from signing import DevPKI
    from tests.integration.test_verify_boxed import Listener
    from tests.verify_inputs import sign_raw

    listener = Listener()
    try:
        pki = DevPKI.open(tmp_path / "pki", port=listener.port)
        material = pki.signer_material("agency")
        signed = sign_raw(pdfa_1page.read_bytes(), material.key_pem, material.cert, material.chain)
        (tmp_path / "root.pem").write_bytes(pki.root_pem())
        settings = _settings(signing_settings, trust_roots_file=tmp_path / "root.pem")
        with _client(settings, sqlite_engine) as client:
            response = client.post("/api/v1/verify", files={"file": ("s.pdf", signed)})
        assert response.status_code == 200, response.text
        assert response.json()["verdict"] == "indeterminate"
        assert listener.accepted == 0, "POST /verify fetched a URL named by the upload"
    finally:
        listener.close()


def _rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


@pytest.mark.slow
def test_api_stays_responsive_while_ten_bombs_are_validated(
    signing_settings: Settings, sqlite_engine: Engine
) -> None:
    """Bombs past the byte caps, so each one runs in its child until a resource limit."""
    import uvicorn

    from tests.fixtures.net import free_port

    settings = _settings(
        signing_settings,
        verify_max_xref_entries=10**9,
        verify_max_objects=10**9,
        verify_cpu_seconds=1,
        verify_memory_mb=400,
        verify_wall_seconds=60.0,
        verify_max_upload_bytes=5 * MiB,
    )
    runtime = Runtime(
        settings=settings, engine=sqlite_engine, sessions=session_factory(sqlite_engine)
    )
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings, runtime=runtime), host="127.0.0.1", port=port, log_level="error"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    bomb = xref_bomb(3_000_000)
    statuses: list[int] = []
    try:
        with httpx.Client(base_url=base, timeout=5) as probe:
            probe.get("/healthz")
            rss_before = _rss_mib()

            def upload() -> None:
                with httpx.Client(base_url=base, timeout=120) as client:
                    response = client.post("/api/v1/verify", files={"file": ("b.pdf", bomb)})
                    statuses.append(response.status_code)

            uploads = [threading.Thread(target=upload) for _ in range(10)]
            started = time.monotonic()
            for t in uploads:
                t.start()
            latencies: list[float] = []
            while any(t.is_alive() for t in uploads) and time.monotonic() - started < 150:
                t0 = time.perf_counter()
                assert probe.get("/healthz").status_code == 200
                latencies.append(time.perf_counter() - t0)
                time.sleep(0.05)
            for t in uploads:
                t.join(30)
            elapsed = time.monotonic() - started
            rss_after = _rss_mib()
    finally:
        server.should_exit = True
        thread.join(10)
    assert statuses == [422] * 10, statuses
    assert len(latencies) > 20
    p99 = statistics.quantiles(latencies, n=100)[98]
    print(f"10 bombs in {elapsed:.1f} s; /healthz p99 {p99 * 1000:.1f} ms over {len(latencies)}")
    print(f"API process RSS {rss_before:.0f} → {rss_after:.0f} MiB")
    assert p99 < 0.100
    assert rss_after - rss_before < 100, "the API process itself must not swell"
