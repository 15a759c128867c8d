"""Delivery through real loopback servers (issue 17): a signed webhook, FHIR
CommunicationRequest/Communication with a bearer token, e-mail digests over SMTP with
STARTTLS; failures injected (HTTP 500, timeouts, dropped and refused connections,
HTTP 400) to prove retries with backoff, no loss and no duplicates. SQLite and
PostgreSQL."""

from __future__ import annotations

import json
import socket
from datetime import timedelta

import pytest
import sqlalchemy as sa
from fhir.resources.R4B.communication import Communication
from fhir.resources.R4B.communicationrequest import CommunicationRequest
from notify_helpers import Clock, Mailbox, Receiver, rules_file
from typer.testing import CliRunner

from radfollow.cli import app
from radfollow.notify import Sender
from radfollow.notify.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from radfollow.tracker.db import Tracker
from radfollow.tracker.schema import OutboxDelivery, Recommendation

SECRET = "s3cret-for-tests"
EVENTS = ["uncommunicated_critical", "overdue"]


def _overdue(tracker: Tracker, clock: type[Clock]) -> None:
    with tracker.session() as session:
        last = session.scalar(sa.select(sa.func.max(Recommendation.due_end)))
    clock.current = last + timedelta(days=60)


def _statuses(tracker: Tracker) -> list[tuple[str, int]]:
    with tracker.session() as session:
        rows = session.execute(sa.select(OutboxDelivery.status, OutboxDelivery.attempts)).all()
    return sorted((s, a) for s, a in rows)


def _hook(receiver: Receiver) -> dict:
    return {"name": "hook", "kind": "webhook", "events": EVENTS, "url": receiver.url + "/hook",
            "secret_env": "RF_TEST_SECRET", "timeout_seconds": 0.5}  # fmt: skip


@pytest.fixture(autouse=True)
def _secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RF_TEST_SECRET", SECRET)
    monkeypatch.setenv("RF_TEST_TOKEN", "tok-123")


def test_webhook_signed_and_minimal(stored, receiver, clock, tmp_path) -> None:
    _overdue(stored, clock)
    # the critical result (exam 2024-01-20) is older than plan_within_days by now
    sender = Sender(
        stored, rules_dir=str(rules_file(tmp_path / "r", [_hook(receiver)])), clock=clock
    )
    report = sender.run_once()
    assert (report.delivered, report.failed, report.retried) == (3, 0, 0)
    for request in receiver.requests:
        assert verify(
            SECRET, request.headers[TIMESTAMP_HEADER], request.body,
            request.headers[SIGNATURE_HEADER], now=clock.current.timestamp(),
        )  # fmt: skip
        body = json.loads(request.body)
        assert body["event"] == "overdue" and body["id"] in request.headers["Idempotency-Key"]
        assert "nodule" not in request.body.decode().lower()  # no report text
    assert not verify(SECRET, "0", receiver.requests[0].body, "sha256=00", now=0)
    assert _statuses(stored) == [("delivered", 1)] * 3


def test_fhir_resources_with_bearer_token(stored, receiver, clock, tmp_path) -> None:
    channel = {"name": "ehr", "kind": "fhir", "events": EVENTS, "base_url": receiver.url + "/fhir",
               "token_env": "RF_TEST_TOKEN", "timeout_seconds": 0.5}  # fmt: skip
    sender = Sender(stored, rules_dir=str(rules_file(tmp_path / "r", [channel])), clock=clock)
    assert sender.run_once().delivered == 1  # the critical result, at once
    (critical,) = receiver.requests
    assert critical.path == "/fhir/Communication"
    assert critical.headers["Authorization"] == "Bearer tok-123"
    Communication.model_validate(json.loads(critical.body))
    _overdue(stored, clock)
    assert sender.run_once().delivered == 3
    for request in receiver.requests[1:]:
        assert request.path == "/fhir/CommunicationRequest"
        resource = CommunicationRequest.model_validate(json.loads(request.body))
        assert resource.priority == "urgent"


def test_email_digest_per_provider_over_starttls(stored, mailbox: Mailbox, clock, tmp_path) -> None:
    channel = {
        "name": "mail", "kind": "email", "events": EVENTS, "host": mailbox.host,
        "port": mailbox.port, "starttls": True, "ca_file": mailbox.ca_file,
        "sender": "followup@hospital.example",
        "recipients": {"1001^LEE^ANN": "lee@hospital.example",
                       "2002^KIM^JO": "kim@hospital.example"},
        "fields": ["accession", "due_by", "days_overdue"],
    }  # fmt: skip
    _overdue(stored, clock)
    sender = Sender(stored, rules_dir=str(rules_file(tmp_path / "r", [channel])), clock=clock)
    report = sender.run_once()
    assert report.delivered == 3 and report.failed == 0
    assert all(mailbox.tls_used)
    by_address = {m["To"]: m.get_content() for m in mailbox.messages}
    assert set(by_address) == {"lee@hospital.example", "kim@hospital.example"}
    assert by_address["lee@hospital.example"].count("accession N") == 2  # one digest, two items
    assert "nodule" not in " ".join(by_address.values()).lower()
    assert "MRN" not in " ".join(by_address.values())  # patient ids only when configured


@pytest.mark.parametrize(
    ("behaviours", "attempts"),
    [
        (["500", "500"], 3),
        (["timeout"], 2),
        (["drop", "500"], 3),
    ],
)
def test_retried_with_backoff_until_delivered_once(
    stored, receiver, clock, tmp_path, behaviours, attempts
) -> None:
    receiver.behaviours = list(behaviours)
    sender = Sender(
        stored, rules_dir=str(rules_file(tmp_path / "r", [_hook(receiver)])), clock=clock
    )
    report = sender.run_once()
    assert report.retried == 1 and receiver.requests == []
    with stored.session() as session:
        (row,) = session.scalars(sa.select(OutboxDelivery)).all()
        assert row.status == "pending" and row.last_error
        assert row.next_attempt_at == clock.current + timedelta(seconds=60)
    assert sender.run_once().claimed == 0  # not before its next attempt
    for _ in range(len(behaviours)):
        clock.advance(seconds=600)
        sender.run_once()
    assert _statuses(stored) == [("delivered", attempts)]
    assert len(receiver.requests) == 1  # delivered once, never twice


def test_refused_connection_is_retried_then_fails(stored, clock, tmp_path) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    channel = {"name": "hook", "kind": "webhook", "events": EVENTS,
               "url": f"http://127.0.0.1:{port}/", "secret_env": "RF_TEST_SECRET"}  # fmt: skip
    sender = Sender(stored, rules_dir=str(rules_file(tmp_path / "r", [channel])), clock=clock)
    for _ in range(4):
        sender.run_once()
        clock.advance(seconds=700)
    (status,) = _statuses(stored)
    assert status == ("failed", 4)
    with stored.session() as session:
        error = session.scalar(sa.select(OutboxDelivery.last_error))
    assert error is not None and error.startswith("connection failed")


def test_refused_by_the_receiver_is_not_retried(stored, receiver, clock, tmp_path) -> None:
    receiver.behaviours = ["400"]
    sender = Sender(
        stored, rules_dir=str(rules_file(tmp_path / "r", [_hook(receiver)])), clock=clock
    )
    assert sender.run_once().failed == 1
    assert _statuses(stored) == [("failed", 1)]


def test_missing_secret_is_reported_and_retried(stored, receiver, clock, tmp_path, monkeypatch):
    monkeypatch.delenv("RF_TEST_SECRET")
    sender = Sender(
        stored, rules_dir=str(rules_file(tmp_path / "r", [_hook(receiver)])), clock=clock
    )
    report = sender.run_once()
    assert report.retried == 1 and "RF_TEST_SECRET" in report.errors[0]


def test_notify_status_cli(stored, receiver, clock, tmp_path) -> None:
    rules = rules_file(tmp_path / "r", [_hook(receiver)])
    Sender(stored, rules_dir=str(rules), clock=clock).run_once()
    runner = CliRunner()
    result = runner.invoke(app, ["notify", "status", "--db", stored.url, "--format", "json"])
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.stdout)
    assert (row["channel"], row["event"], row["status"], row["attempts"]) == (
        "hook", "uncommunicated_critical", "delivered", 1
    )  # fmt: skip
    result = runner.invoke(app, ["notify", "status", "--db", stored.url, "--summary", "--format",
                                 "json"])  # fmt: skip
    assert json.loads(result.stdout) == [{"channel": "hook", "status": "delivered", "count": 1}]
    bad = runner.invoke(app, ["notify", "status", "--db", stored.url, "--status", "x"])
    assert bad.exit_code != 0
