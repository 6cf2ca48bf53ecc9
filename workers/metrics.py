"""Prometheus metrics of the worker: stage durations, failures, pages (``pipeline``).

Tasks run in prefork pool processes, so each process writes its samples to a shared directory
(prometheus_client's multiprocess mode) and the main worker process serves them all.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def serve_metrics(port: int, *, host: str = "127.0.0.1") -> Path:
    """Serve the metrics of this worker and its pool processes on ``host:port``.

    Must run before ``prometheus_client`` is first imported (it picks its multiprocess value
    class at import time), i.e. before ``pipeline`` is loaded and the pool forks.
    """
    directory = Path(tempfile.mkdtemp(prefix="sohoa-metrics-"))
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory)
    from prometheus_client import CollectorRegistry, start_http_server
    from prometheus_client.multiprocess import MultiProcessCollector

    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(directory))  # type: ignore[no-untyped-call]
    start_http_server(port, addr=host, registry=registry)
    return directory


__all__ = ["serve_metrics"]
