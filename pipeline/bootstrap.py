"""The composition root: the one place a :class:`Runtime` is assembled from settings.

The API's lifespan, the worker process, ``sohoa run`` and the CLI commands that touch records
all open their runtime here, so the database pool, the object store (buckets ensured once) and
the signing keys (parsed or opened once, cached per process) are wired the same way everywhere.
"""

from __future__ import annotations

from core.settings import Settings
from pipeline.context import Runtime
from storage.db import database_url, make_engine, session_factory, upgrade


def open_runtime(
    settings: Settings, *, migrate: bool = False, connect_objects: bool = False
) -> Runtime:
    """A runtime for ``settings``.

    Args:
        settings: The configuration.
        migrate: Run the database migrations first (``sohoa run``, ``sohoa users``).
        connect_objects: Open the object store (and ensure its buckets) now rather than on
            first use; a process that serves requests wants the failure at start.
    """
    url = database_url(settings)
    # The API serves many concurrent reads; PostgreSQL gets a pool to match its threads.
    pool = {} if url.startswith("sqlite") else {"pool_size": 20, "max_overflow": 20}
    engine = make_engine(url, **pool)
    if migrate:
        upgrade(engine)
    runtime = Runtime(settings=settings, engine=engine, sessions=session_factory(engine))
    if connect_objects:
        runtime.objects  # noqa: B018  (opening is the point)
    return runtime


__all__ = ["open_runtime"]
