"""`radfollow process --db` and `radfollow tracker ...` through the CLI, on both databases."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from typer.testing import CliRunner

from radfollow.cli import app
from radfollow.tracker.db import Tracker
from radfollow.tracker.schema import Base

runner = CliRunner()
MSG = (
    "MSH|^~\\&|RIS|HOSP|RF|HOSP|20250110120000||ORU^R01|{control}|P|2.5.1\r"
    "PID|1||MRN7^^^HOSP^MR||DOE^JANE||19600101|F\r"
    "OBR|1||{acc}|71250^{proc}^CPT|||{when}||||||||||||||||{mod}|{status}\r"
    "OBX|1|TX|RPT||{text}||||||F\r"
)


def _write(folder: Path, name: str, **fields: str) -> None:
    (folder / name).write_text(MSG.format(**fields))


def _invoke(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_process_feeds_the_tracker_and_cli_reads_it(db_url: str, tmp_path: Path) -> None:
    inbox = tmp_path / "in"
    inbox.mkdir()
    chest = (
        "IMPRESSION: 6 mm nodule in the right upper lobe. Recommend follow-up CT chest in 3 months."
    )
    _write(
        inbox,
        "1.hl7",
        control="M1",
        acc="A1",
        proc="CT CHEST",
        when="20250110100000+0000",
        mod="CT",
        status="F",
        text=chest,
    )
    _write(
        inbox,
        "2.hl7",
        control="M2",
        acc="A2",
        proc="CT CHEST",
        when="20250420100000+0000",
        mod="CT",
        status="F",
        text="IMPRESSION: Stable nodule.",
    )
    out = _invoke(
        "process", str(inbox), "--out", str(tmp_path / "o"), "--db", db_url, "--no-classifier"
    )
    assert "2 stored" in out and "1 completed" in out
    again = _invoke(
        "process", str(inbox), "--out", str(tmp_path / "o"), "--db", db_url, "--no-classifier"
    )
    assert "2 duplicate" in again

    rows = json.loads(
        _invoke("tracker", "list", "--db", db_url, "--as-of", "2025-12-31", "--format", "json")
    )
    assert len(rows) == 1
    row = rows[0]
    for key in (
        "id",
        "status",
        "patient_id",
        "accession",
        "finding_type",
        "modality",
        "body_region",
        "interval_min",
        "interval_max",
        "due_start",
        "due_end",
        "conditional",
        "evidence",
        "completed_by",
    ):
        assert key in row
    assert (row["status"], row["completed_by"], row["patient_id"]) == ("completed", "A2", "MRN7")
    assert (row["interval_min"], row["interval_max"]) == (3.0, 3.0)
    only_overdue = json.loads(
        _invoke(
            "tracker",
            "list",
            "--db",
            db_url,
            "--as-of",
            "2025-12-31",
            "--status",
            "overdue",
            "--format",
            "json",
        )
    )
    assert only_overdue == []

    shown = _invoke("tracker", "show", str(row["id"]), "--db", db_url, "--as-of", "2025-12-31")
    assert "matched because" in shown and "Recommend follow-up CT chest" in shown

    _invoke(
        "tracker",
        "close",
        str(row["id"]),
        "--reason",
        "not indicated",
        "--by",
        "qa1",
        "--db",
        db_url,
    )
    closed = json.loads(_invoke("tracker", "list", "--db", db_url, "--format", "json"))
    assert closed[0]["status"] == "closed"
    failed = runner.invoke(
        app,
        ["tracker", "close", str(row["id"]), "--reason", "deceased", "--by", "qa1", "--db", db_url],
    )
    assert failed.exit_code == 1 and "already closed" in failed.output
    _invoke("tracker", "reopen", str(row["id"]), "--by", "qa2", "--db", db_url)

    target = tmp_path / "stats.csv"
    _invoke(
        "tracker",
        "stats",
        "--db",
        db_url,
        "--format",
        "csv",
        "-o",
        str(target),
        "--as-of",
        "2025-12-31",
    )
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: spreadsheets read UTF-8
    table = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert table[0]["group"] == "all" and table[0]["completed"] == "1"
    assert table[0]["adherence"] == "1.0" and table[0]["closed_loop_rate"] == "1.0"


def test_list_rejects_unknown_status(db_url: str) -> None:
    result = runner.invoke(app, ["tracker", "list", "--db", db_url, "--status", "late"])
    assert result.exit_code == 2


def test_show_unknown_id(db_url: str) -> None:
    Tracker(db_url).close()
    result = runner.invoke(app, ["tracker", "show", "999", "--db", db_url])
    assert result.exit_code == 1 and "no recommendation 999" in result.output


def test_migrations_match_the_models(db_url: str) -> None:
    tracker = Tracker(db_url)
    with tracker.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    tracker.close()
    assert diff == []


def test_sqlite_uses_wal(tmp_path: Path) -> None:
    tracker = Tracker(f"sqlite:///{tmp_path / 'w.db'}")
    with tracker.engine.connect() as conn:
        assert conn.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1
    tracker.close()


def test_bad_database_url_is_a_clear_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["tracker", "list", "--db", "nosuchdb://x"])
    assert result.exit_code == 1 and "cannot use database URL" in result.output
