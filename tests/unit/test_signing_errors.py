"""Failures from pyHanko and the network become sohoa's typed, retryable-or-not errors."""

from __future__ import annotations

import pytest
from pyhanko.sign.timestamps.common_utils import TimestampRequestError

from core.domain import SignatureLevel
from core.errors import RevocationUnavailable, SigningError, TimestampUnavailable
from signing.pades import _classify


def _chained(outer: Exception, inner: Exception) -> Exception:
    try:
        try:
            raise inner
        except Exception as exc:
            raise outer from exc
    except Exception as exc:
        return exc


def test_tsa_failure_is_timestamp_unavailable() -> None:
    exc = _chained(RuntimeError("signing failed"), TimestampRequestError("connect refused"))
    err = _classify(exc, SignatureLevel.B_T)
    assert isinstance(err, TimestampUnavailable) and err.retryable


def test_revocation_fetch_failure_is_retryable() -> None:
    exc = _chained(
        ValueError("could not validate"), OSError("OCSP fetch failed: connection refused")
    )
    err = _classify(exc, SignatureLevel.B_LT)
    assert isinstance(err, RevocationUnavailable) and err.retryable


def test_revoked_certificate_is_not_retryable() -> None:
    err = _classify(ValueError("The certificate was revoked on 2025-01-01"), SignatureLevel.B_LT)
    assert type(err) is SigningError and not err.retryable


@pytest.mark.parametrize("level", list(SignatureLevel))
def test_unknown_failures_stay_signing_errors(level: SignatureLevel) -> None:
    assert type(_classify(KeyError("boom"), level)) is SigningError
