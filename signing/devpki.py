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
import binascii
import io
import json
import threading
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from asn1crypto import crl as asn1_crl
from asn1crypto import x509
from certomancer.integrations.animator import Animator, AnimatorArchStore
from certomancer.registry import (
    ArchLabel,
    CertLabel,
    CertomancerConfig,
    KeyLabel,
    ServiceLabel,
)
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from core.domain import SignerRole
from core.errors import ConfigurationError, RevocationUnavailable

ARCH = "sohoa-dev"
UNTRUSTED = "sohoa DEVELOPMENT — NOT TRUSTED"
_CONFIG_FILE = "certomancer.json"
_META_FILE = "devpki.json"

#: Labels of the certificates; each has a key file of the same name.
ROOT, ISSUING_CA, AGENCY, OFFICER, REVOKED, TSA, OCSP = (
    "root",
    "issuing-ca",
    "agency",
    "officer",
    "revoked",
    "tsa",
    "ocsp",
)
_EC_KEYS = frozenset({OFFICER})


def _free_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _write_key(path: Path, label: str) -> None:
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
    if label in _EC_KEYS:
        key = ec.generate_private_key(ec.SECP256R1())
    else:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.write_bytes(pem)
    path.chmod(0o600)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S+0000")


def _describe(created: datetime, agency_name: str) -> dict[str, Any]:
    """The certomancer description: validity dates are fixed here, at creation."""
    start, end = created - timedelta(days=1), created + timedelta(days=3650)
    validity = {"valid-from": _iso(start), "valid-to": _iso(end)}
    signer_profile = ["digsig-commitment"]
    leaf_extras = [
        {"id": "extended_key_usage", "critical": False, "value": ["email_protection"]},
    ]

    def leaf(subject: str) -> dict[str, Any]:
        return {
            "subject": subject,
            "issuer": "issuing-ca",
            "validity": validity,
            "profiles": signer_profile,
            "extensions": leaf_extras,
        }

    revoked = leaf(REVOKED)
    revoked["revocation"] = {
        "revoked-since": _iso(created - timedelta(hours=1)),
        "reason": "key_compromise",
    }
    return {
        "keysets": {
            ARCH: {"path-prefix": "keys", "keys": {k: {"path": f"{k}.key.pem"} for k in _labels()}}
        },
        "pki-architectures": {
            ARCH: {
                "keyset": ARCH,
                "entity-defaults": {
                    "country-name": "VN",
                    "organization-name": UNTRUSTED,
                },
                "entities": {
                    ROOT: {"common-name": f"{UNTRUSTED} Root CA"},
                    ISSUING_CA: {"common-name": f"{UNTRUSTED} Issuing CA"},
                    AGENCY: {"common-name": f"{agency_name} ({UNTRUSTED})"},
                    OFFICER: {"common-name": f"Cán bộ số hóa ({UNTRUSTED})"},
                    REVOKED: {"common-name": f"Revoked signer ({UNTRUSTED})"},
                    TSA: {"common-name": f"{UNTRUSTED} Time Stamping Authority"},
                    OCSP: {"common-name": f"{UNTRUSTED} OCSP Responder"},
                },
                "certs": {
                    ROOT: {
                        "subject": ROOT,
                        "issuer": ROOT,
                        "validity": validity,
                        "profiles": [{"id": "simple-ca", "params": {"crl-repo": ROOT}}],
                    },
                    ISSUING_CA: {
                        "subject": ISSUING_CA,
                        "issuer": ROOT,
                        "validity": validity,
                        "profiles": [
                            {
                                "id": "simple-ca",
                                "params": {
                                    "crl-repo": ISSUING_CA,
                                    "ocsp-service": ISSUING_CA,
                                    "max-path-len": 0,
                                },
                            }
                        ],
                    },
                    AGENCY: leaf(AGENCY),
                    OFFICER: leaf(OFFICER),
                    REVOKED: revoked,
                    OCSP: {
                        "subject": OCSP,
                        "issuer": ISSUING_CA,
                        "validity": validity,
                        "profiles": ["ocsp-responder"],
                    },
                    TSA: {
                        "subject": TSA,
                        "issuer": ROOT,
                        "validity": validity,
                        "extensions": [
                            {
                                "id": "key_usage",
                                "critical": True,
                                "smart-value": {
                                    "schema": "key-usage",
                                    "params": ["digital_signature"],
                                },
                            },
                            {
                                "id": "extended_key_usage",
                                "critical": True,
                                "value": ["time_stamping"],
                            },
                        ],
                    },
                },
                "services": {
                    "ocsp": {
                        ISSUING_CA: {
                            "for-issuer": ISSUING_CA,
                            "responder-cert": OCSP,
                            "signing-key": OCSP,
                        }
                    },
                    "crl-repo": {
                        ROOT: {
                            "for-issuer": ROOT,
                            "signing-key": ROOT,
                            "simulated-update-schedule": "P7D",
                        },
                        ISSUING_CA: {
                            "for-issuer": ISSUING_CA,
                            "signing-key": ISSUING_CA,
                            "simulated-update-schedule": "P1D",
                        },
                    },
                    "time-stamping": {TSA: {"signing-cert": TSA, "signing-key": TSA}},
                },
            }
        },
    }


def _labels() -> tuple[str, ...]:
    return (ROOT, ISSUING_CA, AGENCY, OFFICER, REVOKED, TSA, OCSP)


class _QuietHandler(WSGIRequestHandler):
    """No access log on stderr: the CLI's output is the report."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


class _WholeSecondAnimator(Animator):
    """Certomancer's server with whole-second times (NSS rejects OCSP with microseconds)."""

    def at_time(self, request: Any) -> datetime:
        moment: datetime = super().at_time(request)  # type: ignore[no-untyped-call]
        return moment.replace(microsecond=0)


def _ocsp_get_adapter(app: Callable[..., Any]) -> Callable[..., Any]:
    """Answer RFC 6960 OCSP GET requests (``/ocsp/<label>/<base64>``) as if POSTed.

    NSS (poppler's pdfsig) tries GET first; certomancer only routes POST.
    """
    marker = "/ocsp/"

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path: str = environ.get("PATH_INFO", "")
        if environ.get("REQUEST_METHOD") == "GET" and marker in path:
            head, _, tail = path.partition(marker)
            label, _, encoded = tail.partition("/")
            if encoded:
                try:
                    body = base64.b64decode(urllib.parse.unquote(encoded))
                except (binascii.Error, ValueError):
                    body = b""
                environ = dict(environ)
                environ.update(
                    {
                        "REQUEST_METHOD": "POST",
                        "PATH_INFO": f"{head}{marker}{label}",
                        "CONTENT_TYPE": "application/ocsp-request",
                        "CONTENT_LENGTH": str(len(body)),
                        "wsgi.input": io.BytesIO(body),
                    }
                )
        return app(environ, start_response)

    return wsgi


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

    # --- creation / loading --------------------------------------------------------------
    @classmethod
    def open(
        cls, directory: Path, *, port: int | None = None, agency_name: str = "UBND xã Thử Nghiệm"
    ) -> DevPKI:
        """Load the PKI in ``directory``, creating it (keys, description) on first use."""
        directory.mkdir(parents=True, exist_ok=True)
        meta_path = directory / _META_FILE
        if not meta_path.exists():
            keys = directory / "keys"
            keys.mkdir(exist_ok=True)
            for label in _labels():
                _write_key(keys / f"{label}.key.pem", label)
            created = datetime.now(UTC).replace(microsecond=0)
            chosen = port or _free_port()
            description = _describe(created, agency_name)
            description["external-url-prefix"] = f"http://127.0.0.1:{chosen}"
            (directory / _CONFIG_FILE).write_text(
                json.dumps(description, ensure_ascii=False, indent=1), encoding="utf-8"
            )
            meta_path.write_text(json.dumps({"port": chosen, "created": _iso(created)}))
        meta = json.loads(meta_path.read_text())
        try:
            description = json.loads((directory / _CONFIG_FILE).read_text(encoding="utf-8"))
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

    def private_key_info(self, label: str) -> Any:
        return self._arch.key_set.get_private_key(KeyLabel(label))

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
        with self._lock:
            if self._server is not None or self.is_served():
                return
            app = _ocsp_get_adapter(
                _WholeSecondAnimator(
                    AnimatorArchStore({ArchLabel(ARCH): self._arch}),
                    with_web_ui=False,
                    allow_time_override=False,
                )
            )
            try:
                server = make_server(
                    "127.0.0.1", self.port, app, threaded=True, request_handler=_QuietHandler
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
    return (data_dir / "pki" / _META_FILE).exists()


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
