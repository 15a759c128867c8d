"""Engines, sessions and migrations for the tracker database.

``sqlite:///radfollow.db`` is the default: one file, WAL journal, foreign
keys on. PostgreSQL by URL (``postgresql+psycopg://user:pass@host/db``).
``open_tracker`` brings the schema to the latest Alembic revision.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from radfollow.errors import TrackerError

DEFAULT_URL = "sqlite:///radfollow.db"


def _sqlite_pragmas(synchronous: str) -> Any:
    def apply(dbapi_connection: Any, _: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    return apply


def make_engine(url: str, *, durable: bool = False) -> Engine:
    """``durable``: every commit is flushed to disk (SQLite synchronous=FULL), for the
    listener's inbox, where a commit stands for an ACK. Otherwise WAL with NORMAL
    (a commit survives a crash of the process, not always a power loss)."""
    try:
        engine = create_engine(url, future=True, pool_pre_ping=True)
    except (ArgumentError, ImportError) as err:
        raise TrackerError(f"cannot use database URL: {err}") from err
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas("FULL" if durable else "NORMAL"))
    return engine


def alembic_config(engine: Engine) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option(
        "script_location", str(Path(str(resources.files("radfollow.tracker"))) / "migrations")
    )
    config.attributes["engine"] = engine
    return config


_MIGRATING = threading.Lock()


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision``. Alembic keeps global state: one at a time."""
    from alembic import command

    try:
        with _MIGRATING:
            command.upgrade(alembic_config(engine), revision)
    except OperationalError as err:
        raise TrackerError(f"cannot open the tracker database: {err.orig}") from err


class Tracker:
    """A migrated database, a session factory and the policy.

    ``rules_dir``: a site's rules folder (``--rules``); its ``tracker.json`` and
    ``recommendations.json`` replace the packaged ones for the policy. Raises
    RuleFileError for bad rules (before the database is touched), TrackerError
    when the database cannot be opened.
    """

    def __init__(
        self,
        url: str = DEFAULT_URL,
        *,
        rules_dir: str | Path | None = None,
        durable: bool = False,
    ) -> None:
        from radfollow.tracker.policy import Policy

        self.url = url
        self.policy = Policy(rules_dir=rules_dir)
        self.engine = make_engine(url, durable=durable)
        migrate(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A transaction: committed when the block ends, rolled back on error."""
        with self._sessions() as session, session.begin():
            yield session

    def close(self) -> None:
        self.engine.dispose()


def open_tracker(
    url: str | None, *, rules_dir: str | Path | None = None, durable: bool = False
) -> Tracker:
    """``Tracker`` at ``url`` (None: ``DEFAULT_URL``); same arguments and errors."""
    return Tracker(url or DEFAULT_URL, rules_dir=rules_dir, durable=durable)
