"""MLLP framing (0x0B message 0x1C 0x0D) over an asyncio stream, with size limits.

Written here rather than taken from ``hl7.mllp``: that reader decodes the
bytes (ASCII by default) and parses them before handing a message over, while
the listener must store the raw bytes first and pick the charset per message
(MSH-18); and it raises on an oversized message instead of letting the server
answer and go on.

Bytes a connection holds (its partial frame, and a whole frame until the next
one is asked for, i.e. until the message in hand is answered) are counted
against a :class:`ByteBudget` shared by all connections.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from dataclasses import dataclass

START = b"\x0b"
END = b"\x1c\x0d"
CHUNK = 65536
PREFIX = 4096


@dataclass(frozen=True)
class Frame:
    data: bytes


@dataclass(frozen=True)
class Oversized:
    """A message over the limit: its first bytes (for MSH-10) and its size."""

    prefix: bytes
    size: int


class IdleTimeout(Exception):
    pass


class BudgetExhausted(Exception):
    """A connection holding part of a message waited ``wait_s`` seconds for buffer
    space that the other connections did not free."""


class ByteBudget:
    """Bytes buffered by all connections together, at most ``limit``.

    ``acquire(n, holding=...)`` waits until ``n`` more bytes fit. A connection
    that holds nothing waits as long as it takes (backpressure: it stops reading,
    TCP pushes back on the sender). One that holds part of a message waits at
    most ``wait_s`` seconds, then :class:`BudgetExhausted` is raised, so that
    connections all holding partial messages cannot wait for each other forever.
    """

    def __init__(self, limit: int, *, wait_s: float = 10.0) -> None:
        self.limit = limit
        self.wait_s = wait_s
        self.used = 0
        self._freed = asyncio.Condition()

    async def acquire(self, size: int, *, holding: int) -> None:
        async with self._freed:
            fits = lambda: self.used + size <= self.limit  # noqa: E731
            if holding:
                try:
                    await asyncio.wait_for(self._freed.wait_for(fits), self.wait_s)
                except TimeoutError as err:
                    raise BudgetExhausted from err
            else:
                await self._freed.wait_for(fits)
            self.used += size

    async def release(self, size: int) -> None:
        if size <= 0:
            return
        async with self._freed:
            self.used -= size
            self._freed.notify_all()


async def frames(
    reader: asyncio.StreamReader,
    *,
    max_size: int,
    idle_timeout: float,
    budget: ByteBudget | None = None,
) -> AsyncGenerator[Frame | Oversized, None]:
    """Yield each framed message; bytes outside frames are skipped.

    Linear in the bytes received: the end marker is searched only in bytes not
    searched before. With ``budget``, each read first reserves :data:`CHUNK`
    bytes; what the connection holds is released as it is dropped. Raises
    IdleTimeout, and BudgetExhausted (see :class:`ByteBudget`).
    """
    buffer = bytearray()
    held = 0  # bytes reserved from the budget
    try:
        async for event in _frames(reader, buffer, max_size, idle_timeout, budget):
            if isinstance(event, int):  # bookkeeping: reserve or release
                if budget is not None and event > 0:
                    await budget.acquire(event, holding=len(buffer))
                elif budget is not None:
                    await budget.release(-event)
                held += event
                continue
            yield event
    finally:
        if budget is not None:
            await budget.release(held)


async def _frames(
    reader: asyncio.StreamReader,
    buffer: bytearray,
    max_size: int,
    idle_timeout: float,
    budget: ByteBudget | None,
) -> AsyncGenerator[Frame | Oversized | int, None]:
    """The framing itself; ints are budget moves (+reserve, -release)."""
    in_frame = False
    discarding = 0
    prefix = b""
    searched = 0  # bytes of ``buffer`` already searched for the end marker
    while True:
        yield CHUNK
        try:
            chunk = await asyncio.wait_for(reader.read(CHUNK), timeout=idle_timeout)
        except TimeoutError as err:
            raise IdleTimeout from err
        yield -(CHUNK - len(chunk))
        if not chunk:
            return
        buffer += chunk
        while True:
            if not in_frame:
                start = buffer.find(START)
                if start < 0:
                    yield -len(buffer)
                    buffer.clear()
                    break
                yield -(start + 1)
                del buffer[: start + 1]
                in_frame, discarding, prefix, searched = True, 0, b"", 0
            end = buffer.find(END, max(searched - 1, 0))
            if end < 0:
                searched = len(buffer)
                if discarding or len(buffer) > max_size:
                    if not discarding:
                        prefix = bytes(buffer[:PREFIX])
                    discarding += len(buffer) - 1
                    yield -(len(buffer) - 1)
                    del buffer[:-1]  # keep a possible 0x1C split from its 0x0D
                    searched = 0
                break
            if discarding or end > max_size:
                yield Oversized(prefix or bytes(buffer[:PREFIX]), discarding + end)
            else:
                yield Frame(bytes(buffer[:end]))  # held until the next frame is asked for
            yield -(end + 2)
            del buffer[: end + 2]
            in_frame, searched = False, 0
