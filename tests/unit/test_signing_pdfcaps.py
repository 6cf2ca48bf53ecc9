"""The byte-level caps read what a PDF claims before any parser allocates for it (#11)."""

from __future__ import annotations

import pytest

from core.errors import VerifyLimit
from signing.pdfcaps import VerifyCaps, check_caps, scan
from tests.verify_inputs import huge_contents, xref_bomb

CAPS = VerifyCaps(
    max_bytes=1 << 24,
    max_xref_entries=1000,
    max_objects=1000,
    max_signatures=3,
    max_contents_bytes=100_000,
)


def test_an_ordinary_pdf_passes_and_is_measured() -> None:
    found = check_caps(huge_contents(10), CAPS)
    assert found.signatures == 1 and found.objects == 5 and found.xref_entries == 6


@pytest.mark.parametrize(
    ("data", "named"),
    [
        (xref_bomb(5000), "xref entries: 5000"),
        (b"%PDF-1.7\n<< /Type /XRef /Index [0 600 1000 600] >>", "xref entries: 1200"),
        (b"%PDF-1.7\nxref\n0 999999\n0000000000 65535 f \n", "xref entries: 999999"),
        (b"%PDF-1.7\n<< /Type /ObjStm /N 5000 /First 10 >>", "objects: 5000"),
        (b"%PDF-1.7\n<< /W [1 40 2] >>", "xref entry width: 43"),
        (b"%PDF-1.7\n" + b"/ByteRange [0 1 2 3] " * 4, "signatures: 4"),
        (b"%PDF-1.7\n/ByteRange [0 10 400010 5]", "signature /Contents bytes: 200000"),
        (huge_contents(200_000), "signature /Contents bytes: 200000"),
        (b"%PDF-1.7\n" + b"0" * (1 << 24), "file size"),
    ],
)
def test_claims_over_a_cap_are_refused_by_name(data: bytes, named: str) -> None:
    with pytest.raises(VerifyLimit, match=named) as caught:
        check_caps(data, CAPS)
    assert caught.value.status == 422 and caught.value.code == "verify-limit"
    assert caught.value.detail_vi


def test_scan_never_raises_on_garbage() -> None:
    for data in (b"", b"\xff" * 100, b"/Size", b"/Index [", b"/ByteRange [1 2", b"<" * 1000):
        scan(data)
