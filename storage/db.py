"""Database engine, sessions and migrations (PostgreSQL in production, SQLite embedded).

Public API::

    url = database_url(settings)        # SOHOA_DATABASE_URL, or sqlite under SOHOA_DATA_DIR
    engine = make_engine(url)           # use this, not create_engine: SQLite needs set-up
    Session = session_factory(engine)   # sessionmaker; callers own commit/rollback
    upgrade(engine)                     # Alembic "upgrade head" (what `sohoa db upgrade` runs)
    current_revision(engine) -> str | None

SQLite is configured for a small multi-threaded service: WAL (readers don't block the writer),
a busy timeout, foreign keys on, and ``BEGIN IMMEDIATE`` so a transaction takes the write lock
up front. Without that, two deferred transactions that read and then write deadlock and one
fails at once with "database is locked" (pysqlite's default transaction handling).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from core.errors import ServiceUnavailable
from core.settings import Settings

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# Alembic announces each of its plugins at INFO when imported; only the migrations matter.
# (Alembic itself is imported lazily below: it costs most of a second at start-up.)
logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
#: Arbitrary constant identifying sohoa's migration lock among PostgreSQL advisory locks.
_MIGRATION_LOCK = 0x50_48_4F_41


def database_url(settings: Settings) -> str:
    """The configured SQLAlchemy URL, or SQLite at ``data_dir/sohoa.db``."""
    if settings.database_url:
        return settings.database_url
    return f"sqlite+pysqlite:///{settings.resolved_data_dir() / 'sohoa.db'}"


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's own is deferred).
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url`` with sohoa's per-dialect set-up (see module docstring)."""
    if url.startswith("sqlite"):
        database = url.split("///", 1)[-1]
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, **kwargs)
        _configure_sqlite(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """A session factory; objects stay usable after commit (``expire_on_commit=False``)."""
    return sessionmaker(engine, expire_on_commit=False)


def alembic_config(url: str = "") -> Config:
    """Alembic configuration pointing at the migrations packaged inside ``storage``."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


#: SQLSTATEs of a transaction the database aborted to resolve a conflict: running it again
#: succeeds (deadlock_detected, serialization_failure).
_CONFLICT_STATES = frozenset({"40P01", "40001"})


def lock_conflict(exc: DBAPIError) -> bool:
    """True if ``exc`` is a deadlock or serialization failure: the transaction may be re-run."""
    state = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    return state in _CONFLICT_STATES


def upgrade(engine: Engine, revision: str = "head") -> str | None:
    """Run migrations up to ``revision``; returns the revision the database is at afterwards.

    Raises:
        ServiceUnavailable: the database cannot be reached.
    """
    from alembic import command

    config = alembic_config()
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                # API and workers may start together: one migrates, the others wait here.
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
            config.attributes["connection"] = conn
            command.upgrade(config, revision)
    except OperationalError as exc:
        raise ServiceUnavailable(
            f"database unavailable: {exc.orig!s}".splitlines()[0],
            detail_vi="Không kết nối được cơ sở dữ liệu",
        ) from exc
    return current_revision(engine)


def head_revision() -> str:
    """The newest revision the migrations define (what :func:`upgrade` reaches)."""
    from alembic.script import ScriptDirectory

    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    if len(heads) != 1:
        raise RuntimeError(f"the migrations have {len(heads)} heads: {heads}")
    return str(heads[0])


def current_revision(engine: Engine) -> str | None:
    """The Alembic revision the database is at (``None`` before the first upgrade)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


__all__ = [
    "MIGRATIONS_DIR",
    "alembic_config",
    "current_revision",
    "database_url",
    "head_revision",
    "lock_conflict",
    "make_engine",
    "session_factory",
    "upgrade",
]
