"""Sign PDFs at PAdES baseline B-B, B-T, B-LT and B-LTA, keeping PDF/A-2b.

The signing *policy* is a frozen dataclass built once from settings; the *key* is a cached
:class:`signing.keys.Signer`; the request says who signs and what the stamp shows. Signing is
always an incremental update, so earlier signatures and the PDF/A-2b base revision survive.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from enum import StrEnum
from pathlib import Path
from typing import Any

from pyhanko.pdf_utils import generic as _generic
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign._session_scope import run_and_release
from pyhanko.sign.timestamps import HTTPTimeStamper

from core.domain import SignatureLevel, SignerRole
from core.errors import (
    ConfigurationError,
    CorruptFile,
    EncryptedPDF,
    PDFAValidationFailed,
    RevocationUnavailable,
    SigningError,
    TimestampUnavailable,
)
from core.settings import Settings
from signing import appearance
from signing.keys import Signer, load_signer
from signing.trust import net_session, signing_validation_context

#: pyHanko's object model is only partly annotated; treat it as untyped here.
generic: Any = _generic

#: Vietnam's civil time; stamps print it as "+07:00" (no daylight saving).
VN_TIME = timezone(timedelta(hours=7), "+07:00")
_TIME_FORMAT = "%d/%m/%Y %H:%M:%S +07:00"
#: A content-stream comment that marks our QR code (so a later signature does not add another).
_QR_MARK = b"%sohoa-qr\n"


class Corner(StrEnum):
    TOP_LEFT = "top-left"
    TOP_RIGHT = "top-right"
    BOTTOM_LEFT = "bottom-left"
    BOTTOM_RIGHT = "bottom-right"


@dataclass(frozen=True)
class QRContent:
    """What the verification QR code holds: the URL, then dossier, document and issue time."""

    verification_url: str
    dossier_code: str
    document_name: str
    issued_at: datetime

    def payload(self) -> str:
        return "\n".join(
            (
                self.verification_url,
                f"Mã hồ sơ: {self.dossier_code}",
                f"Tài liệu: {self.document_name}",
                f"Ngày ban hành: {format_vn_time(self.issued_at)}",
            )
        )


@dataclass(frozen=True)
class SignatureRequest:
    """One signature: who signs (role), at which level, and what the stamp shows."""

    level: SignatureLevel = SignatureLevel.B_LTA
    role: SignerRole = SignerRole.AGENCY
    reason: str | None = None
    location: str | None = None
    visible: bool = True
    #: Agency name (agency stamp) or officer name (officer stamp); default from settings/cert.
    display_name: str | None = None
    #: Officer stamp: the scan time; agency stamp: ignored (the signing time is printed).
    scan_time: datetime | None = None
    qr: QRContent | None = None
    stamp_corner: Corner | None = None
    qr_corner: Corner | None = None
    field_name: str | None = None
    #: Replaces the whole stamp text when given (lines separated by newlines).
    stamp_text: str | None = None


@dataclass(frozen=True)
class SignResult:
    level: SignatureLevel
    signer_subject: str
    signing_time: datetime
    sha256: str
    size: int
    field_name: str
    output: Path | None
    pdfa_checked: bool


@dataclass(frozen=True)
class SigningPolicy:
    """Everything about *how* to sign that does not change between documents."""

    md_algorithm: str = "sha256"
    font_file: Path = Path("/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf")
    font_size: float = 8.0
    stamp_width: float = 200.0
    stamp_height: float = 64.0
    margin: float = 18.0
    qr_corner: Corner = Corner.BOTTOM_RIGHT
    qr_size: float = 72.0
    seal_image: Path | None = None
    agency_name: str = ""
    agency_corner: Corner = Corner.TOP_RIGHT
    officer_corner: Corner = Corner.TOP_LEFT
    agency_text: str = "Ký bởi: {name}\nThời gian ký: {time}"
    officer_text: str = "Cán bộ số hóa: {name}\nThời gian số hóa: {time}"
    tsa_url: str = ""
    network_timeout: float = 10.0
    validate_pdfa: bool = True
    #: Room for the CMS container: skips pyHanko's trial signature (an extra key operation).
    bytes_reserved: dict[SignatureLevel, int] = field(
        default_factory=lambda: {
            SignatureLevel.B_B: 12288,
            SignatureLevel.B_T: 20480,
            SignatureLevel.B_LT: 20480,
            SignatureLevel.B_LTA: 20480,
        }
    )

    @classmethod
    def from_settings(cls, settings: Settings) -> SigningPolicy:
        return cls(
            font_file=settings.stamp_font,
            font_size=settings.stamp_font_size,
            stamp_width=settings.stamp_width,
            stamp_height=settings.stamp_height,
            margin=settings.stamp_margin,
            qr_corner=Corner(settings.qr_corner),
            qr_size=settings.qr_size,
            seal_image=settings.seal_image,
            agency_name=settings.agency_name,
            agency_corner=Corner(settings.agency_stamp_corner),
            officer_corner=Corner(settings.officer_stamp_corner),
            agency_text=settings.agency_stamp_text.replace("\\n", "\n"),
            officer_text=settings.officer_stamp_text.replace("\\n", "\n"),
            tsa_url=settings.tsa_url,
            network_timeout=settings.signing_network_timeout,
        )


def format_vn_time(moment: datetime) -> str:
    """``dd/MM/yyyy HH:mm:ss +07:00`` in Vietnam time."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(VN_TIME).strftime(_TIME_FORMAT)


def _box(
    corner: Corner, page_box: tuple[float, float, float, float], w: float, h: float, margin: float
) -> tuple[float, float, float, float]:
    x0, y0, x1, y1 = page_box
    left = corner in (Corner.TOP_LEFT, Corner.BOTTOM_LEFT)
    top = corner in (Corner.TOP_LEFT, Corner.TOP_RIGHT)
    x = x0 + margin if left else x1 - margin - w
    y = y1 - margin - h if top else y0 + margin
    return (x, y, x + w, y + h)


def _media_box(page: Any) -> tuple[float, float, float, float]:
    """The page's MediaBox, following inheritance from the page tree."""
    node: Any = page
    while node is not None:
        if "/MediaBox" in node:
            x0, y0, x1, y1 = (float(v) for v in node["/MediaBox"])
            return (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))
        node = node.get("/Parent")
        node = node.get_object() if node is not None else None
    return (0.0, 0.0, 595.0, 842.0)


class _Stamp:
    """What pyHanko's signing code calls back to put our appearance on the widget."""

    def __init__(self, writer: Any, xobject: Any) -> None:
        self.writer, self.xobject = writer, xobject

    def apply_appearance(self, annot: Any) -> None:
        annot[pdf_name("/AP")] = generic.DictionaryObject({pdf_name("/N"): self.xobject})
        # PDF/A: widgets must print and must not be hidden.
        annot[pdf_name("/F")] = generic.NumberObject(4)


class _StampStyle:
    """Duck-typed stand-in for a pyHanko stamp style (it only needs ``create_stamp``)."""

    def __init__(
        self, policy: SigningPolicy, text: str, with_seal: bool, qr_payload: str | None = None
    ) -> None:
        self.policy, self.text, self.with_seal = policy, text, with_seal
        self.qr_payload = qr_payload

    def create_stamp(self, writer: Any, box: Any, text_params: Any) -> _Stamp:
        font = appearance.load_stamp_font(self.policy.font_file)
        font_ref = _embedded(writer, "font", lambda: appearance.embed_font(writer, font))
        seal_ref, aspect = None, 1.0
        if self.with_seal and self.policy.seal_image is not None:
            seal = appearance.load_seal(self.policy.seal_image)
            seal_ref = appearance.embed_seal(writer, seal)
            aspect = seal.width / seal.height
        xobject = appearance.stamp_xobject(
            writer,
            width=float(box.width),
            height=float(box.height),
            text=self.text,
            font=font,
            font_ref=font_ref,
            font_size=self.policy.font_size,
            seal_ref=seal_ref,
            seal_aspect=aspect,
            qr_ops=None
            if self.qr_payload is None
            else appearance.qr_content_ops(
                appearance.qr_matrix(self.qr_payload), 0, 0, float(box.height)
            ),
        )
        return _Stamp(writer, xobject)


def _embedded(writer: Any, key: str, make: Any) -> Any:
    cache: dict[str, Any] = writer.__dict__.setdefault("_sohoa_embedded", {})
    if key not in cache:
        cache[key] = make()
    return cache[key]


def _stamp_text(
    request: SignatureRequest, policy: SigningPolicy, signer: Signer, now: datetime
) -> str:
    if request.stamp_text is not None:
        return request.stamp_text
    if request.role is SignerRole.OFFICER:
        name = request.display_name or signer.cert.subject.native.get("common_name", "")
        when = format_vn_time(request.scan_time or now)
        template = policy.officer_text
    else:
        name = request.display_name or policy.agency_name or signer.subject
        when = format_vn_time(now)
        template = policy.agency_text
    return template.replace("{name}", name).replace("{time}", when)


def _draw_qr(writer: Any, qr: QRContent, corner: Corner, policy: SigningPolicy) -> None:
    """Draw the QR code into page 1's content, in the signing revision.

    Only allowed on a document with no signature yet: a later page-content change would
    invalidate the earlier signatures, so :func:`sign_pdf` refuses that case.
    """
    page_ref = writer.find_page_for_modification(0)[0]
    page = page_ref.get_object()
    box = _media_box(page)
    x, y, _, _ = _box(corner, box, policy.qr_size, policy.qr_size, policy.margin)
    ops = appearance.qr_content_ops(appearance.qr_matrix(qr.payload()), x, y, policy.qr_size)
    before = generic.StreamObject(stream_data=b"q\n")
    after = generic.StreamObject(stream_data=b"\nQ\n" + _QR_MARK + ops + b"\n")
    after.compress()
    contents = page.get("/Contents")
    existing = (
        list(contents)
        if isinstance(contents, generic.ArrayObject)
        else ([] if contents is None else [page.raw_get("/Contents")])
    )
    page[pdf_name("/Contents")] = generic.ArrayObject(
        [writer.add_object(before), *existing, writer.add_object(after)]
    )
    writer.update_container(page)


def _has_qr(writer: Any) -> bool:
    """Whether an earlier sohoa signature already drew the QR code on page 1."""
    page = writer.find_page_for_modification(0)[0].get_object()
    contents = page.get("/Contents")
    streams = list(contents) if isinstance(contents, generic.ArrayObject) else [contents]
    for stream in reversed(streams[-1:]):
        obj = stream.get_object() if stream is not None else None
        if isinstance(obj, generic.StreamObject) and obj.data.startswith(b"\nQ\n" + _QR_MARK):
            return True
    return False


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


def _timestamper(url: str, timeout: float, session: Any) -> HTTPTimeStamper:
    return HTTPTimeStamper(url, timeout=max(1, int(timeout)), session=session)


def _read_input(source: Path | bytes) -> bytes:
    if isinstance(source, bytes):
        return source
    try:
        return Path(source).read_bytes()
    except OSError as exc:
        raise CorruptFile(f"cannot read {source}: {exc.strerror}") from exc


def _check_pdfa(data: bytes) -> bool:
    """Validate the pre-signing revision; False when pikepdf cannot judge (already signed)."""
    import pikepdf.pdfa

    report = pikepdf.pdfa.validate_written(io.BytesIO(data), "2b")
    if report.passed:
        return True
    if report.violations:
        first = report.violations[0]
        raise PDFAValidationFailed(
            f"input is not PDF/A-2b ({len(report.violations)} violations, first: {first})",
            detail_vi="Tệp đầu vào không đạt chuẩn PDF/A-2b",
        )
    return False


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


def _existing_signature_count(reader: Any) -> int:
    return sum(1 for _ in fields.enumerate_sig_fields(reader, filled_status=True))


def sign_pdf(
    source: Path | bytes,
    output: Path | None,
    request: SignatureRequest,
    *,
    settings: Settings,
    signer: Signer | None = None,
    policy: SigningPolicy | None = None,
) -> SignResult:
    """Sign ``source`` as ``request`` says and write ``output`` (an incremental update).

    Raises:
        TimestampUnavailable / RevocationUnavailable: the TSA or OCSP/CRL did not answer
            (retryable; the document is never signed at a lower level instead).
        PDFAValidationFailed: the unsigned input is not PDF/A-2b.
        SigningError, ConfigurationError: key, certificate or configuration problems.
    """
    from pyhanko.pdf_utils.reader import PdfFileReader

    policy = policy or _policy_for(settings)
    signer = signer or load_signer(settings, request.role)
    data = _read_input(source)
    level = SignatureLevel(request.level)
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
    except Exception as exc:
        raise CorruptFile(f"not a readable PDF: {exc}") from exc
    if reader.encrypted:
        raise EncryptedPDF("the PDF is encrypted; cannot sign it")
    already_signed = _existing_signature_count(reader)
    pdfa_checked = policy.validate_pdfa and not already_signed and _check_pdfa(data)

    needs_ts = level is not SignatureLevel.B_B
    tsa_url = policy.tsa_url
    if signer.dev_pki is not None:
        if needs_ts:
            signer.dev_pki.start()
        tsa_url = tsa_url or signer.dev_pki.tsa_url
    if needs_ts and not tsa_url:
        raise ConfigurationError(f"{level.value} needs a time-stamping authority (SOHOA_TSA_URL)")

    now = datetime.now(UTC).replace(microsecond=0)
    field_name = request.field_name or f"Sig{already_signed + 1}-{request.role.value}"
    writer: Any = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
    qr_in_stamp: str | None = None
    if request.qr is not None and not (already_signed and _has_qr(writer)):
        if not already_signed:
            _draw_qr(writer, request.qr, request.qr_corner or policy.qr_corner, policy)
        elif request.visible:
            # Page content may not change once signed: the QR joins this signature's stamp.
            qr_in_stamp = request.qr.payload()
        else:
            raise SigningError("a QR code on an already signed document needs a visible signature")

    field_spec = None
    stamp_style: Any = None
    if request.visible:
        box = _media_box(writer.find_page_for_modification(0)[0].get_object())
        default_corner = (
            policy.officer_corner if request.role is SignerRole.OFFICER else policy.agency_corner
        )
        width = policy.stamp_width + (policy.stamp_height if qr_in_stamp else 0)
        rect = _box(
            request.stamp_corner or default_corner, box, width, policy.stamp_height, policy.margin
        )
        field_spec = fields.SigFieldSpec(
            field_name,
            on_page=0,
            box=(round(rect[0]), round(rect[1]), round(rect[2]), round(rect[3])),
        )
        stamp_style = _StampStyle(
            policy,
            _stamp_text(request, policy, signer, now),
            with_seal=request.role is SignerRole.AGENCY,
            qr_payload=qr_in_stamp,
        )
    else:
        field_spec = fields.SigFieldSpec(field_name)

    long_term = level in (SignatureLevel.B_LT, SignatureLevel.B_LTA)
    meta = signers.PdfSignatureMetadata(
        field_name=field_name,
        md_algorithm=policy.md_algorithm,
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=request.reason,
        location=request.location,
        embed_validation_info=long_term,
        use_pades_lta=level is SignatureLevel.B_LTA,
        validation_context=signing_validation_context(settings, signer) if long_term else None,
    )
    _align_producers(writer)
    tsa_session = net_session()
    pdf_signer_cls: Any = _PdfA2Signer
    pdf_signer = pdf_signer_cls(
        meta,
        signer.pyhanko_signer,
        timestamper=_timestamper(tsa_url, policy.network_timeout, tsa_session)
        if needs_ts
        else None,
        stamp_style=stamp_style or _NoStamp(),
        new_field_spec=field_spec,
    )
    out = io.BytesIO()
    try:
        # run_and_release closes the HTTP sessions the validation context opened (its fetched
        # revocation data stays cached in the context)
        _run(
            run_and_release(
                pdf_signer.async_sign_pdf(
                    writer, output=out, bytes_reserved=policy.bytes_reserved[level]
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
    signed = out.getvalue()
    if output is not None:
        tmp = output.with_name(output.name + ".part")
        tmp.write_bytes(signed)
        tmp.replace(output)
    return SignResult(
        level=level,
        signer_subject=signer.subject,
        signing_time=now,
        sha256=hashlib.sha256(signed).hexdigest(),
        size=len(signed),
        field_name=field_name,
        output=output,
        pdfa_checked=bool(pdfa_checked),
    )


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
        from pyhanko.sign.signers.pdf_signer import _ensure_esic_ext

        if self.signature_meta.subfilter == fields.SigSeedSubFilter.PADES:
            _ensure_esic_ext(pdf_out)


class _NoStamp:
    def create_stamp(self, writer: Any, box: Any, text_params: Any) -> None:
        return None


_POLICIES: dict[int, tuple[Settings, SigningPolicy]] = {}


def _policy_for(settings: Settings) -> SigningPolicy:
    cached = _POLICIES.get(id(settings))
    if cached is not None and cached[0] is settings:
        return cached[1]
    policy = SigningPolicy.from_settings(settings)
    _POLICIES[id(settings)] = (settings, policy)
    return policy


__all__ = [
    "VN_TIME",
    "Corner",
    "QRContent",
    "SignResult",
    "SignatureRequest",
    "SigningPolicy",
    "format_vn_time",
    "sign_pdf",
]
