"""Engines, sessions and migrations for the tracker database.

``sqlite:///radfollow.db`` is the default: one file, WAL journal, foreign
keys on; a plain file path (no ``://``) means a SQLite file too. PostgreSQL by
URL (``postgresql+psycopg://user:pass@host/db``). ``open_tracker`` brings the
schema to the latest Alembic revision; with ``create=False`` (the ``tracker``
commands) it refuses a database that holds no tracker yet instead of creating one,
and still upgrades an older tracker schema.

Migrations run under a lock across processes, so several processes may open
(and create) one new database at once: ``flock`` on ``<database>.lock`` beside
a SQLite file, ``pg_advisory_lock`` on PostgreSQL. A new SQLite file is created
mode 0600 (SQLite gives its -wal, -shm and -journal files the same mode).
"""

from __future__ import annotations

import fcntl
import os
import stat
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import URL, Engine, create_engine, event, inspect, make_url, text
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from radfollow.errors import (
    CorruptDatabaseError,
    NotADatabaseError,
    NoTrackerError,
    SchemaVersionError,
    TrackerError,
    TrackerOpenError,
    TrackerURLError,
)
from radfollow.io.private import FILE_MODE, create_private_file

DEFAULT_URL = "sqlite:///radfollow.db"


def _sqlite_pragmas(synchronous: str) -> Any:
    def apply(dbapi_connection: Any, _: Any) -> None:
        cursor = dbapi_connection.cursor()
        # busy_timeout first: switching a new file to WAL needs a lock that a
        # concurrent opener may hold for a moment.
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.close()

    return apply


#: SQLite's file header (https://www.sqlite.org/fileformat.html, section 1.3.1).
SQLITE_HEADER = b"SQLite format 3\x00"
#: pg_advisory_lock key held while migrating a PostgreSQL database ("radfollw").
PG_MIGRATION_LOCK = 0x7261_6466_6F6C_6C77


def database_url(value: str) -> URL:
    """``value`` as a SQLAlchemy URL; a plain path (no ``://``) is a SQLite file.

    Raises TrackerURLError (RF702) when it cannot be parsed.
    """
    if "://" not in value:
        return URL.create("sqlite", database=value)
    try:
        return make_url(value)
    except ArgumentError as err:
        raise TrackerURLError(f"cannot use database URL: {err}") from None


def make_engine(url: str | URL, *, durable: bool = False) -> Engine:
    """``durable``: every commit is flushed to disk (SQLite synchronous=FULL), for the
    listener's inbox, where a commit stands for an ACK. Otherwise WAL with NORMAL
    (a commit survives a crash of the process, not always a power loss).

    Raises TrackerURLError (RF702) for a URL SQLAlchemy cannot use.
    """
    parsed = database_url(url) if isinstance(url, str) else url
    try:
        # hide_parameters: a database error's message never quotes the values bound
        # into its statement (patient ids, report text)
        engine = create_engine(parsed, future=True, pool_pre_ping=True, hide_parameters=True)
    except (ArgumentError, ImportError) as err:
        raise TrackerURLError(f"cannot use database URL: {err}") from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas("FULL" if durable else "NORMAL"))
    return engine


def sqlite_path(url: URL) -> Path | None:
    """The file of a SQLite URL; None for other databases, in-memory and URI names."""
    name = url.database
    if url.get_backend_name() != "sqlite" or not name or name == ":memory:":
        return None
    return None if name.startswith("file:") else Path(name)


def shown(url: URL) -> str:
    """How errors name a database: a SQLite file's path, else the URL without password."""
    path = sqlite_path(url)
    return str(path) if path is not None else url.render_as_string(hide_password=True)


def check_sqlite_file(path: Path) -> None:
    """Refuse, before SQLite touches it, a path that cannot be a SQLite database.

    A missing file is fine (it will be created), so is an empty one. Raises
    TrackerOpenError (RF703: a folder, not a regular file, its folder missing,
    unreadable) or NotADatabaseError (RF704: no SQLite header). Reads 16 bytes;
    the reasons name the path only.
    """
    try:
        info = path.stat()
    except FileNotFoundError:
        if not path.parent.is_dir():
            raise TrackerOpenError(f"{path}: its folder does not exist") from None
        return
    except OSError as err:
        raise TrackerOpenError(f"{path}: {err.strerror}") from None
    if stat.S_ISDIR(info.st_mode):
        raise TrackerOpenError(f"{path}: is a folder, not a SQLite database file")
    if not stat.S_ISREG(info.st_mode):
        raise TrackerOpenError(f"{path}: not a regular file")
    try:
        with open(path, "rb") as handle:
            head = handle.read(len(SQLITE_HEADER))
    except OSError as err:
        raise TrackerOpenError(f"{path}: {err.strerror}") from None
    if head and head != SQLITE_HEADER:
        raise NotADatabaseError(f"{path}: not a SQLite database file")


def database_error(err: SQLAlchemyError, url: URL) -> TrackerError:
    """A driver error met while opening or reading the database, as a catalogued
    error naming the database (never statement parameters or file contents)."""
    where = shown(url)
    original = getattr(err, "orig", None)
    name = getattr(original, "sqlite_errorname", "") or ""
    if name == "SQLITE_NOTADB":
        return NotADatabaseError(f"{where}: not a SQLite database file")
    if name.startswith("SQLITE_CORRUPT"):
        return CorruptDatabaseError(f"{where}: the database file is corrupt (SQLite: malformed)")
    if name.startswith(("SQLITE_CANTOPEN", "SQLITE_READONLY", "SQLITE_PERM", "SQLITE_IOERR")):
        return TrackerOpenError(f"{where}: cannot open the database ({name})")
    detail = name or type(original or err).__name__
    if sqlite_path(url) is None and isinstance(err, OperationalError) and str(original):
        detail = str(original).splitlines()[0]  # a server: host, port, role; no report values
    return TrackerOpenError(f"tracker database {where}: {detail}")


def require_tracker(engine: Engine) -> None:
    """Refuse a database that holds no tracker, creating nothing (no file, no -wal,
    -shm or .lock beside a missing SQLite file).

    Raises NoTrackerError (RF707): a SQLite file that does not exist or is empty, a
    database without an ``alembic_version`` table; the errors of
    :func:`check_sqlite_file` for a path that cannot be a SQLite file; RF703-RF705
    when the database cannot be read.
    """
    path = sqlite_path(engine.url)
    if path is not None:
        check_sqlite_file(path)
        try:
            size: int | None = path.stat().st_size
        except FileNotFoundError:
            size = None
        if not size:
            what = "no such tracker database" if size is None else "an empty file"
            raise NoTrackerError(f"{path}: {what}; `radfollow process --db {path}` creates one")
    try:
        with engine.connect() as conn:
            found = inspect(conn).has_table("alembic_version")
    except SQLAlchemyError as err:
        raise database_error(err, engine.url) from None
    if not found:
        where = shown(engine.url)
        raise NoTrackerError(
            f"{where}: holds no tracker (no alembic_version table); "
            f"`radfollow process --db {where}` creates one"
        )


def alembic_config(engine: Engine) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option(
        "script_location", str(Path(str(resources.files("radfollow.tracker"))) / "migrations")
    )
    config.attributes["engine"] = engine
    return config


_MIGRATING = threading.Lock()


@contextmanager
def migration_lock(engine: Engine) -> Iterator[None]:
    """Hold the database's migration lock (blocking) across processes.

    SQLite file: ``flock`` on ``<database>.lock`` (created 0600, kept), and the
    database file itself is created 0600 if missing. PostgreSQL: session-level
    ``pg_advisory_lock``. Other databases: no lock. Raises TrackerOpenError when the
    lock file cannot be created.
    """
    path = sqlite_path(engine.url)
    if path is not None:
        check_sqlite_file(path)
        lock = path.with_name(path.name + ".lock")
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, FILE_MODE)
        except OSError as err:
            raise TrackerOpenError(
                f"{lock}: cannot create the lock file ({err.strerror})"
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            create_private_file(path)
            yield
        finally:
            os.close(fd)  # releases the flock
    elif engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": PG_MIGRATION_LOCK})
            conn.commit()
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": PG_MIGRATION_LOCK})
                conn.commit()
    else:
        yield


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision``, under the migration lock (several processes
    may open one new database at once); Alembic keeps global state, so one thread
    at a time.

    Raises TrackerOpenError (RF703), NotADatabaseError (RF704),
    CorruptDatabaseError (RF705) or SchemaVersionError (RF706: a revision this
    radfollow does not know).
    """
    from alembic import command
    from alembic.util import CommandError

    try:
        with _MIGRATING, migration_lock(engine):
            command.upgrade(alembic_config(engine), revision)
    except SQLAlchemyError as err:
        raise database_error(err, engine.url) from None
    except CommandError:
        raise SchemaVersionError(
            f"{shown(engine.url)}: its schema revision is unknown to this radfollow "
            "(written by a newer version?)"
        ) from None


class Tracker:
    """A migrated database, a session factory and the policy.

    ``rules_dir``: a site's rules folder (``--rules``); its ``tracker.json`` and
    ``recommendations.json`` replace the packaged ones for the policy. ``create``
    False: a database without a tracker is refused (NoTrackerError, RF707) rather
    than created; an older tracker schema is still upgraded. Raises RuleFileError
    for bad rules (before the database is touched), TrackerError when the database
    cannot be opened.
    """

    def __init__(
        self,
        url: str = DEFAULT_URL,
        *,
        rules_dir: str | Path | None = None,
        durable: bool = False,
        create: bool = True,
        timezone: str | None = None,
    ) -> None:
        from radfollow.tracker import statuses  # noqa: F401 - its flush hook drops stale statuses
        from radfollow.tracker.policy import Policy

        self.url = url
        self.policy = Policy(rules_dir=rules_dir)
        self.engine = make_engine(url, durable=durable)
        try:
            if not create:
                require_tracker(self.engine)
            migrate(self.engine)
        except BaseException:
            self.engine.dispose()
            raise
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        try:
            self.timezone = self._site_timezone(timezone)
        except BaseException:
            self.engine.dispose()
            raise

    def _site_timezone(self, wanted: str | None) -> ZoneInfo:
        """The site's zone stored with the data; ``wanted`` (a writer's ``--timezone``)
        is stored when none is, and must agree with the stored one (TrackerError)."""
        from radfollow.tracker.schema import Setting

        with self.session() as session:
            stored = session.get(Setting, "timezone")
            if stored is None and wanted is not None:
                session.add(Setting(key="timezone", value=wanted))
            elif stored is not None and wanted is not None and stored.value != wanted:
                raise TrackerError(
                    f"{shown(self.engine.url)}: its site timezone is {stored.value}; "
                    f"--timezone {wanted} differs (dates would mix)"
                )
            name = stored.value if stored is not None else (wanted or "UTC")
        return ZoneInfo(name)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A transaction: committed when the block ends, rolled back on error."""
        with self._sessions() as session, session.begin():
            yield session

    def close(self) -> None:
        self.engine.dispose()


def open_tracker(
    url: str | None,
    *,
    rules_dir: str | Path | None = None,
    durable: bool = False,
    create: bool = True,
    timezone: str | None = None,
) -> Tracker:
    """``Tracker`` at ``url`` (None: ``DEFAULT_URL``); same arguments and errors.

    ``timezone``: the IANA zone of the writer (``--timezone``), stored with the
    data the first time and checked against it afterwards (TrackerError when it
    differs); readers leave it None and get the stored one (``Tracker.timezone``,
    UTC when none was stored). ``create=False`` for commands that act on an
    existing tracker (read-only commands, close, reopen): a missing or empty
    SQLite file, or a database without the tracker's schema, raises
    NoTrackerError (RF707) and nothing is created.
    """
    return Tracker(
        url or DEFAULT_URL, rules_dir=rules_dir, durable=durable, create=create, timezone=timezone
    )
