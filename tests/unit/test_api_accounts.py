"""Accounts: revocation by token version, admin users API, login lockout, client addresses,
and the JWT secret check (in-process app on SQLite, no S3)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from starlette.requests import Request

from api.app import create_app
from api.ratelimit import client_address
from core.domain import AuditAction, Role
from core.errors import ConfigurationError
from core.settings import Settings, settings_with
from pipeline import accounts
from pipeline.context import Runtime
from pipeline.tokens import check_jwt_secret
from storage.db import session_factory
from storage.models import AuditEntry

PASSWORD = "a good long password"


@pytest.fixture(scope="module")
def runtime(sqlite_engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Runtime:
    settings = settings_with(
        data_dir=tmp_path_factory.mktemp("accounts"),
        jwt_secret=secrets.token_urlsafe(32),
        login_max_failures=3,
        login_max_failures_per_address=5,
    )
    return Runtime(settings=settings, engine=sqlite_engine, sessions=session_factory(sqlite_engine))


@pytest.fixture(scope="module")
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime.settings, runtime=runtime)) as test_client:
        yield test_client


def _user(runtime: Runtime, role: Role = Role.RECEPTION) -> str:
    name = f"u{secrets.token_hex(4)}"
    with runtime.session() as session:
        accounts.create_user(session, username=name, password=PASSWORD, role=role, actor="t")
    return name


def _login(client: TestClient, name: str, password: str = PASSWORD, **headers: str) -> int:
    status: int = client.post(
        "/api/v1/auth/token", data={"username": name, "password": password}, headers=headers
    ).status_code
    return status


def _bearer(client: TestClient, name: str) -> dict[str, str]:
    response = client.post("/api/v1/auth/token", data={"username": name, "password": PASSWORD})
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def test_disable_role_change_and_password_reset_revoke_existing_tokens_at_once(
    client: TestClient, runtime: Runtime
) -> None:
    admin = _bearer(client, _user(runtime, Role.ADMIN))
    for change in ("disable", "role", "password"):
        name = _user(runtime)
        token = _bearer(client, name)
        assert client.get("/api/v1/auth/me", headers=token).status_code == 200
        if change == "disable":
            done = client.post(f"/api/v1/users/{name}/disable", headers=admin)
        elif change == "role":
            done = client.put(f"/api/v1/users/{name}/role", json={"role": "signer"}, headers=admin)
        else:
            done = client.post(
                f"/api/v1/users/{name}/password", json={"password": "x" * 12}, headers=admin
            )
        assert done.status_code == 200, done.text
        # The very next request with the old token is refused.
        assert client.get("/api/v1/auth/me", headers=token).status_code == 401, change


def test_a_recreated_user_name_does_not_inherit_old_tokens(
    client: TestClient, runtime: Runtime
) -> None:
    name = _user(runtime, Role.ADMIN)
    token = _bearer(client, name)
    with runtime.session() as session:
        from storage import records

        user = records.get_user(session, name)
        assert user is not None
        session.delete(user)
    with runtime.session() as session:
        accounts.create_user(
            session, username=name, password=PASSWORD, role=Role.RECEPTION, actor="t"
        )
    assert client.get("/api/v1/auth/me", headers=token).status_code == 401


def test_admins_list_create_and_enable_users_others_may_not(
    client: TestClient, runtime: Runtime
) -> None:
    admin_name = _user(runtime, Role.ADMIN)
    admin = _bearer(client, admin_name)
    reception = _bearer(client, _user(runtime))
    assert client.get("/api/v1/users", headers=reception).status_code == 403
    new = f"n{secrets.token_hex(4)}"
    created = client.post(
        "/api/v1/users", json={"username": new, "role": "signer", "password": PASSWORD},
        headers=admin,
    )  # fmt: skip
    assert created.status_code == 201, created.text
    assert "password_hash" not in created.json()
    listed = {u["username"]: u for u in client.get("/api/v1/users", headers=admin).json()}
    assert listed[new]["role"] == "signer"
    assert client.post(f"/api/v1/users/{new}/disable", headers=admin).json()["active"] is False
    assert _login(client, new) == 401
    assert client.post(f"/api/v1/users/{new}/enable", headers=admin).json()["active"] is True
    assert _login(client, new) == 200
    # An admin cannot lock themselves out by a slip.
    assert client.post(f"/api/v1/users/{admin_name}/disable", headers=admin).status_code == 409


def test_a_user_name_is_locked_after_n_failures_and_the_lockout_is_audited(
    client: TestClient, runtime: Runtime
) -> None:
    name = _user(runtime)
    statuses = [_login(client, name, "wrong password") for _ in range(4)]
    assert statuses == [401, 401, 401, 429]
    # Locked: even the right password is refused until the window has passed.
    assert _login(client, name) == 429
    with runtime.sessions() as session:
        locked = session.scalars(
            select(AuditEntry).where(
                AuditEntry.action == AuditAction.USER_LOCKED.value, AuditEntry.subject == name
            )
        ).all()
    assert len(locked) == 1


def test_an_address_is_locked_after_failures_across_user_names(runtime: Runtime) -> None:
    address = f"198.51.100.{secrets.randbelow(250)}"
    names = [f"ghost{secrets.token_hex(3)}" for _ in range(6)]
    outcomes = []
    for name in names:
        try:
            accounts.login(runtime, name, "guess", address)
        except Exception as exc:
            outcomes.append(type(exc).__name__)
    assert outcomes == ["Unauthorized"] * 5 + ["TooManyAttempts"]
    # Another address is not affected.
    real = _user(runtime)
    assert accounts.login(runtime, real, PASSWORD, "203.0.113.9").username == real


def _request(peer: str, forwarded: str | None) -> Request:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded else []
    return Request({"type": "http", "client": (peer, 1234), "headers": headers})


def test_x_forwarded_for_is_believed_only_from_trusted_proxies() -> None:
    plain = Settings(trusted_proxies="")
    assert client_address(_request("127.0.0.1", "1.2.3.4"), plain) == "127.0.0.1"
    proxied = Settings(trusted_proxies="10.0.0.0/8, 127.0.0.1")
    assert client_address(_request("10.1.2.3", "1.2.3.4"), proxied) == "1.2.3.4"
    # A client-written hop left of the proxy's own entry is not the client.
    assert client_address(_request("10.1.2.3", "6.6.6.6, 1.2.3.4"), proxied) == "1.2.3.4"
    assert client_address(_request("192.0.2.7", "1.2.3.4"), proxied) == "192.0.2.7"


def test_short_or_public_jwt_secrets_refuse_to_start(tmp_path: object) -> None:
    with pytest.raises(ConfigurationError):
        check_jwt_secret("too-short")
    with pytest.raises(ConfigurationError):
        create_app(settings_with(jwt_secret="change-me-to-a-long-random-string"))
    assert check_jwt_secret("x" * 32)


def test_no_secret_written_in_the_repository_is_accepted() -> None:
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    found: set[str] = set()
    for name in ("docker-compose.yml", "README.md", ".env.example"):
        path = root / name
        if path.exists():
            text = path.read_text(encoding="utf-8")
            found |= set(
                re.findall(r"SOHOA_JWT_SECRET[:=]\s*\$\{SOHOA_JWT_SECRET:-([^}]+)\}", text)
            )
            found |= set(re.findall(r"SOHOA_JWT_SECRET=([^\s`]+)", text))
    for value in found:
        with pytest.raises(ConfigurationError):
            check_jwt_secret(value)
