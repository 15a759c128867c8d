"""Guidance and report checks in the tracker (issue 16, migration 0011): stored by
ingest, listed by the guideline worklist ("missing recommendation") and the checks
list, from the CLI too; rows stored before 0011 keep NULL. SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic import command
from guidance_tracker_helpers import feed_guidance_reports
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from radfollow.cli import app
from radfollow.nlp.extract import Extractor
from radfollow.tracker.db import Tracker, alembic_config, make_engine, migrate
from radfollow.tracker.judgements import (
    JudgementFilters,
    guideline_worklist,
    known_guidelines,
    report_checks,
)
from radfollow.tracker.schema import Finding


@pytest.fixture()
def stored(tracker: Tracker, extractor: Extractor) -> Tracker:
    outcomes = feed_guidance_reports(tracker, extractor)
    assert [o.status for o in outcomes] == ["stored"] * 5
    return tracker


def _worklist(tracker: Tracker, **filters: object) -> list:
    with tracker.session() as session:
        return guideline_worklist(session, JudgementFilters(**filters))


@pytest.mark.parametrize(
    ("filters", "accessions"),
    [
        ({}, ["G1"]),  # G4's missing nodule was corrected with a PET/CT recommendation
        ({"concordance": ["concordant"]}, ["G4", "G2"]),
        ({"concordance": ["concordant"], "guideline": "svs-aaa"}, ["G2"]),
        ({"concordance": ["missing"], "radiologist": "Dr Kim"}, []),
        ({"concordance": ["missing"], "site": "NORTH"}, ["G1"]),
        ({"concordance": ["concordant"], "since": datetime(2025, 3, 1, tzinfo=UTC)}, ["G4"]),
        ({"concordance": ["concordant"], "until": datetime(2025, 3, 1, tzinfo=UTC)}, ["G2"]),
    ],
)
def test_guideline_worklist(stored: Tracker, filters: dict, accessions: list) -> None:
    assert [r.accession for r in _worklist(stored, **filters)] == accessions


def test_missing_row_says_what_the_guideline_expects(stored: Tracker) -> None:
    (row,) = _worklist(stored)
    assert (row.guideline, row.guideline_version) == ("fleischner", "2017")
    assert row.band == "solid, single, 6-8 mm"
    assert "CT at 6-12 months" in (row.expected or "")
    assert (row.finding_type, row.size_mm, row.patient_id) == ("pulmonary_nodule", 7.0, "MRN1")


def test_unknown_concordance_is_refused(stored: Tracker) -> None:
    with pytest.raises(ValueError, match="unknown concordance"):
        _worklist(stored, concordance=["maybe"])


def test_checks_are_stored_with_evidence(stored: Tracker) -> None:
    with stored.session() as session:
        rows = report_checks(session, JudgementFilters())
        assert known_guidelines(session) == ["fleischner", "svs-aaa"]
        assert report_checks(session, JudgementFilters(), kind="age") == []
    assert [(r.kind, r.accession, r.evidence.lower()) for r in rows] == [("sex", "G3", "uterus")]
    with stored.session() as session:  # G4's first version stays stored, out of the list
        missing = session.scalars(sa.select(Finding).where(Finding.concordance == "missing"))
        assert sorted(f.largest_size_mm or 0 for f in missing) == [7.0, 9.0]


def test_cli_missing_and_checks(stored: Tracker) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["tracker", "missing", "--db", stored.url, "--format", "json"])
    assert result.exit_code == 0, result.output
    assert [r["accession"] for r in json.loads(result.stdout)] == ["G1"]
    result = runner.invoke(
        app, ["tracker", "checks", "--db", stored.url, "--kind", "sex", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    assert [r["accession"] for r in json.loads(result.stdout)] == ["G3"]
    bad = runner.invoke(app, ["tracker", "missing", "--db", stored.url, "--concordance", "x"])
    assert bad.exit_code != 0
    assert "--concordance" in bad.output


NEW_COLUMNS = ("guideline", "concordance", "expected_follow_up", "missing_inputs")


def test_migration_0011_upgrades_and_downgrades(db_url: str) -> None:
    engine = make_engine(db_url)
    migrate(engine, "0010")
    migrate(engine, "head")
    columns = {c["name"] for c in sa.inspect(engine).get_columns("findings")}
    assert set(NEW_COLUMNS) <= columns
    assert "report_checks" in sa.inspect(engine).get_table_names()
    with Session(engine) as session:
        assert session.scalars(sa.select(Finding)).all() == []
    command.downgrade(alembic_config(engine), "0010")
    inspector = sa.inspect(engine)
    assert not set(NEW_COLUMNS) & {c["name"] for c in inspector.get_columns("findings")}
    assert "report_checks" not in inspector.get_table_names()
    engine.dispose()
