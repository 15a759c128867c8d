"""Durable storage of received messages, with group commit.

Connections hand messages to one writer task; it commits whatever has queued
up (up to ``max_batch``) in one transaction, in a worker thread, and only
then releases the waiting connections to send their ACKs. Every ACKed message
is committed; many messages share one fsync.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Connection, insert, select

from radfollow.hl7.header import MessageHeader
from radfollow.listener.inspect import Verdict
from radfollow.tracker.db import Tracker
from radfollow.tracker.schema import DeadLetter, InboxMessage

log = logging.getLogger(__name__)

_STATUS = {"store": "pending", "ignore": "ignored", "unusable": "unusable"}
#: Verdicts kept as dead letters, not inbox rows.
_DEAD = frozenset({"reject", "failed", "unreadable"})

#: Characters the header columns of the inbox and dead letter tables hold; longer
#: values are cut when stored (the header itself keeps them whole).
COLUMN_CHARS = 64
#: Width of ``inbox.message_type`` (MSH-9 type^trigger).
TYPE_CHARS = 16


def _cut(value: str, width: int = COLUMN_CHARS) -> str:
    """``value`` for a display column: NUL characters dropped (PostgreSQL text
    cannot hold them), cut to ``width`` characters."""
    return value.replace("\x00", "")[:width]


def message_key(header: MessageHeader) -> str:
    """The key duplicates are found by: SHA-256 (hex) of the whole sending facility
    (MSH-4) and control id (MSH-10), so ids longer than the columns stay distinct."""
    text = f"{header.sending_facility}\x1f{header.control_id}"
    return hashlib.sha256(text.encode("utf-8", errors="surrogatepass")).hexdigest()


@dataclass
class Incoming:
    raw: bytes
    peer: str
    verdict: Verdict | None  # None: an oversized message (dead letter only)
    reason: str = ""
    future: asyncio.Future[str] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class InboxWriter:
    def __init__(self, tracker: Tracker, *, max_batch: int = 256) -> None:
        self.tracker = tracker
        self.max_batch = max_batch
        self.queue: asyncio.Queue[Incoming] = asyncio.Queue()
        self.commit_seconds: list[float] = []

    async def store(self, item: Incoming) -> str:
        """Queue ``item``; return its stored status once committed (raises if it was not)."""
        await self.queue.put(item)
        return await item.future

    async def run(self) -> None:
        while True:
            batch = [await self.queue.get()]
            while len(batch) < self.max_batch and not self.queue.empty():
                batch.append(self.queue.get_nowait())
            started = time.perf_counter()
            await self._commit_or_split(batch)
            self.commit_seconds.append(time.perf_counter() - started)

    async def _commit_or_split(self, batch: list[Incoming]) -> None:
        """Commit the batch; if that fails, each message alone, so one bad row fails alone."""
        try:
            statuses = await asyncio.to_thread(self._commit, batch)
        except Exception as err:  # the database is down or full, or one row is bad
            if len(batch) > 1:
                for item in batch:
                    await self._commit_or_split([item])
                return
            log.error("inbox commit failed: %s", type(err).__name__)
            if not batch[0].future.done():
                batch[0].future.set_exception(err)
            return
        for item, status in zip(batch, statuses, strict=True):
            if not item.future.done():
                item.future.set_result(status)

    async def drain(self) -> None:
        while not self.queue.empty():
            await asyncio.sleep(0.01)

    def _commit(self, batch: list[Incoming]) -> list[str]:
        """One transaction for the batch: Core inserts, one duplicate lookup."""
        now = datetime.now(UTC)
        keys = {
            message_key(i.verdict.header)
            for i in batch
            if i.verdict is not None and i.verdict.header is not None
        }
        statuses: list[str] = []
        inbox_rows: list[dict[str, object]] = []
        dead_rows: list[dict[str, object]] = []
        with self.tracker.engine.begin() as conn:
            seen = _existing(conn, keys)
            for item in batch:
                status, row = _row(item, now, seen)
                statuses.append(status)
                (dead_rows if status == "dead" else inbox_rows).append(row)
            if inbox_rows:
                conn.execute(insert(InboxMessage), inbox_rows)
            if dead_rows:
                conn.execute(insert(DeadLetter), dead_rows)
        return statuses


def _existing(conn: Connection, keys: set[str]) -> set[str]:
    if not keys:
        return set()
    query = select(InboxMessage.message_key).where(
        InboxMessage.message_key.in_(keys),
        # A resend of a message answered AE, or one that failed, is a new attempt.
        InboxMessage.status.in_(("pending", "processing", "done", "ignored")),
    )
    return {key for (key,) in conn.execute(query)}


def _row(item: Incoming, now: datetime, seen: set[str]) -> tuple[str, dict[str, object]]:
    verdict = item.verdict
    if verdict is None or verdict.kind in _DEAD or verdict.header is None:
        header = verdict.header if verdict else None
        return "dead", {
            "received_at": now,
            "peer": item.peer,
            "raw": item.raw,
            "size": len(item.raw),
            "control_id": _cut(header.control_id) if header else None,
            "reason": item.reason or (verdict.reason if verdict else ""),
        }
    key = message_key(verdict.header)
    status = "duplicate" if key in seen else _STATUS[verdict.kind]
    seen.add(key)
    return status, inbox_fields(verdict, item.raw, item.peer, now, status)


def inbox_fields(
    verdict: Verdict, raw: bytes, peer: str, received_at: datetime, status: str | None = None
) -> dict[str, object]:
    """Column values of an inbox row for a message that passed inspection.

    Header values are cut to the columns' :data:`COLUMN_CHARS` characters;
    ``message_key`` is computed from the whole values.
    """
    header = verdict.header
    assert header is not None
    return {
        "received_at": received_at,
        "peer": peer,
        "sending_facility": _cut(header.sending_facility),
        "control_id": _cut(header.control_id),
        "message_key": message_key(header),
        "message_type": _cut(f"{header.message_type}^{header.trigger}".strip("^"), TYPE_CHARS),
        "raw": raw,
        "status": status or _STATUS[verdict.kind],
        "attempts": 0,
        "error": verdict.reason or None,
    }
