"""A dead host's stage claim lapses before its messages come back (``workers.claims``)."""

from __future__ import annotations

import pytest

from core.settings import settings_with
from workers.claims import claim_ttl_ms
from workers.leases import renewal_interval


@pytest.mark.parametrize("visibility", [3, 5, 30, 600, 3600])
def test_a_dead_hosts_claim_lapses_before_its_message_is_redelivered(visibility: int) -> None:
    settings = settings_with(broker_visibility_timeout=visibility)
    # The host dies at 0, having renewed its claim just then and its lease at worst one
    # renewal interval before: the claim is gone at the TTL, the message back no sooner than
    # a whole timeout after that lease renewal.
    claim_gone = claim_ttl_ms(settings) / 1000
    message_back = visibility - renewal_interval(visibility)
    assert claim_gone < message_back, (claim_gone, message_back)
