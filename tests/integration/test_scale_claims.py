"""Stage claims on the real Redis: one running copy of a stage per document, across processes.

Redis database 11 on 127.0.0.1:6379 (only this test's keys, deleted after).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator

import pytest
import redis

from core.settings import Settings, settings_with
from workers.claims import claim_key, claimed

URL = "redis://127.0.0.1:6379/11"


@pytest.fixture
def settings() -> Iterator[Settings]:
    yield settings_with(broker_url=URL, broker_visibility_timeout=3)
    client = redis.Redis.from_url(URL)
    for key in client.scan_iter("sohoa:claim:*"):
        client.delete(key)


def test_a_second_copy_of_a_running_stage_does_not_run(settings: Settings) -> None:
    document = secrets.randbelow(10**9)
    with claimed(settings, document, "sign-officer") as first:
        assert first
        with claimed(settings, document, "sign-officer") as second:
            assert not second, "two copies of one stage ran at once"
        with claimed(settings, document, "sign-agency") as other_stage:
            assert other_stage  # another stage of the same document is not excluded
    with claimed(settings, document, "sign-officer") as after:
        assert after, "a finished stage left its claim behind"


def test_a_live_claim_outlasts_its_ttl_and_a_dead_holders_claim_expires(
    settings: Settings,
) -> None:
    document = secrets.randbelow(10**9)
    with claimed(settings, document, "digitize") as mine:
        assert mine
        time.sleep(4.5)  # longer than the 3 s TTL: renewals keep it
        with claimed(settings, document, "digitize") as second:
            assert not second
    # A holder that died: its claim is not renewed and lapses within the TTL.
    client = redis.Redis.from_url(URL)
    client.set(claim_key(settings, document, "digitize"), "dead-host", px=3000)
    with claimed(settings, document, "digitize") as blocked:
        assert not blocked
    time.sleep(3.2)
    with claimed(settings, document, "digitize") as taken_over:
        assert taken_over


def test_installations_sharing_one_redis_never_hold_each_others_claims(
    settings: Settings,
) -> None:
    # Two installations (two databases) number their documents from 1 each: the same id and
    # stage in the other one is a different document.
    other = settings_with(
        broker_url=URL, broker_visibility_timeout=3, database_url="sqlite:///elsewhere.db"
    )
    with claimed(settings, 1, "digitize") as mine:
        assert mine
        with claimed(other, 1, "digitize") as theirs:
            assert theirs, "another installation's document 1 was blocked by ours"
