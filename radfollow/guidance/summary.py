"""MIPS measure counts and performance rates per period and radiologist, from records
(the ``measures`` of ``radfollow process`` or ``extract`` output), for
``radfollow measures`` (issue 16; docs/guidance.md).

Performance rate = met / (met + not met): exceptions leave the denominator, as in
the CMS MIPS CQM specifications; for an inverse measure (406) a lower rate is better.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel

from radfollow.models import MeasureOutcome, MeasureResult

Period = Literal["month", "quarter", "year", "all"]
ALL = "(all)"
UNKNOWN = "(unknown)"


class MeasureRow(BaseModel):
    """One measure's counts for one period and radiologist."""

    period: str
    radiologist: str
    measure: str
    inverse: bool
    reports: int
    eligible: int
    excluded: int
    met: int
    not_met: int
    exceptions: int
    performance_rate: float | None


def period_of(value: object, period: Period) -> str:
    """'2024-03', '2024-Q1', '2024' or 'all' for an ISO date or date-time; '(unknown)'
    for anything else."""
    if period == "all":
        return "all"
    try:
        when = datetime.fromisoformat(str(value))
    except ValueError:
        return UNKNOWN
    if period == "year":
        return f"{when.year}"
    if period == "quarter":
        return f"{when.year}-Q{(when.month - 1) // 3 + 1}"
    return f"{when.year}-{when.month:02d}"


def _keys(
    record: Mapping[str, Any], period: Period, per_radiologist: bool
) -> list[tuple[str, str]]:
    when = period_of(record.get("observation_time") or record.get("exam_date"), period)
    if not per_radiologist:
        return [(when, ALL)]
    who = record.get("radiologist")
    return [(when, who if isinstance(who, str) and who else UNKNOWN), (when, ALL)]


def final_reports(records: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Each report once, as its last version in input order (a final after its
    preliminary, a correction after its final: keyed on patient and accession), without
    preliminary (P) and cancelled (X) ones: the MIPS measures count final reports.
    Records without an accession (``extract`` output) are each their own report."""
    kept: dict[object, Mapping[str, Any]] = {}
    for n, record in enumerate(records):
        accession = record.get("accession")
        key: object = (
            (record.get("assigning_authority"), record.get("patient_id"), accession)
            if accession
            else n
        )
        kept.pop(key, None)  # the newest version goes last
        kept[key] = record
    return [r for r in kept.values() if r.get("result_status") not in ("P", "X")]


def summarise(
    records: Iterable[Mapping[str, Any]], *, period: Period = "month", per_radiologist: bool = True
) -> list[MeasureRow]:
    """Rows sorted by period, radiologist ('(all)' last in each period) and measure, over
    :func:`final_reports`. Raises pydantic.ValidationError for a record whose
    ``measures`` do not validate."""
    counts: dict[tuple[str, str, str], Counter[str]] = {}
    inverse: dict[str, bool] = {}
    for record in final_reports(records):
        for raw in record.get("measures") or []:
            result = MeasureResult.model_validate(raw)
            inverse[result.measure] = result.inverse
            for when, who in _keys(record, period, per_radiologist):
                tally = counts.setdefault((when, who, result.measure), Counter())
                tally["reports"] += 1
                tally["eligible" if result.eligible else "excluded"] += 1
                if result.outcome is not None:
                    tally[result.outcome.value] += 1
    rows = [_row(key, tally, inverse[key[2]]) for key, tally in counts.items()]
    return sorted(rows, key=lambda r: (r.period, r.radiologist == ALL, r.radiologist, r.measure))


def _row(key: tuple[str, str, str], tally: Counter[str], inverse: bool) -> MeasureRow:
    met, not_met = tally[MeasureOutcome.MET.value], tally[MeasureOutcome.NOT_MET.value]
    return MeasureRow(
        period=key[0],
        radiologist=key[1],
        measure=key[2],
        inverse=inverse,
        reports=tally["reports"],
        eligible=tally["eligible"],
        excluded=tally["excluded"],
        met=met,
        not_met=not_met,
        exceptions=tally[MeasureOutcome.EXCEPTION.value],
        performance_rate=round(met / (met + not_met), 4) if met + not_met else None,
    )


def to_csv(rows: Iterable[MeasureRow]) -> str:
    """CSV with a header row, one line per row."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(MeasureRow.model_fields), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(row.model_dump())
    return out.getvalue()


def to_json(rows: Iterable[MeasureRow]) -> str:
    """A JSON array of the rows."""
    return json.dumps([row.model_dump() for row in rows], indent=2) + "\n"
