"""Run the extractor in worker processes, results in input order.

Each worker builds its pipeline once (process initializer); work is sent in
chunks so the per-task overhead stays small next to the NLP cost.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterable, Iterator
from itertools import islice

from radfollow.models import ExtractionResult
from radfollow.nlp.extract import Extractor, ReportText
from radfollow.nlp.pipeline import PipelineConfig

_WORKER: Extractor | None = None


def _init(config: PipelineConfig, threads: int) -> None:
    global _WORKER
    # Each worker's encoder gets its share of the cores, not all of them.
    os.environ["RADFOLLOW_THREADS"] = str(threads)
    _WORKER = Extractor(config=config)


def _run(chunk: list[ReportText]) -> list[ExtractionResult]:
    if _WORKER is None:  # pragma: no cover - initializer always ran
        raise RuntimeError("worker not initialised")
    return list(_WORKER.extract_many(chunk))


def _chunks(items: Iterable[ReportText], size: int) -> Iterator[list[ReportText]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def extract_parallel(
    reports: Iterable[ReportText],
    *,
    config: PipelineConfig | None = None,
    workers: int = 1,
    chunk_size: int = 32,
) -> Iterator[ExtractionResult]:
    """Extract from ``reports`` in order; ``workers=1`` runs in this process."""
    config = config or PipelineConfig()
    if workers <= 1:
        yield from Extractor(config=config).extract_many(reports)
        return
    context = multiprocessing.get_context("spawn")
    threads = max(1, (os.cpu_count() or 1) // workers)
    with context.Pool(workers, initializer=_init, initargs=(config, threads)) as pool:
        for results in pool.imap(_run, _chunks(reports, chunk_size)):
            yield from results
