"""Small page images of a PDF for the web pages (thumbnails, the stamp preview), via poppler.

``ocr`` is the one area that runs poppler; the web asks for a page image through
``pipeline.adapters.page_image`` and caches the PNG itself.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from core.errors import CorruptFile

#: Seconds pdftoppm may take for one small page image before it is given up.
TIMEOUT_SECONDS = 30


def page_png(pdf: Path, page: int, width: int) -> bytes:
    """Page ``page`` (1-based) of ``pdf`` as a PNG ``width`` pixels wide.

    Raises:
        CorruptFile: poppler cannot render that page.
    """
    with tempfile.TemporaryDirectory(prefix="sohoa-preview-") as tmp:
        out = Path(tmp) / "page"
        done = subprocess.run(
            ["pdftoppm", "-png", "-f", str(page), "-l", str(page), "-singlefile",
             "-scale-to-x", str(width), "-scale-to-y", "-1", str(pdf), str(out)],
            capture_output=True, check=False, timeout=TIMEOUT_SECONDS,
        )  # fmt: skip
        png = out.with_suffix(".png")
        if done.returncode != 0 or not png.exists():
            raise CorruptFile(
                f"cannot render page {page}: {done.stderr.decode(errors='replace')[:200]}",
                detail_vi=f"Không hiển thị được trang {page}",
            )
        return png.read_bytes()


__all__ = ["page_png"]
