"""The MLLP server: receive, store durably, then acknowledge.

Per message: inspect (charset, MSH, cheap HL7 checks) in a worker thread, off
the event loop, commit to the inbox (group commit), then ACK, in HL7 v2.5.1
original mode (section 2.9.2, table 0008): AA when stored (also for ignored
types and duplicates); AE with ERR when the message is wrong and resending it
unchanged will not help (does not parse, gives no report, over a size limit, a
test message, a type refused); AR when the problem is on this side and a
resend later should succeed (the database is down, an internal error). A
frame without any MSH segment gets a dead letter and the connection is
closed: there is nothing to answer to. Logs carry control ids, hashed
accessions and timings, never report text or names.

Bounded resources: at most ``max_connections`` connections (others are
closed at once), at most ``max_buffered_bytes`` buffered by all connections
together (:class:`~radfollow.listener.framing.ByteBudget`), and a message is
inspected in one of two small thread pools, one for messages under
:data:`SMALL_MESSAGE_BYTES`, so a big message never delays a small one's ACK.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import signal
import ssl
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from radfollow.errors import error_location
from radfollow.hl7.header import MessageHeader
from radfollow.hl7.options import HL7Options
from radfollow.listener.ack import Ack, build_ack
from radfollow.listener.framing import (
    CHUNK,
    END,
    START,
    BudgetExhausted,
    ByteBudget,
    Frame,
    IdleTimeout,
    Oversized,
    frames,
)
from radfollow.listener.inspect import Verdict, inspect, read_header, salvage_header
from radfollow.listener.store import InboxWriter, Incoming
from radfollow.models import MAX_REPORT_CHARS
from radfollow.tracker.db import Tracker

log = logging.getLogger("radfollow.listener")


@dataclass
class ListenerConfig:
    host: str = "127.0.0.1"
    port: int = 2575
    max_message_bytes: int = 4 * 1024 * 1024
    idle_timeout: float = 300.0
    reject_other_types: bool = False
    tls_cert: Path | None = None
    tls_key: Path | None = None
    tls_client_ca: Path | None = None
    hl7: HL7Options = field(default_factory=HL7Options)
    #: Reports over this many characters are answered AE (RF202) at receive time.
    max_report_chars: int = MAX_REPORT_CHARS
    #: Connections open at once; one more is closed at once (``--max-connections``).
    max_connections: int = 64
    #: Bytes buffered by all connections together (``--max-buffered-bytes``).
    max_buffered_bytes: int = 64 * 1024 * 1024
    #: Seconds a connection holding part of a message waits for buffer space
    #: before it is closed (one holding nothing waits as long as it takes).
    buffer_wait_s: float = 10.0
    #: MSH-11 T and D messages are stored and processed (``--accept-test-messages``).
    accept_test_messages: bool = False

    def check(self) -> None:
        """Raise ValueError naming the setting when the limits cannot work together."""
        if self.max_connections < 1:
            raise ValueError("--max-connections must be at least 1")
        if self.max_buffered_bytes < self.max_message_bytes + 2 * CHUNK:
            raise ValueError(
                "--max-buffered-bytes must be at least --max-message-bytes + 128 KiB "
                "(one message of the largest size must fit)"
            )
        if self.max_buffered_bytes < self.max_connections * CHUNK + self.max_message_bytes + CHUNK:
            raise ValueError(
                "--max-buffered-bytes must be at least --max-connections x 64 KiB + "
                "--max-message-bytes + 64 KiB (each open connection reserves 64 KiB to read)"
            )


#: Messages under this size are inspected in their own thread pool, so that they
#: never wait behind big ones.
SMALL_MESSAGE_BYTES = 64 * 1024
#: Threads of each inspection pool (small messages, big messages).
INSPECT_THREADS = 2


@dataclass
class Counters:
    received: int = 0
    acked: dict[str, int] = field(default_factory=dict)
    dead_letters: int = 0
    ack_seconds: list[float] = field(default_factory=list)

    def count(self, code: str) -> None:
        self.acked[code] = self.acked.get(code, 0) + 1


def hashed(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:12]


def ssl_context(config: ListenerConfig) -> ssl.SSLContext | None:
    if config.tls_cert is None:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(config.tls_cert, config.tls_key)
    if config.tls_client_ca is not None:
        context.load_verify_locations(config.tls_client_ca)
        context.verify_mode = ssl.CERT_REQUIRED
    return context


class Listener:
    def __init__(self, tracker: Tracker, config: ListenerConfig) -> None:
        self.tracker = tracker
        self.config = config
        self.writer = InboxWriter(tracker)
        self.counters = Counters()
        self.stopping = asyncio.Event()
        self._connections: set[asyncio.Task[None]] = set()
        self.server: asyncio.Server | None = None
        self.budget: ByteBudget | None = None
        self._small = ThreadPoolExecutor(INSPECT_THREADS, thread_name_prefix="inspect-small")
        self._large = ThreadPoolExecutor(INSPECT_THREADS, thread_name_prefix="inspect-large")

    async def start(self) -> tuple[str, int]:
        self.budget = ByteBudget(self.config.max_buffered_bytes, wait_s=self.config.buffer_wait_s)
        self._writer_task = asyncio.create_task(self.writer.run())
        self.server = await asyncio.start_server(
            self._connection,
            self.config.host,
            self.config.port,
            ssl=ssl_context(self.config),
            # The stream's own buffer: reading pauses above twice this, so what a
            # connection holds outside the budget stays under 128 KiB.
            limit=CHUNK,
        )
        host, port = self.server.sockets[0].getsockname()[:2]
        return host, port

    async def serve_until_stopped(self) -> None:
        loop = asyncio.get_running_loop()
        if sys.platform != "win32":  # asyncio signal handlers are Unix-only
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, self.stopping.set)
        await self.stopping.wait()
        await self.stop()

    async def stop(self) -> None:
        """Stop accepting, let connections finish the message in hand, flush the inbox."""
        if self.server is not None:
            self.server.close()
        if self._connections:
            await asyncio.wait(self._connections, timeout=10)
        for task in self._connections:
            task.cancel()
        await self.writer.drain()
        self._writer_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._writer_task
        self._small.shutdown(wait=False, cancel_futures=True)
        self._large.shutdown(wait=False, cancel_futures=True)

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        peer = str(writer.get_extra_info("peername", ("?", 0))[0])
        if len(self._connections) >= self.config.max_connections:
            log.warning(
                "refused a connection from %s: %d connections open (--max-connections)",
                peer,
                len(self._connections),
            )
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
            return
        self._connections.add(task)
        try:
            await self._serve(reader, writer, peer)
        except (IdleTimeout, ConnectionError, asyncio.IncompleteReadError):
            pass
        except BudgetExhausted:
            log.warning(
                "closed connection from %s: no buffer space for its message within %.0f s "
                "(--max-buffered-bytes)",
                peer,
                self.config.buffer_wait_s,
            )
        finally:
            self._connections.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _serve(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, peer: str
    ) -> None:
        config = self.config
        events = frames(
            reader,
            max_size=config.max_message_bytes,
            idle_timeout=config.idle_timeout,
            budget=self.budget,
        )
        async with contextlib.aclosing(events):  # gives back its buffer budget at once
            async for event in events:
                started = time.perf_counter()
                self.counters.received += 1
                keep_open = await self._answer(event, writer, peer)
                self.counters.ack_seconds.append(time.perf_counter() - started)
                if not keep_open or self.stopping.is_set():
                    return

    async def _answer(
        self, event: Frame | Oversized, writer: asyncio.StreamWriter, peer: str
    ) -> bool:
        """Store and answer one message; False when the connection is to be closed."""
        if isinstance(event, Oversized):
            verdict = self._oversized(event)
            await self._dead(event.prefix, peer, verdict, verdict.reason)
            if verdict.header is None:
                return False
            await self._send(writer, verdict.header, Ack("AE", verdict.reason, "207"))
            return True
        verdict = await self._run(self._inspect, event.data)
        if verdict.kind == "unreadable" or verdict.header is None:
            await self._dead(event.data, peer, verdict, verdict.reason)
            log.warning("closed connection from %s: %s", peer, verdict.reason)
            return False
        header = verdict.header
        try:
            status = await self.writer.store(Incoming(event.data, peer, verdict))
        except Exception:
            ack = Ack("AR", "message could not be stored; resend later", "207")
            await self._send(writer, header, ack)
            return True
        await self._send(writer, header, self._ack_for(verdict, status))
        return True

    def _oversized(self, event: Oversized) -> Verdict:
        limit = self.config.max_message_bytes
        reason = f"message of {event.size} bytes is over the {limit}-byte limit"
        header = read_header(event.prefix) or salvage_header(event.prefix)
        return Verdict("reject" if header else "unreadable", header, reason, "207")

    async def _run(self, function: Callable[[bytes], Verdict], data: bytes) -> Verdict:
        """``function(data)`` in the inspection pool for its size, off the event loop."""
        pool = self._small if len(data) < SMALL_MESSAGE_BYTES else self._large
        return await asyncio.get_running_loop().run_in_executor(pool, function, data)

    def _inspect(self, data: bytes) -> Verdict:
        """The verdict on one message (runs in a pool thread); a bug while inspecting
        it fails that message (dead letter, AR: the fault is ours) instead of
        dropping the connection without an answer."""
        try:
            return inspect(
                data,
                reject_other=self.config.reject_other_types,
                hl7=self.config.hl7,
                max_report_chars=self.config.max_report_chars,
                accept_test=self.config.accept_test_messages,
            )
        except Exception as error:
            reason = f"internal error ({type(error).__name__}) while reading the message"
            log.error("inspecting a message: %s", reason)
            log.info("inspecting a message: %s at %s", type(error).__name__, error_location(error))
            header = read_header(data) or salvage_header(data)
            if header is None:
                return Verdict("unreadable", None, reason)
            return Verdict("failed", header, reason, "207")

    @staticmethod
    def _ack_for(verdict: Verdict, status: str) -> Ack:
        if verdict.kind == "failed":
            return Ack("AR", verdict.reason + "; resend later", verdict.error_code or "207")
        if verdict.kind in ("reject", "unusable"):
            return Ack("AE", verdict.reason, verdict.error_code or "207")
        text = {"duplicate": "duplicate, already received", "ignored": verdict.reason}.get(
            status, ""
        )
        return Ack("AA", text)

    async def _dead(self, raw: bytes, peer: str, verdict: Verdict | None, reason: str) -> None:
        self.counters.dead_letters += 1
        with contextlib.suppress(Exception):
            await self.writer.store(Incoming(raw, peer, verdict, reason=reason))

    async def _send(self, writer: asyncio.StreamWriter, header: MessageHeader, ack: Ack) -> None:
        """Write the ACK; a sender that does not read it within ``idle_timeout``
        seconds loses the connection (TimeoutError), so that it cannot hold a
        connection slot and buffer budget for ever."""
        writer.write(START + build_ack(header, ack) + END)
        await asyncio.wait_for(writer.drain(), timeout=self.config.idle_timeout)
        self.counters.count(ack.code)
        log.debug("ack %s control_id=%s", ack.code, header.control_id)
