"""docker-compose.yml, scaled out: several API replicas behind one proxy, OCR workers apart,
and every worker's ``--queues`` a set of queues that exist."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from workers.celery_app import parse_queues

COMPOSE = Path(__file__).resolve().parents[2] / "docker-compose.yml"


def _compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    return data


def test_the_api_runs_as_replicas_behind_a_reverse_proxy() -> None:
    services = _compose()["services"]
    api, proxy = services["api"], services["proxy"]
    assert api["deploy"]["replicas"] >= 2
    assert "ports" not in api, "replicas cannot share a published port: the proxy publishes"
    assert proxy["ports"] and "healthcheck" in proxy
    conf = _compose()["configs"]["proxy-conf"]["content"]
    assert "server api:8000" in conf and "X-Forwarded-For" in conf


def test_worker_services_serve_queues_that_exist() -> None:
    services = _compose()["services"]
    workers = {n: s for n, s in services.items() if s.get("command", [])[:2] == ["sohoa", "worker"]}
    assert {"worker", "worker-ocr"} <= set(workers)
    for service in workers.values():
        command = service["command"]
        if "--queues" in command:
            parse_queues(command[command.index("--queues") + 1])  # raises on an unknown queue
    ocr = workers["worker-ocr"]["command"]
    assert parse_queues(ocr[ocr.index("--queues") + 1]) == ("ocr", "ocr-batch")
    assert workers["worker-ocr"]["environment"] == services["api"]["environment"]
