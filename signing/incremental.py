"""A PDF being signed: its original bytes, never copied, followed by the update appended to them.

A PAdES signature is an incremental update: the signed file is the original file with new
objects appended. pyHanko writes a *new* file by copying the original into an output buffer
4 KiB at a time; for a 20 MB scan that copy (and the page faults of a fresh 20 MB buffer) costs
about as much as hashing the file. Signing "in place" on an :class:`AppendOnlyPdf` instead reads
the original where it already is, and only the update is written.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

#: pyHanko hashes the byte ranges by reading them through a buffer of this size; its default,
#: 4 KiB, means 5000 reads for a 20 MB file, and 256 KiB still fits the CPU's L2 cache.
HASH_CHUNK = 1 << 18


class AppendOnlyPdf:
    """A seekable read/write file object: ``base`` (read-only) followed by appended bytes.

    Reads anywhere; writes only at or after ``len(base)``: a write into the original raises, so
    no bug can alter the revision that earlier signatures (or the PDF/A check) covered.

    pyHanko writes an update token by token (thousands of small writes for a visible stamp), so
    while the position is in the update, ``write`` *is* the update buffer's own C method, and
    ``tell`` reads that buffer's position; only seeks switch between the two regions.
    """

    write: Callable[[Any], int]

    def __init__(self, base: bytes) -> None:
        self.base = base
        self._view = memoryview(base)
        self._base_size = len(base)
        self._update = io.BytesIO()
        self._pos = 0  # the position while it is inside ``base``
        self._in_update = False
        self.write = self._refuse_write

    def update_bytes(self) -> bytes:
        """Everything appended after the original file (``base``)."""
        return self._update.getvalue()

    @property
    def size(self) -> int:
        return self._base_size + self._update.getbuffer().nbytes

    def readable(self) -> bool:
        return True

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._base_size + self._update.tell() if self._in_update else self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_SET:
            pos = offset
        elif whence == io.SEEK_CUR:
            pos = self.tell() + offset
        elif whence == io.SEEK_END:
            pos = self.size + offset
        else:
            raise ValueError(f"invalid whence {whence}")
        if pos < 0:
            raise ValueError(f"negative seek position {pos}")
        self._in_update = pos >= self._base_size
        if self._in_update:
            self._update.seek(pos - self._base_size)
            self.write = self._update.write
        else:
            self._pos = pos
            self.write = self._refuse_write
        return pos

    def _refuse_write(self, data: Any) -> int:
        if self._pos >= self._base_size:  # read up to the end of the original: append
            self.seek(self._pos)
            return self.write(data)
        raise io.UnsupportedOperation(
            f"write at {self._pos}: the original {self._base_size} bytes are read-only"
        )

    def read(self, size: int | None = -1) -> bytes:
        if self._in_update:
            return self._update.read(size)
        pos = self._pos
        if size is not None and 0 <= size <= self._base_size - pos:  # parsing the original
            self._pos = pos + size
            return self.base[pos : pos + size]
        end = self._base_size if size is None or size < 0 else min(self._base_size, pos + size)
        self._pos = end
        data = self.base[pos:end]
        if size is None or size < 0 or len(data) < size:  # reads on into the update
            self.seek(end)
            data += self._update.read(-1 if size is None or size < 0 else size - len(data))
        return data

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        if self._in_update:
            return self._update.readinto(view)
        pos = self._pos
        head = min(len(view), self._base_size - pos)
        view[:head] = self._view[pos : pos + head]  # copied straight from the original
        self._pos = pos + head
        if head == len(view):
            return head
        self.seek(self._base_size)
        return head + self._update.readinto(view[head:])

    def flush(self) -> None:
        pass


__all__ = ["HASH_CHUNK", "AppendOnlyPdf"]
