"""The synthetic critical-results gold (corpora/gold/critical.jsonl, issue 17): it is what
corpora/critical_cases.py writes, its spans fit its text, every category has a
positive and a negative report, and the pipeline reads it as labelled."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from radfollow.nlp.extract import Extractor, ReportText
from radfollow.rules.loader import load_rules
from radfollow.rules.schema import CriticalRules

ROOT = Path(__file__).resolve().parents[2]
GOLD = ROOT / "corpora" / "gold" / "critical.jsonl"
ROWS = [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines()]


def test_gold_is_what_the_generator_writes(tmp_path: Path) -> None:
    out = tmp_path / "critical.jsonl"
    subprocess.run(
        [sys.executable, str(ROOT / "corpora" / "critical_cases.py"), "--out", str(out)],
        check=True,
        capture_output=True,
    )
    assert out.read_bytes() == GOLD.read_bytes()


def test_every_category_has_gold() -> None:
    ids = {c.id for c in load_rules(CriticalRules).categories}
    assert {c["category"] for r in ROWS for c in r["critical_results"]} == ids


def _overlap(a: tuple, b: tuple) -> bool:
    return a[0] < b[1] and b[0] < a[1]


@pytest.mark.parametrize("row", ROWS, ids=[r["id"] for r in ROWS])
def test_pipeline_reads_the_gold(extractor: Extractor, row: dict) -> None:
    """Each gold mention found (same category and assertion, overlapping: the gold
    marks the phrase, radfollow the term), nothing else; communications exactly."""
    result = extractor.extract(ReportText(row["text"]))
    gold = [(c["start"], c["end"], c["category"], c["assertion"]) for c in row["critical_results"]]
    found = [(c.start, c.end, c.category, c.assertion.value) for c in result.critical_results]
    for g in gold:
        assert any(_overlap(g, f) and g[2:] == f[2:] for f in found), g
    for f in found:
        assert any(_overlap(g, f) and g[2:] == f[2:] for g in gold), f
    said = [(m.start, m.recipient_role.value, m.method.value, m.stated_time, m.acknowledged)
            for m in result.communications]  # fmt: skip
    expected = [(c["start"], c["recipient_role"], c["method"], c["time"], c["acknowledged"])
                for c in row["communications"]]  # fmt: skip
    assert said == expected
