"""Sign PDFs at PAdES baseline B-B, B-T, B-LT and B-LTA, keeping PDF/A-2b.

The signing *policy* is a frozen dataclass built once from settings; the *key* is a cached
:class:`signing.keys.Signer`; the request says who signs and what the stamp shows. Signing is
always an incremental update, so earlier signatures and the PDF/A-2b base revision survive.
"""

from __future__ import annotations

import asyncio
import io
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pyhanko.pdf_utils import generic as _generic
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.timestamps import HTTPTimeStamper

from core.domain import SignatureLevel, SignerRole
from core.errors import (
    ConfigurationError,
    CorruptFile,
    EncryptedPDF,
    InputError,
    PDFAValidationFailed,
    RevocationUnavailable,
    SigningError,
    TimestampUnavailable,
)
from core.settings import Settings
from signing.incremental import HASH_CHUNK, AppendOnlyPdf
from signing.job import Layout, SigningJob
from signing.keys import Signer, load_signer
from signing.page_plan import lay_out, signature_count
from signing.precheck import check_signer
from signing.pyhanko_compat import ensure_esic_extension, run_and_release
from signing.request import (
    VN_TIME,
    Corner,
    PdfACheck,
    QRContent,
    SignatureRequest,
    SigningPolicy,
    SignResult,
    format_vn_time,
)
from signing.stamps import NoStamp
from signing.trust import net_session, signing_validation_context

#: pyHanko's object model is only partly annotated; treat it as untyped here.
generic: Any = _generic
_LOOPS = threading.local()


def _run(coro: Any) -> Any:
    """Run pyHanko's coroutine on this thread's persistent event loop.

    pyHanko's synchronous ``sign_pdf`` calls ``asyncio.run``, creating and tearing down an
    event loop (and its self-pipe sockets) per signature; one loop per thread is reused here.
    """
    loop = getattr(_LOOPS, "loop", None)
    if loop is None or loop.is_closed():
        loop = asyncio.new_event_loop()
        _LOOPS.loop = loop
    return loop.run_until_complete(coro)


def _read_input(source: Path | bytes) -> bytes:
    if isinstance(source, bytes):
        return source
    try:
        return Path(source).read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {source}: {exc.strerror}") from exc


def _check_pdfa(data: bytes) -> PdfACheck:
    """Validate the unsigned input as PDF/A-2b (pikepdf.pdfa); raise on any violation."""
    from core import pdfa

    report = pdfa.validate(io.BytesIO(data), "2b")
    if report.passed:
        return PdfACheck.VALIDATED
    if report.violations:
        first = report.violations[0]
        raise PDFAValidationFailed(
            f"input is not PDF/A-2b ({len(report.violations)} violations, first: {first})",
            detail_vi="Tệp đầu vào không đạt chuẩn PDF/A-2b",
        )
    return PdfACheck.INDETERMINATE


def _classify(exc: BaseException, level: SignatureLevel) -> Exception:
    """Turn pyHanko/network failures into sohoa errors; never sign at a lower level."""
    from pyhanko.sign.timestamps.common_utils import TimestampRequestError

    chain: list[BaseException] = []
    cur: BaseException | None = exc
    while cur is not None and cur not in chain:
        chain.append(cur)
        cur = cur.__cause__ or cur.__context__
    text = " | ".join(f"{type(e).__name__}: {e}" for e in chain)
    if any(isinstance(e, TimestampRequestError) for e in chain) or "tsa" in text.lower():
        return TimestampUnavailable(
            f"time-stamping authority unreachable for {level.value}: {chain[-1]}",
            detail_vi="Không kết nối được máy chủ cấp dấu thời gian",
        )
    lowered = text.lower()
    if "revoked" in lowered:
        return SigningError(
            "the signer's certificate is revoked", detail_vi="Chứng thư số đã bị thu hồi"
        )
    if any(k in lowered for k in ("revocation", "ocsp", "crl", "fetch", "connection")):
        return RevocationUnavailable(
            f"revocation data (OCSP/CRL) unavailable for {level.value}: {chain[-1]}",
            detail_vi="Không lấy được thông tin thu hồi chứng thư",
        )
    return SigningError(f"signing failed: {chain[0]}")


def sign_pdf(
    source: Path | bytes,
    output: Path | None,
    request: SignatureRequest,
    *,
    settings: Settings,
    signer: Signer | None = None,
    policy: SigningPolicy | None = None,
    base_validated: bool = False,
) -> SignResult:
    """Sign ``source`` as ``request`` says and write ``output`` (an incremental update).

    The steps, as pyHanko separates its signing phases: :func:`prepare` (read and check),
    :func:`signing.stamps.lay_out` (QR and stamp geometry), :func:`sign` (pyHanko signs,
    timestamps, embeds validation data), :func:`write`.

    Args:
        source: The PDF (path or bytes). Unsigned input must be PDF/A-2b; it is validated.
        output: Where to write the signed PDF (atomically); ``None`` keeps it in the result.
        request: Level, role, reason/location, stamp and QR content.
        settings: The configuration; the key source and the policy come from it.
        signer: A loaded key (default: ``load_signer(settings, request.role)``, cached).
        policy: Overrides the policy derived from ``settings`` (cached per settings object).
        base_validated: The caller validated these exact bytes as PDF/A-2b when it wrote them
            (``ocr`` validates every file it writes; the pipeline fetches that file against
            its recorded SHA-256), so they are not validated again. Validation walks every
            object; signing itself costs one pass of hashing over the file.

    Returns:
        The level reached (always the one requested), signer subject, signing time, size and
        field name; ``data``/``sha256`` give the signed bytes and their digest.

    Raises:
        TimestampUnavailable / RevocationUnavailable: the TSA or OCSP/CRL did not answer
            (retryable; the document is never signed at a lower level instead).
        PDFAValidationFailed: the unsigned input is not PDF/A-2b.
        SigningError, ConfigurationError: key, certificate or configuration problems.
    """
    job = prepare(
        source,
        request,
        settings=settings,
        signer=signer,
        policy=policy,
        base_validated=base_validated,
    )
    layout = lay_out(job)
    update = sign(job, layout)
    return write(job, update, output)


def prepare(
    source: Path | bytes,
    request: SignatureRequest,
    *,
    settings: Settings,
    signer: Signer | None = None,
    policy: SigningPolicy | None = None,
    base_validated: bool = False,
) -> SigningJob:
    """Step 1: read and check the input, the configuration and the signer; fix the time.

    Raises before any signing work: unreadable, encrypted or non-PDF/A-2b input, a missing
    font/seal, a level that needs a TSA with none configured.
    """
    policy = policy or _policy_for(settings)
    signer = signer or load_signer(settings, request.role)
    # The signer's certificate is checked here, before anything is signed
    # (Decree 23/2025/NĐ-CP; Circular 15/2025/TT-BKHCN Art. 5(1)): signing.precheck.
    check_signer(signer, settings)
    data = _read_input(source)
    level = SignatureLevel(request.level)
    # Signed in place: the update is appended after the original bytes, which are read where
    # they are (no 20 MB copy into a new buffer).
    document = AppendOnlyPdf(data)
    try:
        writer: Any = IncrementalPdfFileWriter(document, strict=False)
    except Exception as exc:
        raise CorruptFile(f"not a readable PDF: {exc}") from exc
    reader = writer.prev
    if reader.encrypted:
        raise EncryptedPDF("the PDF is encrypted; cannot sign it")
    already_signed = signature_count(writer)
    if already_signed:
        pdfa = PdfACheck.ALREADY_SIGNED
    elif base_validated:
        pdfa = PdfACheck.VALIDATED_WHEN_WRITTEN
    else:
        pdfa = _check_pdfa(data)

    _preflight(policy, request)
    needs_ts = level is not SignatureLevel.B_B
    tsa_url = policy.tsa_url
    if signer.dev_pki is not None:
        if needs_ts:
            signer.dev_pki.start()
        tsa_url = tsa_url or signer.dev_pki.tsa_url
    if needs_ts and not tsa_url:
        raise ConfigurationError(f"{level.value} needs a time-stamping authority (SOHOA_TSA_URL)")
    return SigningJob(
        request=request,
        settings=settings,
        policy=policy,
        signer=signer,
        level=level,
        data=data,
        document=document,
        writer=writer,
        already_signed=already_signed,
        pdfa=pdfa,
        needs_timestamp=needs_ts,
        tsa_url=tsa_url,
        now=datetime.now(UTC).replace(microsecond=0),
        field_name=request.field_name or f"Sig{already_signed + 1}-{request.role.value}",
    )


def sign(job: SigningJob, layout: Layout) -> bytes:
    """Step 3: let pyHanko fill the field, timestamp and embed validation data; the update."""
    request, policy, level, signer = job.request, job.policy, job.level, job.signer
    long_term = level in (SignatureLevel.B_LT, SignatureLevel.B_LTA)
    meta = signers.PdfSignatureMetadata(
        field_name=job.field_name,
        md_algorithm=policy.md_algorithm,
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=request.reason,
        location=request.location,
        embed_validation_info=long_term,
        use_pades_lta=level is SignatureLevel.B_LTA,
        validation_context=signing_validation_context(job.settings, signer) if long_term else None,
    )
    _align_producers(job.writer)
    tsa_session = net_session()
    pdf_signer_cls: Any = _PdfA2Signer
    pdf_signer = pdf_signer_cls(
        meta,
        signer.pyhanko_signer,
        timestamper=HTTPTimeStamper(
            job.tsa_url, timeout=max(1, int(policy.network_timeout)), session=tsa_session
        )
        if job.needs_timestamp
        else None,
        stamp_style=layout.stamp_style or NoStamp(),
        new_field_spec=layout.field_spec,
    )
    try:
        # run_and_release closes the HTTP sessions the validation context opened (its fetched
        # revocation data stays cached in the context)
        _run(
            run_and_release(
                pdf_signer.async_sign_pdf(
                    job.writer,
                    in_place=True,
                    chunk_size=HASH_CHUNK,
                    bytes_reserved=_reserve(policy, level, signer),
                ),
                meta.validation_context,
            )
        )
    except (ConfigurationError, SigningError):
        raise
    except Exception as exc:
        raise _classify(exc, level) from exc
    finally:
        _run(tsa_session.close())
    update: bytes = job.document.update_bytes()
    return update


def write(job: SigningJob, update: bytes, output: Path | None) -> SignResult:
    """Step 4: write original + update atomically to ``output`` (if any); the result."""
    data = job.data
    if output is not None:
        tmp = output.with_name(output.name + ".part")
        try:
            with tmp.open("wb") as out:
                out.write(data)
                out.write(update)
            tmp.replace(output)
        except OSError as exc:
            raise SigningError(f"cannot write {output}: {exc.strerror}") from exc
    return SignResult(
        level=job.level,
        signer_subject=job.signer.subject,
        signing_time=job.now,
        size=len(data) + len(update),
        field_name=job.field_name,
        output=output,
        pdfa=job.pdfa,
        base=data,
        update=update,
        placement=job.plan,
    )


def _preflight(policy: SigningPolicy, request: SignatureRequest) -> None:
    """Configuration problems are reported as such, before any work is done."""
    if request.visible and not policy.font_file.is_file():
        raise ConfigurationError(f"stamp font not found: {policy.font_file} (SOHOA_STAMP_FONT)")
    if (
        request.visible
        and request.role is SignerRole.AGENCY
        and policy.seal_image is not None
        and not policy.seal_image.is_file()
    ):
        raise ConfigurationError(f"seal image not found: {policy.seal_image} (SOHOA_SEAL_IMAGE)")


def _reserve(policy: SigningPolicy, level: SignatureLevel, signer: Signer) -> int:
    """Room for the CMS container: the policy's allowance plus the certificates it carries.

    Reserving explicitly skips pyHanko's trial signature, which for a token is a second PIN-
    protected key operation per document.
    """
    chain = sum(len(cert.dump()) for cert in (signer.cert, *signer.chain))
    total = policy.bytes_reserved[level] + chain
    return total + total % 2  # pyHanko wants an even size (hex digits come in pairs)


def _align_producers(writer: Any) -> None:
    """Make the Info /Producer equal the XMP producer pyHanko will write (PDF/A 6.6.3).

    pyHanko appends itself to the Info producer ("pikepdf …; pyHanko …") but writes only
    itself into the XMP; PDF/A requires both to agree, so the Info entry is set to match.
    """
    from pyhanko.pdf_utils.metadata.model import VENDOR

    info_ref = getattr(writer, "_info", None)
    if info_ref is None or not hasattr(info_ref, "get_object"):
        return
    info = info_ref.get_object()
    info[pdf_name("/Producer")] = generic.TextStringObject(VENDOR)
    writer.mark_update(info_ref)


class _PdfA2Signer(signers.PdfSigner):
    """PdfSigner that keeps the file at PDF 1.7, as PDF/A-2 requires.

    pyHanko declares the ISO 32002 extension for ECDSA P-256 keys, which raises the header to
    PDF 2.0; ECDSA under ETSI.CAdES.detached is already valid PAdES in PDF 1.7, so only the
    ESIC extension (PAdES) is declared.
    """

    def register_extensions(self, pdf_out: Any, *, md_algorithm: str) -> None:
        if self.signature_meta.subfilter == fields.SigSeedSubFilter.PADES:
            ensure_esic_extension(pdf_out)


_POLICIES: dict[int, tuple[Settings, SigningPolicy]] = {}


def _policy_for(settings: Settings) -> SigningPolicy:
    cached = _POLICIES.get(id(settings))
    if cached is not None and cached[0] is settings:
        return cached[1]
    policy = SigningPolicy.from_settings(settings)
    if len(_POLICIES) > 32:  # tests build many Settings objects; keep the cache small
        _POLICIES.clear()
    _POLICIES[id(settings)] = (settings, policy)
    return policy


__all__ = [
    "VN_TIME",
    "Corner",
    "PdfACheck",
    "QRContent",
    "SignResult",
    "SignatureRequest",
    "SigningPolicy",
    "format_vn_time",
    "sign_pdf",
]
