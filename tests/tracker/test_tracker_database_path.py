"""Regression: a --db path that is not a SQLite file, or a corrupt one, gave a
traceback. Now: one line naming the path (never its contents), exit 1, and a
catalogued TrackerError (RF702-RF705)."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from radfollow.cli import app
from radfollow.errors import (
    CorruptDatabaseError,
    NotADatabaseError,
    SchemaVersionError,
    TrackerError,
    TrackerOpenError,
    TrackerURLError,
)
from radfollow.tracker.db import open_tracker

runner = CliRunner()
SECRET = "MRN-SECRET-4711"


def _real_db(path: Path) -> bytes:
    open_tracker(f"sqlite:///{path}").close()
    return path.read_bytes()


def _text(path: Path) -> None:
    path.write_text(f"patient {SECRET} has a nodule\n" * 50)


def _jsonl(path: Path) -> None:
    path.write_text(f'{{"id": "{SECRET}", "text": "nodule"}}\n' * 50)


def _folder(path: Path) -> None:
    path.mkdir()


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _short_garbage(path: Path) -> None:
    path.write_bytes(b"SQLite")


def _bad_header(path: Path) -> None:
    good = _real_db(path.with_name("good.db"))
    path.write_bytes(b"SQLite format 4\x00" + good[16:])


def _corrupt_pages(path: Path) -> None:
    good = _real_db(path.with_name("good.db"))
    path.write_bytes(good[:100] + b"\xff" * (len(good) - 100))


def _truncated(path: Path) -> None:
    good = _real_db(path.with_name("good.db"))
    path.write_bytes(good[:1000])


def _missing_folder(path: Path) -> None:
    pass  # the test uses path/../nowhere/<name>


Setup = Callable[[Path], None]

CASES: list[tuple[str, Setup, type[TrackerError]]] = [
    ("text file", _text, NotADatabaseError),
    ("jsonl file", _jsonl, NotADatabaseError),
    ("folder", _folder, TrackerOpenError),
    ("fifo", _fifo, TrackerOpenError),
    ("six bytes", _short_garbage, NotADatabaseError),
    ("bad header", _bad_header, NotADatabaseError),
    ("corrupt pages", _corrupt_pages, CorruptDatabaseError),
    ("truncated", _truncated, CorruptDatabaseError),
    ("missing folder", _missing_folder, TrackerOpenError),
]


def _target(tmp_path: Path, name: str) -> Path:
    if name == "missing folder":
        return tmp_path / "nowhere" / "t.db"
    return tmp_path / "t.db"


@pytest.mark.parametrize(("name", "setup", "error"), CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("form", ["url", "plain path"])
def test_unusable_database_path_is_one_line(
    tmp_path: Path, name: str, setup: Setup, error: type[TrackerError], form: str
) -> None:
    path = _target(tmp_path, name)
    setup(path)
    before = path.read_bytes() if path.is_file() else None
    db = f"sqlite:///{path}" if form == "url" else str(path)
    with pytest.raises(error) as raised:
        open_tracker(db)
    assert str(path) in str(raised.value) and raised.value.code in {
        "RF703",
        "RF704",
        "RF705",
    }
    result = runner.invoke(app, ["tracker", "list", "--db", db])
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("radfollow: error: "), result.output
    assert str(path) in lines[0] and SECRET not in lines[0] and "nodule" not in lines[0]
    if before is not None:
        assert path.read_bytes() == before  # refused without writing to it


@pytest.mark.parametrize(
    ("name", "setup"),
    [("absent", lambda p: None), ("empty file", lambda p: p.write_bytes(b""))],
)
@pytest.mark.parametrize("form", ["url", "plain path"])
def test_new_database_path_is_created(tmp_path: Path, name: str, setup: Setup, form: str) -> None:
    """By a writing opener (``process --db``, the listener); tracker commands then read it."""
    path = tmp_path / "new.db"
    setup(path)
    db = f"sqlite:///{path}" if form == "url" else str(path)
    open_tracker(db).close()
    result = runner.invoke(app, ["tracker", "list", "--db", db, "--format", "json"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "[]"
    assert path.read_bytes().startswith(b"SQLite format 3\x00")


def test_bad_url_is_rf702() -> None:
    with pytest.raises(TrackerURLError):
        open_tracker("nosuchdb://x")


def test_corruption_met_while_reading_is_one_line(tracker, feed) -> None:  # type: ignore[no-untyped-def]
    """A file whose migration data is intact but whose recommendations pages are not:
    found by the query, after opening."""
    if not tracker.url.startswith("sqlite"):
        pytest.skip("SQLite files only")
    feed(
        "FINDINGS: 6 mm nodule.\nIMPRESSION: Recommend follow-up CT chest.",
        when="2025-01-10",
        accession="A1",
        control="M1",
        procedure="CT CHEST",
        modality="CT",
    )
    tracker.close()
    path = Path(tracker.url.removeprefix("sqlite:///"))
    with sqlite3.connect(path) as conn:
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        (root,) = conn.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = 'recommendations'"
        ).fetchone()
    conn.close()
    data = bytearray(path.read_bytes())
    data[(root - 1) * page_size : root * page_size] = b"\xa5" * page_size
    path.write_bytes(bytes(data))
    result = runner.invoke(app, ["tracker", "list", "--db", tracker.url, "--as-of", "2025-12-31"])
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and str(path) in lines[0] and "corrupt" in lines[0], result.output


@pytest.mark.parametrize(("revision", "opens"), [("ffffffffffff", False), (None, True)])
def test_unknown_schema_revision_is_rf706(
    tmp_path: Path, revision: str | None, opens: bool
) -> None:
    path = tmp_path / "t.db"
    _real_db(path)
    if revision is not None:
        with sqlite3.connect(path) as conn:
            conn.execute("UPDATE alembic_version SET version_num = ?", (revision,))
        conn.close()
    if opens:
        open_tracker(str(path)).close()
        return
    with pytest.raises(SchemaVersionError, match="schema revision is unknown"):
        open_tracker(str(path))
    result = runner.invoke(app, ["tracker", "list", "--db", str(path)])
    assert result.exit_code == 1 and str(path) in result.output
