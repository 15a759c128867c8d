"""MLLP framing (0x0B message 0x1C 0x0D) over an asyncio stream, with a size limit.

Written here rather than taken from ``hl7.mllp``: that reader decodes the
bytes (ASCII by default) and parses them before handing a message over, while
the listener must store the raw bytes first and pick the charset per message
(MSH-18); and it raises on an oversized message instead of letting the server
answer AR and go on.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
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


async def frames(
    reader: asyncio.StreamReader, *, max_size: int, idle_timeout: float
) -> AsyncIterator[Frame | Oversized]:
    """Yield each framed message; bytes outside frames are skipped."""
    buffer = bytearray()
    in_frame = False
    discarding = 0
    prefix = b""
    while True:
        try:
            chunk = await asyncio.wait_for(reader.read(CHUNK), timeout=idle_timeout)
        except TimeoutError as err:
            raise IdleTimeout from err
        if not chunk:
            return
        buffer += chunk
        while True:
            if not in_frame:
                start = buffer.find(START)
                if start < 0:
                    buffer.clear()
                    break
                del buffer[: start + 1]
                in_frame, discarding, prefix = True, 0, b""
            end = buffer.find(END)
            if end < 0:
                if discarding or len(buffer) > max_size:
                    if not discarding:
                        prefix = bytes(buffer[:PREFIX])
                    discarding += len(buffer) - 1
                    del buffer[:-1]  # keep a possible 0x1C split from its 0x0D
                break
            if discarding or end > max_size:
                size = discarding + end
                yield Oversized(prefix or bytes(buffer[:PREFIX]), size)
            else:
                yield Frame(bytes(buffer[:end]))
            del buffer[: end + 2]
            in_frame = False
