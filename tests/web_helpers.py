"""Review-app test helpers: a tracker with a few reports (on SQLite and PostgreSQL), three
users (admin, reviewer, viewer), and a test client whose clock the test controls."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from fastapi.testclient import TestClient

from radfollow.models import Patient, PatientClass, RadiologyReport, ResultStatus
from radfollow.nlp.extract import Extractor, ReportText
from radfollow.tracker.db import Tracker
from radfollow.tracker.ingest import ingest
from radfollow.web.app import create_app

PASSWORD = "correct horse 1"
NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)

#: (accession, patient, date, procedure, modality, radiologist, provider, site, class,
#:  sex, born, postal code, text)
REPORTS = [
    (
        "ACC1",
        "MRN1",
        "2025-01-10",
        "CT CHEST",
        "CT",
        "Dr Lee",
        "Dr Ames",
        "NORTH",
        "outpatient",
        "F",
        date(1950, 3, 1),
        "02139",
        "EXAM: CT chest.\nFINDINGS:\nA 7 mm solid nodule in the right upper lobe.\n"
        "IMPRESSION:\n7 mm right upper lobe nodule. Recommend follow-up chest CT in "
        "6-12 months.\n",
    ),
    (
        "ACC2",
        "MRN2",
        "2026-05-02",
        "US ABDOMEN",
        "US",
        "Dr Lee",
        "Dr Brook",
        "SOUTH",
        "emergency",
        "M",
        date(1980, 7, 9),
        "02140",
        "EXAM: US abdomen.\nFINDINGS:\nA 2.1 cm indeterminate lesion in the left kidney.\n"
        "IMPRESSION:\nIndeterminate left renal lesion. Recommend renal MRI in 3 months.\n",
    ),
    (
        "ACC3",
        "MRN3",
        "2026-09-15",
        "CT ABDOMEN PELVIS",
        "CT",
        "Dr Kim",
        "Dr Ames",
        "NORTH",
        "inpatient",
        "F",
        date(1990, 1, 1),
        "94110",
        "EXAM: CT abdomen and pelvis.\nFINDINGS:\nA 1.5 cm hypodense lesion in the liver.\n"
        "IMPRESSION:\nIndeterminate hepatic lesion. Recommend liver MRI in 6 months.\n",
    ),
]


def feed_reports(tracker: Tracker, extractor: Extractor) -> None:
    for acc, mrn, day, proc, modality, rad, prov, site, klass, sex, born, postal, text in REPORTS:
        report = RadiologyReport(
            control_id=f"C-{acc}",
            sending_facility=site,
            patient=Patient(
                id=mrn, assigning_authority="HOSP", sex=sex, birth_date=born, postal_code=postal
            ),
            accession=acc,
            procedure={"text": proc},
            modality=modality,
            observation_time=datetime.fromisoformat(day + "T10:00:00+00:00"),
            result_status=ResultStatus.FINAL,
            ordering_provider=prov,
            principal_interpreter=rad,
            patient_class=PatientClass(klass),
            text=text,
        )
        result = extractor.extract(ReportText(text, procedure=proc))
        with tracker.session() as session:
            ingest(session, report, result, tracker.policy)


@dataclass
class Clock:
    now: datetime = NOW

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@dataclass
class Site:
    tracker: Tracker
    clock: Clock
    clients: list[TestClient] = field(default_factory=list)

    def client(self, *, secure: bool = False) -> TestClient:
        app = create_app(self.tracker, secure=secure, clock=self.clock)
        client = TestClient(app, base_url="https://testserver" if secure else "http://testserver")
        self.clients.append(client)
        return client

    def login(self, name: str, password: str = PASSWORD, *, secure: bool = False) -> TestClient:
        client = self.client(secure=secure)
        response = sign_in(client, name, password)
        assert response.status_code == 303, response.text
        return client


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def sign_in(client: TestClient, name: str, password: str) -> object:
    token = csrf_of(client.get("/login").text)
    return client.post(
        "/login",
        data={"username": name, "password": password, "csrf_token": token, "next": "/worklist"},
        follow_redirects=False,
    )


def rec_ids(tracker: Tracker) -> list[int]:
    from radfollow.tracker.queries import Filters, worklist

    with tracker.session() as session:
        rows = worklist(session, Filters(), as_of=NOW, grace=timedelta(days=30), limit=None)
    return [r.id for r in rows]
