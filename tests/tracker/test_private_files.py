"""Regression: files holding PHI were created with the umask's mode (the SQLite
database and its -wal/-shm 0644, listener Bundles 0644) while `process`
outputs were 0600. Every kind is now created 0600, folders radfollow creates
0700, whatever the umask."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from radfollow.cli import app
from radfollow.io.atomic import atomic_writer
from radfollow.io.private import create_private_file, make_private_dirs, open_private
from radfollow.listener.worker import process_pending
from radfollow.nlp.pipeline import PipelineConfig
from radfollow.processing.core import ProcessingOptions
from radfollow.tracker.db import Tracker
from radfollow.tracker.schema import InboxMessage

runner = CliRunner()
ORU = (
    "MSH|^~\\&|RIS|HOSP|RF|HOSP|20250110120000||ORU^R01|{control}|P|2.5.1\r"
    "PID|1||MRN7^^^HOSP^MR||DOE^JANE||19600101|F\r"
    "OBR|1||{acc}|71250^CT CHEST^CPT|||20250110100000+0000||||||||||||||||CT|F\r"
    "OBX|1|TX|RPT||IMPRESSION: 6 mm nodule. Recommend follow-up CT chest in 3 months.||||||F\r"
)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def permissive_umask() -> Iterator[None]:
    """A umask that would leave files group- and world-readable (0664/0775)."""
    old = os.umask(0o002)
    yield
    os.umask(old)


@pytest.mark.parametrize("existing", [False, True])
def test_helpers(tmp_path: Path, existing: bool) -> None:
    folder = tmp_path / "a" / "b"
    if existing:
        folder.mkdir(parents=True, mode=0o755)
        os.chmod(folder, 0o755)
    make_private_dirs(folder)
    assert _mode(folder) == (0o755 if existing else 0o700)
    assert _mode(tmp_path / "a") == (0o775 if existing else 0o700)
    assert create_private_file(folder / "f") is True and _mode(folder / "f") == 0o600
    assert create_private_file(folder / "f") is False
    with open_private(folder / "g", "a") as handle:
        handle.write("x")
    with open_private(folder / "g", "a") as handle:
        handle.write("y")
    assert (folder / "g").read_text() == "xy" and _mode(folder / "g") == 0o600
    with atomic_writer(folder / "c" / "h") as handle:
        handle.write("z")
    assert _mode(folder / "c") == 0o700 and _mode(folder / "c" / "h") == 0o600


def test_helpers_keep_an_existing_files_mode(tmp_path: Path) -> None:
    target = tmp_path / "shared.ndjson"
    target.write_text("")
    os.chmod(target, 0o640)
    with open_private(target, "a") as handle:
        handle.write("x")
    assert _mode(target) == 0o640


def test_sqlite_database_and_its_side_files(tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    tracker = Tracker(f"sqlite:///{path}")
    with tracker.engine.connect() as conn:  # WAL: -wal and -shm exist while connected
        conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS scratch (x)")
        conn.commit()
        wal, shm = Path(f"{path}-wal"), Path(f"{path}-shm")
        assert wal.exists() and shm.exists()
        assert (_mode(path), _mode(wal), _mode(shm)) == (0o600, 0o600, 0o600)
    tracker.close()
    # A rollback journal (another client in DELETE mode) gets the database's mode too.
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("PRAGMA journal_mode=DELETE")
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO scratch VALUES (1)")
    journal = Path(f"{path}-journal")
    assert journal.exists() and _mode(journal) == 0o600
    other.execute("COMMIT")
    other.close()


def test_tracker_exports(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 't.db'}"
    Tracker(db).close()  # tracker commands read an existing database, never create one
    for fmt in ("csv", "json"):
        target = tmp_path / "exports" / fmt / f"list.{fmt}"
        result = runner.invoke(
            app, ["tracker", "list", "--db", db, "--format", fmt, "-o", str(target)]
        )
        assert result.exit_code == 0, result.output
        assert _mode(target) == 0o600 and _mode(target.parent) == 0o700
        assert _mode(tmp_path / "exports") == 0o700


def test_process_and_extract_outputs(tmp_path: Path) -> None:
    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "1.hl7").write_text(ORU.format(control="M1", acc="A1"))
    out = tmp_path / "new" / "out"
    db = f"sqlite:///{tmp_path / 'p.db'}"
    result = runner.invoke(
        app, ["process", str(inbox), "--out", str(out), "--db", db, "--no-classifier"]
    )
    assert result.exit_code == 0, result.output
    files = sorted(p.name for p in out.iterdir())
    assert files == ["bundles.ndjson", "errors.ndjson", "records.jsonl"]
    assert {_mode(out / f) for f in files} == {0o600}
    assert _mode(out) == 0o700 and _mode(out.parent) == 0o700
    assert _mode(tmp_path / "p.db") == 0o600

    source = tmp_path / "reports.jsonl"
    source.write_text('{"id": "r1", "text": "IMPRESSION: Recommend follow-up CT."}\n')
    target = tmp_path / "x" / "records.jsonl"
    result = runner.invoke(app, ["extract", str(source), "--out", str(target), "--no-classifier"])
    assert result.exit_code == 0, result.output
    assert _mode(target) == 0o600 and _mode(target.parent) == 0o700


def test_listener_bundles(tmp_path: Path) -> None:
    tracker = Tracker(f"sqlite:///{tmp_path / 'i.db'}")
    with tracker.session() as session:
        session.add(
            InboxMessage(
                received_at=datetime.now(UTC),
                peer="test",
                sending_facility="HOSP",
                control_id="M1",
                message_type="ORU^R01",
                raw=ORU.format(control="M1", acc="A1").encode(),
                status="pending",
            )
        )
    out = tmp_path / "bundles" / "day"
    options = ProcessingOptions(pipeline=PipelineConfig(classifier=False))
    assert process_pending(tracker, out, options) == {"done": 1}
    tracker.close()
    written = list(out.glob("bundles-*.ndjson"))
    assert len(written) == 1 and _mode(written[0]) == 0o600
    assert _mode(out) == 0o700 and _mode(out.parent) == 0o700
