"""Cheap structural caps on a PDF's raw bytes, checked before any parser sees them.

A PDF tells its reader how much to allocate: an xref stream's ``/Size`` and ``/Index``, an
object stream's ``/N``, a signature's ``/ByteRange`` gap. A 34 KB file claiming five million
xref entries made pyHanko allocate a gigabyte; a 52 MB ``/Contents`` took 47 s. These numbers
are readable with a regular expression over the bytes (the dictionaries that carry them are
never compressed), so an upload is refused by name before parsing. The parsed file is checked
again in the child process (``signing.isolated``), which also runs under CPU and memory limits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from core.errors import VerifyLimit
from core.settings import Settings

_SIZE = re.compile(rb"/Size\s+(\d{1,20})")
_INDEX = re.compile(rb"/Index\s*\[([\d\s]{0,4000})\]")
_XREF_SECTION = re.compile(rb"(?:^|[\r\n])\s*(\d{1,20})\s+(\d{1,20})\s*[\r\n]+\s*\d{10}\s")
_OBJ = re.compile(rb"\d{1,10}\s+\d{1,10}\s+obj\b")
_OBJSTM = re.compile(rb"/Type\s*/ObjStm")
_N = re.compile(rb"/N\s+(\d{1,20})")
_INT = rb"(-?\d{1,20})"
_BYTERANGE = re.compile(rb"/ByteRange\s*\[\s*" + rb"\s+".join([_INT] * 4))
_W = re.compile(rb"/W\s*\[\s*(\d{1,20})\s+(\d{1,20})\s+(\d{1,20})\s*\]")
_HEX_RUN = 64 * 1024  # hex strings are only measured when they are at least this long
_LONG_HEX = re.compile(rb"<([0-9A-Fa-f\s]{%d,})>?" % _HEX_RUN)


@dataclass(frozen=True)
class VerifyCaps:
    """The limits of one validation (from settings; tests pass smaller ones)."""

    max_bytes: int
    max_xref_entries: int
    max_objects: int
    max_signatures: int
    max_contents_bytes: int

    @classmethod
    def from_settings(cls, settings: Settings) -> VerifyCaps:
        return cls(
            max_bytes=settings.verify_max_upload_bytes,
            max_xref_entries=settings.verify_max_xref_entries,
            max_objects=settings.verify_max_objects,
            max_signatures=settings.verify_max_signatures,
            max_contents_bytes=settings.verify_max_contents_bytes,
        )


@dataclass(frozen=True)
class Scan:
    """What the raw bytes claim (upper bounds, not exact counts)."""

    xref_entries: int
    objects: int
    signatures: int
    largest_contents: int


def _limit(what: str, value: int, cap: int, vi: str) -> VerifyLimit:
    return VerifyLimit(
        f"{what}: {value} is over the verification limit of {cap}",
        detail_vi=f"{vi}: {value} vượt quá giới hạn kiểm tra {cap}",
    )


def _xref_entries(data: bytes) -> int:
    claimed = max((int(m.group(1)) for m in _SIZE.finditer(data)), default=0)
    for match in _INDEX.finditer(data):
        numbers = [int(n) for n in match.group(1).split()]
        claimed = max(claimed, sum(numbers[1::2]))
    for match in _XREF_SECTION.finditer(data):
        claimed = max(claimed, int(match.group(2)))
    return claimed


def _objects(data: bytes) -> int:
    count = sum(1 for _ in _OBJ.finditer(data))
    for match in _OBJSTM.finditer(data):
        # /N sits in the same small dictionary as /Type /ObjStm
        window = data[max(0, match.start() - 512) : match.end() + 512]
        count += max((int(n.group(1)) for n in _N.finditer(window)), default=0)
    return count


def _largest_contents(data: bytes) -> int:
    largest = 0
    for match in _BYTERANGE.finditer(data):
        a, b, c, _ = (int(g) for g in match.groups())
        largest = max(largest, (c - (a + b)) // 2, 0)
    for match in _LONG_HEX.finditer(data):
        largest = max(largest, len(match.group(1)) // 2)
    return largest


def scan(data: bytes) -> Scan:
    """What ``data`` claims about its own size (never raises, whatever the bytes)."""
    return Scan(
        xref_entries=_xref_entries(data),
        objects=_objects(data),
        signatures=data.count(b"/ByteRange"),
        largest_contents=_largest_contents(data),
    )


def check_caps(data: bytes, caps: VerifyCaps) -> Scan:
    """Refuse ``data`` with :class:`VerifyLimit` if it claims more than ``caps`` allow.

    Raises:
        VerifyLimit: naming the first cap passed.
    """
    if len(data) > caps.max_bytes:
        raise _limit("file size", len(data), caps.max_bytes, "Dung lượng tệp")
    found = scan(data)
    if found.xref_entries > caps.max_xref_entries:
        raise _limit("xref entries", found.xref_entries, caps.max_xref_entries, "Số mục xref")
    for match in _W.finditer(data):
        width = sum(int(g) for g in match.groups())
        if width > 32:  # a cross-reference entry is a few bytes; more is an allocation lever
            raise _limit("xref entry width", width, 32, "Độ rộng mục xref")
    if found.objects > caps.max_objects:
        raise _limit("objects", found.objects, caps.max_objects, "Số đối tượng")
    if found.signatures > caps.max_signatures:
        raise _limit("signatures", found.signatures, caps.max_signatures, "Số chữ ký")
    if found.largest_contents > caps.max_contents_bytes:
        raise _limit(
            "signature /Contents bytes",
            found.largest_contents,
            caps.max_contents_bytes,
            "Dung lượng chữ ký",
        )
    return found


def check_parsed(embedded: list[Any], caps: VerifyCaps) -> None:
    """The parsed signatures (pyHanko's) against ``caps``: their number, each ``/Contents``.

    Signatures may sit in object streams, out of reach of :func:`check_caps`.
    """
    if len(embedded) > caps.max_signatures:
        raise VerifyLimit(
            f"signatures: {len(embedded)} is over the verification limit of {caps.max_signatures}",
            detail_vi="Số chữ ký vượt quá giới hạn kiểm tra",
        )
    for sig in embedded:
        try:
            size = len(sig.sig_object.raw_get("/Contents").original_bytes)
        except Exception:  # no or odd /Contents: the validation names it
            continue
        if size > caps.max_contents_bytes:
            raise VerifyLimit(
                f"signature /Contents bytes: {size} is over the verification limit of "
                f"{caps.max_contents_bytes}",
                detail_vi="Dung lượng chữ ký vượt quá giới hạn kiểm tra",
            )


__all__ = ["Scan", "VerifyCaps", "check_caps", "check_parsed", "scan"]
