"""extract_contained: one failure per report that makes the pipeline raise, order kept."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import pytest

from radfollow.models import ExtractionResult
from radfollow.nlp.extract import Extractor, ReportText
from radfollow.processing.pool import ExtractionFailure, extract_contained


class FlakyExtractor(Extractor):
    """Raises (like a component bug) for any report whose text contains BOOM.

    ``extract_many`` answers in batches like ``nlp.pipe``: a failure loses the
    whole batch in hand, which is what ``extract_contained`` must recover from.
    """

    def __init__(self) -> None:  # no pipeline needed
        self.batches = 0

    def extract(self, report: ReportText) -> ExtractionResult:
        if "BOOM" in report.text:
            raise KeyError("MRN-SECRET-123")
        return ExtractionResult(impression=report.text)

    def extract_many(
        self, reports: Iterable[ReportText], *, batch_size: int = 64
    ) -> Iterator[ExtractionResult]:
        batch: list[ReportText] = []
        for report in reports:
            batch.append(report)
            if len(batch) == batch_size:
                yield from self._answer(batch)
                batch = []
        yield from self._answer(batch)

    def _answer(self, batch: list[ReportText]) -> list[ExtractionResult]:
        self.batches += 1
        return [self.extract(r) for r in batch]


def _texts(n: int, bad: set[int]) -> list[ReportText]:
    return [ReportText(f"report {i} BOOM" if i in bad else f"report {i}") for i in range(n)]


@pytest.mark.parametrize(
    ("n", "bad", "batch_size"),
    [
        (10, set(), 4),  # negative case: nothing fails, nothing is re-read
        (10, {0}, 4),
        (10, {5}, 4),
        (10, {9}, 4),
        (10, {2, 3, 7}, 3),
        (10, set(range(10)), 4),
        (200, {0, 63, 64, 150, 199}, 64),
    ],
)
def test_only_the_failing_reports_fail(n: int, bad: set[int], batch_size: int) -> None:
    out = list(extract_contained(FlakyExtractor(), _texts(n, bad), batch_size=batch_size))
    assert len(out) == n
    for i, item in enumerate(out):
        if i in bad:
            assert isinstance(item, ExtractionFailure)
            assert item.code == "RF900" and item.reason == "internal error (KeyError)"
            assert "MRN" not in item.reason
        else:
            assert isinstance(item, ExtractionResult) and item.impression == f"report {i}"


def test_an_error_of_the_input_itself_propagates_after_the_reports_taken() -> None:
    def source() -> Iterator[ReportText]:
        yield ReportText("report 0")
        yield ReportText("report 1")
        raise OSError("disk gone")

    seen: list[object] = []
    with pytest.raises(OSError, match="disk gone"):
        for item in extract_contained(FlakyExtractor(), source(), batch_size=4):
            seen.append(item)
    assert [getattr(r, "impression", None) for r in seen] == ["report 0", "report 1"]


def test_real_pipeline_report_fails_alone(extractor: Extractor, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A component that raises on one real Doc costs that report only."""
    from radfollow.nlp import extract as extract_module

    original = extract_module.doc_to_result

    def fragile(doc):  # type: ignore[no-untyped-def]
        if "BOOM" in doc.text:
            raise ValueError("patient MRN-SECRET-123")
        return original(doc)

    monkeypatch.setattr(extract_module, "doc_to_result", fragile)
    reports = [
        ReportText("IMPRESSION: 6 mm nodule. Recommend CT chest in 6 months."),
        ReportText("IMPRESSION: BOOM."),
        ReportText("IMPRESSION: No acute disease."),
    ]
    out = list(extract_contained(extractor, reports))
    assert isinstance(out[1], ExtractionFailure) and "MRN" not in out[1].reason
    assert isinstance(out[0], ExtractionResult) and len(out[0].recommendations) == 1
    assert isinstance(out[2], ExtractionResult) and out[2].recommendations == []


def test_a_report_that_kills_its_worker_process_fails_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A worker killed mid-run hung ``process --workers 2`` forever (multiprocessing.Pool
    loses the task). Now the reports in flight are read again one at a time in new
    processes and only the one that kills its worker again fails (RF901)."""
    from pool_killer import MARK, run_or_die

    from radfollow.nlp.pipeline import PipelineConfig
    from radfollow.processing import pool as pool_module
    from radfollow.processing.pool import ExtractorPool

    monkeypatch.setattr(pool_module, "_run", run_or_die)
    texts = [
        f"IMPRESSION: {MARK}."
        if i == 37
        else f"IMPRESSION: {i} mm nodule. Recommend CT in 6 months."
        for i in range(60)
    ]
    with ExtractorPool(PipelineConfig(classifier=False), workers=2, chunk_size=4) as pool:
        out = list(pool.extract(ReportText(t) for t in texts))
        again = list(pool.extract([ReportText(texts[0])]))  # the pool works afterwards
    assert len(out) == 60
    failed = [i for i, item in enumerate(out) if isinstance(item, ExtractionFailure)]
    assert failed == [37]
    assert out[37].code == "RF901"  # type: ignore[union-attr]
    assert all(len(item.recommendations) == 1 for i, item in enumerate(out) if i != 37)  # type: ignore[union-attr]
    assert isinstance(again[0], ExtractionResult)
