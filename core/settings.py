"""All of sohoa's settings, read from the environment (prefix ``SOHOA_``).

This is the only module that reads the environment. Empty strings for the server URLs mean
"embedded default": SQLite under ``data_dir``, a local SeaweedFS S3 server, the development PKI.
Each part of sohoa owns one section below.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.domain import SignatureLevel

MiB = 1024 * 1024


class Settings(BaseSettings):
    """sohoa configuration. Field ``foo_bar`` is read from ``SOHOA_FOO_BAR``."""

    model_config = SettingsConfigDict(env_prefix="SOHOA_", extra="ignore")

    # --- general -------------------------------------------------------------------------
    data_dir: Path = Path(".sohoa")
    log_level: str = "INFO"
    log_json: bool = False

    # --- input limits (ocr, api) ---------------------------------------------------------
    max_upload_bytes: int = 200 * MiB
    #: Pixels in one decoded page image; checked from the header, before decoding.
    max_image_pixels: int = 200_000_000
    max_pages: int = 500

    # --- ocr -----------------------------------------------------------------------------
    ocr_languages: str = "vie+eng"
    #: Parallel Tesseract processes; 0 means one per core.
    ocr_jobs: int = 0
    #: Pages are OCR'd at no less than this resolution.
    ocr_min_dpi: int = 300
    #: "fast" is Debian's model; "best" uses the integer "best" models from tessdata_best_dir.
    ocr_model: Literal["fast", "best"] = "fast"
    tessdata_best_dir: Path | None = None
    #: JPEG quality of stored grey/colour page images that had to be re-encoded.
    ocr_jpeg_quality: int = 80
    #: Quality gate: a page whose estimated character accuracy is below this is marked
    #: needs_rescan (national digitization guidance 2025: ≥ 98% for Vietnamese).
    ocr_min_accuracy: float = Field(default=0.98, ge=0.0, le=1.0)
    #: Check a born-digital page's text layer against Tesseract's reading of the page.
    ocr_check_text_layers: bool = True

    # --- storage -------------------------------------------------------------------------
    #: "host:port" of the S3 server; empty starts an embedded SeaweedFS under data_dir.
    s3_endpoint: str = ""
    s3_access_key: str = "sohoa"
    s3_secret_key: SecretStr = SecretStr("sohoa-secret-key")
    s3_secure: bool = False
    #: PEM file of CA certificates to verify the S3 server's TLS certificate (default: system).
    s3_ca_file: Path | None = None
    s3_region: str = "us-east-1"
    bucket_originals: str = "sohoa-originals"
    bucket_documents: str = "sohoa-documents"
    bucket_results: str = "sohoa-results"
    #: COMPLIANCE: not even the service's own credentials can delete or shorten a retention.
    object_lock_mode: Literal["GOVERNANCE", "COMPLIANCE"] = "COMPLIANCE"
    object_lock_days: int = 30
    presign_expiry_seconds: int = 300
    #: Multipart part size for uploads; one part at a time is held in memory (minimum 5).
    s3_part_size_mb: int = 16
    #: Port of the embedded SeaweedFS S3 gateway; 0 picks a free one (with its gRPC twin).
    embedded_s3_port: int = 0
    #: SQLAlchemy URL; empty means SQLite at data_dir/sohoa.db.
    database_url: str = ""

    # --- signing -------------------------------------------------------------------------
    #: "dev" uses the development PKI (untrusted, for trials and tests only).
    signing_key_source: Literal["dev", "pkcs12", "pkcs11"] = "dev"
    pkcs12_path: Path | None = None
    pkcs12_password: SecretStr | None = None
    officer_pkcs12_path: Path | None = None
    officer_pkcs12_password: SecretStr | None = None
    pkcs11_lib: Path | None = None
    pkcs11_token_label: str | None = None
    pkcs11_key_label: str | None = None
    pkcs11_pin: SecretStr | None = None
    tsa_url: str = ""
    signature_level: Literal["B-B", "B-T", "B-LT", "B-LTA"] = "B-LTA"
    agency_name: str = "UBND xã Thử Nghiệm"
    agency_code: str = "000.00.00.H00"
    #: JSON file correcting the dossier/agency code rules of storage.codes (empty: built-in).
    code_rules_file: Path | None = None
    #: Keys of the second S3 server that `sohoa backup --to s3://host:port/bucket` writes to.
    backup_s3_access_key: str = ""
    backup_s3_secret_key: SecretStr = SecretStr("")
    backup_s3_secure: bool = True
    seal_image: Path | None = None
    #: Base URL printed in the verification QR code.
    public_base_url: str = "http://127.0.0.1:8000"
    #: Path of a document's verification page under ``public_base_url`` (what the QR opens);
    #: ``{document}`` is replaced by the document's verification reference. The default is the
    #: web page (HTML for a phone's browser; JSON when the client asks for it).
    verify_path: str = "/xac-minh/{document}"
    #: Key label of the scanning officer's key on the PKCS#11 token.
    officer_pkcs11_key_label: str | None = None
    #: PEM bundle of trusted roots for verification (the dev root is added in "dev" mode).
    trust_roots_file: Path | None = None
    #: TTF/OTF with Vietnamese glyphs, embedded (subset) in visible stamps.
    stamp_font: Path = Path("/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf")
    stamp_font_size: float = 8.0
    #: Stamp box in PDF points, and its distance from the page edges.
    stamp_width: float = 200.0
    stamp_height: float = 64.0
    stamp_margin: float = 18.0
    #: Stamp corners on page 1 and stamp texts ({name}, {time}; lines split by a newline or "\\n").
    agency_stamp_corner: Literal["top-left", "top-right", "bottom-left", "bottom-right"] = (
        "top-right"
    )
    officer_stamp_corner: Literal["top-left", "top-right", "bottom-left", "bottom-right"] = (
        "top-left"
    )
    agency_stamp_text: str = "Ký bởi: {name}\nThời gian ký: {time}"
    officer_stamp_text: str = "Cán bộ số hóa: {name}\nThời gian số hóa: {time}"
    #: Which corner of page 1 carries the verification QR code, and its side in points.
    qr_corner: Literal["top-left", "top-right", "bottom-left", "bottom-right"] = "bottom-right"
    qr_size: float = 72.0
    #: The issuing system named in the QR code (Circular 01/2023/TT-VPCP: the system that
    #: produced the digitized copy or result).
    issuing_system: str = "sohoa"
    #: Days a signed result stays valid, printed in its QR code as "Hiệu lực đến" (0: the
    #: validity is not stated; set it when the procedure's results expire, e.g. 365).
    result_validity_days: int = 0
    #: Stamps and the QR code go into free space found from page 1's words and ink
    #: (signing.placement); off: each goes exactly to its configured corner.
    stamp_avoid_content: bool = True
    #: Seconds to wait for the TSA / OCSP / CRL servers.
    signing_network_timeout: float = 10.0

    # --- verification of uploads (signing.isolated) ----------------------------------------
    #: Upload limit of ``POST /verify`` (smaller than ``max_upload_bytes``: anyone may call it).
    verify_max_upload_bytes: int = 20 * MiB
    #: Limits of the child process that validates an upload: CPU seconds, address space (MiB),
    #: wall-clock seconds (the child is killed then), and validations running at once.
    verify_cpu_seconds: int = 15
    verify_memory_mb: int = 1024
    verify_wall_seconds: float = 30.0
    verify_concurrency: int = 2
    #: Caps checked on the raw bytes before parsing, and again on the parsed file.
    verify_max_xref_entries: int = 500_000
    verify_max_objects: int = 500_000
    verify_max_signatures: int = 20
    verify_max_contents_bytes: int = 2 * MiB
    #: One overall budget (seconds) for revocation fetches when fetching is allowed at all
    #: (the service's own freshly signed files; never for an upload).
    verify_fetch_budget_seconds: float = 15.0

    # --- service -------------------------------------------------------------------------
    #: Celery broker; empty means the embedded default (see README).
    broker_url: str = ""
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    jwt_secret: SecretStr | None = None
    jwt_ttl_minutes: int = 60
    public_rate_limit_per_minute: int = 30
    #: Seconds before a Redis broker hands an unacknowledged task (its worker died) to another.
    #: Live workers renew the lease of what they run every third of it (workers.leases), so
    #: it bounds how soon a dead host's work moves on, not how long an OCR may take.
    broker_visibility_timeout: int = 600
    #: Worker processes per `sohoa worker`; 0 means one (OCR itself runs pages in parallel).
    worker_concurrency: int = 1
    #: Task time limit: this base plus ``task_seconds_per_page`` for every page.
    task_base_seconds: int = 120
    task_seconds_per_page: int = 60
    #: Tries of a stage that failed on a transient fault (S3, TSA, OCSP, database) before it fails.
    task_max_retries: int = 5
    #: Niceness added to worker pool processes (and their Tesseracts) so the API stays responsive.
    worker_nice: int = 10
    #: Comma-separated origins allowed by CORS (empty: none).
    cors_origins: str = ""

    # --- hardening (accounts, limits, exposure) ------------------------------------------
    #: Failed logins of one user name within ``login_window_minutes`` before it is locked.
    login_max_failures: int = 5
    #: Failed logins from one client address within the window before it is locked.
    login_max_failures_per_address: int = 20
    login_window_minutes: int = 15
    #: Comma-separated proxy addresses/networks whose ``X-Forwarded-For`` is believed.
    trusted_proxies: str = ""
    #: Serve ``/docs`` and ``/openapi.json`` (turn off in production).
    api_docs: bool = True
    #: ``/metrics``: "open", "staff" (a bearer token of an admin) or "off".
    metrics_access: Literal["open", "staff", "off"] = "open"
    #: With ``metrics_access=staff``: a long-lived bearer token for the Prometheus scraper
    #: (admin JWTs expire); at least 32 characters.
    metrics_token: SecretStr | None = None
    #: A citizen download up to this size is hashed in memory before its first byte is sent;
    #: larger ones are served from a verified temporary copy.
    verified_download_memory_bytes: int = 32 * MiB
    #: Seconds without a worker heartbeat after which ``/readyz`` reports the worker down.
    worker_heartbeat_seconds: int = 30
    #: ``sohoa run``: seconds before the first restart of a dead worker (then doubling, ≤ 30 s).
    worker_restart_seconds: float = 1.0

    def resolved_data_dir(self) -> Path:
        """The data directory as an absolute path, created if missing."""
        path = self.data_dir.expanduser().resolve()
        path.mkdir(parents=True, exist_ok=True)
        return path

    @property
    def default_signature_level(self) -> SignatureLevel:
        """The PAdES level used when a request names none."""
        return SignatureLevel(self.signature_level)

    def work_dir(self) -> Path:
        """The private scratch folder for uploads and stages (under the data directory)."""
        path = self.resolved_data_dir() / "work"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def verify_url(self, reference: str) -> str:
        """The public verification URL of a document (printed in its QR code)."""
        path = self.verify_path.format(document=reference)
        return f"{self.public_base_url.rstrip('/')}/{path.lstrip('/')}"

    def resolved_ocr_jobs(self) -> int:
        """Tesseract processes to run: the configured number, or one per core."""
        return self.ocr_jobs if self.ocr_jobs > 0 else max(1, os.cpu_count() or 1)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (tests build their own ``Settings`` instead)."""
    return Settings()


def settings_with(**overrides: object) -> Settings:
    """A copy of the environment's settings with some fields replaced (validated)."""
    base = Settings().model_dump()
    base.update(overrides)
    return Settings.model_validate(base)


__all__ = ["MiB", "Settings", "get_settings", "settings_with"]
