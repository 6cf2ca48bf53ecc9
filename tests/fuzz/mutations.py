"""Seeded, shrinkable mutations of real inputs for the fuzz suite (hypothesis strategies).

Each case is a seed file plus a few edits: bit flips, overwritten or deleted runs, inserted
PDF tokens that size allocations (``/Size``, ``/N``, ``/Length``, ``/ByteRange``), numbers
replaced by huge ones, truncation. Edits are positions as fractions of the length, so a case
shrinks to the smallest edit that still fails.
"""

from __future__ import annotations

import re

from hypothesis import strategies as st

#: Tokens that tell a PDF reader how much to read or allocate, and structure keywords.
TOKENS = (
    b"/Size 4000000000 ",
    b"/Length 999999999 ",
    b"/N 99999999 ",
    b"/W [1 8 9] ",
    b"/Index [0 400000] ",
    b"/ByteRange [0 1 2 3] ",
    b"/Type /ObjStm ",
    b"/Type /XRef ",
    b"<< /Type /Sig /Contents <3082FFFF> >>",
    b"endstream endobj ",
    b"stream\n",
    b"xref\n0 99999999\n",
    b"trailer << /Root 1 0 R /Size 3 >>",
    b"startxref\n0\n%%EOF",
    b"1 0 R ",
    b"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
    b"<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<",
    b"\x00\xff\xfe\x00",
    b"IHDR\x7f\xff\xff\xff\x7f\xff\xff\xff",  # PNG dimensions
    b"\xff\xc0\x00\x11\x08\xff\xff\xff\xff",  # JPEG SOF0 with 65535 x 65535
    b"\x00\x01\x03\x00\x01\x00\x00\x00\xff\xff\x00\x00",  # TIFF ImageWidth tag
)
_NUMBER = re.compile(rb"\d{1,9}")

_position = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
_edit = st.one_of(
    st.tuples(st.just("flip"), _position, st.integers(0, 7)),
    st.tuples(st.just("overwrite"), _position, st.binary(min_size=1, max_size=16)),
    st.tuples(st.just("delete"), _position, st.integers(1, 64)),
    st.tuples(st.just("insert"), _position, st.sampled_from(TOKENS)),
    st.tuples(st.just("number"), _position, st.sampled_from((0, 2**31, 10**12, 99999999))),
    st.tuples(st.just("truncate"), _position, st.just(0)),
)


def apply(data: bytes, edits: list[tuple[str, float, object]]) -> bytes:
    """``data`` with ``edits`` applied in order."""
    buf = bytearray(data)
    for kind, where, arg in edits:
        at = min(len(buf), int(where * len(buf))) if buf else 0
        if kind == "flip" and buf:
            at = min(at, len(buf) - 1)
            buf[at] ^= 1 << int(arg)  # type: ignore[call-overload]
        elif kind == "overwrite":
            payload = bytes(arg)  # type: ignore[call-overload]
            buf[at : at + len(payload)] = payload
        elif kind == "delete":
            del buf[at : at + int(arg)]  # type: ignore[call-overload]
        elif kind == "insert":
            buf[at:at] = bytes(arg)  # type: ignore[call-overload]
        elif kind == "number":
            match = _NUMBER.search(bytes(buf), at)
            if match is not None:
                buf[match.start() : match.end()] = str(arg).encode()
        elif kind == "truncate":
            del buf[max(1, at) :]
    return bytes(buf)


def mutated(seeds: dict[str, bytes]) -> st.SearchStrategy[tuple[str, bytes]]:
    """(seed name, mutated bytes) drawn from ``seeds``."""
    names = sorted(seeds)
    return st.tuples(st.sampled_from(names), st.lists(_edit, min_size=1, max_size=6)).map(
        lambda case: (case[0], apply(seeds[case[0]], case[1]))
    )


__all__ = ["TOKENS", "apply", "mutated"]
