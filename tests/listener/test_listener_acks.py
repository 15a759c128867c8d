"""ACK codes over real sockets on 127.0.0.1 (a listener child process, SQLite)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from mllp_client import Client, Listener, ack_code, oru, wait_for

UNUSABLE = (
    b"MSH|^~\\&|RIS|HOSP|RF|HOSP|20250110||ORU^R01|U1|P|2.5.1\r"
    b"PID|1||P9^^^H^MR\rOBR|1||A9|1^CT CHEST^L|||20250110\r"
)
ADT = b"MSH|^~\\&|ADT|HOSP|RF|HOSP|20250110||ADT^A01|D1|P|2.5.1\rPID|1||P9^^^H^MR\r"
BAD_DATE = oru(50).replace(b"20250110100000+0000", b"2025X110100000")
LATIN1 = oru(51).replace(b"DOE^JANE", "M\u00fcller^J\u00fcrgen".encode("latin-1"))
# ~85 KiB: over 64 KiB, under 100,000 characters
LARGE = oru(52) + b"OBX|3|TX|RPT||" + b"Lungs are clear. " * 5000 + b"\r"


@pytest.fixture(scope="module")
def listener(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Listener, str]]:
    folder = tmp_path_factory.mktemp("listener")
    db = f"sqlite:///{folder / 'inbox.db'}"
    running = Listener(db, folder / "out", "--max-message-bytes", "1000000")
    yield running, db
    running.stop_quietly()


def _rows(db: str, query: str) -> list[tuple]:  # type: ignore[type-arg]
    engine = sa.create_engine(db)
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(sa.text(query))]
    engine.dispose()
    return rows


def _err3(ack: bytes) -> str | None:
    """ERR-3 component 1 (the table 0357 code), or None without an ERR segment."""
    err = [s for s in ack.split(b"\r") if s.startswith(b"ERR|")]
    return err[0].split(b"|")[3].split(b"^")[0].decode() if err else None


BAD_CHARSET = oru(53).replace(b"|P|2.5.1\r", b"|P|2.5.1||||||ISO_IR 999\r")
TEST_MESSAGE = oru(54).replace(b"|C54|P|", b"|C54|T|")
DEBUG_MESSAGE = oru(55).replace(b"|C55|P|", b"|C55|D|")
NO_OBR7 = oru(56).replace(b"|||20250110100000+0000|||", b"|||||")
VERSION_3 = oru(57).replace(b"|P|2.5.1", b"|P|3.0")


# One row per line of the AE/AR table in docs/listener.md (HL7 v2.5.1 2.9.2:
# AE = the message is wrong, resending it will not help; AR = try again later).
@pytest.mark.parametrize(
    ("name", "message", "code", "err3", "status"),
    [
        ("good", oru(1), "AA", None, "pending|processing|done"),
        ("latin-1 bytes, no MSH-18", LATIN1, "AA", None, "pending|processing|done"),
        ("over 64 KiB, under the limit", LARGE, "AA", None, "pending|processing|done"),
        ("no report text", UNUSABLE, "AE", "101", "unusable"),
        ("no observation time OBR-7", NO_OBR7, "AE", "101", "unusable"),
        ("not ORU", ADT, "AA", None, "ignored"),
        ("unparseable past MSH", BAD_DATE, "AE", "102", None),
        ("charset not in table 0211", BAD_CHARSET, "AE", "102", None),
        ("not a v2 version", VERSION_3, "AE", "203", None),
        ("test message MSH-11 T", TEST_MESSAGE, "AE", "202", "unusable"),
        ("debugging message MSH-11 D", DEBUG_MESSAGE, "AE", "202", "unusable"),
    ],
)
def test_ack_codes(listener, name: str, message: bytes, code: str, err3, status) -> None:  # type: ignore[no-untyped-def]
    running, db = listener
    client = Client(running.port)
    ack = client.send(message)
    client.close()
    assert ack_code(ack) == code, name
    assert _err3(ack) == err3, name
    control = message.split(b"|")[9].decode()
    assert f"|{control}|".encode() in ack  # MSA-2 echoes MSH-10
    sent, answered = message.split(b"\r")[0].split(b"|"), ack.split(b"\r")[0].split(b"|")
    assert answered[2:4] == sent[4:6] and answered[4:6] == sent[2:4]  # sender and receiver swapped
    msh7 = ack.split(b"|")[6]
    assert msh7[-5:-4] in (b"+", b"-")  # MSH-7 carries a time zone
    if code != "AA":
        assert b"\rERR|" in ack and b"HL70357" in ack
    stored = _rows(db, f"SELECT status FROM inbox WHERE control_id = '{control}'")
    if status is None:
        assert stored == []
        assert _rows(db, f"SELECT count(*) FROM dead_letters WHERE control_id = '{control}'") == [
            (1,)
        ]
    else:
        assert stored and stored[0][0] in status.split("|")


def test_other_types_refused_get_ae_200(tmp_path: Path) -> None:
    running = Listener(f"sqlite:///{tmp_path / 'i.db'}", tmp_path / "o", "--reject-other-types")
    try:
        client = Client(running.port)
        ack = client.send(ADT)
        client.close()
        assert (ack_code(ack), _err3(ack)) == ("AE", "200")
    finally:
        running.stop_quietly()


def test_test_messages_accepted_with_the_option(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'i.db'}"
    running = Listener(db, tmp_path / "o", "--accept-test-messages", workers=0)
    try:
        client = Client(running.port)
        assert ack_code(client.send(TEST_MESSAGE)) == "AA"
        assert ack_code(client.send(DEBUG_MESSAGE)) == "AA"
        client.close()
    finally:
        running.stop_quietly()
    assert sorted(_rows(db, "SELECT status FROM inbox")) == [("pending",), ("pending",)]


def test_database_down_gets_ar_207(tmp_path: Path) -> None:
    """A message that cannot be stored: AR (resend later), not AE."""
    folder = tmp_path / "db"
    folder.mkdir()
    db = f"sqlite:///{folder / 'i.db'}"
    running = Listener(db, tmp_path / "o", workers=0)
    try:
        engine = sa.create_engine(db)
        with engine.begin() as conn:
            conn.execute(sa.text("DROP TABLE dead_letters"))
            conn.execute(sa.text("DROP TABLE inbox"))
        engine.dispose()
        client = Client(running.port)
        ack = client.send(oru(90))
        client.close()
        assert (ack_code(ack), _err3(ack)) == ("AR", "207")
        assert b"resend" in ack
    finally:
        running.stop_quietly()


def test_oversized_gets_ae_and_the_connection_goes_on(listener) -> None:  # type: ignore[no-untyped-def]
    running, db = listener
    client = Client(running.port)
    big = oru(60) + b"OBX|3|TX|RPT||" + b"x" * 1_200_000 + b"\r"
    ack = client.send(big)
    assert ack_code(ack) == "AE" and _err3(ack) == "207" and b"limit" in ack
    assert ack_code(client.send(oru(61))) == "AA"
    client.close()
    assert _rows(db, "SELECT count(*) FROM dead_letters WHERE control_id = 'C60'") == [(1,)]


def test_duplicate_is_acked_and_not_processed_twice(listener) -> None:  # type: ignore[no-untyped-def]
    running, db = listener
    client = Client(running.port)
    assert ack_code(client.send(oru(70))) == "AA"
    ack = client.send(oru(70))
    client.close()
    assert ack_code(ack) == "AA" and b"duplicate" in ack
    assert sorted(_rows(db, "SELECT status FROM inbox WHERE control_id = 'C70'")) in (
        [("done",), ("duplicate",)],
        [("duplicate",), ("pending",)],
        [("duplicate",), ("processing",)],
    )


def test_unreadable_closes_the_connection_with_a_dead_letter(listener) -> None:  # type: ignore[no-untyped-def]
    running, db = listener
    before = _rows(db, "SELECT count(*) FROM dead_letters")[0][0]
    client = Client(running.port)
    with pytest.raises(ConnectionError):
        client.send(b"this is not HL7 at all")
    client.close()
    assert _rows(db, "SELECT count(*) FROM dead_letters")[0][0] == before + 1


def test_processing_reaches_the_tracker_and_bundles(listener, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    running, db = listener
    client = Client(running.port)
    assert ack_code(client.send(oru(80))) == "AA"
    client.close()
    assert wait_for(  # behind the 100 KiB one-line report (quadratic sentence splitting)
        lambda: _rows(db, "SELECT status FROM inbox WHERE control_id='C80'") == [("done",)],
        timeout=300,
    )
    assert _rows(db, "SELECT count(*) FROM messages WHERE control_id='C80'") == [(1,)]
    recs = _rows(
        db,
        "SELECT r.modality FROM recommendations r JOIN studies s ON s.id=r.study_id "
        "WHERE s.accession='A80'",
    )
    assert recs == [("CT",)]


def test_status_command_and_sigterm_exit_zero(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from radfollow.cli import app

    db = f"sqlite:///{tmp_path / 'inbox.db'}"
    running = Listener(db, tmp_path / "out")
    client = Client(running.port)
    assert ack_code(client.send(oru(1))) == "AA"
    client.close()
    assert wait_for(lambda: _rows(db, "SELECT status FROM inbox") == [("done",)])
    result = CliRunner().invoke(app, ["listen", "status", "--db", db, "--format", "json"])
    assert result.exit_code == 0, result.output
    assert '"done": 1' in result.output and '"depth": 0' in result.output
    assert running.terminate() == 0


def test_replay_reprocesses_failed_rows(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from radfollow.cli import app

    db = f"sqlite:///{tmp_path / 'inbox.db'}"
    running = Listener(db, tmp_path / "out", workers=0)
    client = Client(running.port)
    assert ack_code(client.send(oru(1))) == "AA"
    client.close()
    assert running.terminate() == 0
    engine = sa.create_engine(db)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE inbox SET status='failed', error='RF303: simulated'"))
    engine.dispose()
    result = CliRunner().invoke(
        app,
        ["replay", "--db", db, "--status", "failed", "--process", "--no-progress"]
        if False
        else ["replay", "--db", db, "--status", "failed", "--process"],
    )
    assert result.exit_code == 0, result.output
    assert "requeued 1" in result.output and '"done": 1' in result.output
    assert _rows(db, "SELECT status FROM inbox") == [("done",)]
