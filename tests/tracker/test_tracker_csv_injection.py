"""Regression: CSV exports let sender-controlled values run as spreadsheet formulas
(OWASP CSV Injection). Text cells starting with = + - @ TAB CR get a leading ',
every cell is quoted, numbers stay numbers."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from typer.testing import CliRunner

from radfollow.cli import app
from radfollow.io.spreadsheet import safe_cell, to_csv

runner = CliRunner()
CHEST = "FINDINGS: 6 mm nodule in the right upper lobe.\nIMPRESSION: Recommend follow-up CT chest."


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # neutralised: the OWASP formula starts
        ("=1+2", "'=1+2"),
        ("+1", "'+1"),
        ("-1+2", "'-1+2"),
        ("@SUM(1)", "'@SUM(1)"),
        ("\t=1+2", "'\t=1+2"),
        ("\r=1+2", "'\r=1+2"),
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("-3", "'-3"),  # a number sent as text is text
        # left alone
        ("CT", "CT"),
        ("a=b", "a=b"),
        ("6-12", "6-12"),
        (" =1", " =1"),
        ("", ""),
        (None, ""),
        (-3, -3),  # numeric columns keep negative numbers
        (-1.5, -1.5),
        (0.25, 0.25),
        (True, "True"),
    ],
)
def test_safe_cell(value: object, expected: object) -> None:
    assert safe_cell(value) == expected


@pytest.mark.parametrize(
    ("value", "line"),
    [
        ("=1+2", '"\'=1+2","-2"'),
        ('a "quoted", b', '"a ""quoted"", b","-2"'),
        ("x\r\n=1+2", '"x\r\n=1+2","-2"'),
    ],
)
def test_to_csv_quotes_every_cell(value: str, line: str) -> None:
    text = to_csv([{"text": value, "n": -2}], ["text", "n"])
    assert text == '"text","n"\r\n' + line + "\r\n"
    row = next(csv.DictReader(io.StringIO(text)))
    assert row["text"].lstrip("'") == value


def test_tracker_export_neutralises_sender_values(tracker, feed, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    feed(
        CHEST,
        when="2025-01-10",
        accession="@SUM(1)",
        control="M1",
        procedure="-1+2 CT CHEST",
        modality="CT",
        patient="=1+2",
    )
    target = tmp_path / "list.csv"
    listing = ["tracker", "list", "--db", tracker.url, "--as-of", "2025-12-31"]
    result = runner.invoke(app, [*listing, "--format", "csv", "-o", str(target)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(target.read_text("utf-8-sig"))))
    assert len(rows) == 1
    row = rows[0]
    assert (row["patient_id"], row["accession"], row["procedure"]) == (
        "'=1+2",
        "'@SUM(1)",
        "'-1+2 CT CHEST",
    )
    assert row["modality"] == "CT" and row["id"].isdigit()
    assert not any(v.startswith(("=", "+", "-", "@", "\t", "\r")) for v in row.values())
