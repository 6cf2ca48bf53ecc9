"""Every error leaves the API as RFC 9457 problem+json with a stable type per error class."""

from __future__ import annotations

import json

from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel

from api import problems
from core import errors


def _error_classes() -> list[type[errors.SohoaError]]:
    return [
        c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, errors.SohoaError)
    ]


def test_each_error_class_maps_to_its_status_and_a_distinct_type_uri() -> None:
    seen: dict[str, str] = {}
    for cls in _error_classes():
        response = problems.from_error(cls("boom", detail_vi="lỗi"))
        body = json.loads(bytes(response.body))
        assert response.status_code == cls.status
        assert response.media_type == "application/problem+json"
        assert body["type"] == problems.TYPE_BASE + cls.code
        assert body["status"] == cls.status
        assert body["detail"] == "boom"
        assert body["detail_vi"] == "lỗi"
        assert body["type"] not in seen, (cls, seen.get(body["type"]))
        seen[body["type"]] = cls.__name__


def test_retryable_errors_carry_retry_after_and_401_asks_for_a_bearer_token() -> None:
    assert problems.from_error(errors.StorageUnavailable("down")).headers["retry-after"]
    assert problems.from_error(errors.Unauthorized("who")).headers["www-authenticate"] == "Bearer"


class _Body(BaseModel):
    count: int


def _app() -> FastAPI:
    app = FastAPI()
    problems.install(app)

    @app.post("/items")
    def create(body: _Body) -> dict[str, int]:
        return {"count": body.count}

    @app.get("/missing")
    def missing() -> None:
        raise errors.NotFound("no such dossier")

    @app.get("/crash")
    def crash() -> None:
        raise RuntimeError("secret internals")

    return app


def test_validation_unknown_routes_and_crashes_are_problems_without_internals() -> None:
    client = TestClient(_app(), raise_server_exceptions=False)
    invalid = client.post("/items", json={"count": "many"})
    assert invalid.status_code == 422
    assert invalid.headers["content-type"] == "application/problem+json"
    assert invalid.json()["type"].endswith("/validation-error")
    assert invalid.json()["errors"][0]["loc"] == ["body", "count"]
    assert client.get("/nowhere").json()["type"].endswith("/not-found")
    assert client.get("/missing").json()["detail"] == "no such dossier"
    crash = client.get("/crash")
    assert crash.status_code == 500
    assert "secret internals" not in crash.text
