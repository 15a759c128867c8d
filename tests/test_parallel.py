"""ExtractorPool: pipelines built once, warmed on demand, results in input order."""

from __future__ import annotations

from pathlib import Path

import pytest

from radfollow.jobs import run_extract
from radfollow.nlp.extract import ReportText
from radfollow.nlp.pipeline import PipelineConfig
from radfollow.parallel import ExtractorPool

REPORTS = [
    ReportText("IMPRESSION: 6 mm nodule. Recommend CT chest in 6 months."),
    ReportText("IMPRESSION: No acute disease."),
    ReportText("IMPRESSION: Left adrenal nodule. Consider adrenal protocol CT."),
]


@pytest.mark.parametrize("workers", [1, 2])
def test_pool_keeps_order_and_can_be_reused(workers: int) -> None:
    config = PipelineConfig(classifier=False)
    with ExtractorPool(config, workers=workers, chunk_size=1) as pool:
        pool.warm()
        first = [len(r.recommendations) for r in pool.extract(REPORTS)]
        again = [len(r.recommendations) for r in pool.extract(REPORTS)]
    assert first == again == [1, 0, 1]


def test_run_extract_leaves_a_given_pool_open(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": "a", "text": "IMPRESSION: Recommend CT chest in 6 months."}\n')
    with ExtractorPool(PipelineConfig(classifier=False)) as pool:
        for name in ("one.jsonl", "two.jsonl"):
            summary = run_extract(src, tmp_path / name, pool=pool)
            assert (summary.processed, summary.recommendations) == (1, 1)
