"""Queue routing, lanes and message leases of the workers (no broker: the boundaries are faked;
tests/integration/test_workers_queues.py and test_scale_failover.py run the real thing)."""

from __future__ import annotations

from typing import Any

import pytest

from core.domain import SignatureLevel, SignerRole
from core.errors import ConfigurationError
from workers import leases, tasks
from workers.celery_app import QUEUES, TASK_ROUTES, celery_app, parse_queues
from workers.lanes import split_lanes, worker_argv


def test_every_kind_of_work_has_its_queue_and_a_worker_may_serve_only_some() -> None:
    assert parse_queues("all") == QUEUES
    assert parse_queues("") == QUEUES
    assert parse_queues("ocr-batch, ocr") == ("ocr", "ocr-batch")  # precedence order kept
    assert parse_queues("sign") == ("sign",)
    with pytest.raises(ConfigurationError) as raised:
        parse_queues("ocr,printing")
    assert "printing" in raised.value.message
    assert TASK_ROUTES["sohoa.digitize"]["queue"] == "ocr"
    assert TASK_ROUTES["sohoa.sign"]["queue"] == "sign"
    assert celery_app.conf.task_routes == TASK_ROUTES


def test_signatures_come_first_then_desk_uploads_then_batches() -> None:
    assert QUEUES.index("sign") < QUEUES.index("ocr") < QUEUES.index("ocr-batch")
    options = celery_app.conf.broker_transport_options
    if celery_app.conf.broker_url.startswith("redis"):
        assert options["queue_order_strategy"] == "priority"


def test_a_worker_serving_ocr_and_signatures_splits_into_two_lanes() -> None:
    heavy, light = split_lanes(parse_queues("all"))
    assert heavy == ("ocr", "ocr-batch")
    assert "sign" in light and "housekeeping" in light and "ocr" not in light
    assert split_lanes(("ocr",)) == (("ocr",), ())
    argv = worker_argv(light, concurrency=1, name="n1", loglevel="INFO")
    assert f"--queues={','.join(light)}" in argv and "--hostname=n1@%h" in argv


def test_schedule_functions_pick_the_queue(monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[dict[str, Any]] = []
    for task in (tasks.digitize_task, tasks.sign_task):
        monkeypatch.setattr(task, "apply_async", lambda args, **opts: sent.append(opts))
    tasks.schedule_digitize(1, 3)
    tasks.schedule_digitize(2, 3, batch=True)
    tasks.schedule_sign(3, SignerRole.OFFICER, SignatureLevel.B_T, 3)
    assert [s["queue"] for s in sent] == ["ocr", "ocr-batch", "sign"]
    assert sent[0]["time_limit"] > sent[0]["soft_time_limit"]


class _FakeRedis:
    def __init__(self) -> None:
        self.scores: dict[str, float] = {"held": 1.0}

    def zadd(self, key: str, mapping: dict[str, float], xx: bool = False) -> int:
        assert key == leases.UNACKED_INDEX and xx  # never re-adds an acknowledged message
        for tag, score in mapping.items():
            if tag in self.scores:
                self.scores[tag] = score
        return 0


def test_a_live_worker_renews_the_lease_of_what_it_holds_only() -> None:
    client = _FakeRedis()
    assert leases.renew(client, ["held", "acked"], now=100.0) == 2  # type: ignore[arg-type]
    assert client.scores == {"held": 100.0}
    assert leases.renew(client, []) == 0  # type: ignore[arg-type]
    assert leases.renewal_interval(600) == 200 and leases.renewal_interval(1) == 1


def test_a_light_lane_that_dies_is_started_again_until_stopped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import subprocess
    import time

    from workers import lanes

    started: list[subprocess.Popen[bytes]] = []

    def fake_start(queues: Any, *, name: str, loglevel: str) -> subprocess.Popen[bytes]:
        # The first one dies at once (a crash); the second keeps running.
        command = ["true"] if not started else ["sleep", "30"]
        started.append(subprocess.Popen(command))
        return started[-1]

    monkeypatch.setattr(lanes, "start_light_lane", fake_start)
    lane = lanes.LightLane(("sign",), name="t", loglevel="INFO").start()
    deadline = time.monotonic() + 10
    while lane.restarts < 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    lane.stop(grace=5)
    assert lane.restarts == 1 and len(started) == 2
    assert started[-1].poll() is not None, "stop() left the lane running"
