"""PDF/A checks (pikepdf.pdfa) that only the PDF itself can fail.

pikepdf.pdfa records every warning raised while it parses a content stream and reports the
first one as a ``pikepdf:content-parse`` violation. Python's warnings are process-wide, so an
unrelated object garbage-collected in that moment ("ResourceWarning: unclosed <socket …>"), or
a warning from another thread, fails a valid file; seen in the test suite, and just as possible
in a worker. So every check here runs with the cyclic garbage collector paused (its finalizers
are where such warnings come from), and a verdict whose only violations are such warnings is
checked once more: a warning the content itself causes comes back the second time.

Everything in sohoa that validates or writes PDF/A goes through :func:`validate` and :func:`save`.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

if TYPE_CHECKING:
    import pikepdf
    from pikepdf.pdfa import Report

#: How pikepdf.pdfa words a warning caught while parsing a content stream.
_CAUGHT_WARNING = ("pikepdf:content-parse", "content stream: ")


@contextmanager
def _collector_paused() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def only_caught_warnings(report: Report) -> bool:
    """True when every violation is a warning caught during content parsing (maybe stray)."""
    rule, prefix = _CAUGHT_WARNING
    violations = report.violations
    return bool(violations) and all(
        f.rule == rule and f.message.startswith(prefix) for f in violations
    )


def checked_twice_if_warned(check: Callable[[], Report]) -> Report:
    """Run ``check``; once more if it failed only on caught warnings (see the module doc)."""
    with _collector_paused():
        report = check()
        if only_caught_warnings(report):
            report = check()
    return report


def validate(source: Path | str | BinaryIO, flavour: str = "2b") -> Report:
    """``pikepdf.pdfa.validate_written`` on ``source``, immune to stray warnings."""
    import pikepdf.pdfa

    def check() -> Report:
        if not isinstance(source, str | Path):
            source.seek(0)
        return pikepdf.pdfa.validate_written(source, flavour)

    return checked_twice_if_warned(check)


def save(pdf: pikepdf.Pdf, path: Path, flavour: str = "2b", **save_kwargs: Any) -> Report:
    """``pikepdf.pdfa.save`` (write to a temporary file, validate, rename), immune to stray
    warnings.

    Raises:
        pikepdf.pdfa.PdfaError: the written file did not pass (nothing is left at ``path``).
    """
    import pikepdf.pdfa

    def attempt() -> Report:
        try:
            result: Report = pikepdf.pdfa.save(pdf, path, flavour, **save_kwargs)
        except pikepdf.pdfa.PdfaError as exc:
            if not only_caught_warnings(exc.report):
                raise
            return exc.report
        return result

    report = checked_twice_if_warned(attempt)
    if not report.passed and report.violations:
        raise pikepdf.pdfa.PdfaError(report)
    return report


__all__ = ["checked_twice_if_warned", "only_caught_warnings", "save", "validate"]
