"""Helpers of the browser journey: scans, QR decoding, waiting on document cards."""

from __future__ import annotations

import io
import subprocess
import time
from pathlib import Path
from typing import Any

from samples.pages import render_page


def skewed_scan(folder: Path, seed: int, name: str) -> Path:
    """A skewed (2°), noisy 300 dpi JPEG scan of a Vietnamese page."""
    page = render_page(seed, lines=8, skew_degrees=2.0)
    buffer = io.BytesIO()
    page.image.save(buffer, "JPEG", quality=80, dpi=(300, 300))
    path = folder / name
    path.write_bytes(buffer.getvalue())
    return path


def qr_of_pdf(pdf: Path, page: int = 1) -> str:
    """The QR code on a PDF page, read the way a phone camera would (poppler + zbar)."""
    out = pdf.with_name(f"{pdf.stem}-qr")
    subprocess.run(
        ["pdftoppm", "-r", "200", "-png", "-f", str(page), "-l", str(page), "-singlefile",
         str(pdf), str(out)],
        check=True, capture_output=True,
    )  # fmt: skip
    done = subprocess.run(
        ["zbarimg", "--raw", "-q", str(out.with_suffix(".png"))], capture_output=True, check=False
    )
    codes = done.stdout.decode().strip().splitlines()
    assert codes, f"no QR code found on page {page} of {pdf.name}"
    return codes[0]


def wait_card(page: Any, document_id: int, wanted: str, timeout: float = 240) -> None:
    """Wait until the card of ``document_id`` (polled by htmx) shows status ``wanted``."""
    deadline = time.monotonic() + timeout
    card = page.locator(f"#doc-{document_id}")
    status = ""
    while time.monotonic() < deadline:
        status = card.get_attribute("data-status") or ""
        if status == wanted:
            return
        assert status != "failed", card.inner_text()
        page.wait_for_timeout(500)
    raise AssertionError(f"document {document_id} stuck in {status!r}")


def card_ids(page: Any) -> list[int]:
    ids = page.locator("#documents article").evaluate_all("els => els.map(e => e.id)")
    return [int(i.split("-", 1)[1]) for i in ids]
