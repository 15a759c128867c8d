"""Issue 11 regressions: hostile and odd input at the listener.

Parsing off the event loop, connection and buffer caps, AE vs AR (HL7 v2.5.1
original mode), bad MSH-2, ACK texts, control ids over 64 characters, a bad
``--out`` found at start.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from mllp_client import END, START, Client, Listener, ack_code, oru

from radfollow.listener import server as server_module
from radfollow.listener.framing import BudgetExhausted, ByteBudget
from radfollow.listener.inspect import Verdict, inspect
from radfollow.listener.server import Listener as Server
from radfollow.listener.server import ListenerConfig
from radfollow.listener.store import InboxWriter, Incoming
from radfollow.tracker.db import Tracker, make_engine, migrate

# --- in-process server helpers ------------------------------------------------


@asynccontextmanager
async def serving(tracker: Tracker, config: ListenerConfig) -> AsyncIterator[Server]:
    server = Server(tracker, config)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


def _port(server: Server) -> int:
    assert server.server is not None
    return int(server.server.sockets[0].getsockname()[1])


async def _ack(reader: asyncio.StreamReader) -> bytes:
    frame = await reader.readuntil(END)
    return frame.lstrip(START)[: -len(END)]


# --- 1. a big message does not hold other connections' ACKs -------------------


def test_a_slow_big_message_does_not_delay_another_connections_ack(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The big message's inspection waits (up to 10 s) until the small message on
    another connection has its ACK. Inspected on the event loop, the small
    message could not be answered before the big one."""
    small_acked = threading.Event()
    real_inspect = server_module.inspect

    def slow_inspect(data: bytes, **kwargs: object) -> Verdict:
        if len(data) > 80_000:  # the big one (85 KiB), not the small one
            small_acked.wait(10)
        return real_inspect(data, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(server_module, "inspect", slow_inspect)
    big = oru(1) + b"OBX|3|TX|RPT||" + b"Lungs are clear.\n" * 5_000 + b"||||||F\r"
    order: list[str] = []

    async def scenario() -> None:
        tracker = Tracker(f"sqlite:///{tmp_path / 'i.db'}")
        async with serving(tracker, ListenerConfig(port=0)) as server:
            port = _port(server)
            big_reader, big_writer = await asyncio.open_connection("127.0.0.1", port)
            small_reader, small_writer = await asyncio.open_connection("127.0.0.1", port)

            async def send_big() -> None:
                big_writer.write(START + big + END)
                ack = await _ack(big_reader)
                order.append(f"big {ack_code(ack)}")

            async def send_small() -> None:
                await asyncio.sleep(0.2)  # the big message is in hand first
                small_writer.write(START + oru(2) + END)
                ack = await _ack(small_reader)
                order.append(f"small {ack_code(ack)}")
                small_acked.set()

            await asyncio.gather(send_big(), send_small())
            for writer in (big_writer, small_writer):
                writer.close()
        tracker.close()

    asyncio.run(scenario())
    assert order == ["small AA", "big AA"]


def test_segment_split_joins_raw_line_breaks_of_a_long_value() -> None:
    """The linear splitter keeps what the quadratic one gave: raw line breaks in a
    value are joined back onto their segment."""
    from radfollow.hl7.fields import split_segments

    lines = [f"line {n}" for n in range(5000)]
    text = "MSH|^~\\&|A\rOBX|1|TX|||" + "\n".join(lines) + "\rNTE|1\r"
    segments = split_segments(text)
    assert [s[:3] for s in segments] == ["MSH", "OBX", "NTE"]
    assert segments[1].split("|")[5].split("\n") == lines


# --- 2. connection and buffer caps ---------------------------------------------


def test_connections_over_the_cap_are_closed_with_a_log_line(tmp_path: Path) -> None:
    running = Listener(
        f"sqlite:///{tmp_path / 'i.db'}", tmp_path / "o", "--max-connections", "2", workers=0
    )
    try:
        first, second = Client(running.port), Client(running.port)
        assert ack_code(first.send(oru(1))) == "AA"
        assert ack_code(second.send(oru(2))) == "AA"
        third = Client(running.port)
        with pytest.raises(ConnectionError):
            third.send(oru(3))
        third.close()
        first.close()
        fourth = Client(running.port)  # a place is free again
        for _ in range(50):
            try:
                assert ack_code(fourth.send(oru(4))) == "AA"
                break
            except ConnectionError:  # the listener had not seen the close yet
                fourth.close()
                fourth = Client(running.port)
        fourth.close()
        second.close()
    finally:
        assert running.terminate() == 0
    assert running.proc.stderr is not None
    assert "refused a connection" in running.proc.stderr.read()


@pytest.mark.parametrize(
    ("holding", "outcome"),
    [(0, "waits until freed"), (100, "closed after wait_s")],
)
def test_byte_budget_waits_or_gives_up(holding: int, outcome: str) -> None:
    async def scenario() -> str:
        budget = ByteBudget(1000, wait_s=0.2)
        await budget.acquire(900, holding=0)
        waiter = asyncio.create_task(budget.acquire(200, holding=holding))
        await asyncio.sleep(0.5)
        if waiter.done():
            return "closed after wait_s" if isinstance(waiter.exception(), BudgetExhausted) else "?"
        await budget.release(900)
        await asyncio.wait_for(waiter, 5)
        assert budget.used == 200
        return "waits until freed"

    assert asyncio.run(scenario()) == outcome


def test_a_connection_over_the_buffer_budget_waits_for_space(tmp_path: Path) -> None:
    """A and B each hold part of a message; B's next read does not fit the budget.
    C, holding nothing, stops being read (backpressure) while B, holding part of a
    message, is closed after ``buffer_wait_s``; then C is read and gets its AA."""
    chunk = 65536
    config = ListenerConfig(
        port=0, max_message_bytes=1024, max_buffered_bytes=1024 + 2 * chunk, buffer_wait_s=1.0
    )
    events: list[str] = []

    async def scenario() -> None:
        tracker = Tracker(f"sqlite:///{tmp_path / 'i.db'}")
        async with serving(tracker, config) as server:
            port = _port(server)
            partial = START + b"MSH|" + b"x" * 900  # a frame begun, under the size limit
            _, a_writer = await asyncio.open_connection("127.0.0.1", port)
            a_writer.write(partial)
            await asyncio.sleep(0.2)  # A holds 904 bytes and has one chunk reserved
            b_reader, b_writer = await asyncio.open_connection("127.0.0.1", port)
            b_writer.write(partial)
            await asyncio.sleep(0.2)  # B holds 904 bytes; its next chunk does not fit
            c_reader, c_writer = await asyncio.open_connection("127.0.0.1", port)
            c_writer.write(START + oru(5) + END)

            async def b_closed() -> None:
                assert await b_reader.read() == b""
                events.append("B closed")

            async def c_answered() -> None:
                events.append("C " + ack_code(await _ack(c_reader)))

            await asyncio.wait_for(asyncio.gather(b_closed(), c_answered()), 30)
            for writer in (a_writer, b_writer, c_writer):
                writer.close()
        tracker.close()

    asyncio.run(scenario())
    assert events == ["B closed", "C AA"]


# --- 3-5. AE/AR, bad MSH-2, ACK texts -----------------------------------------


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Listener, str]]:
    folder = tmp_path_factory.mktemp("hostile")
    db = f"sqlite:///{folder / 'inbox.db'}"
    listener = Listener(db, folder / "out", "--max-message-bytes", "200000", workers=0)
    yield listener, db
    listener.stop_quietly()


def _segment(ack: bytes, name: bytes) -> list[bytes]:
    return next(s for s in ack.split(b"\r") if s.startswith(name + b"|")).split(b"|")


BAD_DELIMITERS = oru(20).replace(b"MSH|^~\\&|", b"MSH|^^\\&|", 1)
NO_ENCODING = oru(21).replace(b"MSH|^~\\&|", b"MSH||", 1)
EMPTY_MSH_10 = oru(22).replace(b"|C22|P|", b"||P|", 1)


@pytest.mark.parametrize(
    ("name", "message", "err3", "msa2"),
    [
        ("repeated delimiter in MSH-2", BAD_DELIMITERS, "102", b"C20"),
        ("empty MSH-2", NO_ENCODING, "102", b"C21"),
        ("empty MSH-10", EMPTY_MSH_10, "101", b""),
    ],
)
def test_bad_msh_gets_an_ae_ack_in_default_delimiters(running, name, message, err3, msa2) -> None:  # type: ignore[no-untyped-def]
    listener, _ = running
    client = Client(listener.port)
    ack = client.send(message)
    assert ack_code(client.send(oru(23))) == "AA"  # the connection stays open
    client.close()
    assert ack.startswith(b"MSH|^~\\&|"), name
    assert _segment(ack, b"MSA")[1:3] == [b"AE", msa2], name
    assert _segment(ack, b"ERR")[3].split(b"^")[0].decode() == err3, name


_INTERNAL = re.compile(rb"[A-Za-z0-9]+_[A-Za-z0-9_]+|\(\)")

BAD_INPUTS = {
    "bad delimiters": BAD_DELIMITERS,
    "empty MSH-10": EMPTY_MSH_10,
    "two MSH in one frame": oru(30) + oru(31),
    "bad date": oru(32).replace(b"20250110100000+0000", b"2025X110100000"),
    "unknown charset": oru(33).replace(b"|P|2.5.1\r", b"|P|2.5.1||||||base64\r"),
    "NUL in MSH-18": oru(34).replace(b"|P|2.5.1\r", b"|P|2.5.1||||||UTF\x008\r"),
    "version 3": oru(35).replace(b"|P|2.5.1", b"|P|3.0"),
    "test message": oru(36).replace(b"|C36|P|", b"|C36|T|"),
    "no patient id": oru(37).replace(b"PID|1||P37^^^HOSP^MR|", b"PID|1||^^^HOSP^MR|"),
    "segment before MSH": b"EVN|A\r" + oru(38),
    "over the size limit": oru(39) + b"OBX|3|TX|RPT||" + b"x" * 250_000 + b"\r",
    "no OBR": oru(40).split(b"OBR|")[0],
}


@pytest.mark.parametrize("name", list(BAD_INPUTS))
def test_ack_texts_name_no_internal_function(running, name: str) -> None:  # type: ignore[no-untyped-def]
    listener, _ = running
    client = Client(listener.port)
    ack = client.send(BAD_INPUTS[name])
    client.close()
    assert ack_code(ack) in ("AE", "AR"), name  # MSH-18 ones: AE once charsets are checked
    texts = [_segment(ack, b"MSA")[3], *_segment(ack, b"ERR")[4:]]
    for text in texts:
        assert not _INTERNAL.search(text), (name, text)


# --- 6. control ids over 64 characters ---------------------------------------


def _with_control(control: bytes) -> bytes:
    return oru(1).replace(b"|C1|", b"|" + control + b"|", 1)


LONG_A = b"L" * 64 + b"-first"
LONG_B = b"L" * 64 + b"-second"


def test_long_control_ids_are_distinct_and_resends_duplicates(db_url: str) -> None:
    tracker = Tracker(db_url)
    messages = [_with_control(c) for c in (LONG_A, LONG_B, LONG_A)]

    async def store_all() -> list[str]:
        writer = InboxWriter(tracker)
        task = asyncio.create_task(writer.run())
        try:
            return [await writer.store(Incoming(m, "p", inspect(m))) for m in messages]
        finally:
            task.cancel()

    assert asyncio.run(store_all()) == ["pending", "pending", "duplicate"]
    with tracker.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT control_id, message_key FROM inbox ORDER BY id")).all()
    tracker.close()
    assert [r[0] for r in rows] == ["L" * 64] * 3  # shown cut, keyed whole
    assert rows[0][1] != rows[1][1] and rows[0][1] == rows[2][1]


def test_long_control_id_is_echoed_whole_in_msa_2(running) -> None:  # type: ignore[no-untyped-def]
    listener, _ = running
    client = Client(listener.port)
    acks = [client.send(_with_control(c + b"-ack")) for c in (LONG_A, LONG_B)]
    client.close()
    assert [_segment(a, b"MSA")[2] for a in acks] == [LONG_A + b"-ack", LONG_B + b"-ack"]
    assert [b"duplicate" in a for a in acks] == [False, False]


def test_migration_0004_keys_existing_rows(db_url: str) -> None:
    from radfollow.listener.inspect import read_header
    from radfollow.listener.store import message_key

    engine = make_engine(db_url)
    migrate(engine, "0003")
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO inbox (received_at, peer, sending_facility, control_id,"
                " message_type, raw, status, attempts) VALUES (:t, 'p', 'HOSP', 'C1',"
                " 'ORU^R01', :raw, 'done', 0)"
            ),
            {"t": "2025-01-01 00:00:00", "raw": oru(1)},
        )
    migrate(engine, "head")
    with engine.connect() as conn:
        (key,) = conn.execute(sa.text("SELECT message_key FROM inbox")).one()
    engine.dispose()
    header = read_header(oru(1))
    assert header is not None and key == message_key(header)


# --- 7. listen --out checked at start ----------------------------------------


def _listen(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "radfollow.cli", "listen", "--port", "0", "--workers", "0"]
    return subprocess.run(
        [*command, "--db", f"sqlite:///{tmp_path / 'i.db'}", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda p: (p / "file").write_text("x") and p / "file", "not a folder"),
        (lambda p: (p / "file").write_text("x") and p / "file" / "sub", "cannot write Bundles"),
    ],
)
def test_listen_with_a_bad_out_fails_before_listening(
    tmp_path: Path, make: Callable[[Path], Path], reason: str
) -> None:
    result = _listen(tmp_path, "--out", str(make(tmp_path)))
    assert result.returncode == 1
    assert "listening on" not in result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("radfollow: error: ") and reason in lines[0]


def test_listen_with_a_bad_database_fails_before_listening(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "radfollow.cli",
            "listen",
            "--port",
            "0",
            "--workers",
            "0",
            "--db",
            f"sqlite:///{tmp_path / 'file' / 'i.db'}",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1 and "listening on" not in result.stdout
    assert result.stderr.startswith("radfollow: error: ")


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({}, None),
        ({"max_connections": 0}, "--max-connections"),
        ({"max_buffered_bytes": 1024 * 1024}, "--max-message-bytes \\+ 128 KiB"),
        ({"max_connections": 2000}, "--max-connections x 64 KiB"),
        ({"max_connections": 2000, "max_buffered_bytes": 200 * 1024 * 1024}, None),
    ],
)
def test_limits_that_cannot_work_together(changes: dict[str, int], error: str | None) -> None:
    """Each open connection reserves 64 KiB to read: a budget under the connections'
    reservations would let idle connections starve every message."""
    config = ListenerConfig(**changes)  # type: ignore[arg-type]
    if error is None:
        config.check()
    else:
        with pytest.raises(ValueError, match=error):
            config.check()


def test_inbox_columns_hold_what_postgresql_accepts() -> None:
    """A NUL in MSH-4/MSH-10 and an MSH-9 over the 16-character column failed the
    inbox insert on PostgreSQL, answered AR ("resend later") for ever."""
    from datetime import UTC, datetime

    from radfollow.listener.inspect import read_header
    from radfollow.listener.store import inbox_fields

    message = (
        oru(7).replace(b"|ORU^R01|", b"|ADTXXXXXXXXXXXXXXXX^A01|").replace(b"|C7|", b"|C\x007|")
    )
    header = read_header(message)
    assert header is not None
    fields = inbox_fields(
        Verdict("ignore", header, "not processed"), message, "p", datetime.now(UTC)
    )
    assert len(str(fields["message_type"])) <= 16
    assert "\x00" not in str(fields["control_id"]) + str(fields["sending_facility"])
