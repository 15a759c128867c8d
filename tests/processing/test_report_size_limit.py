"""The maximum report size (docs/processing.md): one limit, rejected per report everywhere."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from processing_messages import oru

from radfollow.listener.inspect import inspect
from radfollow.listener.server import ListenerConfig
from radfollow.models import MAX_REPORT_CHARS
from radfollow.nlp.pipeline import PipelineConfig
from radfollow.processing.batch import run_extract
from radfollow.processing.core import ProcessingOptions


def test_every_entry_point_defaults_to_the_documented_limit() -> None:
    assert MAX_REPORT_CHARS == 100_000  # docs/processing.md, "Maximum report size"
    assert PipelineConfig().max_length == MAX_REPORT_CHARS
    assert ProcessingOptions().max_report_chars == MAX_REPORT_CHARS
    assert ListenerConfig().max_report_chars == MAX_REPORT_CHARS


@pytest.mark.parametrize(("extra", "rejected"), [(0, False), (1, True)])
def test_extract_rejects_one_report_over_the_limit(
    tmp_path: Path, rules_only: ProcessingOptions, extra: int, rejected: bool
) -> None:
    big = ("No nodule. " * (MAX_REPORT_CHARS // 11 + 1))[: MAX_REPORT_CHARS + extra]
    lines = [{"id": "a", "text": "6 mm nodule."}, {"id": "b", "text": big}]
    lines.append({"id": "c", "text": "x"})
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(line) + "\n" for line in lines))
    summary = run_extract(source, tmp_path / "out.jsonl", config=rules_only.pipeline)
    records = [json.loads(x) for x in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [r["id"] for r in records] == ["a", "b", "c"]
    assert summary.rejected == int(rejected)
    assert (records[1].get("error") or {}).get("code") == ("RF202" if rejected else None)


@pytest.mark.parametrize(("extra", "verdict"), [(-200, "store"), (1, "unusable")])
def test_listener_answers_a_report_over_the_limit_at_receive(extra: int, verdict: str) -> None:
    message = oru(1, text="x" * (MAX_REPORT_CHARS + extra))
    found = inspect(message)
    assert found.kind == verdict
    assert found.error_code == ("207" if verdict == "unusable" else None)
