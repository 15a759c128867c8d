"""Tracker fixtures: every test runs on SQLite and on PostgreSQL (``db_url`` in
tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest

from radfollow.models import Patient, RadiologyReport, ResultStatus
from radfollow.nlp.extract import Extractor, ReportText
from radfollow.tracker.db import Tracker
from radfollow.tracker.ingest import IngestOutcome, ingest

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
