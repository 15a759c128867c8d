"""`radfollow.tracker.bulk`: loading records in bulk gives the tracker that loading
them one by one through the per-report ingest gives (same rows but surrogate ids and
the times radfollow acted), with corrections, resends, a later exam that fulfils
an earlier recommendation, weak matches that go to review, studies that arrived
before the report recommending them, critical results, orders, and data stored
before the load. SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from radfollow.errors import InputFormatError
from radfollow.guidance import Assessor, ReportContext
from radfollow.models import OrderEvent, Patient, RadiologyReport, ResultStatus
from radfollow.nlp.extract import Extractor, ReportText
from radfollow.processing.core import report_record
from radfollow.tracker.bulk import LoadSummary, load_one_by_one, load_records
from radfollow.tracker.db import Tracker
from radfollow.tracker.orders import ingest_order
from radfollow.tracker.records import TrackerInput, read_records
from radfollow.tracker.statuses import refresh

NODULE = "IMPRESSION: 6 mm nodule in the right upper lobe. Recommend follow-up CT chest in {}."
ADRENAL = "IMPRESSION: 2 cm left adrenal nodule. Recommend CT abdomen in 3 months."
CLEAR = "IMPRESSION: No acute findings."
PNEUMOTHORAX = "IMPRESSION:\nNew large left pneumothorax.\n"

#: (patient, accession, control id, status, exam day, procedure, modality, text, extras)
Row = tuple[str, str, str, str, str, str, str, str, dict[str, Any]]

#: Stored one by one before every load (both ways), with an order and a status refresh.
PRIOR: list[Row] = [
    ("P1", "A0", "M-A0", "F", "2023-06-01", "CT CHEST", "CT", NODULE.format("3 months"), {}),
    ("P7", "G0", "M-G0", "F", "2023-11-01", "CT ABDOMEN", "CT", ADRENAL, {"sex": "F"}),
]
LOAD: list[Row] = [
    # P1: a follow-up fulfilled by a later exam, then the first report corrected
    ("P1", "A1", "M-A1", "F", "2024-01-10", "CT CHEST", "CT", NODULE.format("6-12 months"),
     {"sex": "F", "birth_date": "1960-02-03"}),
    ("P1", "A2", "M-A2", "F", "2024-09-01", "CT CHEST", "CT", CLEAR, {"sex": "M"}),
    ("P1", "A1", "M-A1C", "C", "2024-01-10", "CT CHEST", "CT", NODULE.format("3 months"),
     {"message_time": "2024-02-01T09:00:00+00:00", "sex": "F"}),
    ("P1", "A1", "M-A1", "F", "2024-01-10", "CT CHEST", "CT", NODULE.format("6-12 months"), {}),
    # P2: a weak match (procedure not understood) goes to review; a strong one completes
    ("P2", "B1", "M-B1", "F", "2024-02-01", "CT ABDOMEN", "CT", ADRENAL, {}),
    ("P2", "B2", "M-B2", "F", "2024-05-15", "XYZ SPECIAL", "CT", CLEAR, {}),
    ("P2", "B3", "M-B3", "F", "2024-06-01", "CT ABDOMEN", "CT", CLEAR, {}),
    # P3: two qualifying studies arrived before the recommending report: review
    ("P3", "C2", "M-C2", "F", "2024-08-01", "CT CHEST", "CT", CLEAR, {}),
    ("P3", "C3", "M-C3", "F", "2024-09-01", "CT CHEST", "CT", CLEAR, {}),
    ("P3", "C1", "M-C1", "F", "2024-01-01", "CT CHEST", "CT", NODULE.format("6 months"), {}),
    # ... and a third joins them as a candidate (strong ones already wait)
    ("P3", "C4", "M-C4", "F", "2024-10-01", "CT CHEST", "CT", CLEAR, {}),
    # P4: a critical result without documented communication (an outbox event)
    ("P4", "D1", "M-D1", "F", "2024-03-01", "XR CHEST", "XR", PNEUMOTHORAX,
     {"ordering_provider": "DOC1"}),
    ("P4", "D1", "M-D1C", "C", "2024-03-01", "XR CHEST", "XR", PNEUMOTHORAX + " ",
     {"ordering_provider": "DOC1"}),
    # P5: preliminary then final; a preliminary after the final; a cancelled report
    ("P5", "E1", "M-E1P", "P", "2024-03-01", "CT CHEST", "CT", NODULE.format("3 months"), {}),
    ("P5", "E1", "M-E1F", "F", "2024-03-01", "CT CHEST", "CT", NODULE.format("3 months"), {}),
    ("P5", "E4", "M-E4F", "F", "2024-03-02", "CT CHEST", "CT", CLEAR, {}),
    ("P5", "E4", "M-E4P", "P", "2024-03-02", "CT CHEST", "CT", CLEAR, {}),
    ("P5", "E2", "M-E2", "X", "2024-04-01", "CT CHEST", "CT", CLEAR, {}),
    ("P5", "E3", "M-E3", "F", "2024-06-15", "CT CHEST", "CT", CLEAR, {}),
    # P6: an order stored before the load schedules the follow-up
    ("P6", "F1", "M-F1", "F", "2024-02-01", "CT CHEST", "CT", NODULE.format("3 months"), {}),
    # P7 (stored before): its follow-up completed by a loaded exam; demographics kept
    ("P7", "G1", "M-G1", "F", "2024-02-10", "CT ABDOMEN", "CT", CLEAR, {}),
    # a message with two reports (one MSH-10, two accessions); a resend of both
    ("P8", "H1", "M-H", "F", "2024-01-05", "CT CHEST", "CT", NODULE.format("3 months"), {}),
    ("P8", "H2", "M-H", "F", "2024-01-05", "CT ABDOMEN", "CT", ADRENAL, {}),
    ("P8", "H1", "M-H", "F", "2024-01-05", "CT CHEST", "CT", NODULE.format("3 months"), {}),
    # P1 again, after its correction: a later exam in the same load
    ("P1", "A3", "M-A3", "F", "2025-03-01", "CT CHEST", "CT", NODULE.format("12 months"), {}),
]  # fmt: skip


def _records(extractor: Extractor, rows: list[Row]) -> list[dict[str, Any]]:
    assessor = Assessor()
    out = []
    for patient, acc, control, status, day, procedure, modality, text, extra in rows:
        report = RadiologyReport(
            control_id=control,
            sending_facility="HOSP",
            patient=Patient(id=patient, assigning_authority="HOSP"),
            accession=acc,
            procedure={"text": procedure},
            modality=modality,
            # late evening in New York: the next day in UTC (reasons quote dates)
            observation_time=datetime.fromisoformat(f"{day}T21:30:00-05:00"),
            result_status=ResultStatus(status),
            text=text,
        )
        result = extractor.extract(ReportText(text, procedure=procedure))
        result = assessor.assess(ReportContext.of_report(report), result)
        record = report_record(report, result).model_dump(mode="json")
        out.append({**record, "text": text, **extra})
    return out


def _inputs(records: list[dict[str, Any]], tmp_path: Path, name: str) -> list[TrackerInput]:
    path = tmp_path / f"{name}.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    items = list(read_records([str(path)], tz=UTC))
    assert all(isinstance(i, TrackerInput) for i in items), items
    return [i for i in items if isinstance(i, TrackerInput)]


def _fresh(url: str, tmp_path: Path, name: str) -> str:
    """An empty database: another SQLite file, or PostgreSQL's schema dropped."""
    if url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / name}.db"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()
    return url


def _prepare(url: str, prior: list[TrackerInput]) -> Tracker:
    tracker = Tracker(url)
    load_one_by_one(tracker, prior)
    order = OrderEvent(
        control_id="O-1",
        sending_facility="HOSP",
        message_type="ORM^O01",
        event="scheduled",
        event_time=datetime(2024, 1, 20, tzinfo=UTC),
        patient=Patient(id="P6", assigning_authority="HOSP"),
        placer_order_number="ORD6",
        procedure={"text": "CT CHEST"},
        modality="CT",
        scheduled_time=datetime(2024, 5, 2, tzinfo=UTC),
    )
    with tracker.session() as session:
        ingest_order(session, order, tracker.policy)
    with tracker.session() as session:
        refresh(
            session,
            as_of=datetime(2024, 1, 31, tzinfo=UTC),
            grace=tracker.policy.grace,
            lead=tracker.policy.coming_due,
            tz=UTC,
        )
    return tracker


#: Columns that legitimately differ: surrogate ids and the times radfollow acted.
_DROPPED = {"id", "created_at", "received_at", "at", "key"}
#: Foreign keys, compared through what they point at.
_REFERENCES = {
    "patient_id": "patients",
    "study_id": "studies",
    "superseded_by": "studies",
    "finding_id": "findings",
    "recommendation_id": "recommendations",
    "scheduled_order_id": "orders",
}
_NATURAL = {
    "patients": ("identifier", "assigning_authority"),
    "studies": ("patient_id", "accession", "control_id", "result_status"),
    "findings": ("study_id", "local_id"),
    "recommendations": ("study_id", "local_id"),
    "orders": ("patient_id", "order_key"),
}
TABLES = (
    "patients",
    "messages",
    "studies",
    "findings",
    "report_checks",
    "critical_results",
    "communications",
    "orders",
    "recommendations",
    "completions",
    "match_candidates",
    "match_exclusions",
    "review_actions",
    "outbox",
)


def snapshot(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every tracker table's rows with ids replaced by what they identify, sorted;
    audit entries in their order per recommendation."""
    engine = sa.create_engine(url)
    meta = sa.MetaData()
    meta.reflect(engine)
    names: dict[str, dict[Any, Any]] = {}
    shot: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as conn:
        for name in TABLES:
            table = meta.tables[name]
            rows = conn.execute(sa.select(table).order_by(table.c.id)).mappings().all()
            normal = []
            for row in rows:
                item = {
                    k: names[_REFERENCES[k]].get(v) if k in _REFERENCES and v is not None else v
                    for k, v in row.items()
                    if k not in _DROPPED
                }
                if name in _NATURAL:
                    names.setdefault(name, {})[row["id"]] = tuple(item[k] for k in _NATURAL[name])
                normal.append(tuple(sorted(item.items(), key=lambda kv: kv[0])))
            shot[name] = normal if name == "review_actions" else sorted(normal, key=repr)
    engine.dispose()
    actions: dict[Any, list[Any]] = {}
    for row in shot["review_actions"]:
        actions.setdefault(dict(row)["recommendation_id"], []).append(row)
    shot["review_actions"] = sorted(actions.items(), key=repr)
    return shot


@pytest.fixture(scope="module")
def records(extractor: Extractor) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    return _records(extractor, PRIOR), _records(extractor, LOAD)


def _both_ways(
    db_url: str, tmp_path: Path, records: Any, chunk_size: int
) -> Iterator[tuple[LoadSummary, dict[str, Any]]]:
    prior = _inputs(records[0], tmp_path, "prior")
    load = _inputs(records[1], tmp_path, "load")
    for name, way in (
        ("one", lambda t: load_one_by_one(t, load)),
        ("bulk", lambda t: load_records(t, load, chunk_size=chunk_size)),
    ):
        url = _fresh(db_url, tmp_path, name)
        tracker = _prepare(url, prior)
        summary = way(tracker)
        tracker.close()
        yield summary, snapshot(url)


@pytest.mark.parametrize("chunk_size", [1, 4, 5000])
def test_bulk_equals_one_by_one(db_url: str, tmp_path: Path, records: Any, chunk_size: int) -> None:
    (one, expected), (bulk, got) = _both_ways(db_url, tmp_path, records, chunk_size)
    for table in TABLES:
        assert got[table] == expected[table], table
    assert bulk.outcomes == one.outcomes
    assert bulk.retried_batches == 0  # the bulk path itself, not its one-by-one fallback
    assert (bulk.created, bulk.superseded, bulk.completed, bulk.scheduled, bulk.errors) == (
        one.created,
        one.superseded,
        one.completed,
        one.scheduled,
        [],
    )


def test_scenario_covers_what_it_claims(db_url: str, tmp_path: Path, records: Any) -> None:
    """The table above really exercises each path (a guard on the equality test)."""
    (one, shot), _ = _both_ways(db_url, tmp_path, records, 5000)
    actions = {dict(r)["action"] for _, rows in shot["review_actions"] for r in rows}
    assert {"created", "completed", "needs review", "candidate", "superseded", "scheduled"} <= (
        actions
    )
    assert one.outcomes == {"stored": 22, "duplicate": 2, "ignored": 1}
    assert one.superseded > 0
    assert shot["match_candidates"] and shot["completions"]
    events = {dict(r)["event"] for r in shot["outbox"]}
    assert events == {"uncommunicated_critical", "needs_review"}


def test_reloading_is_idempotent(db_url: str, tmp_path: Path, records: Any) -> None:
    load = _inputs(records[1], tmp_path, "load")
    tracker = Tracker(db_url)
    load_records(tracker, load)
    before = snapshot(db_url)
    again = load_records(tracker, load)
    tracker.close()
    assert snapshot(db_url) == before
    assert set(again.outcomes) <= {"duplicate", "ignored"}


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("not json", "not valid JSON"),
        ("[1, 2]", "expected a JSON object"),
        ('{"id": "x", "findings": [], "recommendations": []}', "missing 'patient_id'"),
        ('{"id": "x", "patient_id": "P", "findings": []}', "missing 'observation_time'"),
        (
            '{"id": "x", "patient_id": "P", "observation_time": "yesterday"}',
            "'observation_time' is not an ISO 8601 date-time",
        ),
        (
            '{"id": "x", "patient_id": "P", "observation_time": "2024-01-01", "findings": 3}',
            "'findings' is not in the shape radfollow writes",
        ),
        (
            '{"id": "x", "patient_id": "P", "observation_time": "2024-01-01",'
            ' "result_status": "Z"}',
            "'result_status' must be P, F, C or X",
        ),
        (
            '{"id": "x", "patient_id": "' + "9" * 65 + '", "observation_time": "2024-01-01"}',
            "'patient_id' of 65 characters is over",
        ),
    ],
)
def test_bad_record_is_located_and_the_rest_loads(
    db_url: str, tmp_path: Path, records: Any, line: str, reason: str
) -> None:
    good = [json.dumps(r) for r in records[1][:3]]
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join([good[0], line, *good[1:]]) + "\n")
    tracker = Tracker(db_url)
    summary = load_records(tracker, read_records([str(path)], tz=UTC), chunk_size=2)
    tracker.close()
    assert summary.outcomes["stored"] == 3
    [error] = summary.errors
    assert error.where == f"{path}:2" and error.code == "RF200"
    assert reason in error.reason
    assert "9999999" not in error.reason


@pytest.mark.parametrize("naive", ["2024-01-10T10:00:00", "2024-01-10"])
def test_times_without_an_offset_are_in_the_site_zone(naive: str) -> None:
    from zoneinfo import ZoneInfo

    from radfollow.tracker.records import record_input

    record = {"id": "A", "patient_id": "P", "observation_time": naive}
    item = record_input(record, where="f:1", tz=ZoneInfo("America/New_York"))
    assert item.report.observation_time is not None
    assert item.report.observation_time.utcoffset() == timedelta(hours=-5)


@pytest.mark.parametrize("bad", ['{"id": 1, "patient_id": "P"}'])
def test_record_input_rejects_non_string_ids(bad: str) -> None:
    from radfollow.tracker.records import record_input

    with pytest.raises(InputFormatError, match="'id' must be a string"):
        record_input(json.loads(bad), where="f:1", tz=UTC)


# ------------------------------------------------------------------------ the CLI


@pytest.mark.parametrize(
    ("bad_lines", "exit_code"),
    [(0, 0), (2, 1)],
)
def test_cli_load(
    db_url: str, tmp_path: Path, records: Any, bad_lines: int, exit_code: int
) -> None:
    from typer.testing import CliRunner

    from radfollow.cli import app

    lines = [json.dumps(r) for r in records[1]] + ['{"id": "x"}'] * bad_lines
    path = tmp_path / "records.jsonl"
    path.write_text("\n".join(lines) + "\n")
    runner = CliRunner()
    args = ["tracker", "load", str(path), "--db", db_url, "--chunk-size", "7", "--no-progress"]
    result = runner.invoke(app, args)
    assert result.exit_code == exit_code, result.output
    assert "22 stored" in result.output and "2 duplicate" in result.output
    assert f"{bad_lines} failed" in result.output
    assert re.search(r"[1-9]\d* superseded by corrections", result.output), result.output
    if bad_lines:
        assert f"{path}:{len(records[1]) + 1}: RF200 missing 'patient_id'" in result.output
    for record in records[1]:  # never a patient identifier or report text
        assert record["text"] not in result.output
    assert " P1" not in result.output
    again = runner.invoke(app, args)
    assert "25 records loaded (24 duplicate, 1 ignored)" in again.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.jsonl"], "no such file"),
        (["{file}", "--timezone", "Mars/Olympus"], "unknown time zone"),
    ],
)
def test_cli_load_usage_errors(tmp_path: Path, args: list[str], message: str) -> None:
    from typer.testing import CliRunner

    from radfollow.cli import app

    path = tmp_path / "r.jsonl"
    path.write_text("")
    argv = [a.format(file=path) for a in args]
    result = CliRunner().invoke(app, ["tracker", "load", *argv, "--db", str(tmp_path / "t.db")])
    assert result.exit_code == 2
    assert message in result.output


@pytest.mark.parametrize("refused", ["C3"])
def test_a_refused_record_fails_alone(
    db_url: str, tmp_path: Path, records: Any, refused: str
) -> None:
    """The database refuses one report: its batch is loaded again one by one, so that
    report fails (RF701, located) and the others are stored."""
    from db_helpers import refuse_accession

    load = _inputs(records[1], tmp_path, "load")
    tracker = Tracker(db_url)
    refuse_accession(db_url, refused)
    summary = load_records(tracker, load, chunk_size=5000)
    tracker.close()
    assert summary.retried_batches == 1
    [error] = summary.errors
    assert error.code == "RF701" and error.where.endswith(":9")
    assert summary.outcomes["stored"] == 21
