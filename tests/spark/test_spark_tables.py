"""The Spark job's flat tables: every record field has its column, rows flatten right."""

from __future__ import annotations

import json

import pytest

from radfollow.models import Finding, OutputRecord, Recommendation
from radfollow.spark.tables import (
    FINDINGS,
    KEYS,
    RECOMMENDATIONS,
    REPORTS,
    STAGED,
    TABLES,
    ddl,
    finding_rows,
    names,
    recommendation_rows,
    staged_error,
    staged_report,
)

#: Record fields that take another name (or two columns) in the tables.
RENAMED = {"id", "interval_months"}


@pytest.mark.parametrize(
    ("model", "columns", "key"),
    [(Finding, FINDINGS, "finding_id"), (Recommendation, RECOMMENDATIONS, "recommendation_id")],
)
def test_every_model_field_has_a_column(model: type, columns: tuple, key: str) -> None:
    fields = set(model.model_fields) - RENAMED
    assert fields <= set(names(columns))
    # and no column that is not a field, besides the keys and the interval's two
    extra = set(names(columns)) - fields - set(names(KEYS)) - {key}
    assert extra <= {"interval_min_months", "interval_max_months"}


@pytest.mark.parametrize("table", sorted(TABLES))
def test_ddl_quotes_every_name(table: str) -> None:
    text = ddl(TABLES[table])
    assert text.count("`") == 2 * len(TABLES[table])


RECORD = OutputRecord(
    id="r-1",
    findings=[
        Finding(
            id="f1",
            type="pulmonary_nodule",
            text="nodule",
            start=0,
            end=6,
            assertion="present",
            incidental=True,
            size_mm=[6.0],
        )
    ],
    recommendations=[
        Recommendation(
            id="r1",
            text="CT in 6 to 12 months",
            start=10,
            end=30,
            modality="CT",
            interval_months=(6.0, 12.0),
            finding_id="f1",
        ),
        Recommendation(id="r2", text="clinical follow-up", start=40, end=58),
    ],
    has_followup_recommendation=True,
    incidental_types=["pulmonary_nodule"],
).model_dump(mode="json")


@pytest.mark.parametrize(
    ("index", "low", "high"),
    [(0, 6.0, 12.0), (1, None, None)],  # an interval; none stated
)
def test_recommendation_interval_becomes_two_columns(
    index: int, low: float | None, high: float | None
) -> None:
    rows = list(recommendation_rows(RECORD))
    assert (rows[index]["interval_min_months"], rows[index]["interval_max_months"]) == (low, high)
    assert set(rows[index]) == set(names(RECOMMENDATIONS)) - set(names(KEYS))
    assert rows[0]["modality_options"] == ["CT"]


def test_finding_rows_carry_the_finding_id() -> None:
    (row,) = finding_rows(RECORD)
    assert (row["finding_id"], row["size_mm"]) == ("f1", [6.0])
    assert set(row) == set(names(FINDINGS)) - set(names(KEYS))


@pytest.mark.parametrize(("control_id", "expected"), [("MSG-1", "MSG-1"), (None, None)])
def test_staged_report_counts_nests_and_keeps_the_record(
    control_id: str | None, expected: str | None
) -> None:
    row = staged_report(json.dumps(RECORD), source="a.jsonl", position=3, control_id=control_id)
    assert set(row) == set(names(STAGED))
    assert set(names(REPORTS)) <= set(row)
    assert (row["finding_count"], row["recommendation_count"]) == (1, 2)
    assert [f["finding_id"] for f in row["findings"]] == ["f1"]
    assert row["control_id"] == expected
    assert json.loads(row["record"]) == RECORD


@pytest.mark.parametrize("kind", ["error", "ignored"])
def test_staged_error_has_no_report_facts(kind: str) -> None:
    row = staged_error(source="a", position=2, code="RF200", reason="missing 'text'", kind=kind)
    assert set(row) == set(names(STAGED))
    assert (row["kind"], row["findings"], row["has_followup_recommendation"]) == (kind, None, None)
