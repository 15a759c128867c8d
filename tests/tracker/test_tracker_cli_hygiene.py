"""Regressions a quality manager hit with the tracker commands:

- ``tracker list --db typo.db`` created an empty database and reported an all-clear
  worklist; now a database without a tracker is an error (RF707) and nothing is
  created (no file, no -wal, -shm or .lock; no tables on PostgreSQL);
- ``close --by ""`` wrote an audit entry naming nobody;
- CSV to stdout had no BOM (only ``--output`` files had it);
- an empty CSV export was an empty file, without its header row.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from pydantic import BaseModel
from typer.testing import CliRunner

from radfollow.cli import app
from radfollow.errors import NoTrackerError, TrackerError
from radfollow.tracker.db import Tracker, alembic_config, make_engine, migrate, open_tracker
from radfollow.tracker.queries import StatsRow, WorklistRow
from radfollow.tracker.review import CloseReason, close, reopen
from radfollow.tracker.schema import ReviewAction

Feed = Callable[..., Any]  # the ``feed`` fixture of tests/tracker/conftest.py
runner = CliRunner()
BOM = b"\xef\xbb\xbf"
NOW = datetime(2026, 1, 1, tzinfo=UTC)
CLOSE = ["--reason", "not indicated"]

#: Every tracker command: none may create a database.
COMMANDS: list[list[str]] = [
    ["list"],
    ["list", "--format", "csv", "-o", "{tmp}/export.csv"],
    ["show", "1"],
    ["stats"],
    ["stats", "--format", "json", "-o", "{tmp}/export.json"],
    ["close", "1", *CLOSE, "--by", "alice"],
    ["reopen", "1", "--by", "alice"],
]
IDS = [" ".join(c[:3]) for c in COMMANDS]


def _invoke(command: list[str], db: str, tmp_path: Path) -> tuple[int, str, bytes]:
    args = ["tracker", *[a.format(tmp=tmp_path) for a in command], "--db", db]
    result = runner.invoke(app, args)
    return result.exit_code, result.output, result.stdout_bytes


def _one_recommendation(feed: Feed) -> None:
    feed(
        "FINDINGS: 6 mm nodule.\nIMPRESSION: Recommend follow-up CT chest in 3 months.",
        when="2025-01-10",
        accession="A1",
        control="M1",
        procedure="CT CHEST",
        modality="CT",
    )


def _tables(url: str) -> list[str]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        names = sa.inspect(conn).get_table_names()
    engine.dispose()
    return names


@pytest.mark.parametrize("command", COMMANDS, ids=IDS)
@pytest.mark.parametrize("form", ["url", "plain path"])
def test_missing_sqlite_file_is_refused_and_not_created(
    tmp_path: Path, command: list[str], form: str
) -> None:
    path = tmp_path / "typo.db"
    db = f"sqlite:///{path}" if form == "url" else str(path)
    code, output, _ = _invoke(command, db, tmp_path)
    assert code == 1, output
    lines = output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("radfollow: error: "), output
    assert f"{path}: no such tracker database" in lines[0]
    assert list(tmp_path.iterdir()) == []  # no database, -wal, -shm, .lock or export


@pytest.mark.parametrize(("setup", "refused"), [("empty file", True), ("tracker", False)])
def test_empty_sqlite_file_is_no_tracker(tmp_path: Path, setup: str, refused: bool) -> None:
    path = tmp_path / "t.db"
    if setup == "empty file":
        path.write_bytes(b"")
    else:
        open_tracker(str(path)).close()
    before = sorted(p.name for p in tmp_path.iterdir())
    code, output, _ = _invoke(["list"], str(path), tmp_path)
    assert (code == 1) is refused, output
    if refused:
        assert "an empty file" in output and path.read_bytes() == b""
        assert sorted(p.name for p in tmp_path.iterdir()) == before


@pytest.mark.parametrize("command", COMMANDS, ids=IDS)
def test_database_without_tracker_is_refused_and_left_alone(
    db_url: str, tmp_path: Path, command: list[str]
) -> None:
    """SQLite: no file; PostgreSQL: a database without the tracker's tables."""
    code, output, _ = _invoke(command, db_url, tmp_path)
    assert code == 1, output
    lines = output.strip().splitlines()
    assert len(lines) == 1 and "creates one" in lines[0], output
    if db_url.startswith("sqlite"):
        assert list(tmp_path.iterdir()) == []
    else:
        assert "no alembic_version table" in lines[0] and _tables(db_url) == []
        assert "radfollow:radfollow@" not in lines[0]  # the password is hidden


@pytest.mark.parametrize("create", [False, True])
def test_open_tracker_create_flag(db_url: str, create: bool) -> None:
    if create:
        open_tracker(db_url, create=create).close()
        assert "alembic_version" in _tables(db_url)
        open_tracker(db_url, create=False).close()  # now there is one to open
        return
    with pytest.raises(NoTrackerError) as raised:
        open_tracker(db_url, create=create)
    assert raised.value.code == "RF707"
    if not db_url.startswith("sqlite"):
        assert _tables(db_url) == []


@pytest.mark.parametrize("command", COMMANDS, ids=IDS)
def test_commands_work_on_an_existing_tracker(
    tracker: Tracker, feed: Feed, tmp_path: Path, command: list[str]
) -> None:
    _one_recommendation(feed)
    if command[0] == "reopen":
        with tracker.session() as session:
            close(session, 1, reason=CloseReason.NOT_INDICATED, by="bob", at=NOW, note=None)
    code, output, _ = _invoke(command, tracker.url, tmp_path)
    assert code == 0, output


@pytest.mark.parametrize(("revision", "upgraded"), [("first", True), ("head", False)])
def test_read_only_command_upgrades_an_older_tracker(
    db_url: str, tmp_path: Path, revision: str, upgraded: bool
) -> None:
    """An older tracker schema is brought to the current revision (the queries need its
    columns); only creating one is refused."""
    engine = make_engine(db_url)
    script = ScriptDirectory.from_config(alembic_config(engine))
    head = script.get_current_head()
    first = script.get_base() if upgraded else head
    assert first is not None and head is not None
    migrate(engine, first)
    engine.dispose()
    code, output, raw = _invoke(["list", "--format", "json"], db_url, tmp_path)
    assert code == 0 and raw == b"[]\n", output
    engine = sa.create_engine(db_url)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == head
    engine.dispose()


def _actors(tracker: Tracker) -> list[str]:
    with tracker.session() as session:
        query = sa.select(ReviewAction.actor).order_by(ReviewAction.id)
        return list(session.scalars(query))


@pytest.mark.parametrize(("by", "accepted"), [("", False), ("   ", False), ("alice", True)])
@pytest.mark.parametrize("action", ["close", "reopen"])
def test_cli_refuses_a_blank_actor(
    tracker: Tracker, feed: Feed, tmp_path: Path, by: str, accepted: bool, action: str
) -> None:
    _one_recommendation(feed)
    if action == "reopen":
        with tracker.session() as session:
            close(session, 1, reason=CloseReason.NOT_INDICATED, by="bob", at=NOW, note=None)
    before = _actors(tracker)
    extra = CLOSE if action == "close" else []
    result = runner.invoke(app, ["tracker", action, "1", *extra, "--by", by, "--db", tracker.url])
    if accepted:
        assert result.exit_code == 0, result.output
        assert _actors(tracker) == [*before, by]
    else:
        assert result.exit_code == 2 and "--by" in result.output, result.output
        assert _actors(tracker) == before


@pytest.mark.parametrize(
    ("by", "stored"), [("", None), (" \t ", None), ("alice", "alice"), ("  alice ", "alice")]
)
@pytest.mark.parametrize("action", ["close", "reopen"])
def test_library_refuses_a_blank_actor(
    tracker: Tracker, feed: Feed, by: str, stored: str | None, action: str
) -> None:
    _one_recommendation(feed)
    if action == "reopen":
        with tracker.session() as session:
            close(session, 1, reason=CloseReason.NOT_INDICATED, by="bob", at=NOW, note=None)
    before = _actors(tracker)
    try:
        with tracker.session() as session:
            if action == "close":
                close(session, 1, reason=CloseReason.DECEASED, by=by, at=NOW, note=None)
            else:
                reopen(session, 1, by=by, at=NOW, note=None)
    except TrackerError as error:
        assert stored is None and "--by must name who acts" in str(error)
        assert _actors(tracker) == before
        return
    assert stored is not None and _actors(tracker) == [*before, stored]


def _header(model: type[BaseModel]) -> bytes:
    return (",".join(f'"{name}"' for name in model.model_fields) + "\r\n").encode()


@pytest.mark.parametrize(("command", "model"), [("list", WorklistRow), ("stats", StatsRow)])
@pytest.mark.parametrize("rows", [False, True])
def test_csv_to_stdout_has_bom_and_header(
    tracker: Tracker, feed: Feed, tmp_path: Path, command: str, model: type[BaseModel], rows: bool
) -> None:
    if rows:
        _one_recommendation(feed)
    code, output, raw = _invoke([command, "--format", "csv"], tracker.url, tmp_path)
    assert code == 0, output
    assert raw.startswith(BOM + _header(model))
    assert (raw == BOM + _header(model)) is not rows  # no rows: exactly the header line


@pytest.mark.parametrize(("command", "model"), [("list", WorklistRow), ("stats", StatsRow)])
@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_empty_export_file_has_header(
    tracker: Tracker, tmp_path: Path, command: str, model: type[BaseModel], fmt: str
) -> None:
    target = tmp_path / f"export.{fmt}"
    code, output, _ = _invoke([command, "--format", fmt, "-o", str(target)], tracker.url, tmp_path)
    assert code == 0, output
    expected = BOM + _header(model) if fmt == "csv" else b"[]\n"
    assert target.read_bytes() == expected


@pytest.mark.parametrize(("fmt", "bom"), [("json", False), ("csv", True)])
@pytest.mark.parametrize("command", ["list", "stats"])
def test_empty_json_is_an_empty_array_without_bom(
    tracker: Tracker, tmp_path: Path, fmt: str, bom: bool, command: str
) -> None:
    code, output, raw = _invoke([command, "--format", fmt], tracker.url, tmp_path)
    assert code == 0, output
    assert raw.startswith(BOM) is bom
    if fmt == "json":
        assert raw == b"[]\n"
    else:
        assert len(raw.splitlines()) == 1  # the header
