"""Synthetic Vietnamese scans, rendered on the spot (shared by the OCR tests and ``bench_ocr``).

A page is dense administrative Vietnamese set in Noto Serif/Sans (fonts-noto-core has every
Vietnamese glyph), then degraded like a cheap office scan: a small rotation (skew), blur,
Gaussian-ish noise and JPEG compression. The exact text is returned with the image, so a test can
measure the character error rate (CER) of whatever reads it back.
"""

from __future__ import annotations

import difflib
import io
import random
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

FONT_DIR = Path("/usr/share/fonts/truetype/noto")
FONTS = ("NotoSerif-Regular.ttf", "NotoSans-Regular.ttf")

#: Sentences in the register of a one-stop-shop dossier (hồ sơ một cửa); every tone mark occurs.
SENTENCES = (
    "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015.",
    "Ủy ban nhân dân xã tiếp nhận hồ sơ đề nghị cấp giấy chứng nhận quyền sử dụng đất.",
    "Công dân nộp bản sao có chứng thực giấy khai sinh và sổ hộ khẩu gia đình.",
    "Thời hạn giải quyết không quá mười lăm ngày làm việc kể từ ngày nhận đủ hồ sơ hợp lệ.",
    "Bộ phận một cửa có trách nhiệm hướng dẫn, kiểm tra tính đầy đủ của thành phần hồ sơ.",
    "Trường hợp hồ sơ chưa đầy đủ, cán bộ tiếp nhận phải thông báo bằng văn bản cho người nộp.",
    "Người đứng đầu cơ quan chịu trách nhiệm trước pháp luật về kết quả giải quyết thủ tục.",
    "Phí thẩm định được nộp qua ngân hàng hoặc cổng dịch vụ công quốc gia theo quy định.",
    "Văn bản điện tử có chữ ký số của người có thẩm quyền có giá trị pháp lý như bản giấy.",
    "Kết quả số hóa được lưu trữ trong kho dữ liệu điện tử của tổ chức, cá nhân.",
    "Đề nghị các phòng, ban chuyên môn phối hợp thực hiện nghiêm túc nội dung trên.",
    "Quyết định này có hiệu lực thi hành kể từ ngày ký ban hành; các quy định trước đây trái với",
    "Nơi nhận: như Điều 3; Thường trực Huyện ủy; Chủ tịch, các Phó Chủ tịch; lưu văn thư.",
    "Hộ gia đình ông Nguyễn Văn Hùng, bà Trần Thị Thủy cư trú tại thôn Phước Lộc, xã Hòa Hiệp.",
    "Diện tích thửa đất 245,6 mét vuông, mục đích sử dụng: đất ở tại nông thôn, lâu dài.",
    "Giấy tờ chứng minh nhân thân gồm căn cước công dân gắn chíp điện tử còn thời hạn.",
    "Xác nhận của trưởng thôn về việc sử dụng đất ổn định, không tranh chấp, phù hợp quy hoạch.",
    "Chuyển hồ sơ đến Văn phòng đăng ký đất đai để cập nhật, chỉnh lý biến động theo quy định.",
    "Nghĩa vụ tài chính được xác định trên cơ sở bảng giá đất do Ủy ban nhân dân tỉnh ban hành.",
    "Ông Lê Đức Thịnh, Phó Chủ tịch, ký thay Chủ tịch Ủy ban nhân dân xã Quảng Điền.",
)


@dataclass(frozen=True)
class SyntheticPage:
    """A rendered page: the degraded image, the truth text (one line per text line), its DPI."""

    image: Image.Image
    text: str
    dpi: int
    skew_degrees: float


def _lines(rng: random.Random, font: ImageFont.FreeTypeFont, width: int, count: int) -> list[str]:
    words: list[str] = []
    while len(words) < count * 14:
        words.extend(rng.choice(SENTENCES).split())
    lines: list[str] = []
    current: list[str] = []
    for word in words:
        candidate = " ".join([*current, word])
        if current and font.getlength(candidate) > width:
            lines.append(" ".join(current))
            current = [word]
            if len(lines) == count:
                break
        else:
            current.append(word)
    return lines


def render_page(
    seed: int,
    *,
    dpi: int = 300,
    skew_degrees: float = 2.0,
    lines: int = 40,
    font_name: str = FONTS[0],
    point_size: float = 11.0,
    noise: int = 18,
    blur: float = 0.6,
    jpeg_quality: int = 70,
    noise_seed: int | None = None,
) -> SyntheticPage:
    """Render one A4 page of Vietnamese text and degrade it like a scan.

    Args:
        seed: Chooses the sentences (deterministic).
        dpi: Resolution of the "scan".
        skew_degrees: Counter-clockwise rotation applied to the whole page.
        lines: Text lines on the page (40 is a dense page at 11 pt).
        font_name: A file in ``FONT_DIR``.
        point_size: Type size.
        noise: Amplitude of the additive noise (0 disables it).
        blur: Gaussian blur radius in pixels (0 disables it).
        jpeg_quality: JPEG quality of the final round trip (0 keeps the lossless image).
        noise_seed: Draw the noise from this seed (the same grain for every page rendered with
            it, skewed or not); None uses Pillow's generator, which differs from call to call.
    """
    rng = random.Random(seed)
    width, height = round(8.27 * dpi), round(11.69 * dpi)
    margin = round(0.9 * dpi)
    font = ImageFont.truetype(str(FONT_DIR / font_name), round(point_size * dpi / 72))
    text_lines = _lines(rng, font, width - 2 * margin, lines)
    page = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(page)
    leading = round(point_size * 1.9 * dpi / 72)
    y = margin
    for line in text_lines:
        draw.text((margin, y), line, font=font, fill=20)
        y += leading
    if skew_degrees:
        page = page.rotate(skew_degrees, resample=Image.Resampling.BICUBIC, fillcolor=255)
    if blur:
        page = page.filter(ImageFilter.GaussianBlur(blur))
    if noise:
        # effect_noise is Gaussian around 128: adding it with offset -128 keeps the work in C.
        if noise_seed is None:
            grain = Image.effect_noise((width, height), noise)
        else:
            grain = seeded_grain((width, height), noise, noise_seed)
        page = ImageChops.add(page, grain, scale=1.0, offset=-128)
    if jpeg_quality:
        buffer = io.BytesIO()
        page.save(buffer, "JPEG", quality=jpeg_quality)
        page = Image.open(io.BytesIO(buffer.getvalue()))
        page.load()
    page.info["dpi"] = (dpi, dpi)
    truth = unicodedata.normalize("NFC", "\n".join(text_lines))
    return SyntheticPage(page, truth, dpi, skew_degrees)


def seeded_grain(size: tuple[int, int], sigma: float, seed: int) -> Image.Image:
    """Noise around 128 with standard deviation ``sigma``, the same for the same seed.

    The mean of four uniform byte images is close to Gaussian (σ ≈ 36.9); a lookup table scales
    it to ``sigma``. Everything but the table runs in C.
    """
    rng = random.Random(seed)
    count = size[0] * size[1]
    u = [Image.frombytes("L", size, rng.randbytes(count)) for _ in range(4)]
    mean = ImageChops.add(
        ImageChops.add(u[0], u[1], scale=2), ImageChops.add(u[2], u[3], scale=2), scale=2
    )
    spread = sigma / 36.9
    return mean.point([max(0, min(255, round(128 + (v - 127.5) * spread))) for v in range(256)])


#: JPEG quality of the page images ``save_pdf`` writes.
PDF_JPEG_QUALITY = 85


def save_pdf(pages: list[SyntheticPage], path: Path) -> Path:
    """Write the pages as a scanned PDF (one JPEG image per page, at the page's DPI)."""
    images = [p.image.convert("L") for p in pages]
    images[0].save(
        path,
        "PDF",
        save_all=True,
        append_images=images[1:],
        resolution=float(pages[0].dpi),
        quality=PDF_JPEG_QUALITY,
    )
    return path


def cer(truth: str, hypothesis: str) -> float:
    """Character error rate, whitespace collapsed.

    The cost of difflib's alignment (each replaced, inserted or deleted run costs its longer
    side) is an upper bound of the edit distance, so this never flatters the OCR; a pure-Python
    Levenshtein over a 3000-character page would take seconds.
    """
    reference = " ".join(unicodedata.normalize("NFC", truth).split())
    candidate = " ".join(unicodedata.normalize("NFC", hypothesis).split())
    if not reference:
        return 0.0 if not candidate else 1.0
    matcher = difflib.SequenceMatcher(None, reference, candidate, autojunk=False)
    errors = sum(
        max(i2 - i1, j2 - j1) for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"
    )
    return errors / len(reference)
