"""Stamp building blocks: the cached Vietnamese font subset, text layout, seal masking, QR, time
format and stamp placement."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image

from core.settings import Settings
from signing import appearance
from signing.request import Corner, QRContent, SigningPolicy, format_vn_time
from signing.stamps import stamp_box

FONT = Settings().stamp_font


def test_font_subset_covers_every_vietnamese_letter_and_is_cached() -> None:
    font = appearance.load_stamp_font(FONT)
    letters = "ĂÂĐÊÔƠƯăâđêôơư" + "ạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ"
    missing = [ch for ch in letters if ch not in font.gids]
    assert not missing
    assert appearance.load_stamp_font(FONT) is font  # subset once per process
    assert font.postscript_name.startswith("SOHOAA+")  # PDF subset-tag convention


def test_text_is_normalised_before_glyph_lookup() -> None:
    font = appearance.load_stamp_font(FONT)
    decomposed = "Ky\u0301 bơ\u0309i"  # "Ký bởi" typed with combining marks
    assert font.encode(decomposed) == font.encode("Ký bởi")
    assert font.width("Ký bởi", 10) > font.width("Ky boi", 10) * 0.9


def test_wrap_keeps_lines_within_width() -> None:
    font = appearance.load_stamp_font(FONT)
    text = "Ký bởi: Ủy ban nhân dân xã Thử Nghiệm, huyện Đồng Hỷ, tỉnh Thái Nguyên"
    lines = appearance.wrap_text(font, text, 8, 120)
    assert len(lines) > 1
    assert all(font.width(line, 8) <= 120 for line in lines if " " in line)
    assert " ".join(lines) == text


def test_seal_alpha_becomes_a_stencil_mask(tmp_path: Path) -> None:
    image = Image.new("RGBA", (40, 20), (0, 0, 0, 0))
    image.paste((255, 0, 0, 255), (0, 0, 20, 20))
    path = tmp_path / "seal.png"
    image.save(path)
    seal = appearance.load_seal(path)
    assert (seal.width, seal.height) == (40, 20)
    assert seal.mask_flate is not None
    import zlib

    mask = zlib.decompress(seal.mask_flate)
    # one bit per pixel, rows padded to bytes: left half painted (0), right half masked (1)
    assert len(mask) == 5 * 20
    assert mask[0] == 0b00000000 and mask[4] == 0b11111111


def test_opaque_seal_needs_no_mask(tmp_path: Path) -> None:
    path = tmp_path / "opaque.png"
    Image.new("RGB", (10, 10), (200, 0, 0)).save(path)
    assert appearance.load_seal(path).mask_flate is None


def test_qr_payload_holds_url_dossier_document_and_time() -> None:
    qr = QRContent(
        "https://x.gov.vn/v/1", "HS-001", "Giấy phép", datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    )
    payload = qr.payload()
    assert payload.splitlines()[0] == "https://x.gov.vn/v/1"
    assert (
        "HS-001" in payload and "Giấy phép" in payload and "02/01/2025 10:04:05 +07:00" in payload
    )
    matrix = appearance.qr_matrix(payload)
    assert len(matrix) == len(matrix[0]) >= 21
    ops = appearance.qr_content_ops(matrix, 10, 10, 72)
    assert ops.startswith(b"q 1 g") and ops.endswith(b"f Q")


def test_vietnam_time_format() -> None:
    assert (
        format_vn_time(datetime(2025, 12, 31, 20, 0, 1, tzinfo=UTC)) == "01/01/2026 03:00:01 +07:00"
    )


@pytest.mark.parametrize(
    ("corner", "expected"),
    [
        (Corner.TOP_LEFT, (18, 842 - 18 - 64)),
        (Corner.TOP_RIGHT, (595 - 18 - 200, 842 - 18 - 64)),
        (Corner.BOTTOM_LEFT, (18, 18)),
        (Corner.BOTTOM_RIGHT, (595 - 18 - 200, 18)),
    ],
)
def test_stamp_corner_placement(corner: Corner, expected: tuple[float, float]) -> None:
    x0, y0, x1, y1 = stamp_box(corner, (0, 0, 595, 842), 200, 64, 18)
    assert (x0, y0) == expected and (x1 - x0, y1 - y0) == (200, 64)


def test_policy_is_frozen_and_read_from_settings() -> None:
    policy = SigningPolicy.from_settings(Settings(qr_corner="top-left", stamp_width=150))
    assert policy.qr_corner is Corner.TOP_LEFT and policy.stamp_width == 150
    with pytest.raises(AttributeError):
        policy.stamp_width = 1  # type: ignore[misc]


def test_stamp_text_and_corner_come_from_settings() -> None:
    from typing import Any, cast

    from core.domain import SignerRole
    from signing.request import SignatureRequest
    from signing.stamps import stamp_text

    policy = SigningPolicy.from_settings(
        Settings(agency_stamp_text="Đã ký: {name}\\n{time}", agency_stamp_corner="bottom-left")
    )
    assert policy.agency_corner is Corner.BOTTOM_LEFT
    assert policy.officer_corner is Corner.TOP_LEFT
    when = datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)
    text = stamp_text(
        SignatureRequest(display_name="UBND phường Một"), policy, cast(Any, None), when
    )
    assert text == "Đã ký: UBND phường Một\n04/03/2025 12:06:07 +07:00"
    officer = stamp_text(
        SignatureRequest(role=SignerRole.OFFICER, display_name="Lê Văn Tám", scan_time=when),
        policy,
        cast(Any, None),
        when,
    )
    assert officer == "Cán bộ số hóa: Lê Văn Tám\nThời gian số hóa: 04/03/2025 12:06:07 +07:00"


def test_stamps_are_placed_in_the_visible_area() -> None:
    from signing.stamps import media_box

    parent: dict[str, object] = {"/MediaBox": [0, 0, 612, 792]}
    page: dict[str, object] = {"/Parent": _Ref(parent), "/CropBox": [36, 36, 576, 756]}
    assert media_box(_Dict(page)) == (36, 36, 576, 756)
    assert media_box(_Dict({"/Parent": _Ref(parent)})) == (0, 0, 612, 792)


class _Dict(dict):  # type: ignore[type-arg]
    """Just enough of pyHanko's DictionaryObject for media_box."""


class _Ref:
    def __init__(self, target: dict[str, object]) -> None:
        self.target = target

    def get_object(self) -> _Dict:
        return _Dict(self.target)
