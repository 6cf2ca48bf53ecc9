"""AppendOnlyPdf behaves like a file holding ``base`` + appended bytes, and never lets the
original be overwritten."""

from __future__ import annotations

import io
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from signing.incremental import AppendOnlyPdf

BASE = bytes(range(256)) * 4  # 1 KiB of distinguishable bytes

# One operation: ("seek", offset, whence) | ("read", size) | ("readinto", size) |
# ("write", data, offset into the update region) | ("write_here", data) | ("tell",)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("seek"), st.integers(0, 1400), st.sampled_from([0, 2])),
        st.tuples(st.just("read"), st.integers(-1, 600)),
        st.tuples(st.just("readinto"), st.integers(0, 600)),
        st.tuples(st.just("write"), st.binary(min_size=0, max_size=80), st.integers(0, 200)),
        st.tuples(st.just("write_here"), st.binary(min_size=1, max_size=40)),
        st.tuples(st.just("tell")),
    ),
    max_size=40,
)


@settings(max_examples=300, deadline=None)
@given(operations)
def test_behaves_like_a_bytesio_holding_base_then_the_update(ops: list[tuple[Any, ...]]) -> None:
    ours, model = AppendOnlyPdf(BASE), io.BytesIO(BASE)
    for op in ops:
        if op[0] == "seek":
            _, offset, whence = op
            offset = -min(offset, len(model.getvalue())) if whence == 2 else offset
            assert ours.seek(offset, whence) == model.seek(offset, whence)
        elif op[0] == "read":
            assert ours.read(op[1]) == model.read(op[1])
        elif op[0] == "readinto":
            mine, theirs = bytearray(op[1]), bytearray(op[1])
            assert ours.readinto(mine) == model.readinto(theirs)
            assert mine == theirs
        elif op[0] == "write":
            _, data, offset = op
            position = len(BASE) + offset  # writes only ever land after the original
            ours.seek(position)
            model.seek(position)
            assert ours.write(data) == model.write(data)
        elif op[0] == "write_here":  # no seek first: allowed only past the original
            if model.tell() >= len(BASE):
                assert ours.write(op[1]) == model.write(op[1])
            else:
                with pytest.raises(io.UnsupportedOperation):
                    ours.write(op[1])
        assert ours.tell() == model.tell()
    assert ours.base + ours.update_bytes() == model.getvalue()
    assert ours.size == len(model.getvalue())


def test_the_original_bytes_cannot_be_overwritten() -> None:
    pdf = AppendOnlyPdf(BASE)
    pdf.seek(len(BASE) - 1)
    with pytest.raises(io.UnsupportedOperation, match="read-only"):
        pdf.write(b"x")
    pdf.seek(0, io.SEEK_END)
    assert pdf.write(b"%%update") == 8
    pdf.seek(10)
    with pytest.raises(io.UnsupportedOperation):
        pdf.write(b"y")
    assert pdf.base is BASE, "the original is kept as given, never copied"
    assert pdf.update_bytes() == b"%%update"


def test_reading_to_the_end_of_the_original_then_writing_appends() -> None:
    pdf = AppendOnlyPdf(b"abc")
    assert pdf.read(3) == b"abc"
    assert pdf.write(b"d") == 1
    assert pdf.tell() == 4
    pdf.seek(0)
    assert pdf.read() == b"abcd"


def test_a_read_across_the_boundary_returns_both_parts() -> None:
    pdf = AppendOnlyPdf(b"abc")
    pdf.seek(0, io.SEEK_END)
    pdf.write(b"def")
    pdf.seek(1)
    assert pdf.read(4) == b"bcde"
    pdf.seek(2)
    buffer = bytearray(10)
    assert pdf.readinto(buffer) == 4
    assert bytes(buffer[:4]) == b"cdef"
    assert pdf.read() == b""
    with pytest.raises(ValueError):
        pdf.seek(-1)
