"""docker-compose.yml cannot run here (no Docker engine); these checks keep it consistent with
the code: the services a production deployment needs, health checks, and commands that exist."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.main import get_command

from cli.main import app

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    return data


def test_compose_has_the_production_services_with_health_checks(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name in ("postgres", "redis", "minio", "api", "worker"):
        assert name in services, name
        assert "healthcheck" in services[name], f"{name} has no health check"
    assert "minio-init" in services, "buckets with object lock must be created before the api"


def test_compose_commands_are_real_sohoa_commands(compose: dict[str, Any]) -> None:
    click_app = get_command(app)
    for service in compose["services"].values():
        command = service.get("command")
        if not isinstance(command, list) or command[:1] != ["sohoa"]:
            continue
        group: Any = click_app
        for word in command[1:]:
            if word.startswith("-"):
                break
            sub = getattr(group, "commands", {}).get(word)
            if sub is None:
                break
            group = sub
        assert group is not click_app, f"unknown sohoa command in compose: {command}"


def test_compose_points_the_services_at_each_other(compose: dict[str, Any]) -> None:
    env = compose["services"]["api"]["environment"]
    assert env["SOHOA_DATABASE_URL"].startswith("postgresql+psycopg://")
    assert env["SOHOA_BROKER_URL"].startswith("redis://redis:")
    assert env["SOHOA_S3_ENDPOINT"] == "minio:9000"
    assert compose["services"]["worker"]["environment"] == env


def test_compose_file_passes_the_compose_linter_when_one_is_installed() -> None:
    if shutil.which("docker") and _docker_compose_plugin():
        cmd = ["docker", "compose", "-f", str(COMPOSE), "config", "-q"]
    else:
        pytest.skip("no docker compose client on this machine")
    result = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=ROOT)
    assert result.returncode == 0, result.stderr


def _docker_compose_plugin() -> bool:
    probe = subprocess.run(
        ["docker", "compose", "version"], capture_output=True, text=True, check=False
    )
    return probe.returncode == 0


def test_the_image_copies_every_package_the_project_installs() -> None:
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    packages = [p.rstrip("*") for p in project["tool"]["setuptools"]["packages"]["find"]["include"]]
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    missing = [p for p in packages if f"COPY {p} ./{p}" not in dockerfile]
    assert not missing, f"the Dockerfile does not copy {missing}: the image could not start"
