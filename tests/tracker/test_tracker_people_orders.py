"""Issue 14 through the CLI, on SQLite and PostgreSQL: the people and places of each
study, order and appointment messages in ``process``, worklist filters and paging,
``stats --by``, and a person's ``unmatch`` / ``match``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from radfollow.cli import app

runner = CliRunner()

ORU = (
    "MSH|^~\\&|RIS|{site}|RF|HOSP|{when}||ORU^R01|{control}|P|2.5.1\r"
    "PID|1||{mrn}^^^HOSP^MR||DOE^JANE||19600101|F|||1 MAIN ST^^TOWN^ST^02139\r"
    "PV1|1|{pclass}|CT3^^^MAIN\r"
    "OBR|1||{acc}|^{proc}|||{when}|||||||||D1^ORDER^OLIVIA||||||||CT|F|||||||"
    "R7&READER&RITA\r"
    "OBX|1|TX|RPT||{text}||||||F\r"
)
SIU = (
    "MSH|^~\\&|RIS|MAIN|RF|HOSP|{sent}||SIU^{trigger}|{control}|P|2.5.1\r"
    "SCH|APT{n}|FAPT{n}|||||||||^^^{planned}\r"
    "PID|1||{mrn}^^^HOSP^MR||DOE^JANE||19600101|F\r"
    "AIS|1||^CT CHEST W/O CONTRAST|{planned}\r"
)
YEAR = "IMPRESSION: 6 mm nodule in the right upper lobe. Recommend CT chest in 12 months."
CLEAR = "IMPRESSION: Stable nodule."


def _invoke(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result.output


def _oru(folder: Path, name: str, **fields: str) -> None:
    values = {"site": "MAIN", "mrn": "MRN7", "pclass": "O", "control": name, **fields}
    (folder / f"{name}.hl7").write_text(ORU.format(**values))


def _siu(folder: Path, name: str, **fields: str) -> None:
    (folder / f"{name}.hl7").write_text(SIU.format(mrn="MRN7", control=name, **fields))


def _process(folder: Path, db_url: str, out: Path) -> str:
    return _invoke("process", str(folder), "--out", str(out), "--db", db_url, "--no-classifier")


def _rows(db_url: str, *args: str) -> list[dict[str, object]]:
    return json.loads(_invoke("tracker", "list", "--db", db_url, "--format", "json", *args))


def test_people_places_and_filters(db_url: str, tmp_path: Path) -> None:
    inbox = tmp_path / "in"
    inbox.mkdir()
    _oru(inbox, "a", acc="A1", proc="CT CHEST W/O CONTRAST", when="20250110090000", text=YEAR)
    _oru(
        inbox,
        "b",
        acc="B1",
        proc="CT CHEST W/O CONTRAST",
        when="20250111090000",
        text=YEAR,
        site="NORTH",
        pclass="E",
        mrn="MRN8",
    )
    _process(inbox, db_url, tmp_path / "o")
    (row,) = _rows(db_url, "--site", "MAIN", "--as-of", "2025-02-01")
    assert (row["radiologist"], row["ordering_provider"]) == (
        "RITA READER (R7)",
        "OLIVIA ORDER (D1)",
    )
    assert (row["site"], row["department"], row["patient_class"]) == ("MAIN", "CT3", "outpatient")
    (other,) = _rows(
        db_url, "--patient-class", "emergency", "--status", "open,due", "--as-of", "2025-02-01"
    )
    assert other["site"] == "NORTH"
    assert len(_rows(db_url, "--radiologist", "RITA READER (R7)", "--region", "chest")) == 2
    for option, value, known in (
        ("--site", "SOUTH", "MAIN, NORTH"),
        ("--status", "late", "coming_due"),
        ("--patient-class", "walk-in", "emergency"),
        ("--region", "elbow", "abdomen"),
    ):
        out = _invoke("tracker", "list", "--db", db_url, option, value, code=2)
        assert "known values" in out and known in out
    page = _invoke("tracker", "list", "--db", db_url, "--limit", "1", "--offset", "1")
    assert "rows 2-2 of 2" in page
    stats = json.loads(
        _invoke("tracker", "stats", "--db", db_url, "--by", "site", "--format", "json")
    )
    assert {(s["group"], s["value"]) for s in stats} == {
        ("all", "all"),
        ("site", "MAIN"),
        ("site", "NORTH"),
    }
    out = _invoke("tracker", "stats", "--db", db_url, "--by", "weather", code=2)
    assert "radiologist" in out


def test_appointments_schedule_and_a_cancellation_puts_it_back(db_url: str, tmp_path: Path) -> None:
    inbox = tmp_path / "in"
    inbox.mkdir()
    _oru(inbox, "1", acc="A1", proc="CT CHEST W/O CONTRAST", when="20250110090000", text=YEAR)
    _siu(inbox, "2", trigger="S12", n="1", sent="20251201100000", planned="20260112090000")
    out = _process(inbox, db_url, tmp_path / "o1")
    assert "1 orders" in out and "1 scheduled" in out
    (row,) = _rows(db_url, "--as-of", "2025-12-15")
    assert row["status"] == "scheduled"
    (inbox / "1.hl7").unlink()
    (inbox / "2.hl7").unlink()
    _siu(inbox, "3", trigger="S15", n="1", sent="20251220100000", planned="20260112090000")
    _process(inbox, db_url, tmp_path / "o2")
    (row,) = _rows(db_url, "--as-of", "2026-01-20")
    assert row["status"] == "due"


def test_orders_without_a_tracker_are_counted_not_rejected(tmp_path: Path) -> None:
    inbox = tmp_path / "in"
    inbox.mkdir()
    _siu(inbox, "2", trigger="S12", n="1", sent="20251201100000", planned="20260112090000")
    out = _invoke("process", str(inbox), "--out", str(tmp_path / "o"), "--no-classifier")
    assert "1 orders ignored (no --db)" in out


@pytest.mark.parametrize("by", ["", "  "])
def test_unmatch_and_match_need_an_actor(db_url: str, tmp_path: Path, by: str) -> None:
    inbox = tmp_path / "in"
    inbox.mkdir()
    _oru(inbox, "1", acc="A1", proc="CT CHEST W/O CONTRAST", when="20250110090000", text=YEAR)
    _process(inbox, db_url, tmp_path / "o")
    for command in (("unmatch", "1", "--reason", "x"), ("match", "1", "--study", "A1")):
        out = _invoke("tracker", *command, "--by", by, "--db", db_url, code=2)
        assert "--by" in out


def test_unmatch_then_match_through_the_cli(db_url: str, tmp_path: Path) -> None:
    inbox = tmp_path / "in"
    inbox.mkdir()
    _oru(inbox, "1", acc="A1", proc="CT CHEST W/O CONTRAST", when="20250110090000", text=YEAR)
    _oru(inbox, "2", acc="A2", proc="CT CHEST W/O CONTRAST", when="20260110090000", text=CLEAR)
    _oru(inbox, "3", acc="A3", proc="CT CHEST W/O CONTRAST", when="20260120090000", text=CLEAR)
    _process(inbox, db_url, tmp_path / "o")
    (row,) = _rows(db_url, "--as-of", "2026-02-01")
    assert (row["status"], row["completed_by"]) == ("completed", "A2")
    rec = str(row["id"])
    out = _invoke(
        "tracker", "unmatch", rec, "--by", "qa", "--reason", "outside read", "--db", db_url
    )
    assert "A2 no longer fulfils it" in out
    (row,) = _rows(db_url, "--as-of", "2026-02-01")
    assert (row["status"], row["completed_by"]) == ("completed", "A3")  # the other study
    _invoke("tracker", "unmatch", rec, "--by", "qa", "--reason", "also wrong", "--db", db_url)
    (row,) = _rows(db_url, "--as-of", "2026-02-01")
    assert row["status"] == "due"
    _invoke("tracker", "match", rec, "--study", "A3", "--by", "qa", "--db", db_url)
    (row,) = _rows(db_url, "--as-of", "2026-02-01")
    assert (row["status"], row["completed_by"]) == ("completed", "A3")
    shown = json.loads(_invoke("tracker", "show", rec, "--db", db_url, "--format", "json"))
    actions = [(a["actor"], a["action"]) for a in shown["audit"]]
    assert ("qa", "unmatched") in actions and ("qa", "matched") in actions
    out = _invoke("tracker", "match", rec, "--study", "A2", "--by", "qa", "--db", db_url, code=1)
    assert "already completed" in out
