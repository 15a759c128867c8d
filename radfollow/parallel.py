"""Run the extractor in worker processes, results in input order.

``ExtractorPool`` holds the pipelines: one in this process for ``workers=1``,
else ``workers`` spawned processes that each build theirs once (process
initializer). Work is sent in chunks so the per-task overhead stays small
next to the NLP cost. ``warm`` waits until every pipeline is built, so a
caller can time loading and processing apart.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterable, Iterator
from itertools import islice
from multiprocessing.pool import Pool
from multiprocessing.synchronize import Barrier
from types import TracebackType

from radfollow.models import ExtractionResult
from radfollow.nlp.extract import Extractor, ReportText
from radfollow.nlp.pipeline import PipelineConfig

_WORKER: Extractor | None = None
_BARRIER: Barrier | None = None
#: Why this worker could not build its pipeline; raised by every task it gets.
_FAILED: BaseException | None = None
#: Seconds ``warm`` waits for the workers to build their pipelines.
WARM_TIMEOUT_S = 600.0
#: A report that runs every component once, the encoder included.
WARM_UP = ReportText("IMPRESSION: 6 mm nodule. Recommend follow-up CT chest in 6 months.")


def _init(config: PipelineConfig, threads: int, barrier: Barrier) -> None:
    """Build and warm this worker's pipeline; keep any error for the tasks to raise.

    An exception escaping a pool initializer makes the pool respawn the
    worker forever, so the job would hang instead of failing.
    """
    global _WORKER, _BARRIER, _FAILED
    _BARRIER = barrier
    # Each worker's encoder gets its share of the cores, not all of them.
    os.environ["RADFOLLOW_THREADS"] = str(threads)
    try:
        _WORKER = Extractor(config=config)
        _WORKER.extract(WARM_UP)
    except Exception as exc:
        _FAILED = exc


def _worker() -> Extractor:
    if _FAILED is not None:
        raise _FAILED
    if _WORKER is None:  # pragma: no cover - initializer always ran
        raise RuntimeError("worker not initialised")
    return _WORKER


def _run(chunk: list[ReportText]) -> list[ExtractionResult]:
    return list(_worker().extract_many(chunk))


def _ready(_: int) -> int:
    """Runs once in each worker: returns when all workers have built their pipelines."""
    if _BARRIER is None:  # pragma: no cover - initializer always ran
        raise RuntimeError("worker not initialised")
    try:
        _worker()
    except Exception:
        _BARRIER.abort()  # the other workers stop waiting at once
        raise
    _BARRIER.wait(WARM_TIMEOUT_S)
    return os.getpid()


def _chunks(items: Iterable[ReportText], size: int) -> Iterator[list[ReportText]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


class ExtractorPool:
    """Pipelines for ``workers`` processes (``workers=1``: this process), closed on exit."""

    def __init__(
        self,
        config: PipelineConfig | None = None,
        *,
        workers: int = 1,
        chunk_size: int = 32,
    ) -> None:
        self.config = config or PipelineConfig()
        self.workers = max(1, workers)
        self.chunk_size = chunk_size
        self._extractor: Extractor | None = None
        self._pool: Pool | None = None

    def __enter__(self) -> ExtractorPool:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None

    def warm(self) -> None:
        """Build every pipeline now (otherwise the first ``extract`` does)."""
        if self.workers == 1:
            self._local().extract(WARM_UP)
        else:
            self._processes().map(_ready, range(self.workers), chunksize=1)

    def extract(self, reports: Iterable[ReportText]) -> Iterator[ExtractionResult]:
        """Results for ``reports``, in input order.

        When the caller stops early or a worker fails, the worker processes
        are stopped (they would go on with the rest of the input); the next
        ``extract`` starts new ones.
        """
        if self.workers == 1:
            yield from self._local().extract_many(reports)
            return
        finished = False
        try:
            for results in self._processes().imap(_run, _chunks(reports, self.chunk_size)):
                yield from results
            finished = True
        finally:
            if not finished:
                self.close()

    def _local(self) -> Extractor:
        if self._extractor is None:
            self._extractor = Extractor(config=self.config)
        return self._extractor

    def _processes(self) -> Pool:
        if self._pool is None:
            context = multiprocessing.get_context("spawn")
            threads = max(1, (os.cpu_count() or 1) // self.workers)
            barrier = context.Barrier(self.workers)
            self._pool = context.Pool(
                self.workers, initializer=_init, initargs=(self.config, threads, barrier)
            )
        return self._pool
