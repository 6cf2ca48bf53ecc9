"""The application layer: what happens to a dossier and its documents, over the engines.

``api``, ``web``, ``cli`` and ``workers`` call this package; it calls ``ocr``, ``signing`` and
``storage`` (through :mod:`pipeline.adapters`) and knows nothing of HTTP or Celery.

- :mod:`pipeline.context`: the :class:`Runtime` every stage runs against.
- :mod:`pipeline.bootstrap`: the one composition root (database, object store, signer).
- :mod:`pipeline.intake`: requests answered at once (register, store originals, ask to sign).
- :mod:`pipeline.lifecycle`: which stage comes next, retries, stuck documents.
- :mod:`pipeline.stages`: the worker stages (digitize, sign) on one skeleton.
- :mod:`pipeline.accounts`: staff accounts and their passwords.
"""

from __future__ import annotations

from pipeline.context import Runtime, Upload, get_document
from pipeline.intake import create_dossier, request_signature, submit_document
from pipeline.lifecycle import DIGITIZE, SIGN, documents_stuck, follow_on, next_stage, retry_stage
from pipeline.stages import digitize, fail, sign

__all__ = [
    "DIGITIZE",
    "SIGN",
    "Runtime",
    "Upload",
    "create_dossier",
    "digitize",
    "documents_stuck",
    "fail",
    "follow_on",
    "get_document",
    "next_stage",
    "request_signature",
    "retry_stage",
    "sign",
    "submit_document",
]
