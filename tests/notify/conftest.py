"""Loopback receivers for the outreach tests (issue 17): an HTTP server that records
requests with failures injected (HTTP 500, timeouts, dropped connections), an SMTP
server (aiosmtpd) that requires STARTTLS with a trustme CA, and a tracker holding
recommendations and a critical result. No network beyond 127.0.0.1."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiosmtpd.controller import Controller
from notify_helpers import Clock, Mailbox, Receiver, running_receiver

from radfollow.guidance import Assessor, ReportContext
from radfollow.models import Patient, RadiologyReport, ResultStatus
from radfollow.nlp.extract import Extractor, ReportText
from radfollow.tracker.db import Tracker
from radfollow.tracker.ingest import ingest


@pytest.fixture()
def receiver() -> Iterator[Receiver]:
    with running_receiver() as state:
        yield state


@pytest.fixture()
def mailbox(tmp_path: Path) -> Iterator[Mailbox]:
    from email import message_from_bytes
    from email.policy import default

    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server_context)
    box = Mailbox(host="127.0.0.1", port=0, ca_file=str(ca_file))

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            box.messages.append(message_from_bytes(envelope.content, policy=default))
            box.tls_used.append(session.ssl is not None)
            return "250 OK"

    with socket.socket() as probe:  # a free port (Controller checks it by connecting)
        probe.bind(("127.0.0.1", 0))
        box.port = probe.getsockname()[1]
    controller = Controller(
        Handler(), hostname="127.0.0.1", port=box.port, tls_context=server_context,
        require_starttls=True,
    )  # fmt: skip
    controller.start()
    yield box
    controller.stop()


REPORTS = [
    # (accession, provider, exam date, text)
    ("N1", "1001^LEE^ANN", "2024-01-10",
     "IMPRESSION:\n6 mm right upper lobe nodule. Recommend CT chest in 6 months.\n"),
    ("N2", "1001^LEE^ANN", "2024-01-12",
     "IMPRESSION:\nAdrenal nodule. Recommend adrenal CT in 3 months.\n"),
    ("N3", "2002^KIM^JO", "2024-01-15",
     "IMPRESSION:\nThyroid nodule. Recommend thyroid ultrasound in 3 months.\n"),
    ("N4", "2002^KIM^JO", "2024-01-20", "IMPRESSION:\nNew large left pneumothorax.\n"),
]  # fmt: skip


@pytest.fixture()
def stored(db_url: str, extractor: Extractor) -> Iterator[Tracker]:
    """A tracker with three recommendations (two providers) and one uncommunicated
    critical result."""
    tracker = Tracker(db_url)
    assessor = Assessor()
    for n, (acc, provider, day, text) in enumerate(REPORTS):
        report = RadiologyReport(
            control_id=f"C-{acc}",
            sending_facility="NORTH",
            patient=Patient(id=f"MRN{n}", assigning_authority="HOSP"),
            accession=acc,
            procedure={"text": "CT CHEST"},
            modality="CT",
            ordering_provider=provider,
            observation_time=datetime.fromisoformat(day + "T10:00:00+00:00"),
            result_status=ResultStatus.FINAL,
            text=text,
        )
        result = assessor.assess(
            ReportContext.of_report(report), extractor.extract(ReportText(text))
        )
        with tracker.session() as session:
            assert ingest(session, report, result, tracker.policy).status == "stored"
    yield tracker
    tracker.close()


@pytest.fixture()
def clock() -> Iterator[type[Clock]]:
    Clock.current = datetime(2024, 1, 21, 12, 0, tzinfo=UTC)
    yield Clock
