"""One error hierarchy for sohoa.

Every error carries a stable ``code`` (the RFC 9457 problem ``type`` suffix used by the API),
an HTTP ``status`` and a CLI ``exit_code``. Messages are short, one line, and safe to show to
the person at the desk; ``detail_vi`` carries the Vietnamese wording where one is given.
"""

from __future__ import annotations

from typing import ClassVar


class SohoaError(Exception):
    """Base of every error sohoa raises on purpose."""

    code: ClassVar[str] = "error"
    status: ClassVar[int] = 500
    exit_code: ClassVar[int] = 1
    retryable: ClassVar[bool] = False
    title_vi: ClassVar[str] = "Lỗi hệ thống"

    def __init__(self, message: str, *, detail_vi: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail_vi = detail_vi


class InputError(SohoaError):
    """The input cannot be processed as given."""

    code = "input-error"
    status = 422
    exit_code = 3
    title_vi = "Dữ liệu đầu vào không hợp lệ"


class UnsupportedFormat(InputError):
    """Not an image or PDF we can read (including misleading extensions)."""

    code = "unsupported-format"
    status = 415
    exit_code = 4
    title_vi = "Định dạng tệp không được hỗ trợ"


class CorruptFile(InputError):
    """The file claims a known format but its content is broken or truncated."""

    code = "corrupt-file"
    exit_code = 5
    title_vi = "Tệp bị hỏng"


class EncryptedPDF(InputError):
    """The PDF is password protected."""

    code = "encrypted-pdf"
    exit_code = 6
    title_vi = "Tệp PDF được mã hóa"


class EmptyDocument(InputError):
    """The PDF has no pages."""

    code = "empty-document"
    exit_code = 7
    title_vi = "Tài liệu không có trang nào"


class TooLarge(InputError):
    """Over a configured limit: file size, or pixels in an image (decompression bomb)."""

    code = "too-large"
    status = 413
    exit_code = 8
    title_vi = "Tệp quá lớn"


class SignedInput(InputError):
    """A signed PDF was given for conversion; converting it would break the signature."""

    code = "signed-input"
    status = 409
    exit_code = 9
    title_vi = "Tệp đã được ký số"


class DuplicateDocument(InputError):
    """The same bytes are already stored in this dossier."""

    code = "duplicate-document"
    status = 409
    exit_code = 10
    title_vi = "Tài liệu đã tồn tại trong hồ sơ"


class XFAForm(InputError):
    """An XFA form (biểu mẫu XFA): its content lives only in the XFA stream, not in the pages.

    Converting it would silently keep empty pages, so it is refused by name; the citizen or
    officer can print it to PDF (or scan the paper form) instead.
    """

    code = "xfa-form"
    status = 422
    exit_code = 11
    title_vi = "Biểu mẫu XFA không được hỗ trợ"


class PageCountMismatch(InputError):
    """The scans do not have the number of paper pages reception declared (số trang kê khai).

    Reception rules: every paper page is scanned, so a mismatch is refused before anything is
    stored and the officer rescans or corrects the count.
    """

    code = "page-count-mismatch"
    status = 422
    exit_code = 12
    title_vi = "Số trang quét không khớp số trang kê khai"


class OCRFailed(SohoaError):
    """Tesseract failed on a page."""

    code = "ocr-failed"
    exit_code = 20
    title_vi = "Nhận dạng ký tự thất bại"


class PDFAValidationFailed(SohoaError):
    """The output did not pass PDF/A-2b validation; it is never returned as a plain PDF."""

    code = "pdfa-invalid"
    exit_code = 21
    title_vi = "Tệp không đạt chuẩn PDF/A-2b"


class SigningError(SohoaError):
    """Signing failed for a reason that retrying will not fix (key, certificate, input)."""

    code = "signing-error"
    exit_code = 30
    title_vi = "Ký số thất bại"


class SignerCertificateInvalid(SigningError):
    """The signer's certificate or chain fails the check made before signing (Decree 23/2025).

    Expired, not yet valid, revoked, or not meant for signing (key usage); the message names
    which. Nothing is signed.
    """

    code = "signer-certificate-invalid"
    exit_code = 31
    title_vi = "Chứng thư số của người ký không hợp lệ"


class VerifyLimit(InputError):
    """Verifying the upload would pass a limit (size, xref entries, objects, signatures,
    signature size, CPU time, memory or wall-clock time); it was stopped, not hung."""

    code = "verify-limit"
    status = 422
    exit_code = 32
    title_vi = "Tệp vượt quá giới hạn kiểm tra chữ ký"


class ServiceUnavailable(SohoaError):
    """A remote service (TSA, OCSP, CRL, S3, database, broker) did not answer; try again."""

    code = "service-unavailable"
    status = 503
    exit_code = 40
    retryable = True
    title_vi = "Dịch vụ tạm thời không khả dụng"


class TimestampUnavailable(ServiceUnavailable):
    """The RFC 3161 time-stamping authority did not answer."""

    code = "tsa-unavailable"
    title_vi = "Máy chủ cấp dấu thời gian không phản hồi"


class RevocationUnavailable(ServiceUnavailable):
    """OCSP or CRL could not be fetched for a long-term signature."""

    code = "revocation-unavailable"
    title_vi = "Không lấy được thông tin thu hồi chứng thư"


class StorageError(SohoaError):
    """Object storage refused or corrupted an operation."""

    code = "storage-error"
    exit_code = 50
    title_vi = "Lỗi lưu trữ"


class StorageUnavailable(ServiceUnavailable):
    """The S3 server cannot be reached."""

    code = "storage-unavailable"
    exit_code = 51
    title_vi = "Kho lưu trữ không phản hồi"


class IntegrityError(StorageError):
    """Stored bytes do not match their recorded SHA-256, or the audit chain is broken."""

    code = "integrity-error"
    exit_code = 52
    title_vi = "Sai lệch toàn vẹn dữ liệu"


class NotFound(SohoaError):
    """The dossier or document does not exist (or the caller may not know it does)."""

    code = "not-found"
    status = 404
    exit_code = 60
    title_vi = "Không tìm thấy"


class Forbidden(SohoaError):
    """Authenticated, but the role does not allow this."""

    code = "forbidden"
    status = 403
    exit_code = 61
    title_vi = "Không có quyền"


class Unauthorized(SohoaError):
    """Missing or wrong credentials."""

    code = "unauthorized"
    status = 401
    exit_code = 62
    title_vi = "Chưa xác thực"


class Conflict(SohoaError):
    """The request conflicts with the current state (e.g. signing a failed document)."""

    code = "conflict"
    status = 409
    exit_code = 63
    title_vi = "Xung đột trạng thái"


class ConfigurationError(SohoaError):
    """Settings are missing or inconsistent."""

    code = "configuration-error"
    exit_code = 70
    title_vi = "Cấu hình không hợp lệ"


class TooManyAttempts(SohoaError):
    """Too many failed logins for a user name or from one address: locked for a while."""

    code = "too-many-attempts"
    status = 429
    exit_code = 65
    retryable = True
    title_vi = "Quá nhiều lần đăng nhập sai"
