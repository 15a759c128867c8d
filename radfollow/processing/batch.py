"""The two batch jobs behind the CLI: ``process`` (HL7) and ``extract`` (JSONL).

Both stream their input through the one core (:mod:`radfollow.processing.core`)
and keep the isolation contract: every input unit (file, message, report,
JSONL line) either produces its outputs or one error line with a one-line
reason that quotes no field values, and the run goes on. Each unit is counted
once: a report the tracker refuses is rejected, not also written. Outputs are
written atomically; only the CLI exits.
"""

from __future__ import annotations

import json
import logging
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from radfollow.errors import (
    HL7UnsupportedMessageError,
    InputFileError,
    InputFormatError,
    InputReadError,
    RadfollowError,
    ReportTooLargeError,
    contained,
    error_location,
)
from radfollow.guidance import Assessor, ReportContext
from radfollow.hl7 import iter_files, peek_control_id, split_messages
from radfollow.hl7.framing import RawMessage, no_message_reason
from radfollow.io.atomic import atomic_writer
from radfollow.io.inputs import DEFAULT_MAX_FILE_BYTES, read_input
from radfollow.io.jsonl import InputLine, read_jsonl
from radfollow.io.private import make_private_dirs
from radfollow.models import OrderEvent, OutputRecord, RadiologyReport, RejectedInput
from radfollow.nlp.extract import ReportText
from radfollow.nlp.pipeline import PipelineConfig
from radfollow.processing.checks import too_large
from radfollow.processing.core import ProcessingOptions, Rendered, ReportProcessor, report_text
from radfollow.processing.pool import Extracted, ExtractionFailure, ExtractorPool

if TYPE_CHECKING:
    from radfollow.tracker.db import Tracker

log = logging.getLogger(__name__)

Tick = Callable[[int], None]

#: Why an order or appointment message gives no output without a tracker.
ORDER_WITHOUT_TRACKER = "order or appointment message: only a tracker reads it (--db)"


@dataclass
class JobSummary:
    """Counts of one job; ``errors`` holds one line per rejected unit."""

    processed: int = 0
    rejected: int = 0
    findings: int = 0
    recommendations: int = 0
    errors: list[RejectedInput] = field(default_factory=list)
    tracker: dict[str, int] = field(default_factory=dict)
    #: Order and appointment messages read without a tracker (nothing else reads them).
    ignored: list[RejectedInput] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.rejected == 0

    def reject(self, error: RejectedInput) -> None:
        self.rejected += 1
        self.errors.append(error)


def _noop(_: int) -> None:
    return None


def rejection(
    source: str, position: int | None, control_id: str | None, error: BaseException
) -> RejectedInput:
    """The error line of one unit; an unexpected exception is named by its class only."""
    safe = contained(error)
    if not isinstance(error, RadfollowError):
        log.info("unit %s:%s failed: %s", source, position, error_location(error))
    return RejectedInput(
        source=source, position=position, control_id=control_id, code=safe.code, reason=safe.message
    )


def failure_line(
    source: str, position: int | None, control_id: str | None, failure: ExtractionFailure
) -> RejectedInput:
    """The error line of a report the NLP could not read."""
    return RejectedInput(
        source=source,
        position=position,
        control_id=control_id,
        code=failure.code,
        reason=failure.reason,
    )


@contextmanager
def _pool(
    given: ExtractorPool | None, config: PipelineConfig | None, workers: int
) -> Iterator[ExtractorPool]:
    """The caller's pool, left open; or a new one, closed on exit."""
    if given is not None:
        yield given
        return
    with ExtractorPool(config, workers=workers) as pool:
        yield pool


# ----------------------------------------------------------------- extract


@dataclass(frozen=True)
class _Unusable:
    """A JSONL line that gives no record: its output line is an error record."""

    line_no: int
    record_id: str | None
    code: str
    reason: str


def run_extract(
    input_path: Path,
    output_path: Path,
    *,
    config: PipelineConfig | None = None,
    workers: int = 1,
    tick: Tick = _noop,
    pool: ExtractorPool | None = None,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
    record_text: bool = False,
) -> JobSummary:
    """One output record per input line, in order. A bad line gets a record with ``error``.
    ``record_text``: keep each line's ``text`` in its record (for ``tracker load``).

    Raises InputFileError when the input is not a regular file or is over
    ``max_file_bytes`` (a file that grows past it while read included), OSError
    when it cannot be read: a run reads one input file, so it stops.

    ``pool``: pipelines already built (and kept open) by the caller; else one
    is made for ``config`` and ``workers`` and closed at the end.
    """
    config = config or (pool.config if pool else PipelineConfig())
    summary = JobSummary()
    lines = read_jsonl(input_path, max_bytes=max_file_bytes)
    with (
        _pool(pool, config, workers) as extractors,
        atomic_writer(output_path) as out,
    ):
        done = extract_lines(lines, str(input_path), extractors, summary, tick, record_text)
        for line in done:
            out.write(line.text + "\n")
    return summary


@dataclass(frozen=True)
class ExtractedLine:
    """The output line of one input line: the record's JSON, or its error record's."""

    line_no: int
    record_id: str | None
    text: str
    error: RejectedInput | None = None


def extract_lines(
    lines: Iterable[InputLine],
    source: str,
    extractors: ExtractorPool,
    summary: JobSummary,
    tick: Tick = _noop,
    record_text: bool = False,
) -> Iterator[ExtractedLine]:
    """The ``extract`` job on already-read input lines: one output line per input
    line, in order; a bad line's error is also counted in ``summary``.

    The one implementation behind ``radfollow extract`` and the Spark job, so the
    two give identical records. ``source`` names the input in error lines;
    ``record_text`` keeps each line's ``text`` in its record.
    """
    limit = extractors.config.max_length
    pending: deque[InputLine | _Unusable] = deque()
    assessor = Assessor(extractors.config.rules_dir)

    def texts() -> Iterator[ReportText]:
        for line in lines:
            record = line.record
            if record is None:
                bad: RadfollowError = line.error or InputFormatError("unreadable line")
                pending.append(_Unusable(line.line_no, None, bad.code, bad.message))
            elif len(record["text"]) > limit:
                bad = ReportTooLargeError(too_large(len(record["text"]), limit))
                pending.append(_Unusable(line.line_no, line.id, bad.code, bad.message))
            else:
                pending.append(line)
                yield ReportText(text=record["text"], indication=record.get("indication"))

    def unusable(item: _Unusable) -> ExtractedLine:
        tick(1)
        error = RejectedInput(
            source=source, position=item.line_no, code=item.code, reason=item.reason
        )
        summary.reject(error)
        return ExtractedLine(item.line_no, item.record_id, json.dumps(_error_record(item)), error)

    for result in extractors.extract(texts()):
        while isinstance(line := pending.popleft(), _Unusable):
            yield unusable(line)
        tick(1)
        if isinstance(result, ExtractionFailure):
            yield unusable(_Unusable(line.line_no, line.id, result.code, result.reason))
            continue
        record = line.record or {}
        try:
            context = ReportContext.of_metadata(record["text"], record)
            result = assessor.assess(context, result)
            extra = _extra_fields(record)
            if record_text:
                extra["text"] = record["text"]
            output = OutputRecord.build(str(record["id"]), result, **extra)
            text = output.model_dump_json(exclude_none=False)
        except Exception as error:  # a bug: this line's error record, not the run's end
            log.info("line %d failed: %s", line.line_no, error_location(error))
            safe = contained(error)
            yield unusable(_Unusable(line.line_no, line.id, safe.code, safe.message))
            continue
        summary.processed += 1
        summary.findings += len(result.findings)
        summary.recommendations += len(result.recommendations)
        yield ExtractedLine(line.line_no, line.id, text)
    for item in pending:  # only unusable lines follow the last report
        if isinstance(item, _Unusable):
            yield unusable(item)


def _extra_fields(record: dict[str, Any]) -> dict[str, Any]:
    """The input's other keys, kept; one that names an output field gets ``input_``
    in front (again, until the name is free), so no key is lost or overwritten."""
    extra: dict[str, Any] = {}
    for key, value in record.items():
        if key in ("id", "text"):
            continue
        name = key
        while (
            name in OutputRecord.model_fields or name in extra or (name != key and name in record)
        ):
            name = f"input_{name}"
        extra[name] = value
    return extra


def _error_record(item: _Unusable) -> dict[str, object]:
    return {
        "id": item.record_id,
        "line": item.line_no,
        "error": {"code": item.code, "reason": item.reason},
        "findings": [],
        "recommendations": [],
        "has_followup_recommendation": None,
        "incidental_types": [],
    }


# ----------------------------------------------------------------- process


def file_messages(
    paths: list[Path], tick: Tick = _noop, max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
) -> Iterator[RawMessage | RejectedInput]:
    """Every message of every file, or the error line of a file or folder that
    cannot be read (RF201), that is not a regular file or is over
    ``max_file_bytes`` (RF203), or that holds no message (RF203); the walk goes on."""
    problems: deque[tuple[Path, OSError]] = deque()

    def unreadable() -> Iterator[RejectedInput]:
        while problems:
            path, error = problems.popleft()
            tick(1)
            yield rejection(str(path), None, None, InputReadError(read_reason(path, error)))

    for path in iter_files(paths, onerror=lambda path, error: problems.append((path, error))):
        yield from unreadable()
        try:
            data = read_input(path, max_bytes=max_file_bytes)
        except OSError as error:
            problems.append((path, error))
            yield from unreadable()
            continue
        except InputFileError as error:
            tick(1)
            yield rejection(str(path), None, None, error)
            continue
        found = False
        for message in split_messages(data, str(path)):
            found = True
            yield message
        if not found:
            tick(1)
            yield rejection(str(path), None, None, InputFileError(no_message_reason(data)))
    yield from unreadable()


def read_reason(path: Path, error: OSError) -> str:
    """``cannot read file: <why>``; a dangling symbolic link is named as such."""
    why = error.strerror or type(error).__name__
    if isinstance(error, FileNotFoundError) and path.is_symlink():
        why = "dangling symbolic link (its target does not exist)"
    return f"cannot read {_kind(path)}: {why}"


def _kind(path: Path) -> str:
    try:
        return "folder" if path.is_dir() else "file"
    except OSError:
        return "entry"


Pending = RadiologyReport | RejectedInput | OrderEvent


def _reports(
    units: Iterable[RawMessage | RejectedInput], core: ReportProcessor, tracking: bool, tick: Tick
) -> Iterator[Pending]:
    """The reports (and order or appointment events) of every message, checked; a
    rejection in place of each bad unit."""
    for unit in units:
        if isinstance(unit, RejectedInput):
            yield unit
            continue
        tick(1)
        try:
            orders = core.read_orders(unit)
            if orders is not None:
                yield from orders
                continue
            reports = core.read(unit)
        except Exception as error:
            log.info("rejected %s message %d: %s", unit.source, unit.position, type(error).__name__)
            yield rejection(unit.source, unit.position, peek_control_id(unit.data), error)
            continue
        for report in reports:
            try:
                core.check(report, tracking=tracking)
            except RadfollowError as error:
                yield rejection(unit.source, unit.position, report.control_id, error)
                continue
            yield report


def run_process(
    paths: list[Path],
    out_dir: Path,
    *,
    options: ProcessingOptions | None = None,
    workers: int = 1,
    tick: Tick = _noop,
    db: str | None = None,
    pool: ExtractorPool | None = None,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
) -> JobSummary:
    """HL7 in; bundles.ndjson, records.jsonl, errors.ndjson out; the tracker too with ``db``.

    Only regular files of at most ``max_file_bytes`` bytes are read; any other
    input (a FIFO, a device, a larger file) is one error line.

    One tracker transaction per report, committed before the report's outputs
    are written. Raises only for the run as a whole: the tracker database
    cannot be opened (TrackerError), the pipeline cannot be built (ModelError,
    RuleFileError), an output cannot be written (OSError).
    """
    options = options or ProcessingOptions()
    core = ReportProcessor(options)
    summary = JobSummary()
    make_private_dirs(out_dir)  # first: --db may be a file inside it
    tracker = _open_tracker(db, options)
    try:
        with (
            _pool(pool, options.pipeline, workers) as extractors,
            atomic_writer(out_dir / "bundles.ndjson") as bundles,
            atomic_writer(out_dir / "records.jsonl") as records,
        ):
            units = file_messages(paths, tick, max_file_bytes)
            for rendered in process_units(units, core, extractors, summary, tracker, tick):
                bundles.write(rendered.bundle + "\n")
                records.write(rendered.record.model_dump_json() + "\n")
        with atomic_writer(out_dir / "errors.ndjson") as errors:
            for error in summary.errors:
                errors.write(error.model_dump_json() + "\n")
    finally:
        if tracker is not None:
            tracker.close()
    return summary


def process_units(
    units: Iterable[RawMessage | RejectedInput],
    core: ReportProcessor,
    extractors: ExtractorPool,
    summary: JobSummary,
    tracker: Tracker | None = None,
    tick: Tick = _noop,
) -> Iterator[Rendered]:
    """The ``process`` job on messages already split from their files: the outputs
    of every report, in order; every rejected unit goes to ``summary.errors``.

    The one implementation behind ``radfollow process`` and the Spark job. With
    ``tracker`` each report is stored (one transaction each) before it is yielded.
    """
    pending: deque[Pending] = deque()

    def texts() -> Iterator[ReportText]:
        for item in _reports(units, core, tracker is not None, tick):
            pending.append(item)
            if isinstance(item, RadiologyReport):
                yield report_text(item)

    for result in extractors.extract(texts()):
        report = _next_report(pending, summary, core, tracker)
        if report is None:  # pragma: no cover - the pool answers each report once
            raise RuntimeError("the NLP returned more results than reports")
        rendered = _finish(core, tracker, report, result, summary)
        if rendered is not None:
            yield rendered
    _next_report(pending, summary, core, tracker)  # what follows the last report


def _next_report(
    pending: deque[Pending], summary: JobSummary, core: ReportProcessor, tracker: Tracker | None
) -> RadiologyReport | None:
    """Record the rejections and store the order events queued before the next report,
    and return that report (None when the queue holds no more reports)."""
    while pending:
        item = pending.popleft()
        if isinstance(item, RadiologyReport):
            return item
        if isinstance(item, OrderEvent):
            _order(core, tracker, item, summary)
            continue
        summary.reject(item)
    return None


def _order(
    core: ReportProcessor, tracker: Tracker | None, event: OrderEvent, summary: JobSummary
) -> None:
    """Store one order or appointment event in the tracker (only there: they have no
    FHIR output); without a tracker it is counted as ignored."""
    counts = summary.tracker
    if tracker is None:
        counts["orders ignored (no --db)"] = counts.get("orders ignored (no --db)", 0) + 1
        summary.ignored.append(
            RejectedInput(
                source=event.source or "",
                position=event.position,
                control_id=event.control_id,
                code=HL7UnsupportedMessageError.code,
                reason=ORDER_WITHOUT_TRACKER,
            )
        )
        return
    try:
        outcome = core.track_order(tracker, event)
    except Exception as error:
        summary.reject(rejection(event.source or "", event.position, event.control_id, error))
        return
    key = "orders" if outcome.status == "stored" else f"orders {outcome.status}"
    counts[key] = counts.get(key, 0) + 1
    counts["scheduled"] = counts.get("scheduled", 0) + len(outcome.scheduled)


def _finish(
    core: ReportProcessor,
    tracker: Tracker | None,
    report: RadiologyReport,
    result: Extracted,
    summary: JobSummary,
) -> Rendered | None:
    """FHIR and tracker for one extracted report; None (and an error line) when it fails."""
    source, position, control = report.source or "", report.position, report.control_id
    if isinstance(result, ExtractionFailure):
        summary.reject(failure_line(source, position, control, result))
        return None
    try:
        result = core.assess(report, result)
        rendered = core.render(report, result)
        outcome = core.track(tracker, report, result) if tracker else None
    except Exception as error:
        summary.reject(rejection(source, position, control, error))
        return None
    if outcome is not None:
        counts = summary.tracker
        counts[outcome.status] = counts.get(outcome.status, 0) + 1
        counts["completed"] = counts.get("completed", 0) + len(outcome.completed)
        if outcome.needs_review:
            counts["needs review"] = counts.get("needs review", 0) + len(outcome.needs_review)
        if outcome.scheduled:
            counts["scheduled"] = counts.get("scheduled", 0) + len(outcome.scheduled)
        counts["superseded"] = counts.get("superseded", 0) + outcome.superseded
    summary.processed += 1
    summary.findings += len(result.findings)
    summary.recommendations += len(result.recommendations)
    return rendered


def _open_tracker(db: str | None, options: ProcessingOptions) -> Tracker | None:
    if db is None:
        return None
    from radfollow.tracker.db import open_tracker

    return open_tracker(db, rules_dir=options.rules_dir, timezone=options.timezone)
