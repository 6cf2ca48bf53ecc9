"""``GET /dossiers`` pages through the matches and reports how many there are in all."""

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
from storage import records
from storage.db import session_factory

PASSWORD = "a good long password"


@pytest.fixture(scope="module")
def client(sqlite_engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = settings_with(
        data_dir=tmp_path_factory.mktemp("list"),
        jwt_secret="unit-test-secret-unit-test-secret",
        agency_code="222.33.44.H55",
    )
    sessions = session_factory(sqlite_engine)
    with sessions() as session:
        if records.get_user(session, "list-rec") is None:
            records.create_user(
                session,
                username="list-rec",
                password_hash=hash_password(PASSWORD),
                role=Role.RECEPTION,
            )
        session.commit()
    runtime = Runtime(settings=settings, engine=sqlite_engine, sessions=sessions)
    with TestClient(create_app(settings, runtime=runtime)) as test_client:
        yield test_client


def test_total_counts_every_match_not_the_page(client: TestClient) -> None:
    token = client.post(
        "/api/v1/auth/token", data={"username": "list-rec", "password": PASSWORD}
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    marker = "Phạm Tổng Số"
    for n in range(5):
        body = {"procedure_code": "1.000", "applicant": {"name": f"{marker} {n}"}}
        assert client.post("/api/v1/dossiers", json=body, headers=headers).status_code == 201
    page = client.get(
        "/api/v1/dossiers", params={"q": "pham tong so", "limit": 2}, headers=headers
    ).json()
    assert len(page["items"]) == 2
    assert page["total"] == 5
