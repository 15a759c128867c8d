"""The MLLP server: receive, store durably, then acknowledge.

Per message: inspect (charset, MSH, cheap HL7 checks), commit to the inbox
(group commit), then ACK: AA when stored (also for ignored types and
duplicates), AE with ERR when it parsed but gives no report, AR when it cannot
be stored, does not parse past MSH, or is over the size limit. A message
without a readable MSH gets a dead letter and the connection is closed: there
is nothing to answer to. Logs carry control ids, hashed accessions and
timings, never report text or names.
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
from dataclasses import dataclass, field
from pathlib import Path

from radfollow.errors import error_location
from radfollow.hl7.options import HL7Options
from radfollow.listener.ack import Ack, build_ack
from radfollow.listener.framing import END, START, Frame, IdleTimeout, Oversized, frames
from radfollow.listener.inspect import Verdict, inspect, read_header
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

    async def start(self) -> tuple[str, int]:
        self._writer_task = asyncio.create_task(self.writer.run())
        self.server = await asyncio.start_server(
            self._connection,
            self.config.host,
            self.config.port,
            ssl=ssl_context(self.config),
            limit=1 << 20,
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

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        peer = str(writer.get_extra_info("peername", ("?", 0))[0])
        try:
            await self._serve(reader, writer, peer)
        except (IdleTimeout, ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._connections.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _serve(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, peer: str
    ) -> None:
        config = self.config
        async for event in frames(
            reader, max_size=config.max_message_bytes, idle_timeout=config.idle_timeout
        ):
            started = time.perf_counter()
            self.counters.received += 1
            keep_open = await self._answer(event, writer, peer)
            self.counters.ack_seconds.append(time.perf_counter() - started)
            if not keep_open or self.stopping.is_set():
                return

    async def _answer(
        self, event: Frame | Oversized, writer: asyncio.StreamWriter, peer: str
    ) -> bool:
        if isinstance(event, Oversized):
            limit = self.config.max_message_bytes
            reason = f"message of {event.size} bytes is over the {limit}-byte limit"
            header = read_header(event.prefix)
            rejected = Verdict("reject", header, reason, "207") if header else None
            await self._dead(event.prefix, peer, rejected, reason)
            if header is None:
                return False
            await self._send(
                writer, build_ack(header, Ack("AR", reason, "207")), header.control_id, "AR"
            )
            return True
        verdict = self._inspect(event.data)
        if verdict.kind == "unreadable":
            await self._dead(event.data, peer, verdict, verdict.reason)
            log.warning("closed connection from %s: %s", peer, verdict.reason)
            return False
        header = verdict.header
        assert header is not None
        try:
            status = await self.writer.store(Incoming(event.data, peer, verdict))
        except Exception:
            ack = Ack("AR", "message could not be stored; resend", "207")
            await self._send(writer, build_ack(header, ack), header.control_id, "AR")
            return True
        await self._send(
            writer,
            build_ack(header, self._ack_for(verdict, status)),
            header.control_id,
            self._ack_for(verdict, status).code,
        )
        return True

    def _inspect(self, data: bytes) -> Verdict:
        """The verdict on one message; a bug while inspecting it rejects that message
        (dead letter, AR) instead of dropping the connection without an answer."""
        try:
            return inspect(
                data,
                reject_other=self.config.reject_other_types,
                hl7=self.config.hl7,
                max_report_chars=self.config.max_report_chars,
            )
        except Exception as error:
            reason = f"internal error ({type(error).__name__}) while reading the message"
            log.error("inspecting a message: %s", reason)
            log.info("inspecting a message: %s at %s", type(error).__name__, error_location(error))
            header = read_header(data)
            if header is None:
                return Verdict("unreadable", None, reason)
            return Verdict("reject", header, reason, "207")

    @staticmethod
    def _ack_for(verdict: Verdict, status: str) -> Ack:
        if verdict.kind == "reject":
            return Ack("AR", verdict.reason, verdict.error_code or "207")
        if verdict.kind == "unusable":
            return Ack("AE", verdict.reason, verdict.error_code or "207")
        text = {"duplicate": "duplicate, already received", "ignored": verdict.reason}.get(
            status, ""
        )
        return Ack("AA", text)

    async def _dead(self, raw: bytes, peer: str, verdict: Verdict | None, reason: str) -> None:
        self.counters.dead_letters += 1
        with contextlib.suppress(Exception):
            await self.writer.store(Incoming(raw, peer, verdict, reason=reason))

    async def _send(
        self, writer: asyncio.StreamWriter, ack: bytes, control_id: str, code: str
    ) -> None:
        writer.write(START + ack + END)
        await writer.drain()
        self.counters.count(code)
        log.debug("ack %s control_id=%s", code, control_id)
