"""Tokens, roles and the citizen endpoints' refusals (in-process app on SQLite, no S3)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.app import create_app
from core.domain import Role
from core.errors import Unauthorized
from core.settings import settings_with
from pipeline.accounts import hash_password
from pipeline.context import Runtime
from pipeline.tokens import create_token, decode_token
from storage import records
from storage.db import session_factory

PASSWORD = "a good long password"


@pytest.fixture(scope="module")
def client(sqlite_engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = settings_with(
        data_dir=tmp_path_factory.mktemp("api"),
        jwt_secret="unit-test-secret-unit-test-secret",
        public_rate_limit_per_minute=5,
        agency_code="111.22.33.H44",
    )
    sessions = session_factory(sqlite_engine)
    with sessions() as session:
        for name, role in (("rec1", Role.RECEPTION), ("sig1", Role.SIGNER)):
            if records.get_user(session, name) is None:
                records.create_user(
                    session, username=name, password_hash=hash_password(PASSWORD), role=role
                )
        session.commit()
    runtime = Runtime(settings=settings, engine=sqlite_engine, sessions=sessions)
    with TestClient(create_app(settings, runtime=runtime)) as test_client:
        yield test_client


def _bearer(client: TestClient, user: str) -> dict[str, str]:
    response = client.post("/api/v1/auth/token", data={"username": user, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def test_password_flow_issues_a_token_and_wrong_passwords_get_401(client: TestClient) -> None:
    assert client.get("/api/v1/auth/me", headers=_bearer(client, "rec1")).json()["role"] == (
        "reception"
    )
    wrong = client.post("/api/v1/auth/token", data={"username": "rec1", "password": "nope"})
    assert wrong.status_code == 401
    assert wrong.headers["www-authenticate"] == "Bearer"
    unknown = client.post("/api/v1/auth/token", data={"username": "ghost", "password": "x"})
    assert unknown.json()["type"] == wrong.json()["type"]


def test_wrong_role_is_403_and_no_token_is_401(client: TestClient) -> None:
    body = {"procedure_code": "1.000", "applicant": {"name": "Nguyễn Văn A"}}
    refused = client.post("/api/v1/dossiers", json=body, headers=_bearer(client, "sig1"))
    assert refused.status_code == 403
    assert refused.json()["type"].endswith("/forbidden")
    assert client.post("/api/v1/dossiers", json=body).status_code == 401
    created = client.post("/api/v1/dossiers", json=body, headers=_bearer(client, "rec1"))
    assert created.status_code == 201
    assert created.json()["code"].startswith("111.22.33.H44-")
    assert len(created.json()["access_secret"]) >= 16


def test_citizen_wrong_secret_looks_like_a_missing_dossier_and_is_rate_limited(
    client: TestClient,
) -> None:
    body = {"procedure_code": "1.000", "applicant": {"name": "Trần Thị B"}}
    created = client.post("/api/v1/dossiers", json=body, headers=_bearer(client, "rec1")).json()
    ok = client.get(
        f"/api/v1/public/dossiers/{created['code']}",
        headers={"X-Access-Secret": created["access_secret"]},
    )
    assert ok.status_code == 200
    assert ok.json()["documents"] == []
    wrong = client.get(
        f"/api/v1/public/dossiers/{created['code']}", headers={"X-Access-Secret": "guess"}
    )
    missing = client.get("/api/v1/public/dossiers/nothing", headers={"X-Access-Secret": "guess"})
    assert wrong.status_code == missing.status_code == 404
    assert wrong.json()["detail"] == missing.json()["detail"]
    statuses = [
        client.get("/api/v1/public/dossiers/x", headers={"X-Access-Secret": "g"}).status_code
        for _ in range(6)
    ]
    assert 429 in statuses


@dataclass(frozen=True)
class _Account:
    id: int
    username: str
    role: Role
    token_version: int


def test_tokens_are_signed_and_expire(tmp_path: Path) -> None:
    settings = settings_with(data_dir=tmp_path, jwt_ttl_minutes=-1)
    account = _Account(7, "rec1", Role.RECEPTION, 3)
    token, _ttl = create_token(settings, account)
    with pytest.raises(Unauthorized):
        decode_token(settings, token)
    fresh, _ = create_token(settings_with(data_dir=tmp_path), account)
    claims = decode_token(settings_with(data_dir=tmp_path), fresh)
    # The token names the account by its immutable id and the token version it was issued at.
    assert (claims.user_id, claims.version, claims.role) == (7, 3, Role.RECEPTION)
    with pytest.raises(Unauthorized):
        decode_token(settings_with(data_dir=tmp_path), fresh[:-2] + "xx")
    # Without SOHOA_JWT_SECRET the secret is created once in the data dir, mode 0600.
    assert oct((tmp_path / "jwt-secret").stat().st_mode)[-3:] == "600"
