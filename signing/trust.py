"""Trust anchors and validation contexts for signing (B-LT/B-LTA) and verification.

A validation context for signing is cached per signer for a few minutes: it holds the
revocation data already fetched, so a batch does not ask the OCSP responder for every page.
Verification builds a fresh context each time (its answer must reflect the present), sharing
only the parsed trust roots.

Trust anchors (chứng thư gốc tin cậy) come from one PEM bundle: ``SOHOA_TRUST_ROOTS_FILE`` or,
when unset, ``$SOHOA_DATA_DIR/trust/roots.pem`` managed by ``sohoa trust add|list|remove``. The
development root is added only when the key source is ``dev``. Verification fetches nothing
unless asked (:func:`trusted_fetcher_backend`): then only OCSP/CRL over http(s), for chains
that already end at a trusted root (issuer certificates are never fetched), within one budget.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

from asn1crypto import pem, x509
from pyhanko_certvalidator import ValidationContext

from core.errors import ConfigurationError
from core.settings import Settings

_SIGNING_CONTEXT_TTL = 300.0


@lru_cache(maxsize=1)
def _ssl_context() -> Any:
    """One TLS context per process: building one loads the CA bundle (~50 ms each time)."""
    import ssl

    import certifi

    return ssl.create_default_context(cafile=certifi.where())


class NetSession:
    """A lazily created aiohttp session over the cached TLS context (pyHanko's LazySession API).

    pyHanko's default creates a TLS context per HTTP session, i.e. per TSA request; that was
    the largest single cost of a B-LTA signature against a local TSA.
    """

    def __init__(self) -> None:
        self._session: Any = None

    def get_session(self) -> Any:
        import aiohttp

        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(ssl=_ssl_context())
            )
        return self._session

    async def close(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()


def _lazy_session_type() -> Any:
    from pyhanko_certvalidator.fetchers.aiohttp_fetchers.util import LazySession

    class _Lazy(NetSession, LazySession):
        """Passes pyHanko's ``isinstance(session, LazySession)`` checks."""

    return _Lazy


def net_session() -> Any:
    """A fresh :class:`NetSession` usable wherever pyHanko accepts a ``LazySession``."""
    return _lazy_session_type()()


def _fetcher_backend(timeout: float) -> Any:
    from pyhanko_certvalidator.fetchers.aiohttp_fetchers import AIOHttpFetcherBackend
    from pyhanko_certvalidator.fetchers.api import OwnedFetcherBackend

    backend = AIOHttpFetcherBackend(session=net_session(), per_request_timeout=timeout)
    # owned: the context closes the session in aclose() after each operation
    return OwnedFetcherBackend(backend)


@lru_cache(maxsize=8)
def _load_pem_bundle(path: Path, mtime: float) -> tuple[x509.Certificate, ...]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigurationError(f"cannot read trust roots {path}: {exc.strerror}") from exc
    if not data.strip():
        return ()  # emptied by `sohoa trust remove`: nothing trusted
    if pem.detect(data):
        return tuple(x509.Certificate.load(der) for _, _, der in pem.unarmor(data, multiple=True))
    return (x509.Certificate.load(data),)


def load_certificates(path: Path) -> tuple[x509.Certificate, ...]:
    """Certificates from a PEM bundle or a single DER file."""
    return _load_pem_bundle(path, path.stat().st_mtime if path.exists() else 0.0)


def trust_bundle_path(settings: Settings) -> Path:
    """The PEM bundle of trust anchors: the configured file or the data directory's own."""
    if settings.trust_roots_file is not None:
        return settings.trust_roots_file
    return settings.data_dir.expanduser().resolve() / "trust" / "roots.pem"


def trust_roots_for(settings: Settings | None) -> list[x509.Certificate]:
    """Configured trust roots; in development mode also the development root."""
    roots: list[x509.Certificate] = []
    if settings is None:
        return roots
    bundle = trust_bundle_path(settings)
    if settings.trust_roots_file is not None or bundle.is_file():
        roots.extend(load_certificates(bundle))
    if settings.signing_key_source == "dev":
        from signing.devpki import dev_pki_exists, dev_pki_for

        # verifying never creates a development PKI: with none, there is nothing to trust
        if dev_pki_exists(settings.resolved_data_dir()):
            roots.append(dev_pki_for(settings.resolved_data_dir()).root())
    return roots


def _is_self_signed(cert: x509.Certificate) -> bool:
    return bool(cert.self_signed in ("maybe", "yes"))


_SIGNING_CONTEXTS: dict[tuple[int, int], tuple[float, Any, ValidationContext]] = {}
_LOCK = threading.Lock()


def signing_validation_context(settings: Settings, signer: Any) -> ValidationContext:
    """The (cached) context pyHanko uses to collect OCSP/CRL data while signing B-LT/B-LTA.

    ``hard-fail`` makes an unreachable responder an error instead of a signature that
    silently lacks its revocation data.
    """
    now = time.monotonic()
    # per thread: the context's HTTP sessions belong to that thread's event loop
    key = (id(signer), threading.get_ident())
    with _LOCK:
        cached = _SIGNING_CONTEXTS.get(key)
        if cached is not None and cached[1] is signer and now - cached[0] < _SIGNING_CONTEXT_TTL:
            return cached[2]
        roots = trust_roots_for(settings) + [c for c in signer.chain if _is_self_signed(c)]
        context = ValidationContext(
            trust_roots=roots,
            other_certs=list(signer.chain),
            allow_fetching=True,
            revocation_mode="hard-fail",
            fetcher_backend=_fetcher_backend(settings.signing_network_timeout),
        )
        _SIGNING_CONTEXTS[key] = (now, signer, context)
        return context


def verification_context(
    trust_roots: Iterable[x509.Certificate], *, allow_fetching: bool = True
) -> ValidationContext:
    """A fresh context for verifying signatures against ``trust_roots``."""
    return ValidationContext(
        trust_roots=list(trust_roots),
        allow_fetching=allow_fetching,
        revocation_mode="hard-fail",
    )


__all__ = [
    "load_certificates",
    "signing_validation_context",
    "trust_bundle_path",
    "trust_roots_for",
    "verification_context",
]
