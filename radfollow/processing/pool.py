"""Run the extractor in worker processes, results in input order, one failure per report.

``ExtractorPool`` holds the pipelines: one in this process for ``workers=1``,
else ``workers`` spawned processes that each build theirs once (process
initializer). Work is sent in chunks so the per-task overhead stays small
next to the NLP cost. ``warm`` waits until every pipeline is built, so a
caller can time loading and processing apart.

Isolation: a report that makes the pipeline raise gets an
:class:`ExtractionFailure` in its place and every other report its result
(:func:`extract_contained`). A pipeline that cannot be built at all (missing
model, bad heads) is not a per-report failure: it raises from the job.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from itertools import islice
from multiprocessing.synchronize import Barrier
from types import TracebackType

from radfollow.errors import ModelError, RuleFileError, WorkerLostError, contained, error_location
from radfollow.models import ExtractionResult
from radfollow.nlp.extract import Extractor, ReportText
from radfollow.nlp.pipeline import PipelineConfig

log = logging.getLogger(__name__)

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

    An exception escaping a pool initializer breaks the whole pool with no
    word of why; kept here, it reaches the job as the error it is (a missing
    model, a bad rule file).
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


@dataclass(frozen=True)
class ExtractionFailure:
    """Why the pipeline could not read one report: a catalogued code and a reason
    that quotes no report text (``radfollow.errors.contained``)."""

    code: str
    reason: str


Extracted = ExtractionResult | ExtractionFailure


class _SourceError(Exception):
    """The caller's report iterator raised: its error, not the pipeline's."""


def _fail_one(error: BaseException) -> ExtractionFailure:
    safe = contained(error)
    log.info("report not extracted: %s at %s", type(error).__name__, error_location(error))
    return ExtractionFailure(safe.code, safe.message)


#: Errors of the configuration, not of a report: they end the job (every report would fail).
CONFIGURATION_ERRORS = (ModelError, RuleFileError)


def _extract_one(extractor: Extractor, report: ReportText) -> Extracted:
    try:
        return extractor.extract(report)
    except CONFIGURATION_ERRORS:
        raise
    except Exception as error:
        return _fail_one(error)


def extract_contained(
    extractor: Extractor, reports: Iterable[ReportText], *, batch_size: int = 64
) -> Iterator[Extracted]:
    """One result or :class:`ExtractionFailure` per report, in input order.

    Reports stream through ``nlp.pipe`` in batches as usual. When the pipeline
    raises, the reports taken from the input but not yet answered are read
    again one at a time, so only the report that fails gets a failure, and the
    stream goes on with the rest. An error raised by ``reports`` itself
    propagates after the reports already taken are answered.
    """
    source = iter(reports)
    in_flight: deque[ReportText] = deque()

    def feed() -> Iterator[ReportText]:
        while True:
            try:
                report = next(source)
            except StopIteration:
                return
            except Exception as error:
                raise _SourceError from error
            in_flight.append(report)
            yield report

    while True:
        try:
            for result in extractor.extract_many(feed(), batch_size=batch_size):
                in_flight.popleft()
                yield result
            return
        except _SourceError as error:
            while in_flight:
                yield _extract_one(extractor, in_flight.popleft())
            raise error.__cause__ from None  # type: ignore[misc]
        except CONFIGURATION_ERRORS:
            raise
        except Exception:
            if not in_flight:  # not any report's doing: the pipeline itself is broken
                raise
            while in_flight:
                yield _extract_one(extractor, in_flight.popleft())


def _run(chunk: list[ReportText]) -> list[Extracted]:
    return list(extract_contained(_worker(), chunk))


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
    """Pipelines for ``workers`` processes (``workers=1``: this process), closed on exit.

    A worker process that dies (killed, out of memory, a crash in native code)
    costs no report but possibly the one it was reading: the reports in flight
    are read again one at a time in fresh processes, and a report whose worker
    dies again gets a :class:`ExtractionFailure` (RF901) while the job goes on.
    """

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
        self._pool: ProcessPoolExecutor | None = None

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
        """Stop the worker processes now, the chunks they hold included."""
        if self._pool is not None:
            _terminate(self._pool)
            self._pool = None

    def warm(self) -> None:
        """Build every pipeline now (otherwise the first ``extract`` does)."""
        if self.workers == 1:
            self._local()
        else:
            list(self._processes().map(_ready, range(self.workers)))

    def extract(self, reports: Iterable[ReportText]) -> Iterator[Extracted]:
        """Results for ``reports``, in input order; an :class:`ExtractionFailure` in
        place of each report the pipeline could not read.

        At most two chunks per worker are in flight, so the input is read as the
        work goes. When the caller stops early or a pipeline cannot be built, the
        worker processes are stopped; the next ``extract`` starts new ones.
        """
        if self.workers == 1:
            yield from extract_contained(self._local(), reports)
            return
        finished = False
        try:
            yield from self._extract_parallel(reports)
            finished = True
        finally:
            if not finished:
                self.close()

    def _extract_parallel(self, reports: Iterable[ReportText]) -> Iterator[Extracted]:
        chunks = _chunks(reports, self.chunk_size)
        window: deque[tuple[list[ReportText], Future[list[Extracted]]]] = deque()

        def fill() -> None:
            while len(window) < 2 * self.workers and (chunk := next(chunks, None)):
                window.append((chunk, self._submit(chunk)))

        fill()
        while window:
            try:
                results = window[0][1].result()
            except BrokenProcessPool:
                suspects = [report for chunk, _ in window for report in chunk]
                window.clear()
                self.close()
                log.warning(
                    "an NLP worker process died; reading its %d reports again one at a time",
                    len(suspects),
                )
                yield from self._one_at_a_time(suspects)
            else:
                window.popleft()
                yield from results
            fill()

    def _one_at_a_time(self, reports: list[ReportText]) -> Iterator[Extracted]:
        """Each report alone, so a report that kills its worker again fails alone."""
        for report in reports:
            try:
                results = self._submit([report]).result()
            except BrokenProcessPool:
                self.close()
                error = WorkerLostError(
                    "an NLP worker process died while reading this report "
                    "(killed, out of memory, or a crash in native code)"
                )
                log.warning("report rejected: %s", error.message)
                yield ExtractionFailure(error.code, error.message)
            else:
                yield from results

    def _submit(self, chunk: list[ReportText]) -> Future[list[Extracted]]:
        """The chunk's future; one that fails with BrokenProcessPool when a worker has
        died since the last submit (``submit`` itself raises it then)."""
        try:
            return self._processes().submit(_run, chunk)
        except BrokenProcessPool as error:
            broken: Future[list[Extracted]] = Future()
            broken.set_exception(error)
            return broken

    def _local(self) -> Extractor:
        """This process's pipeline, built and run once on WARM_UP (which loads the
        encoder), so a missing model fails the job at its start."""
        if self._extractor is None:
            extractor = Extractor(config=self.config)
            extractor.extract(WARM_UP)
            self._extractor = extractor
        return self._extractor

    def _processes(self) -> ProcessPoolExecutor:
        if self._pool is None:
            context = multiprocessing.get_context("spawn")
            threads = max(1, (os.cpu_count() or 1) // self.workers)
            barrier = context.Barrier(self.workers)
            self._pool = ProcessPoolExecutor(
                self.workers,
                mp_context=context,
                initializer=_init,
                initargs=(self.config, threads, barrier),
            )
        return self._pool


def _terminate(pool: ProcessPoolExecutor) -> None:
    """Shut ``pool`` down without waiting for the chunks its workers hold (they would
    go on with work nobody reads). Python 3.14 has ``terminate_workers``; before it
    the processes are only reachable through ``_processes``."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(10)
