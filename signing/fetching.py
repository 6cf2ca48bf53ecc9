"""Revocation fetching for verification, when it is allowed at all: bounded and narrow.

Used only for the service's own freshly signed files (never for an upload of unknown origin,
which is validated offline). Three rules:

- issuer certificates are never fetched (the AIA "CA issuers" URLs were the SSRF lever): a
  chain must be complete in the file and end at a configured root;
- OCSP/CRL requests are made only by the path validator, i.e. for certificates on a path that
  already ends at a trusted root, and only to http(s) URLs;
- every request shares one overall time budget; a request past it fails as a fetch error,
  which makes the signature ``indeterminate`` (revocation unavailable), never ``invalid``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from asn1crypto import crl, ocsp, x509
from pyhanko_certvalidator.errors import CRLFetchError, OCSPFetchError
from pyhanko_certvalidator.fetchers.api import (
    CertificateFetcher,
    CRLFetcher,
    FetcherBackend,
    Fetchers,
    FetchLimits,
    OCSPFetcher,
)


@dataclass
class FetchLog:
    """What was fetched, per certificate serial number: (kind, the response's own time)."""

    fetched: dict[int, tuple[str, datetime | None]] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)


class _Budget:
    def __init__(self, seconds: float) -> None:
        self.deadline = time.monotonic() + seconds

    def remaining(self) -> float:
        return self.deadline - time.monotonic()


def _http_only(urls: Iterable[str], log: FetchLog) -> bool:
    bad = [u for u in urls if not u.lower().startswith(("http://", "https://"))]
    log.refused.extend(bad)
    return not bad


class _NoIssuerFetching(CertificateFetcher):
    """Never fetch a certificate: a chain must be complete in the file."""

    async def _nothing(self) -> AsyncGenerator[x509.Certificate, None]:
        nothing: tuple[x509.Certificate, ...] = ()
        for cert in nothing:
            yield cert

    def fetch_cert_issuers(self, cert: Any) -> AsyncGenerator[x509.Certificate, None]:
        return self._nothing()

    def fetch_crl_issuers(self, certificate_list: Any) -> AsyncGenerator[x509.Certificate, None]:
        return self._nothing()

    def fetched_certs(self) -> Iterable[x509.Certificate]:
        return ()


class _BudgetedOCSP(OCSPFetcher):
    def __init__(self, inner: OCSPFetcher, budget: _Budget, log: FetchLog) -> None:
        self.inner, self.budget, self.log = inner, budget, log

    async def fetch(self, cert: Any, authority: Any) -> ocsp.OCSPResponse:
        remaining = self.budget.remaining()
        if remaining <= 0 or not _http_only(getattr(cert, "ocsp_urls", ()), self.log):
            raise OCSPFetchError("OCSP fetch not allowed (time budget spent or not http)")
        try:
            response = await asyncio.wait_for(self.inner.fetch(cert, authority), remaining)
        except TimeoutError as exc:
            raise OCSPFetchError("OCSP fetch over the time budget") from exc
        when: datetime | None = None
        try:
            tbs = response["response_bytes"]["response"].parsed["tbs_response_data"]
            when = tbs["produced_at"].native
        except (KeyError, TypeError, ValueError):
            pass
        self.log.fetched[int(cert.serial_number)] = ("fetched-ocsp", when)
        return response

    def fetched_responses(self) -> Iterable[ocsp.OCSPResponse]:
        return self.inner.fetched_responses()

    def fetched_responses_for_cert(self, cert: Any) -> Iterable[ocsp.OCSPResponse]:
        return self.inner.fetched_responses_for_cert(cert)


class _BudgetedCRL(CRLFetcher):
    def __init__(self, inner: CRLFetcher, budget: _Budget, log: FetchLog) -> None:
        self.inner, self.budget, self.log = inner, budget, log

    async def fetch(self, cert: Any, *, use_deltas: Any = None) -> Iterable[crl.CertificateList]:
        remaining = self.budget.remaining()
        urls = getattr(cert, "crl_distribution_points", None) or []
        named = [
            str(name.native)
            for point in urls
            for name in (point["distribution_point"].chosen if point["distribution_point"] else [])
            if name.name == "uniform_resource_identifier"
        ]
        if remaining <= 0 or not _http_only(named, self.log):
            raise CRLFetchError("CRL fetch not allowed (time budget spent or not http)")
        try:
            fetched = await asyncio.wait_for(
                self.inner.fetch(cert, use_deltas=use_deltas), remaining
            )
        except TimeoutError as exc:
            raise CRLFetchError("CRL fetch over the time budget") from exc
        fetched = list(fetched)
        when = fetched[0]["tbs_cert_list"]["this_update"].native if fetched else None
        self.log.fetched.setdefault(int(cert.serial_number), ("fetched-crl", when))
        return fetched

    def fetched_crls(self) -> Iterable[crl.CertificateList]:
        return self.inner.fetched_crls()

    def fetched_crls_for_cert(self, cert: Any) -> Iterable[crl.CertificateList]:
        return self.inner.fetched_crls_for_cert(cert)


class TrustedFetcherBackend(FetcherBackend):
    """OCSP/CRL over http(s) within ``budget_seconds`` overall; no issuer fetching."""

    def __init__(self, budget_seconds: float, per_request_timeout: float) -> None:
        from pyhanko_certvalidator.fetchers.requests_fetchers import RequestsFetcherBackend

        self.log = FetchLog()
        self._budget = _Budget(budget_seconds)
        self._inner = RequestsFetcherBackend(
            per_request_timeout=max(1.0, min(per_request_timeout, budget_seconds)),
            limits=FetchLimits(max_requests=50, max_cert_requests=0, max_aia_urls_per_object=0),
        )

    def get_fetchers(self) -> Fetchers:
        inner = self._inner.get_fetchers()
        return Fetchers(
            ocsp_fetcher=_BudgetedOCSP(inner.ocsp_fetcher, self._budget, self.log),
            crl_fetcher=_BudgetedCRL(inner.crl_fetcher, self._budget, self.log),
            cert_fetcher=_NoIssuerFetching(),
        )

    async def close(self) -> None:
        closer: Any = self._inner.close  # requests needs no cleanup; kept for the interface
        await closer()


__all__ = ["FetchLog", "TrustedFetcherBackend"]
