"""Regression: two processes creating a new database at once raced on the migration
(about 1 in 5: "table alembic_version already exists" on SQLite, a unique
violation on PostgreSQL). Several spawned processes open the same fresh
database at the same moment, ten times over: all succeed, the schema is at head."""

from __future__ import annotations

import multiprocessing
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from radfollow.tracker.db import alembic_config, make_engine, open_tracker

PROCESSES = 4
ROUNDS = 10


def _opener(urls: list[str], barrier: Barrier, results: Any) -> None:
    for url in urls:
        barrier.wait(timeout=300)
        try:
            open_tracker(url).close()
            results.put("ok")
        except Exception as error:  # reported to the test, which shows it
            results.put(f"{type(error).__name__}: {error}")


def _fresh(url: str) -> None:
    if not url.startswith("postgresql"):
        return
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


def _revision(url: str) -> tuple[str | None, str | None]:
    engine = make_engine(url)
    head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    engine.dispose()
    return current, head


def test_concurrent_creation_of_a_new_database(db_url: str, tmp_path: Path) -> None:
    if db_url.startswith("sqlite"):
        urls = [f"sqlite:///{tmp_path / f'round{i}' / 'new.db'}" for i in range(ROUNDS)]
        for url in urls:
            Path(url.removeprefix("sqlite:///")).parent.mkdir()
    else:
        urls = [db_url] * ROUNDS
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(PROCESSES + 1)
    results = ctx.Queue()
    workers = [ctx.Process(target=_opener, args=(urls, barrier, results)) for _ in range(PROCESSES)]
    for worker in workers:
        worker.start()
    try:
        for url in urls:
            _fresh(url)
            barrier.wait(timeout=300)
            outcomes = [results.get(timeout=300) for _ in range(PROCESSES)]
            assert outcomes == ["ok"] * PROCESSES, outcomes
            current, head = _revision(url)
            assert current == head and head is not None
    finally:
        barrier.abort()
        for worker in workers:
            worker.join(timeout=60)
            if worker.is_alive():
                worker.kill()
                worker.join()
    assert [w.exitcode for w in workers] == [0] * PROCESSES


@pytest.mark.parametrize("kind", ["sqlite"])
def test_lock_file_is_owner_only_and_reused(tmp_path: Path, kind: str) -> None:
    url = f"{kind}:///{tmp_path / 'l.db'}"
    open_tracker(url).close()
    open_tracker(url).close()
    lock = tmp_path / "l.db.lock"
    assert lock.is_file() and lock.stat().st_mode & 0o777 == 0o600
