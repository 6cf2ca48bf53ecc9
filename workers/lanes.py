"""Worker lanes: the heavy OCR queues and the light ones (signatures, housekeeping) apart.

A Celery worker has one pool: a pool process busy with a 500-page OCR cannot take a signature,
whatever the queue order. So ``sohoa worker`` serving both kinds (``sohoa run``, a one-host
deployment) runs two Celery workers in one process group: itself for the OCR queues and a
child for the light queues, with one pool process of its own. The child dies with its parent
(``PR_SET_PDEATHSIG``) and is stopped with it, so the group starts and stops as one.
"""

from __future__ import annotations

import ctypes
import logging
import signal
import subprocess
import sys
import threading
from collections.abc import Sequence

from workers.celery_app import QUEUE_OCR, QUEUE_OCR_BATCH

log = logging.getLogger(__name__)

#: Queues whose tasks run for minutes (OCR); everything else is light.
OCR_QUEUES = frozenset({QUEUE_OCR, QUEUE_OCR_BATCH})
_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def split_lanes(queues: Sequence[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``queues`` as (OCR queues, light queues), each in the order given."""
    heavy = tuple(q for q in queues if q in OCR_QUEUES)
    light = tuple(q for q in queues if q not in OCR_QUEUES)
    return heavy, light


def worker_argv(queues: Sequence[str], *, concurrency: int, name: str, loglevel: str) -> list[str]:
    """The ``celery worker`` arguments of one lane."""
    return [
        "worker",
        f"--loglevel={loglevel}",
        f"--concurrency={concurrency}",
        f"--queues={','.join(queues)}",
        "--pool=prefork",
        "--without-gossip",
        "--without-mingle",
        f"--hostname={name}@%h",
    ]


def _die_with_parent() -> None:
    # Runs in the child between fork and exec: a parent killed outright (SIGKILL, OOM) must
    # not leave a light lane consuming on its own.
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def start_light_lane(queues: Sequence[str], *, name: str, loglevel: str) -> subprocess.Popen[bytes]:
    """Start the light lane's worker as a child in this process group (output inherited)."""
    argv = worker_argv(queues, concurrency=1, name=f"{name}-light", loglevel=loglevel)
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "workers.celery_app", *argv],
        stdin=subprocess.DEVNULL,
        # Only prctl runs between fork and exec: nothing that could deadlock on a lock.
        preexec_fn=_die_with_parent,
    )


def stop_lane(process: subprocess.Popen[bytes], *, grace: float = 60.0) -> None:
    """Warm shutdown of a lane (its running task finishes), SIGKILL after ``grace`` seconds."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


class LightLane:
    """The light lane, restarted if it dies on its own (1, 2, 4 … 30 s apart) until stopped.

    The OCR lane is this process, supervised by whoever started ``sohoa worker``; the light
    lane is its child, so it is this process's to watch: signatures must not stop silently.
    """

    def __init__(self, queues: Sequence[str], *, name: str, loglevel: str) -> None:
        self.queues, self.name, self.loglevel = tuple(queues), name, loglevel
        self.process: subprocess.Popen[bytes] | None = None
        self.restarts = 0
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._watch = threading.Thread(target=self._supervise, name="light-lane", daemon=True)

    def start(self) -> LightLane:
        self.process = start_light_lane(self.queues, name=self.name, loglevel=self.loglevel)
        self._watch.start()
        return self

    def _supervise(self) -> None:
        delay = 1.0
        while (process := self.process) is not None:
            process.wait()
            if self._stopping.wait(delay):
                return
            # Under the lock: a stop() racing with this restart must not leave a lane behind.
            with self._lock:
                if self._stopping.is_set():
                    return
                log.warning("light lane exited (%s); restarting", process.returncode)
                self.process = start_light_lane(self.queues, name=self.name, loglevel=self.loglevel)
                self.restarts += 1
            delay = min(30.0, delay * 2)

    def stop(self, *, grace: float = 60.0) -> None:
        with self._lock:
            self._stopping.set()
            process = self.process
        if process is not None:
            stop_lane(process, grace=grace)


__all__ = ["OCR_QUEUES", "LightLane", "split_lanes", "start_light_lane", "stop_lane", "worker_argv"]
