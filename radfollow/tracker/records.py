"""Output records (``records.jsonl`` of ``process``, ``extract`` output with
metadata) read back as tracker input: the report they describe and its extraction.

A record is the ANNOTATION.md record (``findings``, ``recommendations``,
``guidance``, ``checks``, ``critical_results``, ``communications``...) with the
report's identifiers beside it, as :func:`radfollow.processing.core.report_record`
writes them: ``patient_id`` (required), ``assigning_authority``, ``accession``
(default: the record's ``id``), ``control_id`` (MSH-10; default: the record's
``id``), ``sending_facility``, ``result_status`` (P, F, C, X; default F),
``observation_time`` (required; ISO 8601, without an offset in the site's zone),
``procedure``, ``modality``, ``radiologist``, ``source``. Read too when present:
``message_time`` (when a correction took effect), ``procedure_code``,
``ordering_provider``, ``department``, ``patient_class``, ``sex``, ``birth_date``,
``postal_code``, ``indication`` and ``text`` (the report text, which ``process``
does not write into records: without it the tracker stores an empty text, and
two corrections of one accession are told apart by their control ids only).

Errors are :class:`~radfollow.errors.InputFormatError` located as ``file:line``,
naming fields, never their values.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_core import from_json

from radfollow.errors import InputFormatError
from radfollow.io.jsonl import MAX_DEPTH, _decoded, loads_line, text_lines
from radfollow.models import ExtractionResult, PatientClass, RadiologyReport, ResultStatus
from radfollow.tracker.keys import KEY_CHARS

#: The record's keys that make up its :class:`ExtractionResult`.
EXTRACTION_KEYS = (
    "findings",
    "recommendations",
    "guidance",
    "measures",
    "checks",
    "critical_results",
    "communications",
)
#: Optional string keys of a record: record key -> RadiologyReport field.
_TEXT_KEYS = {
    "sending_facility": "sending_facility",
    "modality": "modality",
    "radiologist": "principal_interpreter",
    "ordering_provider": "ordering_provider",
    "department": "department",
    "indication": "indication",
    "source": "source",
}


@dataclass(frozen=True)
class TrackerInput:
    """One record as the tracker stores it; ``where`` is its ``file:line``."""

    where: str
    report: RadiologyReport
    result: ExtractionResult


def record_input(record: Any, *, where: str, tz: tzinfo) -> TrackerInput:
    """The report and extraction of one record; raises InputFormatError naming what is
    missing or malformed. Times without an offset are in ``tz`` (the site's zone)."""
    if not isinstance(record, dict):
        raise InputFormatError("expected a JSON object", where=where)
    try:
        result = ExtractionResult.model_validate(
            {k: record[k] for k in EXTRACTION_KEYS if record.get(k) is not None}
        )
    except ValidationError as error:
        raise InputFormatError(_shape(error), where=where) from None
    return TrackerInput(where, _report(record, where, tz), result)


def _report(record: Mapping[str, Any], where: str, tz: tzinfo) -> RadiologyReport:
    ident = _text(record, "id", where) or ""
    values: dict[str, Any] = {
        "accession": _text(record, "accession", where) or ident,
        "control_id": _text(record, "control_id", where) or ident,
        "text": _text(record, "text", where) or "",
        "observation_time": _time(record, "observation_time", where, tz),
        "message_time": _time(record, "message_time", where, tz),
        "result_status": _status(record, where),
        "procedure": {
            "text": _text(record, "procedure", where),
            "code": _text(record, "procedure_code", where),
        },
        "patient_class": _patient_class(record, where),
        "position": record.get("position") if isinstance(record.get("position"), int) else None,
        "patient": {
            "id": _text(record, "patient_id", where),
            "assigning_authority": _text(record, "assigning_authority", where),
            "sex": _text(record, "sex", where),
            "birth_date": _date(record, "birth_date", where),
            "postal_code": _text(record, "postal_code", where),
        },
    }
    values.update({field: _text(record, key, where) for key, field in _TEXT_KEYS.items()})
    if not values["patient"]["id"]:
        raise InputFormatError("missing 'patient_id': the tracker needs it", where=where)
    if values["observation_time"] is None:
        raise InputFormatError("missing 'observation_time': the tracker needs it", where=where)
    if not values["accession"]:
        raise InputFormatError("missing 'accession' (and 'id')", where=where)
    for key, name in ((values["patient"]["id"], "patient_id"), (values["accession"], "accession")):
        if len(key) > KEY_CHARS:
            raise InputFormatError(
                f"'{name}' of {len(key):,} characters is over the tracker's "
                f"{KEY_CHARS}-character limit",
                where=where,
            )
    try:
        return RadiologyReport.model_validate(values)
    except ValidationError as error:  # pragma: no cover - every value was checked above
        raise InputFormatError(_shape(error), where=where) from None


def _text(record: Mapping[str, Any], key: str, where: str) -> str | None:
    value = record.get(key)
    if value is None or isinstance(value, str):
        return value or None
    raise InputFormatError(f"'{key}' must be a string", where=where)


def _time(record: Mapping[str, Any], key: str, where: str, tz: tzinfo) -> datetime | None:
    value = _text(record, key, where)
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InputFormatError(f"'{key}' is not an ISO 8601 date-time", where=where) from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=tz)


def _date(record: Mapping[str, Any], key: str, where: str) -> date | None:
    value = _text(record, key, where)
    if value is None:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        raise InputFormatError(f"'{key}' is not an ISO 8601 date", where=where) from None


def _status(record: Mapping[str, Any], where: str) -> ResultStatus:
    value = _text(record, "result_status", where) or "F"
    try:
        return ResultStatus(value)
    except ValueError:
        raise InputFormatError("'result_status' must be P, F, C or X", where=where) from None


def _patient_class(record: Mapping[str, Any], where: str) -> PatientClass | None:
    value = _text(record, "patient_class", where)
    try:
        return PatientClass(value) if value else None
    except ValueError:
        known = ", ".join(c.value for c in PatientClass)
        raise InputFormatError(f"'patient_class' must be one of {known}", where=where) from None


def _shape(error: ValidationError) -> str:
    """Where a record departs from the shape radfollow writes: field paths, no values."""
    first = error.errors()[0]
    path = ".".join(str(part) for part in first["loc"]) or "record"
    return f"'{path}' is not in the shape radfollow writes ({first['type']})"


def read_records(paths: list[str], *, tz: tzinfo) -> Iterator[TrackerInput | InputFormatError]:
    """Every record of every file (``-``: standard input), in order; a line that is not
    a usable record comes back as its InputFormatError (``file:line``) and reading goes
    on. Raises OSError or InputFileError when a file cannot be read at all."""
    for path in paths:
        lines = _stdin_lines() if path == "-" else _file_lines(Path(path))
        for where, value in lines:
            if isinstance(value, InputFormatError):
                yield value
                continue
            try:
                yield record_input(value, where=where, tz=tz)
            except InputFormatError as error:
                yield error


def _file_lines(path: Path) -> Iterator[tuple[str, Any]]:
    """As :func:`radfollow.io.jsonl.iter_json_lines` reads them (strict UTF-8, errors
    yielded), faster for lines that cannot hold what its per-value walk looks for."""
    for line_no, raw in enumerate(text_lines(path), start=1):
        if not raw.strip():
            continue
        where = f"{path}:{line_no}"
        try:
            yield where, _parse(raw, where)
        except InputFormatError as error:
            yield where, error


def _parse(raw: str, where: str) -> Any:
    """The line's JSON value, as ``loads_line`` reads it. A line of ASCII without a
    ``\\u`` escape holds no lone surrogate, and one with at most MAX_DEPTH brackets
    no value nested deeper, so ``loads_line``'s walk over every value is skipped and
    the line is read by pydantic's JSON parser, a third faster than ``json.loads``
    and reading such a line as it does (tests/tracker/test_tracker_load_speed.py);
    a line it refuses goes to ``loads_line``, which reads it or gives the reason."""
    if raw.isascii() and "\\u" not in raw and raw.count("[") + raw.count("{") <= MAX_DEPTH:
        try:
            return from_json(raw)
        except ValueError:
            pass
    return loads_line(_decoded(raw, "strict", where), where=where)


def _stdin_lines() -> Iterator[tuple[str, Any]]:
    stream = io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8-sig", errors="surrogateescape")
    for line_no, raw in enumerate(stream, start=1):
        if not raw.strip():
            continue
        where = f"<stdin>:{line_no}"
        try:
            yield where, loads_line(raw, where=where)
        except InputFormatError as error:
            yield where, error
