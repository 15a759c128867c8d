"""Run fuzzed inputs through the path ``radfollow process`` takes, one input at a time.

Per input (a file's bytes from :func:`hl7fuzz.mutators.make_input`):
:func:`radfollow.hl7.framing.split_messages`, then the batch job's own steps
(:func:`radfollow.processing.batch._reports`: adapter read and checks;
:func:`radfollow.processing.pool.extract_contained`: the NLP;
:func:`radfollow.processing.batch._finish`: FHIR Bundle rendering and validation,
and the tracker write), so an input meets exactly what ``process --db`` does to
it. Outcome of an input:

- ``crashed``: an exception that is not a catalogued :class:`RadfollowError`
  (``process`` contains it as RF900 "internal error"; here it is a finding), or
  one that escaped the batch job's containment, or a worker process that died;
- ``over time``: the input ran past the per-input limit (SIGALRM);
- ``processed``: at least one report went through to the tracker;
- ``rejected``: every unit got an error line with a catalogued code;
- ``empty``: the framing found no message and no error line was written.

The NLP result may be memoised per distinct report text (``memo_size``): the
same pipeline on the same text gives the same result, and most mutations leave
the report text alone. The adapter, the checks, FHIR rendering and validation
and the tracker write run for every input.
"""

from __future__ import annotations

import heapq
import logging
import resource
import signal
import tempfile
import time
from collections import Counter, OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from hl7fuzz.mutators import FuzzInput, make_input
from radfollow.errors import error_location
from radfollow.hl7.framing import iter_files, split_messages
from radfollow.models import ExtractionResult, RadiologyReport, RejectedInput
from radfollow.nlp.extract import Extractor
from radfollow.nlp.pipeline import PipelineConfig
from radfollow.processing import batch
from radfollow.processing.core import ProcessingOptions, ReportProcessor, report_text
from radfollow.processing.pool import Extracted, extract_contained
from radfollow.tracker.db import Tracker, open_tracker

#: The code ``process`` gives an exception it did not expect (radfollow.errors.InternalError).
INTERNAL = "RF900"
SLOWEST = 10


class OverTime(BaseException):
    """Raised by SIGALRM in the middle of an input; a BaseException so that no
    ``except Exception`` of radfollow swallows it."""


@dataclass(frozen=True)
class Crash:
    """One crashed input: what raised, where, in which step, and how it was made."""

    seed: int
    index: int
    mutator: str
    kind: str
    stage: str
    where: str


@dataclass(frozen=True)
class Settings:
    seed: int = 0
    time_limit: float = 5.0
    classifier: bool = False
    memo_size: int = 4096
    corpus: Path = Path("corpora/hl7")
    save_dir: Path | None = None
    #: "core": the whole process path; "adapter": framing, adapter and checks only
    #: (about ten times as fast: a million inputs fit in one sitting).
    through: str = "core"
    #: A fresh tracker database after this many inputs, so that the corpus's few
    #: patients do not pile up thousands of studies each (no real tracker holds
    #: one patient's report 10,000 times) and the cost per input stays level.
    fresh_tracker_every: int = 5000


@dataclass
class Tally:
    """Counts of a run or a part of it; ``merge`` adds another part's."""

    inputs: int = 0
    processed: int = 0
    rejected: int = 0
    empty: int = 0
    crashed: int = 0
    over_time: int = 0
    codes: Counter[str] = field(default_factory=Counter)
    crashes: list[Crash] = field(default_factory=list)
    over_time_inputs: list[tuple[int, int, str]] = field(default_factory=list)
    slowest: list[tuple[float, int, int, str]] = field(default_factory=list)
    nlp_texts: int = 0
    reports: int = 0

    def merge(self, other: Tally) -> None:
        for name in ("inputs", "processed", "rejected", "empty", "crashed", "over_time"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.nlp_texts += other.nlp_texts
        self.reports += other.reports
        self.codes.update(other.codes)
        self.crashes.extend(other.crashes)
        self.over_time_inputs.extend(other.over_time_inputs)
        for item in other.slowest:
            self.time(item)

    def time(self, item: tuple[float, int, int, str]) -> None:
        if len(self.slowest) < SLOWEST:
            heapq.heappush(self.slowest, item)
        else:
            heapq.heappushpop(self.slowest, item)


def load_corpus(folder: Path) -> list[bytes]:
    """Every message of every file under ``folder``, framed as ``process`` frames them."""
    files = iter_files([folder])
    messages = [m.data for path in files for m in split_messages(path.read_bytes(), str(path))]
    if not messages:
        raise ValueError(f"no HL7 messages under {folder}")
    return messages


class _Locations(logging.Handler):
    """Keeps where the last contained exception was raised, and which step logged it:
    the batch job and the NLP pool log it at INFO with
    :func:`radfollow.errors.error_location` as the last argument (a code location,
    no values)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.clear()

    def clear(self) -> None:
        self.where = ""
        self.nlp = False

    def emit(self, record: logging.LogRecord) -> None:
        args = record.args if isinstance(record.args, tuple) else ()
        if "failed" in record.msg or "not extracted" in record.msg:
            self.where = str(args[-1]) if args else ""
            self.nlp = record.name.endswith(".pool")


_LOGGERS = ("radfollow.processing.batch", "radfollow.processing.pool")


def _capture_locations() -> tuple[_Locations, list[tuple[logging.Logger, int, bool, list[Any]]]]:
    """Route the two loggers to a :class:`_Locations`; returns it and what to restore."""
    handler = _Locations()
    saved = []
    for name in _LOGGERS:
        logger = logging.getLogger(name)
        saved.append((logger, logger.level, logger.propagate, list(logger.handlers)))
        logger.setLevel(logging.INFO)
        logger.propagate = False
        logger.handlers = [handler]
    return handler, saved


def _alarm(_signum: int, _frame: FrameType | None) -> None:
    raise OverTime


class Harness:
    """One worker's core, NLP pipeline and tracker (SQLite in ``db_dir``).

    ``extractor``: a pipeline already built for ``settings.classifier`` (a test
    session's); else one is built. Installs a SIGALRM handler (main thread only).
    """

    def __init__(
        self,
        settings: Settings,
        corpus: Sequence[bytes],
        db_dir: Path,
        extractor: Extractor | None = None,
    ) -> None:
        self.settings = settings
        self.corpus = corpus
        self.options = ProcessingOptions(pipeline=PipelineConfig(classifier=settings.classifier))
        self.core = ReportProcessor(self.options)
        self.extractor = extractor or Extractor(config=self.options.pipeline)
        self.db_url = f"sqlite:///{db_dir / 'tracker.db'}"
        self.tracker: Tracker = open_tracker(self.db_url)
        self.memo: OrderedDict[tuple[Any, ...], ExtractionResult] = OrderedDict()
        self.locations, self._saved_loggers = _capture_locations()
        #: Texts that went through the pipeline (memo misses).
        self.nlp_texts = 0
        self.inputs_seen = 0
        signal.signal(signal.SIGALRM, _alarm)
        self._warm()

    def _warm(self) -> None:
        """One unmutated corpus message through the whole path, not counted: the first
        input of a worker would otherwise pay the one-time costs (caches, imports)."""
        signal.setitimer(signal.ITIMER_REAL, self.settings.time_limit)
        try:
            self._outcome(FuzzInput(self.settings.seed, -1, "none", 0, self.corpus[0]), Tally())
        except (OverTime, Exception):
            pass  # a path that fails or hangs shows in the counted inputs
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        self.nlp_texts = 0
        self.memo.clear()

    def close(self) -> None:
        """Close the tracker and give the loggers back their settings."""
        self.tracker.close()
        for logger, level, propagate, handlers in self._saved_loggers:
            logger.setLevel(level)
            logger.propagate = propagate
            logger.handlers = handlers

    # --------------------------------------------------------- one input

    def run(self, start: int, end: int, current: Any = None) -> Tally:
        """Inputs ``start`` to ``end - 1``; ``current.value`` names the input in hand."""
        tally = Tally()
        for index in range(start, end):
            if current is not None:
                current.value = index
            every = self.settings.fresh_tracker_every
            if every and self.inputs_seen and self.inputs_seen % every == 0:
                self._reopen_tracker(fresh=True)
            self.inputs_seen += 1
            self.one(make_input(self.corpus, self.settings.seed, index), tally)
        return tally

    def one(self, item: FuzzInput, tally: Tally) -> None:
        tally.inputs += 1
        began = time.perf_counter()
        signal.setitimer(signal.ITIMER_REAL, self.settings.time_limit)
        try:
            outcome = self._outcome(item, tally)
        except OverTime:
            outcome = "over_time"
        except BaseException as error:  # escaped the batch job: it would end a process run
            if isinstance(error, KeyboardInterrupt):
                raise
            outcome = "crashed"
            self._crash(tally, item, type(error).__name__, "framing", error_location(error))
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        seconds = time.perf_counter() - began
        tally.time((seconds, item.seed, item.index, item.mutator))
        if outcome == "over_time":
            tally.over_time += 1
            tally.over_time_inputs.append((item.seed, item.index, item.mutator))
            save(self.settings.save_dir, item)
            self._reopen_tracker()  # a transaction may have been cut off
        else:
            setattr(tally, outcome, getattr(tally, outcome) + 1)

    def _outcome(self, item: FuzzInput, tally: Tally) -> str:
        messages = list(split_messages(item.data, f"fuzz-{item.seed}-{item.index}"))
        self.locations.clear()
        crashed = processed = rejected = False
        for unit in batch._reports(messages, self.core, True, batch._noop):
            if isinstance(unit, RejectedInput):
                rejected = True
                crashed |= self._rejection(tally, item, unit, "read")
                continue
            tally.reports += 1
            if self.settings.through == "adapter":
                processed = True
                continue
            summary = batch.JobSummary()
            rendered = batch._finish(self.core, self.tracker, unit, self._extract(unit), summary)
            if rendered is not None:
                rendered.record.model_dump_json()  # what process writes to records.jsonl
                processed = True
            for error in summary.errors:
                rejected = True
                stage = "nlp" if self.locations.nlp else "render/track"
                crashed |= self._rejection(tally, item, error, stage)
        if crashed:
            return "crashed"
        if processed:
            return "processed"
        return "rejected" if rejected else "empty"

    def _rejection(self, tally: Tally, item: FuzzInput, error: RejectedInput, stage: str) -> bool:
        """Count one error line; True when it is a contained crash (RF900)."""
        tally.codes[error.code] += 1
        if error.code != INTERNAL:
            return False
        kind = error.reason.removeprefix("internal error (").removesuffix(")")
        self._crash(tally, item, kind, stage, self.locations.where)
        self.locations.clear()
        return True

    def _crash(self, tally: Tally, item: FuzzInput, kind: str, stage: str, where: str) -> None:
        tally.crashes.append(Crash(item.seed, item.index, item.mutator, kind, stage, where))
        save(self.settings.save_dir, item)

    def _extract(self, report: RadiologyReport) -> Extracted:
        """The NLP result of ``report``, memoised per exact text (a copy per use)."""
        text = report_text(report)
        key = (text.text, text.indication, text.procedure, self.options.pipeline.classifier)
        cached = self.memo.get(key)
        if cached is not None:
            self.memo.move_to_end(key)
            return cached.model_copy(deep=True)
        self.locations.clear()
        result = next(extract_contained(self.extractor, [text]))
        self.nlp_texts += 1
        if isinstance(result, ExtractionResult) and self.settings.memo_size:
            self.memo[key] = result.model_copy(deep=True)
            if len(self.memo) > self.settings.memo_size:
                self.memo.popitem(last=False)
        return result

    def _reopen_tracker(self, *, fresh: bool = False) -> None:
        """Open the tracker again; ``fresh``: on a new, empty database file."""
        try:
            self.tracker.close()
        finally:
            if fresh:
                path = Path(self.db_url.removeprefix("sqlite:///"))
                for suffix in ("", "-wal", "-shm", "-journal"):
                    Path(f"{path}{suffix}").unlink(missing_ok=True)
            self.tracker = open_tracker(self.db_url)


def save(folder: Path | None, item: FuzzInput) -> None:
    """Write the input's bytes as ``<seed>-<index>.hl7`` (the reproducer of a finding)."""
    if folder is None:
        return
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{item.seed}-{item.index}.hl7").write_bytes(item.data)


@contextmanager
def address_space(extra_mb: int) -> Iterator[None]:
    """At most ``extra_mb`` MiB more address space than now (RLIMIT_AS, soft limit),
    so an unbounded allocation raises MemoryError instead of filling the machine;
    the previous limit is restored on exit. 0: no limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if extra_mb:
        pages = int(Path("/proc/self/statm").read_text().split()[0])
        limit = pages * resource.getpagesize() + extra_mb * 1024 * 1024
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def run_inline(
    settings: Settings,
    start: int,
    end: int,
    extractor: Extractor | None = None,
    memory_mb: int = 4096,
) -> Tally:
    """Inputs ``start`` to ``end - 1`` in this process (the CI test's entry point),
    with at most ``memory_mb`` MiB more address space (:func:`address_space`); the
    previous SIGALRM handler is restored at the end."""
    corpus = load_corpus(settings.corpus)
    previous = signal.getsignal(signal.SIGALRM)
    with (
        address_space(memory_mb),
        tempfile.TemporaryDirectory(prefix="radfollow-fuzz-") as folder,
    ):
        harness = Harness(settings, corpus, Path(folder), extractor)
        try:
            tally = harness.run(start, end)
            tally.nlp_texts = harness.nlp_texts
        finally:
            harness.close()
            signal.signal(signal.SIGALRM, previous)
    return tally


def chunks(start: int, end: int, size: int) -> Iterator[tuple[int, int]]:
    for first in range(start, end, size):
        yield first, min(end, first + size)
