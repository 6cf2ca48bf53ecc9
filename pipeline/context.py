"""What every pipeline stage runs against: settings, the database and the object store."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, joinedload, selectinload, sessionmaker

from core.domain import BucketRole
from core.errors import NotFound
from core.settings import Settings
from pipeline import adapters
from storage.documents import without_text
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

    @property
    def objects(self) -> ObjectStore:
        """The S3 object store, buckets ensured on first use."""
        if self._objects is None:
            self._objects = adapters.open_object_store(self.settings)
        store: ObjectStore = self._objects
        return store

    def bucket(self, role: BucketRole) -> str:
        """Name of the bucket with ``role``."""
        return adapters.bucket_name(self.objects, role)

    def reset_objects(self) -> None:
        """Forget the object store, so that the next use opens it (and its buckets) again."""
        self._objects = None

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
            *without_text(),
        ],
    )
    if document is None:
        raise NotFound(f"document {document_id} not found", detail_vi="Không tìm thấy tài liệu")
    return document


__all__ = ["Runtime", "Upload", "get_document"]
