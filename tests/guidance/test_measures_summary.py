"""`radfollow measures`: counts and rates per period and radiologist (issue 16)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from radfollow.cli import app
from radfollow.guidance.summary import period_of, summarise


def _measure(name: str, outcome: str | None, eligible: bool = True, inverse: bool = False) -> dict:
    return {
        "measure": name,
        "eligible": eligible,
        "exclusion_reason": None if eligible else "patient age not known",
        "outcome": outcome,
        "finding_ids": ["f1"],
        "inverse": inverse,
    }


RECORDS = [
    {
        "id": "1",
        "observation_time": "2025-01-10T10:00:00+00:00",
        "radiologist": "DR A",
        "measures": [_measure("MIPS364", "performance_met")],
    },
    {
        "id": "2",
        "observation_time": "2025-01-20T10:00:00+00:00",
        "radiologist": "DR A",
        "measures": [_measure("MIPS364", "performance_not_met")],
    },
    {
        "id": "3",
        "observation_time": "2025-02-03T10:00:00+00:00",
        "radiologist": "DR B",
        "measures": [_measure("MIPS364", "exception")],
    },
    {
        "id": "4",
        "observation_time": "2025-02-03T10:00:00+00:00",
        "measures": [_measure("MIPS364", None, eligible=False)],
    },
    {
        "id": "5",
        "observation_time": "2025-03-01",
        "radiologist": "DR B",
        "measures": [_measure("MIPS406", "performance_met", inverse=True)],
    },
    {"id": "6", "measures": []},
]


@pytest.mark.parametrize(
    ("value", "period", "expected"),
    [
        ("2025-02-03T10:00:00+00:00", "month", "2025-02"),
        ("2025-05-31", "quarter", "2025-Q2"),
        ("2025-12-31", "year", "2025"),
        ("2025-12-31", "all", "all"),
        (None, "month", "(unknown)"),
        ("not a date", "month", "(unknown)"),
    ],
)
def test_period_of(value: object, period: str, expected: str) -> None:
    assert period_of(value, period) == expected  # type: ignore[arg-type]


def test_rates_leave_exceptions_and_exclusions_out() -> None:
    rows = {(r.period, r.radiologist, r.measure): r for r in summarise(RECORDS, period="quarter")}
    total = rows[("2025-Q1", "(all)", "MIPS364")]
    assert (total.reports, total.eligible, total.excluded) == (4, 3, 1)
    assert (total.met, total.not_met, total.exceptions) == (1, 1, 1)
    assert total.performance_rate == 0.5
    assert rows[("2025-Q1", "DR A", "MIPS364")].performance_rate == 0.5
    assert rows[("2025-Q1", "DR B", "MIPS364")].performance_rate is None  # exceptions only
    assert rows[("2025-Q1", "(unknown)", "MIPS364")].excluded == 1
    assert rows[("2025-Q1", "DR B", "MIPS406")].inverse


def test_each_report_counts_once_as_its_final_version() -> None:
    def version(acc: str, patient: str, status: str, day: str, outcome: str) -> dict:
        return {
            "accession": acc,
            "patient_id": patient,
            "result_status": status,
            "observation_time": day,
            "measures": [_measure("MIPS364", outcome)],
        }

    met, not_met = "performance_met", "performance_not_met"
    versions = [
        version("A1", "P1", "P", "2025-01-01", not_met),
        version("A1", "P1", "F", "2025-01-01", not_met),
        version("A1", "P1", "C", "2025-01-01", met),
        version("A2", "P1", "F", "2025-01-02", met),
        version("A2", "P1", "X", "2025-01-02", met),
        version("A3", "P2", "P", "2025-01-03", met),
    ]
    (row,) = summarise(versions, period="all", per_radiologist=False)
    assert (row.reports, row.met, row.not_met) == (1, 1, 0)  # A1's correction only


def test_overall_has_only_all_rows() -> None:
    rows = summarise(RECORDS, period="month", per_radiologist=False)
    assert {r.radiologist for r in rows} == {"(all)"}
    assert [r.period for r in rows if r.measure == "MIPS364"] == ["2025-01", "2025-02"]


def test_cli_writes_csv_and_skips_bad_lines(tmp_path: Path) -> None:
    source = tmp_path / "records.jsonl"
    source.write_text("\n".join(json.dumps(r) for r in RECORDS) + "\nnot json\n[1]\n")
    out = tmp_path / "m.csv"
    result = CliRunner().invoke(app, ["measures", str(source), "--period", "year", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "skipped 2 line(s)" in result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    total = next(r for r in rows if r["radiologist"] == "(all)" and r["measure"] == "MIPS364")
    assert (total["period"], total["met"], total["performance_rate"]) == ("2025", "1", "0.5")


def test_cli_json_to_stdout(tmp_path: Path) -> None:
    source = tmp_path / "records.jsonl"
    source.write_text("\n".join(json.dumps(r) for r in RECORDS) + "\n")
    result = CliRunner().invoke(app, ["measures", str(source), "--format", "json", "--overall"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert {r["measure"] for r in rows} == {"MIPS364", "MIPS406"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--period", "week"], "--period"),
        (["--format", "xml"], "--format"),
    ],
)
def test_cli_refuses_bad_options(tmp_path: Path, args: list, message: str) -> None:
    source = tmp_path / "records.jsonl"
    source.write_text("")
    result = CliRunner().invoke(app, ["measures", str(source), *args])
    assert result.exit_code != 0
    assert message in result.output


def test_cli_fails_on_a_missing_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["measures", str(tmp_path / "none.jsonl")])
    assert result.exit_code == 1
    assert "radfollow: error:" in result.output
