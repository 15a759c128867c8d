"""The processing stage of the Spark job, run in each executor's Python workers.

Each Python worker builds the processing core once (:func:`core_for`, kept in
this module for the worker's life; Spark reuses Python workers between tasks,
``spark.python.worker.reuse``) and runs every batch through the same functions
as ``radfollow extract`` (:func:`radfollow.processing.batch.extract_lines`) and
``radfollow process`` (:func:`radfollow.processing.batch.process_units`), so
records are identical. Output: ``STAGED`` rows, one per report or rejected input.
"""

from __future__ import annotations

import json
import os
import resource
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path
from typing import Any

import pandas as pd

from radfollow.errors import InputFormatError
from radfollow.hl7.framing import RawMessage
from radfollow.io.jsonl import InputLine, check_record
from radfollow.models import OutputRecord, RejectedInput
from radfollow.processing.batch import JobSummary, extract_lines, process_units
from radfollow.processing.core import ReportProcessor
from radfollow.processing.pool import ExtractorPool
from radfollow.spark.paths import local_path
from radfollow.spark.settings import SparkSettings
from radfollow.spark.tables import STAGED, names, staged_error, staged_report

Batches = Iterator[pd.DataFrame]


@dataclass
class Core:
    """One worker's processing core and NLP pipeline."""

    processor: ReportProcessor
    extractors: ExtractorPool


#: This Python worker's cores, by settings (one per job in practice).
_CORES: dict[str, Core] = {}


@dataclass(frozen=True)
class Counters:
    """Spark accumulators the workers add to: pipelines built, and the largest
    resident set of a Python worker (kB, ``ru_maxrss``)."""

    pipelines: Any
    peak_rss_kb: Any


def core_for(settings: SparkSettings, counters: Counters | None = None) -> Core:
    """This worker's core for ``settings``, built on first use.

    Raises RuleFileError / ModelError when the shipped rules or model cannot be
    loaded: the task fails, and Spark reports it (a configuration error, not a
    per-report one).
    """
    key = settings.model_dump_json()
    core = _CORES.get(key)
    if core is None:
        # One thread per task: Spark runs one task per core already.
        os.environ.setdefault("RADFOLLOW_THREADS", "1")
        options = settings.localised(_copies(settings)).processing_options()
        extractors = ExtractorPool(options.pipeline, workers=1)
        core = _CORES[key] = Core(ReportProcessor(options), extractors)
        if counters is not None:
            counters.pipelines.add(1)
    return core


def _copies(settings: SparkSettings) -> dict[str, Path]:
    """Where this worker reads the shipped rules and model: the driver's path when
    it is visible here (local mode, a shared file system), else the copy Spark
    fetched (``SparkFiles``)."""
    found: dict[str, Path] = {}
    for name, path in settings.shipped().items():
        if path.exists():
            continue
        from pyspark import SparkFiles

        found[name] = Path(SparkFiles.get(path.name))
    return found


def text_stage(settings: SparkSettings, counters: Counters | None = None) -> Any:
    """The ``mapInPandas`` function of text input (``TEXT_INPUT`` -> ``STAGED``)."""

    def run(batches: Batches) -> Batches:
        core = core_for(settings, counters)
        for frame in batches:
            rows: list[dict[str, Any]] = []
            units = zip(
                frame["source"],
                frame["position"],
                frame["value"],
                frame["code"],
                frame["reason"],
                strict=True,
            )
            for source, group in groupby(units, key=lambda unit: unit[0]):
                rows.extend(
                    _text_rows(core, local_path(str(source)) or source, list(group), settings)
                )
            _note_memory(counters)
            yield pd.DataFrame(rows, columns=names(STAGED))

    return run


def _text_rows(
    core: Core, source: str, units: list[tuple[Any, ...]], settings: SparkSettings
) -> Iterator[dict[str, Any]]:
    """The staged rows of one source's units, in order: its file-level errors
    directly, every line or row through the ``extract`` job."""
    lines: list[InputLine] = []
    values: list[Any] = []
    for _, position, value, code, reason in units:
        if _missing(value) and _missing(position):  # the file as a whole (JSONL)
            yield staged_error(source=source, position=None, code=str(code), reason=str(reason))
            continue
        lines.append(_input_line(source, position, value, reason))
        values.append(value)
    numbered = settings.input_format == "jsonl"
    summary = JobSummary()
    done = extract_lines(lines, source, core.extractors, summary, record_text=settings.record_text)
    for value, line in zip(values, done, strict=True):  # one output per input line, in order
        position = line.line_no if numbered else None
        if line.error is None:
            yield staged_report(line.text, source=source, position=position)
            continue
        yield staged_error(
            source=source,
            position=position,
            code=line.error.code,
            reason=line.error.reason,
            report_id=line.record_id or _id_of(value),
            record=line.text if numbered else _unnumbered(line.text),
        )


def _missing(value: Any) -> bool:
    return value is None or bool(pd.isna(value))


def _input_line(source: str, position: Any, value: Any, reason: Any) -> InputLine:
    """The ``extract`` input line of one row, checked as ``read_jsonl`` checks a line
    (a line ``read_jsonl`` already rejected keeps its reason). Parquet rows have no
    line number (0 here, null in the outputs)."""
    line_no = 0 if _missing(position) else int(position)
    if _missing(value):
        return InputLine(line_no, None, InputFormatError(str(reason)))
    where = f"{source}:{line_no}" if line_no else source
    try:
        return InputLine(line_no, check_record(json.loads(value), where=where))
    except InputFormatError as error:
        return InputLine(line_no, None, error)


def _id_of(value: Any) -> str | None:
    """The ``id`` of a unit rejected as a whole (no text, say), when it has a string one."""
    if not isinstance(value, str):
        return None
    try:
        found = json.loads(value).get("id")
    except (ValueError, AttributeError):
        return None
    return found if isinstance(found, str) else None


def _unnumbered(error_record: str) -> str:
    """A Parquet row's error record: no line number."""
    value = json.loads(error_record)
    value["line"] = None
    return json.dumps(value)


def hl7_stage(settings: SparkSettings, counters: Counters | None = None) -> Any:
    """The ``mapInPandas`` function of HL7 input (``HL7_INPUT`` -> ``STAGED``)."""

    def run(batches: Batches) -> Batches:
        core = core_for(settings, counters)
        for frame in batches:
            summary = JobSummary()
            units = [
                _unit(*row)
                for row in zip(
                    frame["source"],
                    frame["position"],
                    frame["data"],
                    frame["code"],
                    frame["reason"],
                    strict=True,
                )
            ]
            rows = [
                _report_row(rendered.record, rendered.bundle, settings)
                for rendered in process_units(units, core.processor, core.extractors, summary)
            ]
            rows.extend(_error_row(error) for error in summary.errors)
            rows.extend(_error_row(order, kind="ignored") for order in summary.ignored)
            _note_memory(counters)
            yield pd.DataFrame(rows, columns=names(STAGED))

    return run


def _unit(
    source: Any, position: Any, data: Any, code: Any, reason: Any
) -> RawMessage | RejectedInput:
    at = None if pd.isna(position) else int(position)
    if data is None:
        return RejectedInput(source=source, position=at, code=str(code), reason=str(reason))
    return RawMessage(source=str(source), position=at or 1, data=bytes(data))


def _report_row(record: OutputRecord, bundle: str, settings: SparkSettings) -> dict[str, Any]:
    """The staged row of one rendered HL7 report (its identifiers read from the
    record object, not from its JSON a second time)."""
    extra = record.model_extra or {}
    return staged_report(
        record.model_dump_json(),
        source=extra.get("source"),
        position=extra.get("position"),
        control_id=extra.get("control_id"),
        bundle=bundle if settings.bundles else None,
    )


def _error_row(error: RejectedInput, kind: str = "error") -> dict[str, Any]:
    return staged_error(
        source=error.source,
        position=error.position,
        code=error.code,
        reason=error.reason,
        control_id=error.control_id,
        kind=kind,
    )


def _note_memory(counters: Counters | None) -> None:
    if counters is not None:
        counters.peak_rss_kb.add(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
