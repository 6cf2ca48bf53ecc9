"""A development PKI (root, issuing CA, signers, TSA, OCSP, CRLs) served on 127.0.0.1.

It exists for trials and tests only: every name in it says "sohoa DEVELOPMENT — NOT TRUSTED",
and it is never used when a real key is configured. The keys and the certomancer description
are persisted under ``data_dir/pki`` so a second run re-uses the same root; certomancer
re-derives byte-identical certificates from them (RSA PKCS#1 v1.5 and EdDSA-free config are
deterministic; the EC officer certificate is signed by the RSA issuing CA, so it is too).

The certificates carry the OCSP/CRL URLs, so the port is fixed when the PKI is created.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from asn1crypto import crl as asn1_crl
from asn1crypto import x509
from certomancer.integrations.animator import AnimatorArchStore
from certomancer.registry import (
    ArchLabel,
    CertLabel,
    CertomancerConfig,
    ServiceLabel,
)
from werkzeug.serving import BaseWSGIServer, make_server

from core.domain import SignerRole
from core.errors import ConfigurationError, RevocationUnavailable
from signing.devpki_http import (
    QuietHandler,
    WholeSecondAnimator,
    install_key_cache,
    ocsp_get_adapter,
)
from signing.devpki_layout import (
    AGENCY,
    ARCH,
    CONFIG_FILE,
    ISSUING_CA,
    META_FILE,
    OCSP,
    OFFICER,
    REVOKED,
    ROOT,
    TSA,
    UNTRUSTED,
    create_files,
    creation_lock,
)


@dataclass(frozen=True)
class DevSignerMaterial:
    """Key and certificates of one development signer (PEM/DER bytes, for keys.py)."""

    label: str
    key_pem: bytes
    cert: x509.Certificate
    chain: tuple[x509.Certificate, ...]


class DevPKI:
    """The development PKI persisted in ``directory`` (``data_dir/pki``)."""

    def __init__(self, directory: Path, config: CertomancerConfig, port: int) -> None:
        self.directory = directory
        self.port = port
        self._arch = config.get_pki_arch(ArchLabel(ARCH))
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._certs: dict[str, x509.Certificate] = {}
        self._external_until = 0.0

    # --- creation / loading --------------------------------------------------------------
    @classmethod
    def open(
        cls, directory: Path, *, port: int | None = None, agency_name: str = "UBND xã Thử Nghiệm"
    ) -> DevPKI:
        """Load the PKI in ``directory``, creating it (keys, description) on first use."""
        directory.mkdir(parents=True, exist_ok=True)
        meta_path = directory / META_FILE
        with creation_lock(directory):
            if not meta_path.exists():
                create_files(directory, port=port, agency_name=agency_name)
        return cls._load(directory)

    @classmethod
    def _load(cls, directory: Path) -> DevPKI:
        meta_path = directory / META_FILE
        meta = json.loads(meta_path.read_text())
        try:
            description = json.loads((directory / CONFIG_FILE).read_text(encoding="utf-8"))
            config = CertomancerConfig(description, key_search_dir=str(directory))
        except Exception as exc:  # certomancer raises several unrelated types
            raise ConfigurationError(
                f"development PKI in {directory} is unreadable: {exc}"
            ) from exc
        pki = cls(directory, config, int(meta["port"]))
        root_pem = directory / "root.pem"
        if not root_pem.exists():
            root_pem.write_bytes(pki.root_pem())
        return pki

    # --- material --------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def tsa_url(self) -> str:
        return f"{self.base_url}/{ARCH}/tsa/{TSA}"

    def cert(self, label: str) -> x509.Certificate:
        """The certificate ``label``, re-parsed from DER.

        Certomancer builds certificates as asn1crypto objects; such objects re-serialise
        themselves on every ``dump()`` (~100 ms per CMS signature). Parsed ones keep their bytes.
        """
        cached = self._certs.get(label)
        if cached is None:
            der = self._arch.get_cert(CertLabel(label)).dump(force=True)
            cached = self._certs[label] = x509.Certificate.load(der)
            # certomancer's own responders (TSA, OCSP) embed these too: hand them the parsed
            # copies (a private cache of certomancer's; development use only)
            cache = getattr(self._arch, "_cert_cache", None)
            if isinstance(cache, dict):
                cache[CertLabel(label)] = cached
        return cached

    def root(self) -> x509.Certificate:
        return self.cert(ROOT)

    def root_pem(self) -> bytes:
        der = self.root().dump()
        body = base64.encodebytes(der).decode("ascii").replace("\n", "")
        lines = [body[i : i + 64] for i in range(0, len(body), 64)]
        text = "-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n"
        return text.encode("ascii")

    def signer_material(self, which: SignerRole | str) -> DevSignerMaterial:
        """Key + chain of ``agency``, ``officer`` or ``revoked``."""
        label = which.value if isinstance(which, SignerRole) else which
        if label not in (AGENCY, OFFICER, REVOKED):
            raise ConfigurationError(f"no development signer named {label!r}")
        key_pem = (self.directory / "keys" / f"{label}.key.pem").read_bytes()
        return DevSignerMaterial(
            label=label,
            key_pem=key_pem,
            cert=self.cert(label),
            chain=(self.cert(ISSUING_CA), self.root()),
        )

    def crl(self, issuer_label: str = ISSUING_CA) -> asn1_crl.CertificateList:
        """The CRL the server would hand out now (for tests)."""
        crl: asn1_crl.CertificateList = self._arch.service_registry.get_crl(
            ServiceLabel(issuer_label), datetime.now(UTC).replace(microsecond=0)
        )
        return crl

    # --- serving ---------------------------------------------------------------------------
    def is_served(self) -> bool:
        """Whether something on our port answers with *this* PKI's root CRL."""
        url = f"{self.base_url}/{ARCH}/crls/{ROOT}/latest.crl"
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                fetched = asn1_crl.CertificateList.load(resp.read())
            return bool(fetched.issuer == self.root().subject)
        except (OSError, ValueError):
            return False

    def start(self) -> None:
        """Serve TSA/OCSP/CRL on 127.0.0.1:port unless this PKI is already served there."""
        for label in (ROOT, ISSUING_CA, AGENCY, OFFICER, REVOKED, TSA, OCSP):
            self.cert(label)  # parsed certificates for the responders, see cert()
        install_key_cache()
        with self._lock:
            if self._server is not None or time.monotonic() < self._external_until:
                return
            if self.is_served():
                # served by another process (the embedded launcher); look again in a while
                self._external_until = time.monotonic() + 30.0
                return
            app = ocsp_get_adapter(
                WholeSecondAnimator(
                    AnimatorArchStore({ArchLabel(ARCH): self._arch}),
                    with_web_ui=False,
                    allow_time_override=False,
                )
            )
            try:
                server = make_server(
                    "127.0.0.1", self.port, app, threaded=True, request_handler=QuietHandler
                )
            except OSError as exc:
                raise RevocationUnavailable(
                    f"cannot serve the development PKI on 127.0.0.1:{self.port}: {exc}",
                    detail_vi="Không khởi động được máy chủ PKI thử nghiệm",
                ) from exc
            thread = threading.Thread(target=server.serve_forever, name="sohoa-devpki", daemon=True)
            thread.start()
            self._server, self._thread = server, thread

    def stop(self) -> None:
        with self._lock:
            if self._server is None:
                return
            self._server.shutdown()
            self._server.server_close()
            if self._thread is not None:
                self._thread.join(timeout=5)
            self._server = self._thread = None

    @contextmanager
    def serve(self) -> Iterator[DevPKI]:
        """Serve for the duration of a ``with`` block."""
        self.start()
        try:
            yield self
        finally:
            self.stop()

    def trust_roots(self) -> Iterable[x509.Certificate]:
        return (self.root(),)


def dev_pki_exists(data_dir: Path) -> bool:
    """Whether ``data_dir/pki`` already holds a development PKI."""
    return (data_dir / "pki" / META_FILE).exists()


_OPENED: dict[Path, DevPKI] = {}
_OPEN_LOCK = threading.Lock()


def dev_pki_for(data_dir: Path, *, agency_name: str = "UBND xã Thử Nghiệm") -> DevPKI:
    """The process-wide DevPKI under ``data_dir/pki`` (opened once, cached)."""
    directory = (data_dir / "pki").resolve()
    with _OPEN_LOCK:
        pki = _OPENED.get(directory)
        if pki is None:
            pki = DevPKI.open(directory, agency_name=agency_name)
            _OPENED[directory] = pki
        return pki


__all__ = ["ARCH", "UNTRUSTED", "DevPKI", "DevSignerMaterial", "dev_pki_exists", "dev_pki_for"]
