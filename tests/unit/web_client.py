"""An in-process app (pages + API) on a fresh SQLite database, no S3, for the web unit tests."""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from fastapi.testclient import TestClient

from api.app import create_app
from core.domain import Role
from core.settings import settings_with
from pipeline import accounts
from pipeline.context import Runtime
from storage.db import make_engine, session_factory, upgrade

PASSWORD = "a long enough password"
USERS = {"rec": Role.RECEPTION, "sig": Role.SIGNER, "adm": Role.ADMIN, "boss": Role.LEADER}


@dataclass
class WebApp:
    runtime: Runtime
    base: Path

    def client(self) -> TestClient:
        return TestClient(create_app(self.runtime.settings, runtime=self.runtime))


def seeded_database(folder: Path) -> Path:
    """A migrated SQLite database with the four staff accounts (argon2 hashing is slow: tests
    copy this file instead of hashing again)."""
    path = folder / "seed.sqlite"
    engine = make_engine(f"sqlite+pysqlite:///{path}")
    upgrade(engine)
    with session_factory(engine)() as session:
        for name, role in USERS.items():
            accounts.create_user(session, username=name, password=PASSWORD, role=role, actor="t")
        session.commit()
    engine.dispose()
    return path


def web_app(tmp_path: Path, seed: Path) -> WebApp:
    db = tmp_path / "db.sqlite"
    shutil.copyfile(seed, db)
    engine = make_engine(f"sqlite+pysqlite:///{db}")
    settings = settings_with(
        data_dir=tmp_path / "data",
        jwt_secret="web-unit-test-secret-web-unit-test-secret",
        agency_code="000.11.22.H33",
        public_base_url="http://sohoa.test",
        s3_endpoint="",
        public_rate_limit_per_minute=1000,
    )
    rt = Runtime(settings=settings, engine=engine, sessions=session_factory(engine))
    return WebApp(rt, tmp_path)


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([0-9a-f]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def log_in(client: TestClient, user: str) -> None:
    token = csrf_of(client.get("/login").text)
    response = client.post(
        "/login",
        data={"username": user, "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def new_dossier(client: TestClient, id_number: str = "001203004567") -> tuple[str, str]:
    """Create a dossier through the reception form; returns (code, lookup secret)."""
    page = client.get("/reception")
    response = client.post(
        "/reception/dossiers",
        data={
            "csrf_token": csrf_of(page.text),
            "procedure_code": "1.001193",
            "procedure_name": "Đăng ký khai sinh",
            "applicant_name": "Lê Thị Ánh",
            "id_number": id_number,
            "appointment": "2099-01-01",
        },
    )
    assert response.status_code == 200, response.text
    code = re.search(r'data-testid="dossier-code">([^<]+)<', response.text)
    secret = re.search(r'data-testid="lookup-secret">([^<]+)<', response.text)
    assert code and secret
    return code.group(1), secret.group(1)
