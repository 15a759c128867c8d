"""Tracker fixtures: every test runs on SQLite and on PostgreSQL.

PostgreSQL comes from RADFOLLOW_TEST_PG_URL (default: the loopback server that
.ci/run starts). Outside CI the PostgreSQL cases skip when no server answers;
in CI (CI=true) they fail instead.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from radfollow.models import Patient, RadiologyReport, ResultStatus
from radfollow.nlp.extract import Extractor, ReportText
from radfollow.tracker.db import Tracker
from radfollow.tracker.ingest import IngestOutcome, ingest

PG_URL = os.environ.get(
    "RADFOLLOW_TEST_PG_URL",
    "postgresql+psycopg://radfollow:radfollow@127.0.0.1:5432/radfollow_test",
)


def _postgres_ready() -> bool:
    try:
        engine = sa.create_engine(PG_URL)
        with engine.connect():
            pass
    except Exception:
        return False
    engine.dispose()
    return True


def _reset_postgres() -> None:
    engine = sa.create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'tracker.db'}"
        return
    if not _postgres_ready():
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is not reachable at {PG_URL} in CI")
        pytest.skip("no PostgreSQL server reachable")
    _reset_postgres()
    yield PG_URL


@pytest.fixture()
def tracker(db_url: str) -> Iterator[Tracker]:
    tracker = Tracker(db_url)
    yield tracker
    tracker.close()


Feed = Callable[..., IngestOutcome]


@pytest.fixture()
def feed(tracker: Tracker, extractor: Extractor) -> Feed:
    """Ingest one synthetic report: text through the rule pipeline, then the tracker."""

    def _feed(
        text: str,
        *,
        when: str,
        accession: str,
        control: str,
        procedure: str,
        modality: str,
        status: str = "F",
        patient: str = "MRN1",
    ) -> IngestOutcome:
        report = RadiologyReport(
            control_id=control,
            sending_facility="HOSP",
            patient=Patient(id=patient, assigning_authority="HOSP"),
            accession=accession,
            procedure={"text": procedure},
            modality=modality,
            observation_time=datetime.fromisoformat(when + "T10:00:00+00:00"),
            result_status=ResultStatus(status),
            text=text,
        )
        result = extractor.extract(ReportText(text, procedure=procedure))
        with tracker.session() as session:
            return ingest(session, report, result, tracker.policy)

    return _feed
