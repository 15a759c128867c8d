"""Regressions from review: resend after AE, atomic claims, worker restarts, long headers."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from mllp_client import Client, Listener, ack_code, oru
from typer.testing import CliRunner

from radfollow.cli import app
from radfollow.listener.ack import Ack, build_ack
from radfollow.listener.inspect import read_header
from radfollow.listener.worker import WorkerPool, claim
from radfollow.tracker.db import Tracker
from radfollow.tracker.schema import InboxMessage

runner = CliRunner()
NO_PID = oru(7).replace(b"PID|1||P7^^^HOSP^MR|", b"PID|1||^^^HOSP^MR|")


def test_fixed_resend_after_ae_is_stored_not_duplicate(tmp_path: Path) -> None:
    listener = Listener(f"sqlite:///{tmp_path / 'i.db'}", tmp_path / "o", workers=0)
    try:
        client = Client(listener.port)
        assert ack_code(client.send(NO_PID)) == "AE"
        ack = client.send(oru(7))  # same MSH-10, fixed
        assert ack_code(ack) == "AA" and b"duplicate" not in ack
        client.close()
    finally:
        assert listener.terminate() == 0


def test_concurrent_claims_never_share_a_row(tmp_path: Path) -> None:
    tracker = Tracker(f"sqlite:///{tmp_path / 'i.db'}")
    now = datetime.now(UTC)
    with tracker.session() as session:
        session.add_all(
            InboxMessage(
                received_at=now,
                peer="p",
                control_id=f"C{n}",
                message_type="ORU^R01",
                raw=b"x",
                status="pending",
            )
            for n in range(600)
        )
    claimed: list[int] = []
    lock = threading.Lock()

    def worker() -> None:
        own = Tracker(tracker.url)
        while ids := claim(own, 7):
            with lock:
                claimed.extend(ids)
        own.close()

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(claimed) == sorted(set(claimed)) and len(claimed) == 600


def test_dead_workers_are_restarted(tmp_path: Path) -> None:
    from radfollow.nlp.pipeline import PipelineConfig
    from radfollow.processing.core import ProcessingOptions

    url = f"sqlite:///{tmp_path / 'i.db'}"
    tracker = Tracker(url)
    options = ProcessingOptions(pipeline=PipelineConfig(classifier=False))
    pool = WorkerPool(tracker, url, None, options, 1)
    try:
        pool.procs[0].kill()
        pool.procs[0].join(60)
        assert pool.restart_dead() == 1  # a worker killed at once restarts after a delay
        assert pool.procs[0].is_alive()
    finally:
        pool.shutdown(timeout=30)
        tracker.close()


def test_long_header_fields_are_cut_to_the_columns() -> None:
    long = b"H" * 100
    header = read_header(oru(1).replace(b"|RIS|HOSP|", b"|RIS|" + long + b"|", 1))
    assert header is not None and header.sending_facility == "H" * 64


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["listen", "--tls-client-ca", "ca.pem", "--port", "0"], "needs --tls-cert"),
        (["replay", "--since", "2025/01/01"], "not a date"),
        (["process", ".", "--out", "o", "--accession-fields", "PID-3"], "accession-fields"),
    ],
)
def test_usage_errors_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    result = runner.invoke(
        app, [*args, "--db", f"sqlite:///{tmp_path / 'i.db'}"] if args[0] != "process" else args
    )
    assert result.exit_code == 2 and message in result.output


def test_ack_echoes_msh18() -> None:
    message = oru(1).replace(b"|P|2.5.1\r", b"|P|2.5.1||||||UNICODE UTF-8\r", 1)
    header = read_header(message)
    assert header is not None
    ack = build_ack(header, Ack("AA")).split(b"\r")[0].split(b"|")
    assert ack[17] == b"UNICODE UTF-8"


def test_worker_reads_times_in_the_configured_zone(tmp_path: Path) -> None:
    from zoneinfo import ZoneInfo

    from radfollow.hl7.options import HL7Options
    from radfollow.listener.worker import process_pending
    from radfollow.nlp.pipeline import PipelineConfig
    from radfollow.processing.core import ProcessingOptions
    from radfollow.tracker.schema import Study

    tracker = Tracker(f"sqlite:///{tmp_path / 'i.db'}")
    late = oru(1).replace(b"20250110100000+0000", b"20250110210000")  # 9 pm local, no offset
    with tracker.session() as session:
        session.add(
            InboxMessage(
                received_at=datetime.now(UTC),
                peer="p",
                control_id="C1",
                message_type="ORU^R01",
                raw=late,
                status="pending",
            )
        )
    options = ProcessingOptions(
        pipeline=PipelineConfig(classifier=False),
        hl7=HL7Options(default_tz=ZoneInfo("America/New_York")),
    )
    assert process_pending(tracker, None, options) == {"done": 1}
    with tracker.session() as session:
        study = session.query(Study).one()
    assert study.observed_at.isoformat() == "2025-01-11T02:00:00+00:00"
    tracker.close()
