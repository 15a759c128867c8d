"""Finding attributes in the tracker (issue 13, migration 0007): why a finding is not
incidental, its composition, multiplicity, largest size and density go from the
record through ingest into ``findings`` and out of the recommendation detail;
rows stored before 0007 keep NULL. On SQLite and PostgreSQL (``db_url``)."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.orm import Session

from radfollow.models import (
    Assertion,
    Composition,
    ExtractionResult,
    FindingType,
    IncidentalReason,
    Modality,
    Multiplicity,
    Patient,
    RadiologyReport,
    Recommendation,
)
from radfollow.models import Finding as FindingRecord
from radfollow.tracker.db import Tracker, alembic_config, make_engine, migrate
from radfollow.tracker.ingest import ingest
from radfollow.tracker.queries import detail
from radfollow.tracker.schema import Finding
from radfollow.tracker.schema import Recommendation as RecommendationRow

TEXT = "FINDINGS: Nodules in the right upper lobe.\nIMPRESSION: Recommend CT chest in 6 months."
NEW_COLUMNS = ("incidental_reason", "composition", "multiplicity", "largest_size_mm", "density_hu")
WHEN = datetime(2025, 1, 10, 10, tzinfo=UTC)


def _report() -> RadiologyReport:
    return RadiologyReport(
        control_id="M1",
        sending_facility="HOSP",
        patient=Patient(id="MRN1", assigning_authority="HOSP"),
        accession="A1",
        procedure={"text": "CT CHEST"},
        modality="CT",
        observation_time=WHEN,
        text=TEXT,
    )


def _result(**attributes: Any) -> ExtractionResult:
    finding = FindingRecord(
        id="f1",
        type=FindingType.PULMONARY_NODULE,
        text="Nodules",
        start=10,
        end=17,
        assertion=Assertion.PRESENT,
        size_mm=[8.5, 6.0],
        **attributes,
    )
    rec = Recommendation(
        id="r1",
        text="Recommend CT chest in 6 months.",
        start=55,
        end=86,
        modality=Modality.CT,
        interval_months=(6.0, 6.0),
        finding_id="f1",
    )
    return ExtractionResult(findings=[finding], recommendations=[rec])


@pytest.mark.parametrize(
    ("attributes", "stored"),
    [
        pytest.param(
            {
                "incidental_reason": IncidentalReason.INDICATION,
                "composition": Composition.PART_SOLID,
                "multiplicity": Multiplicity.MULTIPLE,
                "largest_size_mm": 8.5,
                "density_hu": -650.0,
            },
            ("indication", "part-solid", "multiple", 8.5, -650.0),
            id="all-stated",
        ),
        pytest.param(
            {
                "incidental_reason": IncidentalReason.PROCEDURE_TARGET,
                "composition": Composition.GROUND_GLASS,
                "multiplicity": Multiplicity.SINGLE,
                "largest_size_mm": 12.0,
            },
            ("procedure_target", "ground-glass", "single", 12.0, None),
            id="longest-values-no-density",
        ),
        pytest.param(
            {"composition": Composition.CYSTIC, "largest_size_mm": 0.0, "density_hu": 0.0},
            (None, "cystic", None, 0.0, 0.0),
            id="zero-kept-not-null",
        ),
        pytest.param({}, (None, None, None, None, None), id="none-stated"),
    ],
)
def test_finding_attributes_round_trip(  # type: ignore[no-untyped-def]
    tracker: Tracker, attributes, stored
) -> None:
    with tracker.session() as session:
        outcome = ingest(session, _report(), _result(**attributes), tracker.policy)
    assert (outcome.status, outcome.created) == ("stored", 1)
    with tracker.session() as session:
        row = session.scalars(sa.select(Finding)).one()
        assert tuple(getattr(row, name) for name in NEW_COLUMNS) == stored
        rec_id = session.scalars(sa.select(RecommendationRow.id)).one()
        shown = detail(session, rec_id, as_of=WHEN, grace=tracker.policy.grace)
    assert shown is not None and shown.finding is not None
    assert {name: shown.finding[name] for name in NEW_COLUMNS} == dict(
        zip(NEW_COLUMNS, stored, strict=True)
    )


@pytest.mark.parametrize(
    ("values", "column"),
    [
        (IncidentalReason, "incidental_reason"),
        (Composition, "composition"),
        (Multiplicity, "multiplicity"),
    ],
)
def test_every_enum_value_fits_its_column(values: type[StrEnum], column: str) -> None:
    """PostgreSQL refuses a value longer than its column; SQLite would keep it."""
    length = Finding.__table__.c[column].type.length
    assert max(len(v.value) for v in values) <= length


def _store_old_finding(engine: sa.Engine) -> None:
    """A patient, a study and a finding as revision 0006 stored them."""
    patients = sa.table("patients", sa.column("identifier"), sa.column("assigning_authority"))
    studies = sa.table(
        "studies",
        *(sa.column(n) for n in ("patient_id", "accession", "control_id")),
        sa.column("observed_at", sa.DateTime(timezone=True)),
        sa.column("result_status"),
        sa.column("report_text"),
    )
    findings = sa.table(
        "findings",
        *(sa.column(n) for n in ("study_id", "local_id", "type", "text", "start", "end")),
        sa.column("assertion"),
        sa.column("benign", sa.Boolean),
        sa.column("incidental", sa.Boolean),
    )
    with engine.begin() as conn:
        conn.execute(patients.insert().values(identifier="MRN1", assigning_authority="HOSP"))
        conn.execute(
            studies.insert().values(
                patient_id=1,
                accession="A1",
                control_id="M1",
                observed_at=datetime(2025, 1, 10, 10),
                result_status="F",
                report_text=TEXT,
            )
        )
        conn.execute(
            findings.insert().values(
                study_id=1,
                local_id="f1",
                type="pulmonary_nodule",
                text="Nodules",
                start=10,
                end=17,
                assertion="present",
                benign=False,
                incidental=True,
            )
        )


def _finding_columns(engine: sa.Engine) -> set[str]:
    return {c["name"] for c in sa.inspect(engine).get_columns("findings")}


def test_migration_0007_upgrades_and_downgrades(db_url: str) -> None:
    engine = make_engine(db_url)
    migrate(engine, "0006")
    _store_old_finding(engine)
    migrate(engine, "head")
    assert set(NEW_COLUMNS) <= _finding_columns(engine)
    with Session(engine) as session:
        row = session.scalars(sa.select(Finding)).one()
        assert (row.local_id, row.incidental) == ("f1", True)
        assert [getattr(row, name) for name in NEW_COLUMNS] == [None] * len(NEW_COLUMNS)
    command.downgrade(alembic_config(engine), "0006")
    assert not set(NEW_COLUMNS) & _finding_columns(engine)
    with engine.connect() as conn:
        kept = conn.execute(sa.text("SELECT local_id, type FROM findings")).all()
        version = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one()
    engine.dispose()
    assert [tuple(r) for r in kept] == [("f1", "pulmonary_nodule")]
    assert version == "0006"
