"""--record-text: a record carries its report's text only when asked (for tracker load)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from radfollow.processing.batch import run_extract, run_process
from radfollow.processing.core import ProcessingOptions

ROOT = Path(__file__).resolve().parents[2]
TEXT = "IMPRESSION: 6 mm nodule. Recommend follow-up CT chest in 6 months."


@pytest.mark.parametrize("record_text", [True, False])
def test_extract_keeps_the_text_only_when_asked(tmp_path: Path, record_text: bool) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"id": "a", "text": TEXT, "patient_id": "P1"}) + "\n")
    run_extract(source, tmp_path / "out.jsonl", record_text=record_text)
    record = json.loads((tmp_path / "out.jsonl").read_text())
    assert record.get("text") == (TEXT if record_text else None)
    assert record["patient_id"] == "P1"


@pytest.mark.parametrize("record_text", [True, False])
def test_process_keeps_the_report_text_only_when_asked(tmp_path: Path, record_text: bool) -> None:
    sample = ROOT / "corpora" / "sample" / "syn-0068.hl7"
    run_process([sample], tmp_path, options=ProcessingOptions(record_text=record_text))
    record = json.loads((tmp_path / "records.jsonl").read_text().splitlines()[0])
    assert ("text" in record) is record_text
    if record_text:
        assert "IMPRESSION" in record["text"].upper()
