"""Idle timeout, dead-letter replay and inbox status."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from mllp_client import Client, Listener, ack_code, oru

from radfollow.listener.admin import inbox_status, replay
from radfollow.tracker.db import Tracker
from radfollow.tracker.schema import DeadLetter, InboxMessage


def test_idle_connections_are_closed(tmp_path: Path) -> None:
    listener = Listener(
        f"sqlite:///{tmp_path / 'i.db'}", tmp_path / "o", "--idle-timeout", "1", workers=0
    )
    try:
        client = Client(listener.port)
        assert ack_code(client.send(oru(1))) == "AA"
        time.sleep(2.5)
        with pytest.raises((ConnectionError, OSError)):
            client.send(oru(2))
        client.close()
    finally:
        assert listener.terminate() == 0


def test_replay_stores_dead_letters_that_now_parse(tmp_path: Path) -> None:
    tracker = Tracker(f"sqlite:///{tmp_path / 'i.db'}")
    now = datetime.now(UTC)
    with tracker.session() as session:
        session.add(
            DeadLetter(
                received_at=now,
                peer="p",
                control_id="C1",
                reason="was rejected",
                raw=oru(1),
                size=10,
            )
        )
        session.add(
            DeadLetter(
                received_at=now,
                peer="p",
                control_id=None,
                reason="garbage",
                raw=b"still not hl7",
                size=13,
            )
        )
    result = replay(tracker, statuses=[], dead_letters=True, since=None)
    assert (result.dead_letters_stored, result.dead_letters_still_bad) == (1, 1)
    again = replay(tracker, statuses=[], dead_letters=True, since=None)
    assert again.dead_letters_stored == 0  # a dead letter is replayed once
    with tracker.session() as session:
        rows = session.query(InboxMessage.control_id, InboxMessage.status).all()
    assert rows == [("C1", "pending")]
    status = inbox_status(tracker)
    assert (status.depth, status.dead_letters, status.by_status) == (1, 2, {"pending": 1})
    tracker.close()
