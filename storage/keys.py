"""Object keys, following the Vietnamese archive naming rule for electronic files.

- A document's PDF: ``{dossier_code}/{dossier_code}.{ordinal:02d}.pdf`` — the file name is the
  dossier code, a dot, and the document's order in the dossier.
- An original upload: ``{dossier_code}/originals/{ascii-safe upload name}``. The upload name as
  typed (Vietnamese included) is kept in the database; the key is an ASCII-safe version of it,
  with ``-2``, ``-3``… added before the extension if two names fold to the same key.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection

from storage.codes import is_dossier_code

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_MAX_NAME = 120


def _check_code(dossier_code: str) -> None:
    # Dossier codes become path segments: only the national format may, never "../x".
    if not is_dossier_code(dossier_code):
        raise ValueError(f"not a dossier code: {dossier_code!r}")


def document_key(dossier_code: str, ordinal: int) -> str:
    """Key of document ``ordinal`` (1-based) of a dossier."""
    _check_code(dossier_code)
    if ordinal < 1:
        raise ValueError("document ordinals start at 1")
    return f"{dossier_code}/{dossier_code}.{ordinal:02d}.pdf"


def safe_name(name: str) -> str:
    """An ASCII-safe file name: diacritics stripped (``đ`` → ``d``), other characters ``_``."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = name.replace("đ", "d").replace("Đ", "D")
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    ascii_name = _UNSAFE.sub("_", ascii_name)
    ascii_name = re.sub(r"_+(?=\.)", "", ascii_name).strip("._-") or "file"
    if len(ascii_name) > _MAX_NAME:
        stem, dot, ext = ascii_name.rpartition(".")
        if dot and len(ext) <= 10:
            ascii_name = stem[: _MAX_NAME - len(ext) - 1] + "." + ext
        else:
            ascii_name = ascii_name[:_MAX_NAME]
    return ascii_name


def original_key(dossier_code: str, upload_name: str, *, taken: Collection[str] = ()) -> str:
    """Key of an uploaded original, unique among ``taken`` (the dossier's existing keys)."""
    _check_code(dossier_code)
    name = safe_name(upload_name)
    key = f"{dossier_code}/originals/{name}"
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    counter = 2
    while key in taken:
        suffix = f"{stem}-{counter}" + (f".{ext}" if ext else "")
        key = f"{dossier_code}/originals/{suffix}"
        counter += 1
    return key


__all__ = ["document_key", "original_key", "safe_name"]
