"""Regressions from the review of the outbox (issue 17): late reports, senders without
the site's channels, stale events across report versions, id use per pass, one bad
delivery in a batch, lease loss, backoff limits, rule-file checks, site dates.
SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from notify_helpers import Receiver, rules_file
from pydantic import ValidationError

from radfollow.guidance import Assessor, ReportContext
from radfollow.models import Patient, RadiologyReport, ResultStatus
from radfollow.nlp.extract import Extractor, ReportText
from radfollow.notify import Sender
from radfollow.rules.schema.notify import NotifyRules
from radfollow.tracker.db import Tracker
from radfollow.tracker.ingest import ingest
from radfollow.tracker.outbox import Backoff, claim, retry_failed, settle
from radfollow.tracker.schema import OutboxDelivery, OutboxEvent, Recommendation


@pytest.fixture(autouse=True)
def _secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RF_TEST_SECRET", "s")


def _hook(receiver: Receiver, **extra: object) -> dict:
    return {
        "name": "hook",
        "kind": "webhook",
        "url": receiver.url,
        "secret_env": "RF_TEST_SECRET",
        "events": ["uncommunicated_critical", "overdue"],
        "timeout_seconds": 2,
        **extra,
    }


def _store(
    tracker: Tracker,
    extractor: Extractor,
    text: str,
    *,
    status: str,
    day: str,
    control: str,
    accession: str = "V1",
) -> None:
    report = RadiologyReport(
        control_id=control,
        sending_facility="NORTH",
        patient=Patient(id="MRN-V", assigning_authority="HOSP"),
        accession=accession,
        procedure={"text": "CHEST XRAY"},
        modality="CR",
        observation_time=datetime.fromisoformat(day + "T10:00:00+00:00"),
        result_status=ResultStatus(status),
        text=text,
    )
    result = Assessor().assess(ReportContext.of_report(report), extractor.extract(ReportText(text)))
    with tracker.session() as session:
        ingest(session, report, result, tracker.policy)


def _statuses(tracker: Tracker) -> list[str]:
    with tracker.session() as session:
        return sorted(session.scalars(sa.select(OutboxDelivery.status)))


CRITICAL = "IMPRESSION:\nNew large left pneumothorax.\n"
CALLED = CRITICAL + "\nFindings discussed with Dr. Smith by telephone at 11:00.\n"


@pytest.fixture()
def versions(db_url: str) -> Tracker:
    tracker = Tracker(db_url)
    yield tracker
    tracker.close()


def test_late_report_is_still_notified(versions, extractor, receiver, tmp_path) -> None:
    """An exam 15 days old, reported now: the event is written now, so it is sent."""
    day = (datetime.now(UTC) - timedelta(days=15)).date().isoformat()
    _store(versions, extractor, CRITICAL, status="F", day=day, control="L1")
    sender = Sender(versions, rules_dir=str(rules_file(tmp_path / "r", [_hook(receiver)])))
    assert sender.run_once().delivered == 1


def test_backfill_of_old_exams_is_not_sent(versions, extractor, receiver, tmp_path) -> None:
    _store(versions, extractor, CRITICAL, status="F", day="2020-01-01", control="B1")
    sender = Sender(versions, rules_dir=str(rules_file(tmp_path / "r", [_hook(receiver)])))
    assert sender.run_once().planned == 0 and receiver.requests == []


@pytest.mark.parametrize(
    ("second", "status", "sent"),
    [
        (None, None, 1),
        (CRITICAL + "\nNo other change.\n", "C", 1),  # a correction: one notice, not two
        (CALLED, "C", 0),  # corrected to document the call: withdrawn
        ("", "X", 0),  # cancelled: withdrawn
    ],
)
def test_versions_of_a_report(versions, extractor, receiver, tmp_path, second, status, sent):
    day = datetime.now(UTC).date().isoformat()
    _store(versions, extractor, CRITICAL, status="F", day=day, control="V-1")
    if second is not None:
        _store(versions, extractor, second or CRITICAL, status=status, day=day, control="V-2")
    sender = Sender(versions, rules_dir=str(rules_file(tmp_path / "r", [_hook(receiver)])))
    report = sender.run_once()
    assert (report.delivered, len(receiver.requests)) == (sent, sent)
    assert report.withdrawn == 1 - sent
    with versions.session() as session:
        assert session.scalar(sa.select(sa.func.count(OutboxEvent.id))) == 1


def test_sender_without_the_channel_leaves_its_rows(stored, receiver, clock, tmp_path) -> None:
    receiver.behaviours = ["500"]
    Sender(
        stored, rules_dir=str(rules_file(tmp_path / "r", [_hook(receiver)])), clock=clock
    ).run_once()
    clock.advance(hours=2)
    for rules in (
        rules_file(tmp_path / "none", []),
        rules_file(tmp_path / "off", [_hook(receiver, enabled=False)]),
    ):
        Sender(stored, rules_dir=str(rules), clock=clock).run_once()
        assert _statuses(stored) == ["pending"]
    assert (
        Sender(stored, rules_dir=str(rules_file(tmp_path / "r", [_hook(receiver)])), clock=clock)
        .run_once()
        .delivered
        == 1
    )


def test_failed_deliveries_can_be_retried(stored, receiver, clock, tmp_path) -> None:
    receiver.behaviours = ["400"]
    rules = str(rules_file(tmp_path / "r", [_hook(receiver)]))
    assert Sender(stored, rules_dir=rules, clock=clock).run_once().failed == 1
    with stored.session() as session:
        assert retry_failed(session, now=clock.current) == 1
    assert Sender(stored, rules_dir=rules, clock=clock).run_once().delivered == 1


def test_planning_uses_no_ids_for_known_events(stored, clock, tmp_path) -> None:
    sender = Sender(stored, rules_dir=str(rules_file(tmp_path / "r", [])), clock=clock)
    with stored.session() as session:
        clock.current = session.scalar(sa.select(sa.func.max(Recommendation.due_end))) + timedelta(
            days=60
        )
    for _ in range(4):
        sender.run_once()
    with stored.engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO outbox (key, event, sequence, created_at) "
                "VALUES ('probe', 'overdue', 1, CURRENT_TIMESTAMP)"
            )
        )
        top = connection.execute(sa.text("SELECT max(id), count(*) FROM outbox")).one()
    assert top[0] == top[1]  # no id was burnt by the repeated passes


def test_one_bad_delivery_does_not_stop_the_others(stored, receiver, clock, tmp_path, monkeypatch):
    monkeypatch.setenv("RF_BAD_TOKEN", "caf\u00e9-token")  # not ASCII: httpx cannot send it
    fhir = {
        "name": "ehr",
        "kind": "fhir",
        "events": ["uncommunicated_critical"],
        "base_url": receiver.url,
        "token_env": "RF_BAD_TOKEN",
        "timeout_seconds": 2,
    }
    rules = str(rules_file(tmp_path / "r", [fhir, _hook(receiver)]))
    report = Sender(stored, rules_dir=rules, clock=clock).run_once()
    assert (report.delivered, report.retried) == (1, 1)
    assert "unexpected error" in report.errors[0]
    assert _statuses(stored) == ["delivered", "pending"]


def test_a_lost_claim_is_neither_sent_nor_settled(stored, receiver, clock, tmp_path) -> None:
    rules = str(rules_file(tmp_path / "r", [_hook(receiver)]))
    sender = Sender(stored, rules_dir=rules, clock=clock)
    sender.plan(__import__("radfollow.notify.sender", fromlist=["SendReport"]).SendReport())
    with stored.session() as session:
        (first,) = claim(
            session, worker="a", channels=["hook"], now=clock.current, lease=timedelta(seconds=1)
        )
    with stored.session() as session:
        (second,) = claim(
            session,
            worker="a",
            channels=["hook"],
            now=clock.current + timedelta(seconds=5),
            lease=timedelta(seconds=60),
        )
    assert first.token != second.token  # same worker name, different claims
    with stored.session() as session:
        assert settle(session, first, now=clock.current, error="HTTP 400", permanent=True) == ""
        assert settle(session, second, now=clock.current) == "delivered"


def test_backoff_never_overflows() -> None:
    backoff = Backoff(attempts=40, base=timedelta(seconds=30), longest=timedelta(days=7))
    assert backoff.delay(1000) == timedelta(days=7)


@pytest.mark.parametrize(
    "channel",
    [
        {
            "name": "x",
            "kind": "fhir",
            "events": ["overdue"],
            "base_url": "http://ehr.example.org",
            "token_env": "T",
        },
        {
            "name": "x",
            "kind": "webhook",
            "events": ["overdue"],
            "url": "http://hooks.example.org",
            "secret_env": "S",
        },
        {
            "name": "x",
            "kind": "email",
            "events": ["overdue"],
            "host": "smtp.example.org",
            "starttls": False,
            "sender": "a@b.org",
        },
        {
            "name": "x",
            "kind": "email",
            "events": ["overdue"],
            "host": "h",
            "sender": "a@b.org",
            "username_env": "U",
        },
        {
            "name": "x",
            "kind": "email",
            "events": ["overdue"],
            "host": "h",
            "sender": "a@b.org",
            "fallback_recipient": "nobody",
        },
        {
            "name": "x",
            "kind": "email",
            "events": ["overdue"],
            "host": "h",
            "sender": "a@b.org",
            "recipients": {"1": "a@b.org\\nBcc: c@d.org"},
        },
        {
            "name": "x",
            "kind": "webhook",
            "events": ["overdue", "overdue"],
            "url": "https://h.example.org",
            "secret_env": "S",
        },
    ],
)
def test_unsafe_channels_are_refused(channel: dict) -> None:
    with pytest.raises(ValidationError):
        NotifyRules.model_validate({"description": "t", "channels": [channel]})


@pytest.mark.parametrize(
    "retry",
    [{"longest_seconds": 10, "base_seconds": 60}, {"attempts": 60}, {"lease_seconds": 5}],
)
def test_unsafe_retry_policies_are_refused(retry: dict) -> None:
    channel = {
        "name": "x",
        "kind": "webhook",
        "events": ["overdue"],
        "url": "https://h.example.org",
        "secret_env": "S",
        "timeout_seconds": 10,
    }
    with pytest.raises(ValidationError):
        NotifyRules.model_validate({"description": "t", "channels": [channel], "retry": retry})


def test_notice_dates_in_the_site_zone(db_url, extractor, receiver, tmp_path) -> None:
    tracker = Tracker(db_url, timezone="Asia/Tokyo")
    now = datetime.now(UTC).replace(hour=23, minute=30)  # 08:30 the next day in Tokyo
    day = now.date().isoformat()
    report = RadiologyReport(
        control_id="T1",
        sending_facility="NORTH",
        patient=Patient(id="MRN-T", assigning_authority="H"),
        accession="T1",
        procedure={"text": "CHEST XRAY"},
        modality="CR",
        observation_time=now,
        result_status=ResultStatus.FINAL,
        text=CRITICAL,
    )
    result = Assessor().assess(
        ReportContext.of_report(report), extractor.extract(ReportText(CRITICAL))
    )
    with tracker.session() as session:
        ingest(session, report, result, tracker.policy)
    Sender(tracker, rules_dir=str(rules_file(tmp_path / "r", [_hook(receiver)]))).run_once()
    body = json.loads(receiver.requests[0].body)
    assert body["exam_date"] == (now + timedelta(hours=9)).date().isoformat() != day
    tracker.close()
