"""``process --record-text`` records loaded with ``tracker load`` give the tracker
``process --db`` gives, table by table (regressions found in review: guideline
judgements dropped when a batch's first finding had none; a cancelled first
version storing findings; demographics, codes and message times missing)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from test_tracker_bulk import snapshot

from radfollow.processing.batch import run_process
from radfollow.processing.core import ProcessingOptions
from radfollow.tracker.bulk import load_records
from radfollow.tracker.db import open_tracker
from radfollow.tracker.records import read_records

ROOT = Path(__file__).resolve().parents[2]
DEV = ROOT / "corpora" / "hl7" / "dev"


def _inputs(folder: Path) -> Path:
    """50 dev reports, the sample's corrected report, and a cancelled first version."""
    folder.mkdir()
    for path in sorted(DEV.glob("*.hl7"))[:50]:
        shutil.copy(path, folder / path.name)
    sample = ROOT / "corpora" / "sample"
    shutil.copy(sample / "syn-0134-corrected.hl7", folder / "zz-corrected.hl7")
    cancelled = (sample / "syn-0068.hl7").read_bytes().replace(b"|CT|F", b"|CT|X")
    assert cancelled != (sample / "syn-0068.hl7").read_bytes()
    (folder / "zz-cancelled.hl7").write_bytes(cancelled)
    return folder


@pytest.mark.parametrize("chunk_size", [7, 5000])
def test_loaded_records_equal_process_db(tmp_path: Path, chunk_size: int) -> None:
    folder = _inputs(tmp_path / "in")
    processed = f"sqlite:///{tmp_path / 'process.db'}"
    run_process(
        [folder], tmp_path / "out", db=processed, options=ProcessingOptions(record_text=True)
    )
    loaded = f"sqlite:///{tmp_path / 'loaded.db'}"
    tracker = open_tracker(loaded)
    inputs = read_records([str(tmp_path / "out" / "records.jsonl")], tz=tracker.timezone)
    summary = load_records(tracker, inputs, chunk_size=chunk_size)
    tracker.close()
    assert not summary.errors
    expected, got = snapshot(processed), snapshot(loaded)
    for name in expected:
        assert got[name] == expected[name], name
    judged = [row for row in expected["findings"] if dict(row).get("guideline")]
    assert judged  # the dev reports carry guideline judgements
