"""What every pipeline stage runs against: settings, the database and the object store."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, defer, joinedload, selectinload, sessionmaker

from core import stages
from core.errors import NotFound
from core.settings import Settings
from storage.db import database_url, make_engine, session_factory
from storage.models import Document
from storage.objects import ObjectStore


@dataclass
class Upload:
    """One uploaded file: its name as given, where its bytes are now, its media type."""

    name: str
    path: Path
    content_type: str = "application/octet-stream"


@dataclass
class Runtime:
    """What every stage needs: settings, the database, the object store (opened lazily)."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    _objects: Any = field(default=None, repr=False)

    @classmethod
    def open(cls, settings: Settings, *, migrate: bool = False) -> Runtime:
        """A runtime for ``settings``; ``migrate`` runs the database migrations first."""
        url = database_url(settings)
        # The API serves many concurrent reads; PostgreSQL gets a pool to match its threads.
        pool = {} if url.startswith("sqlite") else {"pool_size": 20, "max_overflow": 20}
        engine = make_engine(url, **pool)
        if migrate:
            from storage.db import upgrade

            upgrade(engine)
        return cls(settings=settings, engine=engine, sessions=session_factory(engine))

    @property
    def objects(self) -> ObjectStore:
        """The S3 object store, buckets ensured on first use."""
        if self._objects is None:
            self._objects = stages.open_object_store(self.settings)
        store: ObjectStore = self._objects
        return store

    def bucket(self, role: str) -> str:
        """Name of the bucket with ``role`` (``stages.ORIGINALS``, ``DOCUMENTS``, ``RESULTS``)."""
        return stages.bucket_name(self.objects, role)

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session committed on success, rolled back on error."""
        with self.sessions() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def get_document(session: Session, document_id: int) -> Document:
    """The document with this id; :class:`NotFound` otherwise."""
    # One round trip for what a stage or a status read needs (dossier code, signatures); the OCR
    # text columns can be megabytes and no caller reads them through here.
    document = session.get(
        Document,
        document_id,
        options=[
            joinedload(Document.dossier),
            selectinload(Document.signatures),
            defer(Document.ocr_text),
            defer(Document.ocr_text_folded),
            defer(Document.metadata_folded),
        ],
    )
    if document is None:
        raise NotFound(f"document {document_id} not found", detail_vi="Không tìm thấy tài liệu")
    return document


__all__ = ["Runtime", "Upload", "get_document", "sha256_file"]
