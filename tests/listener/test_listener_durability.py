"""Load and kill tests: every message that got AA is processed exactly once."""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path

import pytest
from db_helpers import count
from mllp_client import Client, Listener, ack_code, oru, wait_for


def _send_range(port: int, numbers: range, acked: list[int], errors: list[str]) -> None:
    try:
        client = Client(port, timeout=30)
        for n in numbers:
            if ack_code(client.send(oru(n))) != "AA":
                errors.append(f"C{n} not AA")
            else:
                acked.append(n)
        client.close()
    except Exception as err:  # reported below
        errors.append(repr(err))


def test_2000_messages_over_4_connections(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'inbox.db'}"
    listener = Listener(db, tmp_path / "out", workers=1)
    acked: list[int] = []
    errors: list[str] = []
    threads = [
        threading.Thread(target=_send_range, args=(listener.port, range(k, 2000, 4), acked, errors))
        for k in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == [] and len(acked) == 2000
    assert wait_for(
        lambda: count(db, "SELECT count(*) FROM inbox WHERE status='done'") == 2000, 300
    )
    assert listener.terminate() == 0
    assert count(db, "SELECT count(*) FROM messages") == 2000
    assert count(db, "SELECT count(*) FROM studies") == 2000
    assert count(db, "SELECT count(DISTINCT control_id) FROM messages") == 2000
    assert count(db, "SELECT count(*) FROM recommendations") == 2000


@pytest.mark.parametrize("kill_group", [False, True], ids=["listener", "listener-and-workers"])
def test_sigkill_then_restart_processes_every_acked_message_once(
    tmp_path: Path, kill_group: bool
) -> None:
    db = f"sqlite:///{tmp_path / 'inbox.db'}"
    listener = Listener(db, tmp_path / "out", workers=1)
    acked: list[int] = []
    errors: list[str] = []
    sender = threading.Thread(
        target=_send_range, args=(listener.port, range(1, 100_000), acked, errors)
    )
    sender.start()
    assert wait_for(lambda: len(acked) >= 300, 60)
    if kill_group:  # the workers die mid-processing too
        for child in _children(listener.proc.pid):
            os.kill(child, signal.SIGKILL)
    listener.proc.send_signal(signal.SIGKILL)
    listener.proc.wait(10)
    sender.join(30)
    got_aa = set(acked)
    assert len(got_aa) >= 300
    restarted = Listener(db, tmp_path / "out", workers=1)
    done = "SELECT count(*) FROM inbox WHERE status IN ('pending', 'processing')"
    assert wait_for(lambda: count(db, done) == 0, 300)
    assert restarted.terminate() == 0
    for n in [*sorted(got_aa)[:: max(1, len(got_aa) // 50)], max(got_aa)]:
        assert count(db, f"SELECT count(*) FROM messages WHERE control_id='C{n}'") == 1
    processed = count(db, "SELECT count(*) FROM messages")
    assert processed >= len(got_aa)  # AA'd ones all in; at most the one in flight beyond
    assert count(db, "SELECT count(*) FROM studies") == processed


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().split()
            except OSError:
                continue
            if int(stat[3]) == pid:
                found.append(int(entry.name))
    return found
