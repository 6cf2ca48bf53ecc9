"""Admins manage the agency register over the API; dossiers then take the valid code."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from core.domain import Role
from core.settings import settings_with
from pipeline.accounts import hash_password
from pipeline.context import Runtime
from storage import records
from storage.codes import reception_day
from storage.db import make_engine, session_factory, upgrade

PASSWORD = "a good long password"
OLD, NEW = "000.00.00.H74", "000.00.00.H29"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    # Its own database: a register in the shared one would renumber other tests' dossiers.
    data = tmp_path_factory.mktemp("agencies")
    engine = make_engine(f"sqlite+pysqlite:///{data / 'db.sqlite'}")
    upgrade(engine)
    settings = settings_with(
        data_dir=data, jwt_secret="unit-test-secret-unit-test-secret", agency_code=OLD
    )
    sessions = session_factory(engine)
    with sessions() as session:
        for name, role in (("adm", Role.ADMIN), ("rec", Role.RECEPTION)):
            records.create_user(
                session, username=name, password_hash=hash_password(PASSWORD), role=role
            )
        session.commit()
    runtime = Runtime(settings=settings, engine=engine, sessions=sessions)
    with TestClient(create_app(settings, runtime=runtime)) as test_client:
        yield test_client
    engine.dispose()


def _bearer(client: TestClient, user: str) -> dict[str, str]:
    response = client.post("/api/v1/auth/token", data={"username": user, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def test_admin_adds_retires_and_lists_agencies(client: TestClient) -> None:
    admin = _bearer(client, "adm")
    today = reception_day()
    old = {"code": OLD, "name": "UBND tỉnh Bình Dương", "valid_from": "2020-01-01"}
    assert client.post("/api/v1/agencies", json=old, headers=admin).status_code == 201
    new = {"code": NEW, "name": "UBND TP. Hồ Chí Minh", "valid_from": today.isoformat()}
    assert client.post("/api/v1/agencies", json=new, headers=admin).status_code == 201
    again = client.post("/api/v1/agencies", json=new, headers=admin)
    assert again.status_code == 409 and again.json()["type"].endswith("/conflict")

    yesterday = (today - timedelta(days=1)).isoformat()
    retired = client.post(
        f"/api/v1/agencies/{OLD}/retire", json={"successor_code": NEW}, headers=admin
    )
    assert retired.status_code == 200, retired.text
    assert retired.json()["valid_to"] == yesterday and not retired.json()["in_force"]
    listed = client.get("/api/v1/agencies", headers=admin).json()
    assert [(a["code"], a["successor_code"]) for a in listed] == [(OLD, NEW), (NEW, None)]

    # Reception still configured with the old code: today's dossier gets the new one.
    body = {"procedure_code": "1.000", "applicant": {"name": "Nguyễn Văn A"}}
    created = client.post("/api/v1/dossiers", json=body, headers=_bearer(client, "rec"))
    assert created.status_code == 201, created.text
    assert created.json()["code"].startswith(f"{NEW}-{today:%y%m%d}-")


def test_register_is_for_admins_and_input_is_checked(client: TestClient) -> None:
    reception = _bearer(client, "rec")
    assert client.get("/api/v1/agencies", headers=reception).status_code == 403
    assert client.get("/api/v1/agencies").status_code == 401
    admin = _bearer(client, "adm")
    bad = {"code": "000..00", "name": "X", "valid_from": "2020-01-01"}
    refused = client.post("/api/v1/agencies", json=bad, headers=admin)
    assert refused.status_code == 422 and "định danh" in refused.text
    missing = client.post("/api/v1/agencies/999.99/retire", json={}, headers=admin)
    assert missing.status_code == 404


def test_admin_marks_a_procedure_centralised(client: TestClient) -> None:
    admin = _bearer(client, "adm")
    proc = {
        "code": "2.002000",
        "name": "Cấp hộ chiếu",
        "centralised": True,
        "operator_code": "05",
        "resolving_agency_code": "G03.101.01",
    }
    assert client.post("/api/v1/agencies/procedures", json=proc, headers=admin).status_code == 201
    listed = client.get("/api/v1/agencies/procedures", headers=admin).json()
    assert listed[0]["centralised"] is True
    body = {"procedure_code": "2.002000", "applicant": {"name": "Lê Thị B"}}
    created = client.post("/api/v1/dossiers", json=body, headers=_bearer(client, "rec"))
    assert created.status_code == 201, created.text
    assert created.json()["code"] == f"G03.101.01-{reception_day():%y%m%d}-050001"
    no_operator = {"code": "2.9", "name": "X", "centralised": True}
    assert (
        client.post("/api/v1/agencies/procedures", json=no_operator, headers=admin).status_code
        == 422
    )
