"""Rendered odd pages for the orientation and image-storage tests (no file stored).

An upright landscape chart (biểu đồ) whose category and axis labels run vertically trips any
"text lines run vertically, so the page is sideways" rule: it must stay as it is. The same
module turns ordinary text pages by 90/180/270° for the opposite case.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFont

from samples.pages import FONT_DIR, FONTS, SENTENCES, render_page

#: Category names of a one-stop-shop monthly report (báo cáo tháng), written vertically.
CATEGORIES = (
    "Đất đai",
    "Hộ tịch",
    "Xây dựng",
    "Kinh doanh",
    "Lao động",
    "Giáo dục",
    "Y tế",
    "Giao thông",
    "Môi trường",
    "Nông nghiệp",
    "Tư pháp",
    "Thuế phí",
)


@dataclass(frozen=True)
class RenderedChart:
    """An upright landscape chart page, its DPI and the words printed horizontally on it."""

    image: Image.Image
    dpi: int
    title: str


def _vertical_label(text: str, font: ImageFont.FreeTypeFont) -> Image.Image:
    left, top, right, bottom = (round(v) for v in font.getbbox(text))
    label = Image.new("L", (right - left + 8, bottom - top + 8), 255)
    ImageDraw.Draw(label).text((4 - left, 4 - top), text, font=font, fill=0)
    return label.rotate(90, expand=True, fillcolor=255)


def render_landscape_chart(seed: int, *, dpi: int = 200, captions: int = 1) -> RenderedChart:
    """An A4 landscape bar chart: vertical category labels and axis title, horizontal title.

    Args:
        seed: Chooses bar heights and the caption sentences.
        dpi: Resolution of the "scan".
        captions: Horizontal caption lines under the title (0–3); fewer make it harder.
    """
    rng = random.Random(seed)
    width, height = round(11.69 * dpi), round(8.27 * dpi)
    page = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(page)
    title_font = ImageFont.truetype(str(FONT_DIR / FONTS[1]), round(16 * dpi / 72))
    font = ImageFont.truetype(str(FONT_DIR / FONTS[1]), round(12 * dpi / 72))
    title = "Số hồ sơ tiếp nhận theo lĩnh vực, quý III"
    draw.text((round(1.5 * dpi), round(0.5 * dpi)), title, font=title_font, fill=0)
    for i in range(captions):
        draw.text(
            (round(1.5 * dpi), round((0.9 + 0.3 * i) * dpi)),
            rng.choice(SENTENCES)[:70],
            font=font,
            fill=0,
        )
    left, right = round(1.6 * dpi), width - round(0.8 * dpi)
    top, bottom = round(2.0 * dpi), height - round(2.4 * dpi)
    draw.line((left, top, left, bottom, right, bottom), fill=0, width=max(2, dpi // 60))
    axis = _vertical_label("Số hồ sơ (bộ)", font)
    page.paste(axis, (round(0.6 * dpi), (top + bottom - axis.height) // 2))
    slot = (right - left) / len(CATEGORIES)
    for i, name in enumerate(CATEGORIES):
        bar_height = rng.uniform(0.2, 0.95) * (bottom - top)
        x0 = round(left + i * slot + slot * 0.2)
        x1 = round(left + (i + 1) * slot - slot * 0.2)
        draw.rectangle((x0, round(bottom - bar_height), x1, bottom), fill=150, outline=0)
        label = _vertical_label(name, font)
        page.paste(label, (round(left + (i + 0.5) * slot - label.width / 2), bottom + dpi // 12))
        tick = _vertical_label(str(rng.randint(12, 480)), font)
        page.paste(tick, (x0, round(bottom - bar_height) - tick.height - 6))
    page.info["dpi"] = (dpi, dpi)
    return RenderedChart(page, dpi, title)


def render_turned_page(seed: int, turn: int, *, dpi: int = 200, lines: int = 14) -> Image.Image:
    """A portrait text page as it would come off a scanner fed ``turn``° clockwise."""
    image = render_page(seed, dpi=dpi, skew_degrees=0.6, lines=lines, noise=8, blur=0.4).image
    turned = image.rotate(-turn, expand=True) if turn else image
    turned.info["dpi"] = (dpi, dpi)
    return turned
