"""Durable storage of received messages, with group commit.

Connections hand messages to one writer task; it commits whatever has queued
up (up to ``max_batch``) in one transaction, in a worker thread, and only
then releases the waiting connections to send their ACKs. Every ACKed message
is committed; many messages share one fsync.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from radfollow.listener.inspect import Verdict
from radfollow.tracker.db import Tracker
from radfollow.tracker.schema import DeadLetter, InboxMessage

log = logging.getLogger(__name__)

_STATUS = {"store": "pending", "ignore": "ignored", "unusable": "unusable"}


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
            try:
                started = time.perf_counter()
                statuses = await asyncio.to_thread(self._commit, batch)
                self.commit_seconds.append(time.perf_counter() - started)
            except Exception as err:  # the database is down or full: answer AR
                log.error("inbox commit failed for %d messages: %s", len(batch), type(err).__name__)
                for item in batch:
                    if not item.future.done():
                        item.future.set_exception(err)
                continue
            for item, status in zip(batch, statuses, strict=True):
                if not item.future.done():
                    item.future.set_result(status)

    async def drain(self) -> None:
        while not self.queue.empty():
            await asyncio.sleep(0.01)

    def _commit(self, batch: list[Incoming]) -> list[str]:
        now = datetime.now(UTC)
        statuses: list[str] = []
        with self.tracker.session() as session:
            seen: set[tuple[str, str]] = set()
            for item in batch:
                statuses.append(self._add(session, item, now, seen))
        return statuses

    def _add(
        self, session: Session, item: Incoming, now: datetime, seen: set[tuple[str, str]]
    ) -> str:
        verdict = item.verdict
        if verdict is None or verdict.kind in ("reject", "unreadable"):
            header = verdict.header if verdict else None
            session.add(
                DeadLetter(
                    received_at=now,
                    peer=item.peer,
                    raw=item.raw,
                    size=len(item.raw),
                    control_id=header.control_id if header else None,
                    reason=item.reason or (verdict.reason if verdict else ""),
                )
            )
            return "dead"
        header = verdict.header
        assert header is not None
        key = (header.sending_facility, header.control_id)
        status = _STATUS[verdict.kind]
        if key in seen or _already(session, key):
            status = "duplicate"
        seen.add(key)
        session.add(
            InboxMessage(
                received_at=now,
                peer=item.peer,
                sending_facility=header.sending_facility,
                control_id=header.control_id,
                message_type=f"{header.message_type}^{header.trigger}".strip("^"),
                raw=item.raw,
                status=status,
                error=verdict.reason or None,
            )
        )
        return status


def _already(session: Session, key: tuple[str, str]) -> bool:
    query = (
        select(InboxMessage.id)
        .where(
            InboxMessage.sending_facility == key[0],
            InboxMessage.control_id == key[1],
            InboxMessage.status != "duplicate",
        )
        .limit(1)
    )
    return session.scalar(query) is not None
