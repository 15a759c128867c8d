"""Values longer than the tracker's columns (issue 11): a long MSH-10, MSH-4 or
assigning authority is keyed on its hash (both databases; PostgreSQL used to
refuse it after the listener's AA), a patient identifier or accession over 64
characters is refused before processing (RF306), display columns are cut."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from radfollow.errors import HL7FieldLengthError
from radfollow.models import Coding, Patient, RadiologyReport, ResultStatus
from radfollow.nlp.extract import ReportText
from radfollow.processing.checks import check_report
from radfollow.tracker.ingest import ingest
from radfollow.tracker.keys import KEY_CHARS, control_key, fit
from radfollow.tracker.schema import Message, Study

TEXT = "IMPRESSION: 6 mm nodule. Recommend CT chest in 6 months."


def _report(control: str, accession: str = "ACC1", **changes: object) -> RadiologyReport:
    report = RadiologyReport(
        control_id=control,
        sending_facility="HOSP",
        patient=Patient(id="MRN1", assigning_authority="HOSP"),
        accession=accession,
        procedure={"text": "CT CHEST"},
        modality="CT",
        observation_time=datetime(2026, 1, 5, 10, tzinfo=UTC),
        result_status=ResultStatus.FINAL,
        text=TEXT,
    )
    return report.model_copy(update=changes)


def _ingest(tracker, extractor, report: RadiologyReport) -> str:  # type: ignore[no-untyped-def]
    result = extractor.extract(ReportText(report.text, procedure="CT CHEST"))
    with tracker.session() as session:
        return ingest(session, report, result, tracker.policy).status


def test_long_control_ids_are_distinct_and_resends_are_duplicates(tracker, extractor) -> None:  # type: ignore[no-untyped-def]
    first, second = "X" * 70 + "1", "X" * 70 + "2"
    long_ids = {
        "sending_facility": "F" * 100,
        "patient": Patient(id="MRN1", assigning_authority="A" * 100),
    }
    assert _ingest(tracker, extractor, _report(first, "ACC1", **long_ids)) == "stored"
    assert _ingest(tracker, extractor, _report(second, "ACC2", **long_ids)) == "stored"
    assert _ingest(tracker, extractor, _report(first, "ACC1", **long_ids)) == "duplicate"
    with tracker.session() as session:
        keys = sorted(m.control_id for m in session.query(Message))
        studies = session.query(Study).count()
    assert keys == sorted([control_key(first), control_key(second)])
    assert studies == 2


@pytest.mark.parametrize(
    ("control", "kept"),
    [("M1", True), ("Y" * KEY_CHARS, True), ("Y" * (KEY_CHARS + 1), False), ("é" * 300, False)],
)
def test_control_key(control: str, kept: bool) -> None:
    key = control_key(control)
    assert len(key) <= KEY_CHARS
    assert (key == control) is kept


LONG = "9" * (KEY_CHARS + 1)


@pytest.mark.parametrize(
    ("changes", "refused"),
    [
        ({"accession": LONG}, True),
        ({"patient": Patient(id=LONG, assigning_authority="HOSP")}, True),
        ({"accession": "9" * KEY_CHARS}, False),
        ({"control_id": LONG}, False),
        ({"sending_facility": LONG}, False),
        ({"patient": Patient(id="MRN1", assigning_authority=LONG)}, False),
    ],
)
def test_identifiers_over_the_column_are_refused(changes: dict[str, object], refused: bool) -> None:
    report = _report("M1", **changes)
    if refused:
        with pytest.raises(HL7FieldLengthError, match="over the tracker's 64-character limit"):
            check_report(report, max_chars=10_000, tracking=True)
    else:
        check_report(report, max_chars=10_000, tracking=True)
    check_report(report, max_chars=10_000, tracking=False)  # no tracker: no limit


def test_display_columns_are_cut(tracker, extractor) -> None:  # type: ignore[no-untyped-def]
    report = _report("M9", procedure=Coding(text="CT " * 200), source="/" + "d/" * 400)
    assert _ingest(tracker, extractor, report) == "stored"
    with tracker.session() as session:
        study = session.query(Study).one()
    assert study.procedure == fit(report.procedure.text, 255)
    assert study.source is not None and len(study.source) == 512


def test_migration_0005_rewrites_long_values_to_their_keys(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """SQLite kept over-long values whole before 0005; they become their keys, so
    the patient's row is found again (PostgreSQL refused them: nothing to do)."""
    import sqlalchemy as sa

    from radfollow.tracker.db import make_engine, migrate

    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    migrate(engine, "0004")
    authority, facility, control = "A" * 90, "F" * 80, "C" * 70
    with engine.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO patients (identifier, assigning_authority) VALUES ('P1', :a)"),
            {"a": authority},
        )
        conn.execute(
            sa.text("INSERT INTO patients (identifier, assigning_authority) VALUES ('P2', 'HOSP')")
        )
        conn.execute(
            sa.text(
                "INSERT INTO messages (sending_facility, control_id, outcome, received_at)"
                " VALUES (:f, :c, 'stored', '2025-01-01 00:00:00')"
            ),
            {"f": facility, "c": control},
        )
    migrate(engine, "head")
    with engine.connect() as conn:
        authorities = [
            r[0]
            for r in conn.execute(
                sa.text("SELECT assigning_authority FROM patients ORDER BY identifier")
            )
        ]
        message = conn.execute(sa.text("SELECT sending_facility, control_id FROM messages")).one()
    engine.dispose()
    assert authorities == [control_key(authority), "HOSP"]
    assert tuple(message) == (control_key(facility), control_key(control))
