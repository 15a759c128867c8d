"""Critical results and communications in the tracker (issue 17, migration 0012): stored
by ingest, listed by the "uncommunicated critical" worklist and its CLI, with no
recipient name kept. SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic import command
from typer.testing import CliRunner

from radfollow.cli import app
from radfollow.guidance import Assessor, ReportContext
from radfollow.models import Patient, RadiologyReport, ResultStatus
from radfollow.nlp.extract import Extractor, ReportText
from radfollow.tracker.db import Tracker, alembic_config, make_engine, migrate
from radfollow.tracker.ingest import ingest
from radfollow.tracker.judgements import JudgementFilters, critical_worklist
from radfollow.tracker.schema import ResultCommunication

REPORTS = [
    ("K1", "2025-01-10", "IMPRESSION:\nNew large left pneumothorax.\n"),
    ("K2", "2025-01-11", "IMPRESSION:\nAcute subdural hematoma.\n\nFindings discussed with "
     "Dr. Okafor by telephone at 11:05, who read back the findings.\n"),
    ("K3", "2025-01-12", "IMPRESSION:\nNo pneumothorax.\n"),
    ("K4", "2025-01-13", "IMPRESSION:\nMass suspicious for malignancy.\n"),
]  # fmt: skip


@pytest.fixture()
def stored(tracker: Tracker, extractor: Extractor) -> Tracker:
    assessor = Assessor()
    for n, (acc, day, text) in enumerate(REPORTS):
        report = RadiologyReport(
            control_id=f"C-{acc}",
            sending_facility="NORTH",
            patient=Patient(id=f"MRN{n}", assigning_authority="HOSP"),
            accession=acc,
            procedure={"text": "CT HEAD"},
            observation_time=datetime.fromisoformat(day + "T10:00:00+00:00"),
            result_status=ResultStatus.FINAL,
            text=text,
        )
        result = extractor.extract(ReportText(text))
        result = assessor.assess(ReportContext.of_report(report), result)
        with tracker.session() as session:
            assert ingest(session, report, result, tracker.policy).status == "stored"
    return tracker


def test_uncommunicated_worklist(stored: Tracker) -> None:
    with stored.session() as session:
        rows = critical_worklist(session, JudgementFilters())
        every = critical_worklist(session, JudgementFilters(), uncommunicated_only=False)
    # ACR category 2 (pneumothorax) before category 3 (suspected malignancy)
    assert [(r.accession, r.category) for r in rows] == [
        ("K1", "pneumothorax"),
        ("K4", "suspected_malignancy"),
    ]
    assert {r.accession for r in every} == {"K1", "K2", "K4"}
    assert next(r for r in every if r.accession == "K2").communicated


def test_communication_stored_without_a_name(stored: Tracker) -> None:
    with stored.session() as session:
        (row,) = session.scalars(sa.select(ResultCommunication)).all()
    assert (row.recipient_role, row.method, row.acknowledged, row.name_present) == (
        "physician", "phone", True, True
    )  # fmt: skip
    assert row.sent_at == datetime(2025, 1, 11, 11, 5, tzinfo=UTC)


def test_cli_critical(stored: Tracker) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["tracker", "critical", "--db", stored.url, "--format", "json"])
    assert result.exit_code == 0, result.output
    assert [r["accession"] for r in json.loads(result.stdout)] == ["K1", "K4"]
    result = runner.invoke(
        app, ["tracker", "critical", "--db", stored.url, "--all", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.stdout)) == 3


def test_migration_0012_upgrades_and_downgrades(db_url: str) -> None:
    engine = make_engine(db_url)
    migrate(engine, "0011")
    migrate(engine, "head")
    tables = set(sa.inspect(engine).get_table_names())
    assert {"critical_results", "communications"} <= tables
    command.downgrade(alembic_config(engine), "0011")
    assert not {"critical_results", "communications"} & set(sa.inspect(engine).get_table_names())
