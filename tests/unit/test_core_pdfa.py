"""A PDF/A verdict depends on the PDF only: stray process-wide warnings cannot fail a valid file.

Seen in CI: a test's unclosed HTTP socket was garbage-collected while pikepdf.pdfa parsed a
content stream, and its ResourceWarning was reported as a content-parse violation of a valid
PDF/A written by ``sohoa digitize``.
"""

from __future__ import annotations

import gc
import io
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pikepdf
import pikepdf.pdfa
import pytest
from pikepdf.pdfa import Finding, Flavour, Report

from core import pdfa
from samples.pki import make_pdfa


class _Leaky:
    """Cyclic garbage whose finalizer warns, like an unclosed socket, and leaves more behind."""

    storming = False

    def __init__(self) -> None:
        self.cycle = self

    def __del__(self) -> None:
        if _Leaky.storming:
            warnings.warn("unclosed <socket fd=14>", ResourceWarning, stacklevel=1)
            _Leaky()


@contextmanager
def _warning_storm() -> Iterator[None]:
    """Every garbage collection (forced to run very often) emits a ResourceWarning."""
    thresholds = gc.get_threshold()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # outside pikepdf's own recording window
        _Leaky.storming = True
        gc.set_threshold(1, 1, 1)
        _Leaky()
        try:
            yield
        finally:
            _Leaky.storming = False
            gc.set_threshold(*thresholds)
            gc.collect()


def _report(*findings: Finding) -> Report:
    return Report(flavour=Flavour.PDFA_2B, findings=list(findings))


CAUGHT = Finding("pikepdf:content-parse", "obj 7 0 (Page) content", "content stream: unclosed")
REAL = Finding("ISO_19005_2:6.2.4.3-2", "obj 9 0 (Page)", "device colour without intent")


def test_a_valid_file_passes_while_finalizers_warn(tmp_path: Path) -> None:
    data = make_pdfa(tmp_path / "one.pdf", pages=3).read_bytes()
    with _warning_storm():
        unguarded = pikepdf.pdfa.validate_written(io.BytesIO(data), "2b")
        guarded = pdfa.validate(io.BytesIO(data), "2b")
    assert not unguarded.passed, "the storm no longer reaches pikepdf's check: test is moot"
    assert pdfa.only_caught_warnings(unguarded)
    assert guarded.passed, guarded.findings


def test_save_writes_a_valid_file_while_finalizers_warn(tmp_path: Path) -> None:
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(595, 842))
    pdf.pages[0].obj.Contents = pdf.make_stream(b"0.2 g 72 700 451 2 re f")
    target = tmp_path / "saved.pdf"
    with _warning_storm():
        report = pdfa.save(pdf, target, "2b")
    assert report.passed and target.is_file()


def test_a_caught_warning_is_checked_once_more_and_a_real_violation_is_not() -> None:
    calls: list[Report] = []

    def sequence(*reports: Report) -> Report:
        report = reports[len(calls)]
        calls.append(report)
        return report

    passed = pdfa.checked_twice_if_warned(lambda: sequence(_report(CAUGHT), _report()))
    assert passed.passed and len(calls) == 2

    calls.clear()
    real = pdfa.checked_twice_if_warned(lambda: sequence(_report(REAL, CAUGHT), _report()))
    assert real.violations == (REAL, CAUGHT) and len(calls) == 1

    calls.clear()
    twice = pdfa.checked_twice_if_warned(lambda: sequence(_report(CAUGHT), _report(CAUGHT)))
    assert twice.violations == (CAUGHT,) and len(calls) == 2, "a warning the content causes"


def test_save_still_refuses_a_file_that_breaks_pdfa(tmp_path: Path) -> None:
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(595, 842))
    pdf.pages[0].obj.AA = pikepdf.Dictionary()  # additional actions are forbidden in PDF/A-2
    target = tmp_path / "bad.pdf"
    with pytest.raises(pikepdf.pdfa.PdfaError):
        pdfa.save(pdf, target, "2b")
    assert not target.exists()
