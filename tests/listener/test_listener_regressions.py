"""Regressions from review: resend after AE, atomic claims, worker restarts, long headers."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from mllp_client import Client, Listener, ack_code, oru
from typer.testing import CliRunner

from radfollow.cli import app
from radfollow.hl7 import RawMessage, parse_message
from radfollow.listener.ack import Ack, build_ack
from radfollow.listener.inspect import inspect, read_header
from radfollow.listener.store import inbox_fields
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


def _with_msh(facility: bytes = b"HOSP", control: bytes = b"C1") -> bytes:
    return (
        oru(1)
        .replace(b"|RIS|HOSP|", b"|RIS|" + facility + b"|", 1)
        .replace(b"|C1|", b"|" + control + b"|", 1)
    )


@pytest.mark.parametrize(
    ("message", "facility", "control"),
    [
        pytest.param(_with_msh(b"H" * 100), "H" * 64, "C1", id="long-facility"),
        pytest.param(_with_msh(control=b"C" * 100), "HOSP", "C" * 64, id="long-control-id"),
        pytest.param(_with_msh(b"H" * 64, b"C" * 64), "H" * 64, "C" * 64, id="exactly-64"),
    ],
)
def test_long_header_fields_are_cut_to_the_columns(
    message: bytes, facility: str, control: str
) -> None:
    verdict = inspect(message)
    assert verdict.header is not None and len(verdict.header.control_id) >= len(control)
    row = inbox_fields(verdict, message, "p", datetime.now(UTC))
    assert (row["sending_facility"], row["control_id"]) == (facility, control)


@pytest.mark.parametrize(
    ("message", "facility"),
    [
        pytest.param(_with_msh(b"^1.2.3^ISO"), "1.2.3", id="facility-only-in-component-2"),
        pytest.param(_with_msh(b"HOSP^1.2.3^ISO"), "HOSP", id="facility-in-component-1"),
        pytest.param(_with_msh(b"A\\T\\B"), "A&B", id="escaped-facility"),
    ],
)
def test_listener_reads_the_facility_like_the_adapter(message: bytes, facility: str) -> None:
    verdict = inspect(message)
    assert verdict.kind == "store"
    assert inbox_fields(verdict, message, "p", datetime.now(UTC))["sending_facility"] == facility
    (report,) = parse_message(RawMessage("t", 1, message))
    assert report.sending_facility == facility


@pytest.mark.parametrize(
    ("message", "msh_6", "msa_2"),
    [
        pytest.param(_with_msh(b"A\\T\\B"), b"A\\T\\B", b"C1", id="escaped-facility"),
        pytest.param(_with_msh(control=b"C\\F\\1"), b"HOSP", b"C\\F\\1", id="escaped-id"),
        pytest.param(_with_msh(control=b"C" * 100), b"HOSP", b"C" * 100, id="long-id-not-cut"),
    ],
)
def test_ack_writes_header_values_back_escaped_and_whole(
    message: bytes, msh_6: bytes, msa_2: bytes
) -> None:
    header = read_header(message)
    assert header is not None
    msh, msa = build_ack(header, Ack("AA")).split(b"\r")[:2]
    assert msh.split(b"|")[5] == msh_6
    assert msa.split(b"|")[2] == msa_2


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        pytest.param(
            b"PID|1|MSH|^~\\&|A|B|||2024||ORU^R01|C1|P", "unreadable", id="msh-in-a-field"
        ),
        pytest.param(b"EVN|A\r" + oru(1), "reject", id="segment-before-msh"),
    ],
)
def test_msh_is_read_only_at_the_start_of_a_segment(message: bytes, kind: str) -> None:
    assert inspect(message).kind == kind


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
