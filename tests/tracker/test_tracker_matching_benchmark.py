"""The hand-labelled matching scenarios (benchmarks/matching, issue 14) keep scoring
at least 0.95 match F1 and status accuracy, on both databases."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest

from radfollow.tracker.db import Tracker

FOLDER = Path(__file__).parents[2] / "benchmarks" / "matching"


def _runner() -> ModuleType:
    spec = importlib.util.spec_from_file_location("matching_run", FOLDER / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", ["scenarios.json", "heldout.json"])
def test_matching_scenarios(db_url: str, name: str) -> None:
    runner = _runner()
    scenarios = json.loads((FOLDER / name).read_text(encoding="utf-8"))
    tracker = Tracker(db_url)
    try:
        counts, errors = runner.score(tracker, scenarios)
    finally:
        tracker.close()
    f1, status = runner.summary(counts)
    assert f1 >= 0.95 and status >= 0.95, errors[:5]
