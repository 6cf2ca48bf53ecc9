"""OAIS packages (E-ARK CSIP) built from plain data: METS, EAD 2002 and PREMIS 3 (lxml).

Pure builders: :mod:`storage.archive.model` describes a dossier package as dataclasses, and
:mod:`~storage.archive.mets`, :mod:`~storage.archive.ead`, :mod:`~storage.archive.premis` turn it
into XML bytes; :mod:`storage.archive.layout` writes the folder. Nothing here reads the database
or S3 (``pipeline.archive`` gathers the data); the field mapping is in docs/archive-mapping.md.
"""

from __future__ import annotations
