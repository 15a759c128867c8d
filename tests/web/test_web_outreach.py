"""The review app's critical-results and notifications pages (issue 17): the
uncommunicated worklist, the delivery status with attempts and last error, CSV
without report text, bad values."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from notify_helpers import Clock, running_receiver
from web_helpers import NOW, PASSWORD, Site
from web_helpers import Clock as WebClock

from radfollow.guidance import Assessor, ReportContext
from radfollow.models import Patient, RadiologyReport, ResultStatus
from radfollow.nlp.extract import Extractor, ReportText
from radfollow.notify import Sender
from radfollow.tracker.accounts import add_user
from radfollow.tracker.db import Tracker
from radfollow.tracker.ingest import ingest

REPORTS = [
    ("K1", "IMPRESSION:\nNew large left pneumothorax.\n"),
    ("K2", "IMPRESSION:\nAcute subdural hematoma.\n\nFindings discussed with Dr. Okafor by "
     "telephone at 11:05.\n"),
]  # fmt: skip


@pytest.fixture()
def site(db_url: str, extractor: Extractor, tmp_path, monkeypatch) -> Iterator[Site]:
    tracker = Tracker(db_url)
    for n, (acc, text) in enumerate(REPORTS):
        report = RadiologyReport(
            control_id=f"C-{acc}", sending_facility="NORTH",
            patient=Patient(id=f"MRN{n}", assigning_authority="HOSP"), accession=acc,
            procedure={"text": "CT HEAD"}, observation_time=datetime(2024, 1, 20, 10, tzinfo=UTC),
            result_status=ResultStatus.FINAL, text=text,
        )  # fmt: skip
        result = Assessor().assess(
            ReportContext.of_report(report), extractor.extract(ReportText(text))
        )
        with tracker.session() as session:
            ingest(session, report, result, tracker.policy)
        with tracker.session() as session:
            add_user(session, f"viewer{n}", role="viewer", password=PASSWORD, at=NOW)
    monkeypatch.setenv("RF_WEB_SECRET", "x")
    with running_receiver() as receiver:
        receiver.behaviours = ["500"]
        rules = tmp_path / "rules"
        rules.mkdir()
        channel = {"name": "hook", "kind": "webhook", "events": ["uncommunicated_critical"],
                   "url": receiver.url, "secret_env": "RF_WEB_SECRET"}  # fmt: skip
        (rules / "notify.json").write_text(json.dumps({"description": "t", "channels": [channel]}))
        Clock.current = datetime(2024, 1, 21, tzinfo=UTC)
        Sender(tracker, rules_dir=str(rules), clock=Clock).run_once()
    made = Site(tracker=tracker, clock=WebClock())
    yield made
    for client in made.clients:
        client.close()
    tracker.close()


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ("", ["K1", "Pneumothorax"], [">K2<"]),
        ("?all=1", ["K1", "K2", "Acute intracranial hemorrhage"], []),
        ("?site=SOUTH", ["No critical results in this view"], [">K1<"]),
    ],
)
def test_critical_page(site: Site, query: str, shown: list, hidden: list) -> None:
    page = site.login("viewer0").get("/critical" + query)
    assert page.status_code == 200
    for text in shown:
        assert text in page.text
    for text in hidden:
        assert text not in page.text
    assert "Okafor" not in page.text


def test_critical_csv(site: Site) -> None:
    response = site.login("viewer0").get("/critical.csv?all=1")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert sorted(r["accession"] for r in rows) == ["K1", "K2"]
    assert "Okafor" not in response.text


def test_notifications_page(site: Site) -> None:
    page = site.login("viewer0").get("/notifications")
    assert page.status_code == 200
    assert "uncommunicated_critical" in page.text and "HTTP 500" in page.text
    assert "pending" in page.text
    assert site.login("viewer1").get("/notifications?status=delivered").text.count("HTTP 500") == 0
    assert site.login("viewer1").get("/notifications?status=nope").status_code == 400
