"""Worker hosts that die lose nothing, and live ones keep what they run (real Redis broker).

Two worker "hosts" (``sohoa worker``, every queue, each its own process group) on one API,
PostgreSQL database and SeaweedFS (``scale_service``). The visibility timeout is 5 s.

- A 4-page OCR runs longer than the visibility timeout: its worker renews the
  message's lease, so no second host receives it while it runs.
- A host SIGKILLed mid-OCR (every process of it at once) has its task received by the other
  host, which finishes it exactly once: one digitized and one signed object version, one
  signature row, one audit entry of each.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fixtures.scale import (
    VISIBILITY_TIMEOUT,
    ScaleService,
    WorkerHost,
    create_dossier,
    upload,
    wait_until,
)

pytestmark = pytest.mark.slow
ONCE = {
    "digitized audit": 1,
    "officer audit": 1,
    "signatures": 1,
    "digitized versions": 1,
    "signed versions": 1,
}


def _officer_signed(body: dict[str, object]) -> bool:
    signatures = body["signatures"]
    assert isinstance(signatures, list)
    return any(s["role"] == "officer" for s in signatures)


@pytest.fixture
def hosts(scale_service: ScaleService) -> Iterator[tuple[WorkerHost, WorkerHost]]:
    first = scale_service.start_worker("host-a")
    second = scale_service.start_worker("host-b")
    yield first, second
    scale_service.stop_workers()


def test_a_long_ocr_is_not_handed_to_a_second_worker_while_it_runs(
    scale_service: ScaleService, hosts: tuple[WorkerHost, WorkerHost]
) -> None:
    reception = scale_service.client("scale-reception")
    code = create_dossier(reception)
    document = upload(reception, code, [51, 52, 53, 54])
    started = wait_until(reception, document, lambda b: b["status"] == "processing", 60, "start")
    body = wait_until(reception, document, _officer_signed, 300, "officer signature")
    took = (body["updated_at"], started["updated_at"])
    received = [host.received("sohoa.digitize") for host in hosts]
    assert sum(received) == 1, (
        f"the OCR (from {took[1]} to {took[0]}, visibility {VISIBILITY_TIMEOUT}s) was delivered "
        f"{sum(received)} times: {received}"
    )
    assert scale_service.exactly_once(body) == ONCE


def test_a_host_killed_mid_ocr_has_its_task_finished_once_by_another_host(
    scale_service: ScaleService, hosts: tuple[WorkerHost, WorkerHost]
) -> None:
    reception = scale_service.client("scale-reception")
    code = create_dossier(reception)
    document = upload(reception, code, [61, 62, 63, 64])
    wait_until(reception, document, lambda b: b["pages_done"] >= 1, 120, "first page done")
    (victim,) = [h for h in hosts if h.received("sohoa.digitize")]
    (survivor,) = [h for h in hosts if h is not victim]
    scale_service.kill_host(victim)

    body = wait_until(reception, document, _officer_signed, 300, "officer signature")
    assert survivor.received("sohoa.digitize") == 1, "the survivor never got the task"
    assert body["status"] == "signed" and body["pages_done"] == body["page_count"] == 4
    assert scale_service.exactly_once(body) == ONCE
