"""Uploads over the size limit are refused while streaming, with a 413 problem."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.app import create_app
from core.domain import Role
from core.settings import settings_with
from pipeline.accounts import hash_password
from pipeline.context import Runtime
from pipeline.tokens import create_token
from storage import records
from storage.db import session_factory

MiB = 1024 * 1024


@pytest.fixture(scope="module")
def small_limit(
    sqlite_engine: Engine, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient, dict[str, str]]]:
    settings = settings_with(
        data_dir=tmp_path_factory.mktemp("uploads"),
        jwt_secret="uploads-test-secret-uploads-test-secret",
        max_upload_bytes=1000,
    )
    sessions = session_factory(sqlite_engine)
    with sessions() as session:
        user = records.get_user(session, "rec-up")
        if user is None:
            user = records.create_user(
                session,
                username="rec-up",
                password_hash=hash_password("x" * 12),
                role=Role.RECEPTION,
            )
        session.commit()
        token, _ = create_token(settings, user)
    runtime = Runtime(settings=settings, engine=sqlite_engine, sessions=sessions)
    with TestClient(create_app(settings, runtime=runtime)) as client:
        yield client, {"Authorization": f"Bearer {token}"}


def test_a_declared_oversized_body_is_refused_before_it_is_read(
    small_limit: tuple[TestClient, dict[str, str]],
) -> None:
    client, auth = small_limit
    response = client.post(
        "/api/v1/dossiers/000.00.00.H00-261123-0001/documents",
        files=[("files", ("big.jpg", b"\xff" * (3 * MiB), "image/jpeg"))],
        headers=auth,
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith("/too-large")


def test_a_chunked_body_is_cut_off_once_it_passes_the_limit(
    small_limit: tuple[TestClient, dict[str, str]],
) -> None:
    client, auth = small_limit

    def chunks() -> Iterator[bytes]:
        for _ in range(4):  # no Content-Length: counted as it arrives
            yield b"\0" * MiB

    response = client.post(
        "/api/v1/dossiers/000.00.00.H00-261123-0001/documents",
        content=chunks(),
        headers={**auth, "Content-Type": "multipart/form-data; boundary=x"},
    )
    assert response.status_code == 413
    assert response.json()["type"].endswith("/too-large")


def test_one_file_over_the_limit_in_a_small_request_is_refused(
    small_limit: tuple[TestClient, dict[str, str]],
) -> None:
    client, auth = small_limit
    response = client.post(
        "/api/v1/dossiers/000.00.00.H00-261123-0001/documents",
        files=[("files", ("scan.jpg", b"\xff" * 5000, "image/jpeg"))],
        headers=auth,
    )
    assert response.status_code == 413
    assert response.json()["type"].endswith("/too-large")
