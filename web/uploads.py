"""Uploaded files of a page form, copied to a private work folder as pipeline inputs."""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fastapi import UploadFile

from core.errors import TooLarge
from core.settings import Settings
from pipeline import Upload
from pipeline.adapters import plain_name

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@contextmanager
def spooled(files: list[UploadFile], settings: Settings) -> Iterator[list[Upload]]:
    """Copy ``files`` (in the order sent) to a temporary folder removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="sohoa-web-", dir=settings.work_dir()) as tmp:
        uploads: list[Upload] = []
        for index, upload in enumerate(f for f in files if f.filename):
            name = _CONTROL.sub("", upload.filename or "")[:255] or f"upload-{index + 1}"
            target = Path(tmp) / f"{index:03d}-{plain_name(name)}"
            upload.file.seek(0)
            with target.open("wb") as out:
                shutil.copyfileobj(upload.file, out, 1024 * 1024)
            if target.stat().st_size > settings.max_upload_bytes:
                raise TooLarge(
                    f"{name} is larger than {settings.max_upload_bytes} bytes",
                    detail_vi="Tệp vượt quá dung lượng cho phép",
                )
            uploads.append(Upload(name, target, upload.content_type or "application/octet-stream"))
        yield uploads


__all__ = ["spooled"]
