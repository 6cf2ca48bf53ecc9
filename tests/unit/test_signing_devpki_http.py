"""The two NSS quirks of certomancer's server, fixed in signing.devpki_http (no network)."""

from __future__ import annotations

import base64
import io
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from signing.devpki_http import WholeSecondAnimator, ocsp_get_adapter


def test_ocsp_get_is_forwarded_as_post_with_the_decoded_body() -> None:
    seen: dict[str, Any] = {}

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.update(environ)
        seen["body"] = environ["wsgi.input"].read()
        return [b""]

    request = b"\x30\x03\x02\x01\x00"  # any DER bytes
    encoded = quote(base64.b64encode(request).decode("ascii"), safe="")
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": f"/sohoa-dev/ocsp/issuing-ca/{encoded}",
        "wsgi.input": io.BytesIO(),
    }
    ocsp_get_adapter(app)(environ, lambda *a: None)
    assert seen["REQUEST_METHOD"] == "POST"
    assert seen["PATH_INFO"] == "/sohoa-dev/ocsp/issuing-ca"
    assert seen["body"] == request
    assert seen["CONTENT_LENGTH"] == str(len(request))


def test_other_requests_pass_untouched() -> None:
    seen: dict[str, Any] = {}

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.update(environ)
        return [b""]

    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/sohoa-dev/crls/root/latest.crl"}
    ocsp_get_adapter(app)(environ, lambda *a: None)
    assert seen["PATH_INFO"] == "/sohoa-dev/crls/root/latest.crl"


def test_responder_times_are_whole_seconds() -> None:
    moment = datetime(2025, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    animator = WholeSecondAnimator.__new__(WholeSecondAnimator)
    animator.fixed_time = moment
    animator.allow_time_override = False
    assert animator.at_time(object()) == moment.replace(microsecond=0)
