"""Key sources behind one interface: a development key, a PKCS#12 file, a PKCS#11 token.

``load_signer(settings, role)`` returns a cached :class:`Signer`: the private key is parsed (or
the token session opened) once per process, never per document. pyHanko's ``SimpleSigner``
re-parses its key on every signature (~40 ms for RSA), so :class:`_ParsedKeySigner` keeps the
parsed key object instead.
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from asn1crypto import keys as asn1_keys
from asn1crypto import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from pyhanko.sign import signers
from pyhanko_certvalidator.registry import SimpleCertificateStore

from core.domain import SignerRole
from core.errors import ConfigurationError, SigningError
from core.settings import Settings
from signing.devpki import DevPKI, dev_pki_for

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}


class _CachedSigningCertAttr:
    """Mixin: build the signing-certificate-v2 attribute once per signer.

    pyHanko rebuilds it (an ESSCertIDv2 with the issuer name) for every signature, and
    asn1crypto re-serialises freshly built objects node by node; a parsed copy dumps for free.
    """

    _scv2_der: bytes | None = None

    def _signed_attr_providers(self, *args: Any, **kwargs: Any) -> Any:
        from pyhanko.sign.attributes import SigningCertificateV2Provider

        for prov in super()._signed_attr_providers(*args, **kwargs):  # type: ignore[misc]
            if type(prov) is SigningCertificateV2Provider:
                yield _ParsedAttr(self, prov)
            else:
                yield prov


class _ParsedAttr:
    def __init__(self, owner: Any, prov: Any) -> None:
        self.owner, self.prov = owner, prov

    async def get_attribute(self, dry_run: bool = False) -> Any:
        from asn1crypto import cms

        if self.owner._scv2_der is None:
            attr = await self.prov.get_attribute(dry_run=dry_run)
            self.owner._scv2_der = attr.dump(force=True)
        return cms.CMSAttribute.load(self.owner._scv2_der)


class _ParsedKeySigner(_CachedSigningCertAttr, signers.SimpleSigner):
    """A SimpleSigner that keeps the parsed private key (RSA PKCS#1 v1.5 or ECDSA)."""

    def __init__(self, key: Any, cert: x509.Certificate, chain: list[x509.Certificate]) -> None:
        der = key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        super().__init__(
            signing_cert=cert,
            signing_key=asn1_keys.PrivateKeyInfo.load(der),
            cert_registry=_store_from(chain),
        )
        self._key = key

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        algo = _HASHES[digest_algorithm.lower()]()
        if isinstance(self._key, rsa.RSAPrivateKey):
            return bytes(self._key.sign(data, padding.PKCS1v15(), algo))
        if isinstance(self._key, ec.EllipticCurvePrivateKey):
            return bytes(self._key.sign(data, ec.ECDSA(algo)))
        raise SigningError(f"unsupported key type {type(self._key).__name__}")


def _store_from(certs: list[x509.Certificate]) -> Any:
    store: Any = SimpleCertificateStore
    return store.from_certs(certs)


def _check_key(key: Any) -> None:
    if isinstance(key, rsa.RSAPrivateKey) and key.key_size < 2048:
        raise ConfigurationError(f"RSA keys must be 2048 bits or more (got {key.key_size})")
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise ConfigurationError("only RSA (2048+) and ECDSA keys are supported")


@dataclass
class Signer:
    """A loaded signing key: the pyHanko signer plus what sohoa needs to know about it."""

    role: SignerRole
    source: str
    pyhanko_signer: Any
    cert: x509.Certificate
    chain: tuple[x509.Certificate, ...]
    #: Set for the development PKI only (its TSA/OCSP must run while signing).
    dev_pki: Any = None
    _closer: Any = field(default=None, repr=False)

    @property
    def subject(self) -> str:
        return str(self.cert.subject.human_friendly)

    @property
    def is_development(self) -> bool:
        return self.dev_pki is not None

    def close(self) -> None:
        if self._closer is not None:
            self._closer()
            self._closer = None


def signer_from_pem(
    role: SignerRole,
    key_pem: bytes,
    cert: x509.Certificate,
    chain: tuple[x509.Certificate, ...],
    *,
    source: str = "pem",
    dev_pki: Any = None,
) -> Signer:
    """A signer over a PEM private key (used for the development PKI)."""
    key = serialization.load_pem_private_key(key_pem, password=None)
    _check_key(key)
    return Signer(
        role, source, _ParsedKeySigner(key, cert, [cert, *chain]), cert, chain, dev_pki=dev_pki
    )


def load_pkcs12(role: SignerRole, path: Path, password: bytes | None) -> Signer:
    """A signer over a PKCS#12 (.p12/.pfx) file; the key is parsed once, here."""
    from cryptography.hazmat.primitives.serialization import pkcs12

    try:
        key, cert, extra = pkcs12.load_key_and_certificates(path.read_bytes(), password)
    except OSError as exc:
        raise ConfigurationError(f"cannot read PKCS#12 file {path}: {exc.strerror}") from exc
    except ValueError as exc:
        raise ConfigurationError(f"cannot open PKCS#12 file {path}: wrong password?") from exc
    if key is None or cert is None:
        raise ConfigurationError(f"PKCS#12 file {path} holds no key and certificate")
    _check_key(key)
    leaf = x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))
    chain = tuple(
        x509.Certificate.load(c.public_bytes(serialization.Encoding.DER)) for c in extra or ()
    )
    return Signer(role, "pkcs12", _ParsedKeySigner(key, leaf, [leaf, *chain]), leaf, chain)


def load_pkcs11(
    role: SignerRole,
    lib: Path,
    token_label: str,
    key_label: str,
    pin: str | None,
    *,
    cert_label: str | None = None,
) -> Signer:
    """A signer over a key in a PKCS#11 token (USB token, HSM, SoftHSM in tests).

    The PIN comes from settings (the environment) and is never logged. Tokens that lack a
    combined hash-and-sign mechanism for EC keys (SoftHSM 2.6 has no CKM_ECDSA_SHA256) get the
    raw mechanism with the hash done here: decided from the token's mechanism list, not by
    assuming a vendor.
    """
    import pkcs11
    from pyhanko.config.pkcs11 import TokenCriteria
    from pyhanko.sign import pkcs11 as hk11

    try:
        # One logged-in session per token: PKCS#11 login is per application and token, so the
        # agency and officer keys on one token must share it (a second login is refused).
        with _SESSION_LOCK:
            session = _SESSIONS.get((lib, token_label))
            if session is None:
                session = hk11.open_pkcs11_session(
                    str(lib), token_criteria=TokenCriteria(label=token_label), user_pin=pin
                )
                _SESSIONS[(lib, token_label)] = session
    except (pkcs11.PKCS11Error, OSError, RuntimeError) as exc:
        # the message of PinIncorrect etc. never contains the PIN itself
        raise SigningError(
            f"cannot open PKCS#11 token {token_label!r} with {lib}: {type(exc).__name__}",
            detail_vi="Không mở được thiết bị ký số (token)",
        ) from exc
    try:
        key = session.get_key(object_class=pkcs11.ObjectClass.PRIVATE_KEY, label=key_label)
        mechanisms = session.token.slot.get_mechanisms()
        use_raw = (
            key.key_type == pkcs11.KeyType.EC and pkcs11.Mechanism.ECDSA_SHA256 not in mechanisms
        )
        with _SESSION_LOCK:
            lock = _SESSION_OP_LOCKS.setdefault((lib, token_label), threading.Lock())

        class _Locked(_CachedSigningCertAttr, hk11.PKCS11Signer):
            def _load_other_certs(self) -> set[x509.Certificate]:
                # only CA certificates: the token may also hold other people's certificates
                certs: set[x509.Certificate] = super()._load_other_certs()
                return {c for c in certs if c.ca}

            async def async_sign_raw(
                self, data: bytes, digest_algorithm: str, dry_run: bool = False
            ) -> bytes:
                if dry_run:
                    return await super().async_sign_raw(data, digest_algorithm, dry_run=True)
                await self.ensure_objects_loaded()  # type: ignore[no-untyped-call]
                spec = self._select_pkcs11_signing_params(
                    digest_algorithm, sign_kwargs=self.sign_kwargs(data)
                )
                if spec.pre_sign_transform is not None:
                    data = spec.pre_sign_transform(data)
                with lock:
                    handle: Any = self._key_handle
                    signature: bytes = handle.sign(data, **spec.sign_kwargs)
                if spec.post_sign_transform is not None:
                    signature = spec.post_sign_transform(signature)
                return signature

        hk_signer = _Locked(
            session,
            cert_label=cert_label or key_label,
            key_label=key_label,
            use_raw_mechanism=use_raw,
            # None = every certificate on the token: tokens carry the issuing chain
            other_certs_to_pull=None,
        )
        import asyncio

        asyncio.run(hk_signer.ensure_objects_loaded())  # type: ignore[no-untyped-call]
        cert = hk_signer.signing_cert
        chain = tuple(c for c in hk_signer.cert_registry if c.dump() != cert.dump())
    except SigningError:
        raise
    except Exception as exc:  # python-pkcs11 and pyHanko raise many unrelated types here
        raise SigningError(
            f"key {key_label!r} or its certificate not found on token {token_label!r}: "
            f"{type(exc).__name__}"
        ) from exc
    return Signer(role, "pkcs11", hk_signer, cert, chain)


_SESSIONS: dict[tuple[Path, str], Any] = {}
#: One token operation at a time per session (sessions are shared by the roles' keys).
_SESSION_OP_LOCKS: dict[tuple[Path, str], threading.Lock] = {}
_SESSION_LOCK = threading.Lock()
_CACHE: dict[tuple[Any, ...], Signer] = {}
_CACHE_LOCK = threading.Lock()


def _cache_key(settings: Settings, role: SignerRole) -> tuple[Any, ...]:
    return (
        role,
        settings.signing_key_source,
        settings.resolved_data_dir() if settings.signing_key_source == "dev" else None,
        settings.pkcs12_path,
        settings.officer_pkcs12_path,
        settings.pkcs11_lib,
        settings.pkcs11_token_label,
        settings.pkcs11_key_label,
        settings.officer_pkcs11_key_label,
    )


def _secret(value: Any) -> str | None:
    return None if value is None else str(value.get_secret_value())


def _load_uncached(settings: Settings, role: SignerRole) -> Signer:
    source = settings.signing_key_source
    if source == "pkcs12":
        path = settings.officer_pkcs12_path if role is SignerRole.OFFICER else settings.pkcs12_path
        pw = (
            settings.officer_pkcs12_password
            if role is SignerRole.OFFICER
            else settings.pkcs12_password
        )
        if path is None:
            raise ConfigurationError(f"no PKCS#12 file configured for the {role.value} signer")
        password = _secret(pw)
        return load_pkcs12(role, path, None if password is None else password.encode())
    if source == "pkcs11":
        key_label = (
            settings.officer_pkcs11_key_label
            if role is SignerRole.OFFICER
            else settings.pkcs11_key_label
        )
        if not (settings.pkcs11_lib and settings.pkcs11_token_label and key_label):
            raise ConfigurationError(
                f"PKCS#11 needs SOHOA_PKCS11_LIB, _TOKEN_LABEL and a key label ({role.value})"
            )
        return load_pkcs11(
            role,
            settings.pkcs11_lib,
            settings.pkcs11_token_label,
            key_label,
            _secret(settings.pkcs11_pin),
        )
    pki = dev_pki_for(settings.resolved_data_dir(), agency_name=settings.agency_name)
    return dev_signer(pki, role)


def dev_signer(pki: DevPKI, which: SignerRole | str) -> Signer:
    """A ready signer for the development PKI's ``agency``, ``officer`` or ``revoked`` key."""
    material = pki.signer_material(which)
    role = SignerRole.OFFICER if material.label == SignerRole.OFFICER.value else SignerRole.AGENCY
    return signer_from_pem(
        role, material.key_pem, material.cert, material.chain, source="dev", dev_pki=pki
    )


def load_signer(settings: Settings, role: SignerRole) -> Signer:
    """The cached signer for ``role`` under ``settings`` (parsed/opened on first use)."""
    key = _cache_key(settings, role)
    with _CACHE_LOCK:
        signer = _CACHE.get(key)
        if signer is None:
            signer = _load_uncached(settings, role)
            _CACHE[key] = signer
        return signer


def clear_signer_cache() -> None:
    """Close token sessions and forget every cached signer (tests, key rotation)."""
    with _CACHE_LOCK:
        for signer in _CACHE.values():
            signer.close()
        _CACHE.clear()
    with _SESSION_LOCK:
        for session in _SESSIONS.values():
            # the token may be gone already (an unplugged USB token)
            with contextlib.suppress(Exception):
                session.close()
        _SESSIONS.clear()


__all__ = [
    "Signer",
    "clear_signer_cache",
    "dev_signer",
    "load_pkcs11",
    "load_pkcs12",
    "load_signer",
    "signer_from_pem",
]
