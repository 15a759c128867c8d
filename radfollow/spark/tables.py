"""The Spark job's output tables: their columns, and the flat rows of one record.

One schema, written down once here and in ``docs/spark.md``:

- ``reports``: one row per report read, with its whole record (the JSON line
  ``radfollow extract`` / ``process`` writes) in ``record``;
- ``findings`` and ``recommendations``: one row per finding or recommendation,
  the fields of :class:`radfollow.models.Finding` / ``Recommendation``, keyed
  by ``report_id`` plus ``finding_id`` / ``recommendation_id``;
- ``errors``: one row per rejected input (source, position, code, reason; no
  field values, as ``errors.ndjson``).

Column types are Spark SQL type names. ``tests/spark/test_spark_tables.py``
checks that every field of the record models has its column, so the tables
cannot drift from the records.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

Columns = tuple[tuple[str, str], ...]

REPORTS: Columns = (
    ("report_id", "string"),
    ("source", "string"),
    ("position", "bigint"),
    ("control_id", "string"),
    ("has_followup_recommendation", "boolean"),
    ("incidental_types", "array<string>"),
    ("uncommunicated_critical", "boolean"),
    ("finding_count", "int"),
    ("recommendation_count", "int"),
    ("critical_result_count", "int"),
    ("communication_count", "int"),
    ("record", "string"),
)

#: The key columns of a finding or recommendation row: its report, and where that
#: report was read (``report_id`` alone repeats when ids or accessions do).
KEYS: Columns = (("report_id", "string"), ("source", "string"), ("position", "bigint"))

FINDINGS: Columns = (
    *KEYS,
    ("finding_id", "string"),
    ("type", "string"),
    ("text", "string"),
    ("start", "int"),
    ("end", "int"),
    ("assertion", "string"),
    ("benign", "boolean"),
    ("incidental", "boolean"),
    ("incidental_reason", "string"),
    ("size_mm", "array<double>"),
    ("largest_size_mm", "double"),
    ("density_hu", "double"),
    ("section", "string"),
    ("laterality", "string"),
    ("location", "string"),
    ("composition", "string"),
    ("multiplicity", "string"),
    ("sentence", "string"),
)

RECOMMENDATIONS: Columns = (
    *KEYS,
    ("recommendation_id", "string"),
    ("text", "string"),
    ("start", "int"),
    ("end", "int"),
    ("modality", "string"),
    ("modality_options", "array<string>"),
    ("body_region", "string"),
    ("interval_min_months", "double"),
    ("interval_max_months", "double"),
    ("conditional", "boolean"),
    ("score", "double"),
    ("finding_id", "string"),
    ("section", "string"),
)

ERRORS: Columns = (
    ("source", "string"),
    ("position", "bigint"),
    ("report_id", "string"),
    ("control_id", "string"),
    ("code", "string"),
    ("reason", "string"),
)

#: Per-report facts, in the ``reports`` table and the staged rows.
_FACTS = REPORTS[4:-1]


def _struct(columns: Columns) -> str:
    return "struct<" + ", ".join(f"`{name}`: {kind}" for name, kind in columns) + ">"


#: Rows of the processing stage's result, staged as Parquet: one per report or
#: rejected input, a report's findings and recommendations nested (the tables are
#: projections and ``explode`` of these, computed without Python).
STAGED: Columns = (
    ("kind", "string"),  # "report", "error" or "ignored"
    ("source", "string"),
    ("position", "bigint"),
    ("report_id", "string"),
    ("control_id", "string"),
    ("record", "string"),  # the record's JSON line (for a JSONL error: its error record)
    ("bundle", "string"),
    ("code", "string"),
    ("reason", "string"),
    *_FACTS,
    ("findings", f"array<{_struct(FINDINGS[len(KEYS) :])}>"),
    ("recommendations", f"array<{_struct(RECOMMENDATIONS[len(KEYS) :])}>"),
)

#: Output table -> its columns.
TABLES: dict[str, Columns] = {
    "reports": REPORTS,
    "findings": FINDINGS,
    "recommendations": RECOMMENDATIONS,
    "errors": ERRORS,
}


def ddl(columns: Columns) -> str:
    """The Spark DDL schema string of ``columns`` (names quoted: ``end`` is a keyword)."""
    return ", ".join(f"`{name}` {kind}" for name, kind in columns)


def names(columns: Columns) -> list[str]:
    return [name for name, _ in columns]


def staged_report(
    record_text: str,
    *,
    source: str | None,
    position: int | None,
    control_id: str | None = None,
    bundle: str | None = None,
) -> dict[str, Any]:
    """The staged row of one report: its record (JSON text, parsed once here), the
    per-report facts, and its findings and recommendations as nested rows.
    ``control_id``: MSH-10 of an HL7 report (a text record's metadata is not read)."""
    record = json.loads(record_text)
    return {
        "kind": "report",
        "source": source,
        "position": position,
        "report_id": record["id"],
        "control_id": control_id,
        "record": record_text,
        "bundle": bundle,
        "code": None,
        "reason": None,
        "has_followup_recommendation": record["has_followup_recommendation"],
        "incidental_types": record["incidental_types"],
        "uncommunicated_critical": record.get("uncommunicated_critical", False),
        "finding_count": len(record["findings"]),
        "recommendation_count": len(record["recommendations"]),
        "critical_result_count": len(record.get("critical_results", [])),
        "communication_count": len(record.get("communications", [])),
        "findings": list(finding_rows(record)),
        "recommendations": list(recommendation_rows(record)),
    }


def staged_error(
    *,
    source: str | None,
    position: int | None,
    code: str,
    reason: str,
    report_id: str | None = None,
    control_id: str | None = None,
    record: str | None = None,
    kind: str = "error",
) -> dict[str, Any]:
    """The staged row of one rejected input (``record``: a JSONL line's error
    record), or with ``kind="ignored"`` of an input that gives nothing here (an
    order or appointment message without a tracker)."""
    row: dict[str, Any] = dict.fromkeys(names(STAGED))
    row.update(
        kind=kind,
        source=source,
        position=position,
        report_id=report_id,
        control_id=control_id,
        record=record,
        code=code,
        reason=reason,
    )
    return row


def finding_rows(record: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The ``findings`` columns after the keys, per finding (``id`` is ``finding_id``)."""
    for finding in record["findings"]:
        row = {name: finding.get(name) for name, _ in FINDINGS[len(KEYS) + 1 :]}
        yield {"finding_id": finding["id"], **row}


def recommendation_rows(record: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The ``recommendations`` columns after the keys, per recommendation;
    ``interval_months`` [min, max] becomes two columns (null when none is stated)."""
    for rec in record["recommendations"]:
        interval = rec.get("interval_months") or (None, None)
        row = {name: rec.get(name) for name, _ in RECOMMENDATIONS[len(KEYS) + 1 :]}
        row.update(interval_min_months=interval[0], interval_max_months=interval[1])
        yield {"recommendation_id": rec["id"], **row}
