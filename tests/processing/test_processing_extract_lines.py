"""``extract``: a line the run cannot use gets its own error record, whatever it holds
(review findings: a 5,000-digit number, a key named like a parameter, a lone
surrogate escape each ended the whole run with no output file)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from radfollow.cli import app

runner = CliRunner()
GOOD = '{"id": "r1", "text": "IMPRESSION: 6 mm nodule. Recommend CT chest in 6 months."}'
LAST = '{"id": "r3", "text": "IMPRESSION: No acute disease."}'


def _extract(tmp_path: Path, line: str) -> tuple[int, list[dict[str, object]], str]:
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text("\n".join([GOOD, line, LAST]) + "\n", encoding="utf-8")
    result = runner.invoke(
        app, ["extract", str(src), "--out", str(out), "--no-progress", "--no-classifier"]
    )
    records = [json.loads(text) for text in out.read_text().splitlines()]
    return result.exit_code, records, result.output


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"id": "x", "text": "t", "n": ' + "9" * 5000 + "}", "4,300 digits"),
        ('{"id": "\\ud800", "text": "t"}', "lone surrogate"),
        ('{"id": "x", "text": "t", "indication": "a \\udfff b"}', "lone surrogate"),
        ('{"id": "x", "text": "t", "extra": {"\\ud801": 1}}', "lone surrogate"),
    ],
)
def test_unusable_line_gets_an_error_record(tmp_path: Path, line: str, message: str) -> None:
    code, records, output = _extract(tmp_path, line)
    assert code == 1
    assert [r["id"] for r in records] == ["r1", None, "r3"]
    assert message in str(records[1]["error"])
    assert records[0]["recommendations"] and "Traceback" not in output


@pytest.mark.parametrize(
    ("line", "kept"),
    [
        # keys named like build()'s parameters used to raise TypeError
        ('{"id": "x", "text": "t", "result": 1, "record_id": 2}', {"result": 1, "record_id": 2}),
        # an input key named like an output field gets input_ in front, and a key
        # already named input_... is kept too (one of them used to be lost)
        (
            '{"id": "x", "text": "t", "findings": 1, "input_findings": 2}',
            {"input_input_findings": 1, "input_findings": 2},
        ),
        ('{"id": "x", "text": "t", "findings": 1}', {"input_findings": 1}),
    ],
)
def test_every_input_key_is_kept(tmp_path: Path, line: str, kept: dict[str, int]) -> None:
    code, records, _ = _extract(tmp_path, line)
    assert code == 0
    assert [r["id"] for r in records] == ["r1", "x", "r3"]
    assert {k: records[1][k] for k in kept} == kept
