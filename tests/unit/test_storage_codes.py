"""Pure helpers of storage: dossier codes, secrets, accent folding, object keys, error mapping."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, cast

import pytest
import urllib3.exceptions
from minio.error import S3Error

from core.errors import IntegrityError, NotFound, StorageError, StorageUnavailable
from storage.codes import (
    access_secret_matches,
    fold_accents,
    format_dossier_code,
    hash_access_secret,
    new_access_secret,
    parse_dossier_code,
    reception_day,
)
from storage.keys import document_key, original_key, safe_name
from storage.s3errors import translate_errors


def test_dossier_code_has_national_format() -> None:
    assert format_dossier_code("000.00.00.H00", date(2026, 11, 23), 1) == (
        "000.00.00.H00-261123-0001"
    )
    assert parse_dossier_code("000.00.00.H00-261123-0042") == (
        "000.00.00.H00",
        date(2026, 11, 23),
        42,
    )


def test_dossier_code_sequence_widens_past_9999() -> None:
    assert format_dossier_code("G01", date(2026, 1, 2), 12345).endswith("-260102-12345")


def test_reception_day_is_vietnam_local_date() -> None:
    # 18:30 UTC is 01:30 the next day in Hanoi.
    assert reception_day(datetime(2026, 11, 23, 18, 30, tzinfo=UTC)) == date(2026, 11, 24)


def test_access_secret_is_random_and_checked_against_hash() -> None:
    first, second = new_access_secret(), new_access_secret()
    assert first != second and len(first) >= 22
    stored = hash_access_secret(first)
    assert first not in stored
    assert access_secret_matches(stored, first)
    assert not access_secret_matches(stored, second)


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Đặng Văn Đức", "dang van duc"),
        ("Giấy khai sinh", "giay khai sinh"),
        ("NGUYỄN THỊ Ánh", "nguyen thi anh"),
        ("đường", "duong"),
    ],
)
def test_fold_accents_strips_vietnamese_marks_and_d_stroke(text: str, folded: str) -> None:
    assert fold_accents(text) == folded


def test_document_key_follows_archive_naming_rule() -> None:
    code = "000.00.00.H00-261123-0001"
    assert document_key(code, 3) == f"{code}/{code}.03.pdf"


def test_keys_refuse_path_tricks_in_dossier_code() -> None:
    with pytest.raises(ValueError):
        document_key("../etc", 1)
    with pytest.raises(ValueError):
        original_key("a/b", "x.pdf")


def test_original_key_is_ascii_safe_and_unique() -> None:
    code = "000.00.00.H00-261123-0001"
    first = original_key(code, "Giấy đăng ký kết hôn (bản sao).jpg")
    assert first == f"{code}/originals/Giay_dang_ky_ket_hon_ban_sao.jpg"
    assert first.isascii()
    second = original_key(code, "Giây đăng ký kết hôn (bản sao).jpg", taken={first})
    assert second.endswith("-2.jpg")
    assert safe_name("../../etc/passwd") == "passwd"
    assert safe_name("....") == "file"


def _s3_error(code: str, status: int) -> S3Error:
    response = urllib3.response.HTTPResponse(body=b"", status=status)
    return S3Error(response, code, "msg", "/r", "req", "host")


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (_s3_error("BadDigest", 400), IntegrityError),
        (_s3_error("NoSuchKey", 404), NotFound),
        (_s3_error("AccessDenied", 403), StorageError),
        (_s3_error("InternalError", 500), StorageUnavailable),
        (
            urllib3.exceptions.MaxRetryError(cast(Any, None), "/", reason=ConnectionRefusedError()),
            StorageUnavailable,
        ),
    ],
)
def test_s3_failures_map_to_sohoa_errors(exc: Exception, expected: type[Exception]) -> None:
    with pytest.raises(expected) as caught, translate_errors("op", "bucket", "key"):
        raise exc
    assert type(caught.value) is expected
    assert caught.value.retryable is (expected is StorageUnavailable)  # type: ignore[attr-defined]
