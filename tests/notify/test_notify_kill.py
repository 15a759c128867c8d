"""kill -9 the sender mid-delivery, restart it: every notification reaches the receiver,
and a repeat of the one in flight carries the same idempotency key, so the receiver
keeps each exactly once (issue 17). SQLite and PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import sqlalchemy as sa
from notify_helpers import Receiver, rules_file

from radfollow.tracker.db import Tracker
from radfollow.tracker.outbox import enqueue
from radfollow.tracker.schema import OutboxDelivery, OutboxEvent, Recommendation


def _send(url: str, rules: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "RF_TEST_SECRET": "kill-test-secret"}
    return subprocess.Popen(
        [sys.executable, "-m", "radfollow", "notify", "send", "--db", url, "--rules", rules,
         "--once"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip


def test_kill_9_mid_delivery_then_restart(stored: Tracker, receiver: Receiver, tmp_path) -> None:
    with stored.session() as session:
        recs = list(session.scalars(sa.select(Recommendation.id)))
        for rec_id in recs:
            for sequence in range(1, 5):
                enqueue(session, "overdue", recommendation_id=rec_id, sequence=sequence)
        keys = set(
            session.scalars(sa.select(OutboxEvent.key).where(OutboxEvent.event == "overdue"))
        )
    assert len(keys) == 12
    channel = {"name": "hook", "kind": "webhook", "events": ["overdue"], "timeout_seconds": 1,
               "url": receiver.url + "/hook", "secret_env": "RF_TEST_SECRET"}  # fmt: skip
    rules = str(rules_file(tmp_path / "rules", [channel], lease_seconds=3))
    receiver.delay = 0.2
    first = _send(stored.url, rules)
    deadline = time.monotonic() + 60
    while len(receiver.requests) < 4 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(first.pid, signal.SIGKILL)
    first.wait(timeout=30)
    got_before = len(receiver.requests)
    assert 4 <= got_before < 12, "the sender was not killed mid-delivery"
    with stored.session() as session:
        sending = session.scalar(
            sa.select(sa.func.count()).where(OutboxDelivery.status == "sending")
        )
    assert sending >= 1  # claimed and not settled: what the lease is for
    time.sleep(3.5)  # the lease ends
    receiver.delay = 0.0
    second = _send(stored.url, rules)
    _, err = second.communicate(timeout=120)
    assert second.returncode == 0, err.decode()
    assert {k.rsplit(":", 1)[0] for k in receiver.idempotency_keys()} == keys  # nothing lost
    assert len(receiver.unique_keys()) == 12  # each kept once by its key
    assert len(receiver.requests) - 12 <= 1  # at most the request in flight came twice
    with stored.session() as session:
        statuses = set(session.scalars(sa.select(OutboxDelivery.status)))
    assert statuses == {"delivered"}
