"""The two batch jobs behind the CLI: ``extract`` (JSONL) and ``process`` (HL7).

Both stream their input, keep going past bad items (recording why), write
their outputs atomically, and return a summary; only the CLI exits.
"""

from __future__ import annotations

import json
import logging
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, tzinfo
from pathlib import Path
from typing import Any, Literal

from radfollow.errors import HL7Error, RadfollowError
from radfollow.fhir import bundle_json
from radfollow.hl7 import (
    DEFAULT_ACCESSION_FIELDS,
    iter_raw_messages,
    parse_message,
    peek_control_id,
)
from radfollow.hl7.framing import RawMessage
from radfollow.io.atomic import atomic_writer
from radfollow.io.jsonl import InputLine, read_jsonl
from radfollow.models import ExtractionResult, OutputRecord, RadiologyReport, RejectedInput
from radfollow.nlp.extract import ReportText
from radfollow.nlp.pipeline import PipelineConfig
from radfollow.parallel import ExtractorPool

log = logging.getLogger(__name__)

Tick = Callable[[int], None]


@dataclass
class JobSummary:
    processed: int = 0
    rejected: int = 0
    findings: int = 0
    recommendations: int = 0
    errors: list[RejectedInput] = field(default_factory=list)
    tracker: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.rejected == 0


def _noop(_: int) -> None:
    return None


# ----------------------------------------------------------------- extract


def run_extract(
    input_path: Path,
    output_path: Path,
    *,
    config: PipelineConfig | None = None,
    workers: int = 1,
    tick: Tick = _noop,
    pool: ExtractorPool | None = None,
) -> JobSummary:
    """One output record per input line, in order. A bad line gets a record with ``error``.

    ``pool``: pipelines already built (and kept open) by the caller; else one
    is made for ``config`` and ``workers`` and closed at the end.
    """
    summary = JobSummary()
    lines: deque[InputLine] = deque()

    def texts() -> Iterator[ReportText]:
        for line in read_jsonl(input_path):
            lines.append(line)
            record = line.record or {"text": ""}
            yield ReportText(text=record["text"], indication=record.get("indication"))

    with (
        _pool(pool, config, workers) as extractors,
        atomic_writer(output_path) as out,
    ):
        for result in extractors.extract(texts()):
            line = lines.popleft()
            tick(1)
            if line.record is None:
                summary.rejected += 1
                summary.errors.append(_rejected(str(input_path), line.line_no, None, line.error))
                out.write(json.dumps(_error_record(line)) + "\n")
                continue
            extra = {
                (f"input_{k}" if k in OutputRecord.model_fields else k): v
                for k, v in line.record.items()
                if k not in {"id", "text"}
            }
            record = OutputRecord.build(str(line.record["id"]), result, **extra)
            out.write(record.model_dump_json(exclude_none=False) + "\n")
            summary.processed += 1
            summary.findings += len(result.findings)
            summary.recommendations += len(result.recommendations)
    return summary


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


def _error_record(line: InputLine) -> dict[str, object]:
    error = line.error
    return {
        "id": None,
        "line": line.line_no,
        "error": {
            "code": error.code if error else "RF200",
            "reason": error.message if error else "",
        },
        "findings": [],
        "recommendations": [],
        "has_followup_recommendation": None,
        "incidental_types": [],
    }


def _rejected(
    source: str, position: int | None, control_id: str | None, error: RadfollowError | None
) -> RejectedInput:
    return RejectedInput(
        source=source,
        position=position,
        control_id=control_id,
        code=error.code if error else "RF000",
        reason=error.message if error else "unknown error",
    )


# ----------------------------------------------------------------- process


@dataclass(frozen=True)
class HL7Options:
    accession_fields: tuple[str, ...] = DEFAULT_ACCESSION_FIELDS
    default_tz: tzinfo = UTC
    bundle_type: Literal["collection", "transaction"] = "collection"


def _parse_all(
    raws: Iterable[RawMessage], options: HL7Options, summary: JobSummary, tick: Tick
) -> Iterator[RadiologyReport]:
    for raw in raws:
        tick(1)
        try:
            reports = parse_message(
                raw, accession_fields=options.accession_fields, default_tz=options.default_tz
            )
        except HL7Error as err:
            control_id = peek_control_id(raw.data)
            summary.rejected += 1
            summary.errors.append(_rejected(raw.source, raw.position, control_id, err))
            log.info(
                "rejected %s message %d (%s): %s", raw.source, raw.position, err.code, err.message
            )
            continue
        yield from reports


def report_record(report: RadiologyReport, result: ExtractionResult) -> OutputRecord:
    """The ANNOTATION.md record of one HL7 report, with its identifiers."""
    return OutputRecord.build(
        report.accession,
        result,
        accession=report.accession,
        control_id=report.control_id,
        sending_facility=report.sending_facility,
        patient_id=report.patient.id,
        assigning_authority=report.patient.assigning_authority,
        result_status=report.result_status.value,
        observation_time=report.observation_time.isoformat() if report.observation_time else None,
        procedure=report.procedure.text,
        modality=report.modality,
        source=report.source,
        position=report.position,
    )


def _open_tracker(db: str | None) -> Any:
    if db is None:
        return None
    from radfollow.tracker.db import open_tracker

    return open_tracker(db)


def _track(
    tracker: Any, report: RadiologyReport, result: ExtractionResult, summary: JobSummary
) -> None:
    """One transaction per report, so one bad report never loses the others."""
    from radfollow.tracker.ingest import ingest

    try:
        with tracker.session() as session:
            outcome = ingest(session, report, result, tracker.policy)
    except RadfollowError as err:
        summary.rejected += 1
        summary.errors.append(
            _rejected(report.source or "", report.position, report.control_id, err)
        )
        return
    counts = summary.tracker
    counts[outcome.status] = counts.get(outcome.status, 0) + 1
    counts["completed"] = counts.get("completed", 0) + len(outcome.completed)
    counts["superseded"] = counts.get("superseded", 0) + outcome.superseded


def run_process(
    paths: list[Path],
    out_dir: Path,
    *,
    config: PipelineConfig | None = None,
    workers: int = 1,
    options: HL7Options | None = None,
    tick: Tick = _noop,
    db: str | None = None,
    pool: ExtractorPool | None = None,
) -> JobSummary:
    """HL7 in; bundles.ndjson, records.jsonl, errors.ndjson out; the tracker too with ``db``."""
    options = options or HL7Options()
    summary = JobSummary()
    pending: deque[RadiologyReport] = deque()

    def texts() -> Iterator[ReportText]:
        for report in _parse_all(iter_raw_messages(paths), options, summary, tick):
            pending.append(report)
            yield ReportText(report.text, report.indication, report.procedure.text)

    tracker = _open_tracker(db)
    with (
        _pool(pool, config, workers) as extractors,
        atomic_writer(out_dir / "bundles.ndjson") as bundles,
        atomic_writer(out_dir / "records.jsonl") as records,
    ):
        for result in extractors.extract(texts()):
            report = pending.popleft()
            try:
                bundle = bundle_json(report, result, bundle_type=options.bundle_type)
            except RadfollowError as err:
                summary.rejected += 1
                summary.errors.append(
                    _rejected(report.source or "", report.position, report.control_id, err)
                )
                continue
            bundles.write(bundle + "\n")
            records.write(report_record(report, result).model_dump_json() + "\n")
            if tracker is not None:
                _track(tracker, report, result, summary)
            summary.processed += 1
            summary.findings += len(result.findings)
            summary.recommendations += len(result.recommendations)
    with atomic_writer(out_dir / "errors.ndjson") as errors:
        for error in summary.errors:
            errors.write(error.model_dump_json() + "\n")
    return summary
