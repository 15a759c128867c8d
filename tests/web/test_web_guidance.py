"""The review app's guideline worklist ("Missing recommendations") and report checks
pages (issue 16): filters, paging links, CSV export without report text, bad values."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pytest
from guidance_tracker_helpers import feed_guidance_reports
from web_helpers import NOW, PASSWORD, Clock, Site

from radfollow.nlp.extract import Extractor
from radfollow.tracker.accounts import add_user
from radfollow.tracker.db import Tracker


@pytest.fixture()
def judged(db_url: str, extractor: Extractor) -> Iterator[Site]:
    tracker = Tracker(db_url)
    feed_guidance_reports(tracker, extractor)
    with tracker.session() as session:
        add_user(session, "viewer", role="viewer", password=PASSWORD, at=NOW)
    made = Site(tracker=tracker, clock=Clock())
    yield made
    for client in made.clients:
        client.close()
    tracker.close()


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ("", ["G1", "solid, single, 6-8 mm", "CT at 6-12 months"], ["G2", "G4"]),
        ("?concordance=concordant", ["G2", "G4"], ["G1"]),
        ("?concordance=concordant&guideline=svs-aaa", ["G2"], ["G4"]),
        ("?radiologist=Dr+Kim", ["No findings in this view"], ["G1"]),
    ],
)
def test_guidance_page(judged: Site, query: str, shown: list, hidden: list) -> None:
    page = judged.login("viewer").get("/guidance" + query)
    assert page.status_code == 200
    for text in shown:
        assert text in page.text
    for text in hidden:
        assert f">{text}<" not in page.text
    assert 'href="/guidance"' in page.text  # the nav link


def test_guidance_csv_has_no_report_text(judged: Site) -> None:
    response = judged.login("viewer").get("/guidance.csv?concordance=missing")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [r["accession"] for r in rows] == ["G1"]
    assert "finding" not in rows[0]
    assert rows[0]["guideline"] == "fleischner"


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ("", ["G3", "female anatomy"], ["G1"]),
        ("?kind=sex", ["G3"], []),
        ("?kind=age", ["No checks in this view"], ["G3"]),
    ],
)
def test_checks_page(judged: Site, query: str, shown: list, hidden: list) -> None:
    page = judged.login("viewer").get("/checks" + query)
    assert page.status_code == 200
    for text in shown:
        assert text in page.text
    for text in hidden:
        assert f">{text}<" not in page.text
    assert "uterus" not in page.text  # lists carry no report text


def test_checks_csv(judged: Site) -> None:
    response = judged.login("viewer").get("/checks.csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [(r["kind"], r["accession"]) for r in rows] == [("sex", "G3")]
    assert "evidence" not in rows[0]


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/guidance?concordance=maybe", "concordance must be one of"),
        ("/guidance?since=yesterday", "since must be a date"),
        ("/checks?kind=weight", "kind must be"),
        ("/guidance?page=x", "page must be a number"),
        ("/guidance?page=99999999999999999999", "page must be at most"),
        ("/checks?page=99999999999999999999", "page must be at most"),
        ("/guidance.csv?until=2025-13-01", "until must be a date"),
    ],
)
def test_bad_values_are_400(judged: Site, path: str, message: str) -> None:
    response = judged.login("viewer").get(path)
    assert response.status_code == 400
    assert message in response.text


@pytest.mark.parametrize("path", ["/guidance", "/checks", "/guidance.csv", "/checks.csv"])
def test_pages_need_a_signed_in_user(judged: Site, path: str) -> None:
    response = judged.client().get(path, follow_redirects=False)
    assert response.status_code in (303, 401)
