"""Fuzz: random bytes and mutated messages never crash the listener.

Each input gets AA/AE/AR or a closed connection; whatever is not stored as a
message leaves a dead letter; the server still answers a good message after.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mllp_client import Client, Listener, ack_code, oru

from radfollow.listener.framing import END, START, Frame, Oversized, frames
from radfollow.listener.inspect import inspect

BASE = oru(1)


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(BASE)
    for _ in range(draw(st.integers(1, 8))):
        at = draw(st.integers(0, len(data) - 1))
        action = draw(st.sampled_from(["flip", "delete", "insert"]))
        if action == "flip":
            data[at] = draw(st.integers(0, 255))
        elif action == "delete":
            del data[at : at + draw(st.integers(1, 20))]
        else:
            data[at:at] = draw(st.binary(max_size=20))
    return bytes(data).replace(START, b"").replace(END, b"")


MESSAGES = st.one_of(
    st.binary(max_size=300).map(lambda b: b.replace(START, b"").replace(END, b"")), mutated()
)


@given(MESSAGES)
@settings(max_examples=400, deadline=None)
def test_inspect_never_raises(data: bytes) -> None:
    verdict = inspect(data)
    assert verdict.kind in {"store", "ignore", "unusable", "reject", "unreadable"}
    assert (verdict.header is None) == (verdict.kind == "unreadable")


@given(st.lists(st.binary(max_size=200), max_size=20), st.integers(16, 400))
@settings(max_examples=300, deadline=None)
def test_framing_never_raises(chunks: list[bytes], limit: int) -> None:
    async def run() -> list[Frame | Oversized]:
        reader = asyncio.StreamReader()
        for chunk in chunks:
            reader.feed_data(chunk)
        reader.feed_eof()
        return [event async for event in frames(reader, max_size=limit, idle_timeout=5)]

    for event in asyncio.run(run()):
        if isinstance(event, Frame):
            assert len(event.data) <= limit and END not in event.data


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Listener, str]]:
    folder = tmp_path_factory.mktemp("fuzz")
    db = f"sqlite:///{folder / 'inbox.db'}"
    running = Listener(db, folder / "out", "--max-message-bytes", "2048", workers=0)
    yield running, db
    running.stop_quietly()


@given(MESSAGES)
@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_live_server_survives(live, data: bytes) -> None:  # type: ignore[no-untyped-def]
    running, db = live
    engine = sa.create_engine(db)
    with engine.connect() as conn:
        before = conn.execute(
            sa.text("SELECT (SELECT count(*) FROM inbox) + (SELECT count(*) FROM dead_letters)")
        ).scalar_one()
    client = Client(running.port, timeout=10)
    try:
        code = ack_code(client.send(data))
        assert code in {"AA", "AE", "AR"}
    except ConnectionError:
        code = "closed"
    finally:
        client.close()
    with engine.connect() as conn:
        after = conn.execute(
            sa.text("SELECT (SELECT count(*) FROM inbox) + (SELECT count(*) FROM dead_letters)")
        ).scalar_one()
    engine.dispose()
    assert after == before + 1  # stored as a message, or kept as a dead letter
    assert running.proc.poll() is None
    probe = Client(running.port)
    assert ack_code(probe.send(oru(999_999))) == "AA"
    probe.close()
