"""The QR verification link: an unguessable per-document token, minimal fields, and the
migration that gives existing documents one (in-process app on SQLite, no S3)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from api.app import create_app
from core.domain import DocumentKind
from core.settings import settings_with
from pipeline.context import Runtime
from pipeline.verification import find_by_reference, reference_of
from storage import records
from storage.db import make_engine, session_factory, upgrade


@pytest.fixture(scope="module")
def client(sqlite_engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = settings_with(
        data_dir=tmp_path_factory.mktemp("verify-ref"), jwt_secret=secrets.token_urlsafe(32)
    )
    runtime = Runtime(
        settings=settings, engine=sqlite_engine, sessions=session_factory(sqlite_engine)
    )
    with TestClient(create_app(settings, runtime=runtime)) as test_client:
        yield test_client


def _document(engine: Engine) -> tuple[int, str]:
    with session_factory(engine)() as session:
        dossier, _ = records.create_dossier(
            session, agency_code="555.66.77.V88", procedure_code="1.1", applicant_name="Đỗ Văn K"
        )
        document = records.add_document(
            session, dossier, kind=DocumentKind.RESULT, type_name="Giấy phép"
        )
        session.commit()
        return document.id, reference_of(document)


def test_the_verification_link_is_a_random_token_not_the_sequential_id(
    client: TestClient, sqlite_engine: Engine
) -> None:
    first_id, first = _document(sqlite_engine)
    second_id, second = _document(sqlite_engine)
    assert len(first) >= 32 and first != second
    assert str(first_id) not in (first, second)
    found = client.get(f"/api/v1/verify/{first}")
    assert found.status_code == 200, found.text
    # Only what a verifier needs: no id, no dossier code.
    assert set(found.json()) == {"type_name", "status", "sha256", "signatures"}
    # The old sequential links, and guesses, find nothing.
    for guess in (str(first_id), str(second_id), first[:-1] + ("A" if first[-1] != "A" else "B")):
        assert client.get(f"/api/v1/verify/{guess}").status_code == 404


def test_migration_0002_gives_existing_documents_distinct_tokens(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+pysqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0001")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO dossiers (id, code, agency_code, received_on, sequence,"
                " procedure_code, applicant_name, applicant_name_folded, status,"
                " access_secret_hash, created_at, updated_at) VALUES (1, 'X-1', 'X',"
                " '2026-01-01', 1, '1', 'a', 'a', 'received',"
                " 'h', '2026-01-01', '2026-01-01')"
            )
        )
        for doc in (1, 2):
            conn.execute(
                text(
                    "INSERT INTO documents (id, dossier_id, ordinal, kind, type_name, language,"
                    " page_count, pages_done, status, created_at, updated_at) VALUES"
                    f" ({doc}, 1, {doc}, 'result', 't', 'vi', 0, 0, 'signed', '2026-01-01',"
                    " '2026-01-01')"
                )
            )
    upgrade(engine)
    with session_factory(engine)() as session:
        tokens = [
            row[0] for row in session.execute(text("SELECT verification_token FROM documents"))
        ]
        assert len(set(tokens)) == 2 and all(t and len(t) >= 32 for t in tokens)
        assert find_by_reference(session, tokens[0]).id in (1, 2)
    engine.dispose()
