"""Verify an upload in a child process under resource limits (kiểm tra trong tiến trình riêng).

An uploaded PDF is hostile until proven otherwise: a 34 KB xref bomb once grew the API by a
gigabyte and a 52 MB ``/Contents`` took 47 s. So an upload is

1. refused by name if its raw bytes claim too much (``signing.pdfcaps``, before parsing);
2. validated offline (no fetch, whatever URLs its certificates carry) in a child forked from
   a clean, single-threaded fork server that has pyHanko already imported, with
   ``RLIMIT_CPU``, ``RLIMIT_AS`` and a lower priority, killed at a wall-clock deadline;
3. counted: at most ``verify_concurrency`` children at once; a caller waits for a slot no
   longer than the wall-clock limit (then :class:`ServiceUnavailable`, retryable).

Any limit hit is :class:`VerifyLimit` (422). The child sends back the report as plain data (or
the error's code and message) and exits, so its memory goes with it. This module knows nothing
of HTTP; the API calls it through ``pipeline.adapters``.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from core import errors
from core.errors import ServiceUnavailable, SohoaError, VerifyLimit
from core.settings import Settings
from signing.pdfcaps import VerifyCaps, check_caps

log = logging.getLogger(__name__)

_SLOTS: dict[int, threading.BoundedSemaphore] = {}
_SLOTS_LOCK = threading.Lock()
_CONTEXT: Any = None


@dataclass(frozen=True)
class BoxLimits:
    """The resource limits of one validation child."""

    cpu_seconds: int
    memory_bytes: int
    wall_seconds: float
    caps: VerifyCaps

    @classmethod
    def from_settings(cls, settings: Settings) -> BoxLimits:
        return cls(
            cpu_seconds=settings.verify_cpu_seconds,
            memory_bytes=settings.verify_memory_mb * 1024 * 1024,
            wall_seconds=settings.verify_wall_seconds,
            caps=VerifyCaps.from_settings(settings),
        )


def _context() -> Any:
    """The fork-server context: children fork from a fresh single-threaded process.

    Forking the API itself would copy its threads' locks mid-use; spawning a fresh
    interpreter per upload costs a second of imports.
    """
    global _CONTEXT
    if _CONTEXT is None:
        ctx = multiprocessing.get_context("forkserver")
        # "__main__" too: each child would otherwise re-import the main module (the `sohoa`
        # script imports every area) before it could start
        ctx.set_forkserver_preload(["__main__", "signing.isolated", "signing.verify"])
        _CONTEXT = ctx
    return _CONTEXT


def _slot(concurrency: int) -> threading.BoundedSemaphore:
    with _SLOTS_LOCK:
        slot = _SLOTS.get(concurrency)
        if slot is None:
            slot = _SLOTS[concurrency] = threading.BoundedSemaphore(max(1, concurrency))
        return slot


def _apply_limits(limits: BoxLimits) -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 1))
    # never below what the child already maps (a parent that imported much), or it could
    # not even start; the budget is meant for what the validation allocates
    memory = max(limits.memory_bytes, _mapped_bytes() + 128 * 1024 * 1024)
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    os.nice(10)  # the API's own requests first


def _mapped_bytes() -> int:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _child(path: str, trust_pem: list[bytes], limits: BoxLimits, conn: Connection) -> None:
    """Runs in the child: limits, caps on the parsed file, offline validation, one answer."""
    try:
        _apply_limits(limits)
        # pyHanko logs each failed check with a traceback (1,640 lines for 40 signatures);
        # the parent logs one line per failed validation instead
        logging.disable(logging.CRITICAL)
        conn.send(("ok", _validate(Path(path), trust_pem, limits.caps)))
    except SohoaError as exc:
        conn.send(("error", (exc.code, exc.message, exc.detail_vi)))
    except MemoryError:
        vi = "Kiểm tra chữ ký vượt quá giới hạn bộ nhớ"
        conn.send(("error", (VerifyLimit.code, "validation ran out of its memory limit", vi)))
    except RecursionError:
        vi = "Tệp PDF lồng đối tượng quá sâu"
        conn.send(("error", (VerifyLimit.code, "the PDF nests objects too deeply", vi)))
    except Exception as exc:  # the child reports, never crashes the caller
        message = f"cannot be verified ({type(exc).__name__})"
        conn.send(("error", ("corrupt-file", message, "Không kiểm tra được tệp (tệp bị hỏng)")))
    finally:
        conn.close()


def _validate(path: Path, trust_pem: list[bytes], caps: VerifyCaps) -> dict[str, Any]:
    from asn1crypto import x509

    from signing.verify import verify_pdf

    data = path.read_bytes()
    check_caps(data, caps)
    roots = [x509.Certificate.load(der) for der in trust_pem]
    report = verify_pdf(data, trust_roots=roots, fetch="none", caps=caps)
    result: dict[str, Any] = report.to_dict()
    return result


def _error(code: str, message: str, detail_vi: str | None) -> SohoaError:
    for cls in (VerifyLimit, errors.CorruptFile, errors.EncryptedPDF, errors.InputError):
        if cls.code == code:
            return cls(message, detail_vi=detail_vi)
    return errors.CorruptFile(message, detail_vi=detail_vi)


def _run_child(path: Path, trust_pem: list[bytes], limits: BoxLimits) -> dict[str, Any]:
    ctx = _context()
    receive, send = ctx.Pipe(duplex=False)
    child = ctx.Process(
        target=_child, args=(str(path), trust_pem, limits, send), name="sohoa-verify"
    )
    child.start()
    send.close()
    try:
        if not receive.poll(limits.wall_seconds):
            raise VerifyLimit(
                f"validation took longer than {limits.wall_seconds:g} s",
                detail_vi="Kiểm tra chữ ký vượt quá thời gian cho phép",
            )
        try:
            kind, payload = receive.recv()
        except EOFError as exc:
            # killed by RLIMIT_CPU (SIGXCPU) or the kernel before it could answer
            child.join(2)
            raise VerifyLimit(
                f"validation stopped by its CPU/memory limit (exit {child.exitcode})",
                detail_vi="Kiểm tra chữ ký vượt quá giới hạn tài nguyên",
            ) from exc
    finally:
        receive.close()
        if child.is_alive():
            child.kill()
        child.join(5)
    if kind == "error":
        raise _error(*payload)
    result: dict[str, Any] = payload
    return result


def verify_upload(path: Path, settings: Settings) -> dict[str, Any]:
    """The verification report of an uploaded PDF, validated offline in a limited child.

    Raises:
        VerifyLimit: a cap or resource limit was hit (422).
        CorruptFile, EncryptedPDF: the file is not a readable (unencrypted) PDF.
        ServiceUnavailable: every validation slot stayed busy for the wall-clock limit.
    """
    from signing.trust import trust_roots_for

    limits = BoxLimits.from_settings(settings)
    started = time.monotonic()
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise errors.CorruptFile(f"cannot read the upload: {exc.strerror}") from exc
    if size > limits.caps.max_bytes:
        raise VerifyLimit(
            f"file size: {size} is over the verification limit of {limits.caps.max_bytes}",
            detail_vi="Tệp vượt quá dung lượng cho phép để kiểm tra chữ ký",
        )
    trust_pem = [cert.dump() for cert in trust_roots_for(settings)]
    slot = _slot(settings.verify_concurrency)
    if not slot.acquire(timeout=limits.wall_seconds):
        raise ServiceUnavailable(
            "every verification slot is busy; try again shortly",
            detail_vi="Hệ thống đang bận kiểm tra chữ ký, vui lòng thử lại",
        )
    try:
        result = _run_child(path, trust_pem, limits)
    except SohoaError as exc:
        log.info(
            "verification refused",
            extra={"code": exc.code, "reason": exc.message, "seconds": _since(started)},
        )
        raise
    finally:
        slot.release()
    if result.get("verdict") != "valid":
        log.info(
            "verification failed",
            extra={
                "verdict": result.get("verdict"),
                "reason": str(result.get("reason", ""))[:300],
                "seconds": _since(started),
            },
        )
    return result


def _since(started: float) -> float:
    return round(time.monotonic() - started, 3)


__all__ = ["BoxLimits", "verify_upload"]
