"""ExtractorPool: pipelines built once, warmed on demand, results in input order."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from radfollow.errors import ModelError
from radfollow.nlp.extract import ReportText
from radfollow.nlp.pipeline import PipelineConfig
from radfollow.processing.batch import run_extract
from radfollow.processing.pool import ExtractorPool

REPORTS = [
    ReportText("IMPRESSION: 6 mm nodule. Recommend CT chest in 6 months."),
    ReportText("IMPRESSION: No acute disease."),
    ReportText("IMPRESSION: Left adrenal nodule. Consider adrenal protocol CT."),
]


@pytest.fixture
def deadline() -> Iterator[None]:
    """Fail instead of hanging: a pool that never returns is the bug these tests guard."""

    def expire(signum: int, frame: object) -> None:
        raise TimeoutError("the pool did not return within 120 s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(120)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


@pytest.mark.parametrize(("workers", "classifier"), [(1, False), (2, False), (2, True)])
def test_pool_keeps_order_and_can_be_reused(deadline, workers: int, classifier: bool) -> None:  # type: ignore[no-untyped-def]
    config = PipelineConfig(classifier=classifier)
    with ExtractorPool(config, workers=workers, chunk_size=1) as pool:
        pool.warm()
        first = [len(r.recommendations) for r in pool.extract(REPORTS)]
        again = [len(r.recommendations) for r in pool.extract(REPORTS)]
    assert first == again == [1, 0, 1]


def test_worker_that_cannot_start_fails_the_job(deadline, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    config = PipelineConfig(classifier=True, heads=tmp_path / "missing-heads.json")
    with ExtractorPool(config, workers=2) as pool:
        with pytest.raises(ModelError, match="cannot read classifier heads"):
            pool.warm()
        with pytest.raises(ModelError, match="cannot read classifier heads"):
            list(pool.extract(REPORTS))


def test_pool_stopped_early_starts_afresh(deadline) -> None:  # type: ignore[no-untyped-def]
    with ExtractorPool(PipelineConfig(classifier=False), workers=2, chunk_size=1) as pool:
        results = pool.extract(REPORTS * 20)
        next(results)
        results.close()  # the caller stops: the workers are stopped too
        assert [len(r.recommendations) for r in pool.extract(REPORTS)] == [1, 0, 1]


def test_run_extract_leaves_a_given_pool_open(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": "a", "text": "IMPRESSION: Recommend CT chest in 6 months."}\n')
    with ExtractorPool(PipelineConfig(classifier=False)) as pool:
        for name in ("one.jsonl", "two.jsonl"):
            summary = run_extract(src, tmp_path / name, pool=pool)
            assert (summary.processed, summary.recommendations) == (1, 1)
