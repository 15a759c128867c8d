"""MSH-11 (processing id, HL7 table 0103): test and debugging messages stay out of
the production tracker unless ``--accept-test-messages`` (issue 11)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from processing_messages import oru, write_messages
from typer.testing import CliRunner

from radfollow.cli import app
from radfollow.errors import HL7TestMessageError
from radfollow.processing.checks import check_processing_id

runner = CliRunner()


@pytest.mark.parametrize(
    ("processing_id", "accept_test", "accepted"),
    [
        ("P", False, True),
        ("", False, True),
        ("p", False, True),
        ("T", False, False),
        ("D", False, False),
        ("T", True, True),
        ("D", True, True),
        ("X", True, False),
    ],
)
def test_check_processing_id(processing_id: str, accept_test: bool, accepted: bool) -> None:
    if accepted:
        check_processing_id(processing_id, accept_test=accept_test)
    else:
        with pytest.raises(HL7TestMessageError) as caught:
            check_processing_id(processing_id, accept_test=accept_test)
        assert caught.value.code == "RF305"


def _with_processing_id(n: int, value: str) -> bytes:
    return oru(n).replace(f"|MSG{n}|P|".encode(), f"|MSG{n}|{value}|".encode(), 1)


@pytest.mark.parametrize(("args", "rejected"), [([], 1), (["--accept-test-messages"], 0)])
def test_process_refuses_test_messages_with_an_error_line(
    tmp_path: Path, args: list[str], rejected: int
) -> None:
    inputs = write_messages(
        tmp_path / "in", {"1.hl7": oru(1), "2.hl7": _with_processing_id(2, "T^T")}
    )
    db = f"sqlite:///{tmp_path / 'tracker.db'}"
    out = tmp_path / "o"
    result = runner.invoke(
        app, ["process", str(inputs), "--out", str(out), "--db", db, "--no-classifier", *args]
    )
    assert result.exit_code == (1 if rejected else 0), result.output
    errors = [json.loads(line) for line in (out / "errors.ndjson").read_text().splitlines()]
    assert [(e["code"], e["control_id"]) for e in errors] == [("RF305", "MSG2")] * rejected
    records = (out / "records.jsonl").read_text().splitlines()
    assert len(records) == 2 - rejected
