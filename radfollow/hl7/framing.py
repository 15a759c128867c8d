"""Files and directories to single raw messages.

Handles MLLP framing (``0x0B ... 0x1C 0x0D``, several blocks per file, framed
and unframed messages mixed in one file), FHS/BHS batch files, several
messages concatenated in one file, and CR, LF or CR LF segment endings. A 0x0B
starts a block only at the start of the data or of a line, right after an end
byte, or right before an MSH, FHS or BHS segment: a stray 0x0B inside report
text splits nothing. Each message comes
back as bytes with its segments joined by CR; nothing is decoded here. File
and batch header/trailer segments (FHS, BHS, BTS, FTS) are dropped. A file (or
MLLP block) without any MSH comes back whole as one message, and segments
found before the first MSH come back as one message of their own, so the
caller can reject them with a reason.
"""

from __future__ import annotations

import re
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from radfollow.hl7.header import MSH_BYTES
from radfollow.io.inputs import DEFAULT_MAX_FILE_BYTES, read_input

MLLP_START = b"\x0b"
MLLP_END = b"\x1c"
BATCH_SEGMENTS = (b"FHS", b"BHS", b"BTS", b"FTS")
_SEGMENT_BREAK = re.compile(rb"\r\n|\r|\n")
_BOM = b"\xef\xbb\xbf"

#: Called with the path and the error when a file or folder cannot be examined.
OnError = Callable[[Path, OSError], None]


@dataclass(frozen=True)
class RawMessage:
    source: str  # file path as given
    position: int  # 1-based index of the message within its file
    data: bytes  # one message, framing stripped, still bytes


def iter_files(paths: Iterable[Path], *, onerror: OnError | None = None) -> Iterator[Path]:
    """Files in the order given; directories recursively, sorted by name.

    Hidden entries (name starting with '.') inside directories are skipped, and
    symlinked directories are not followed. Every other entry of a directory is
    yielded, including what cannot be read as a file (a dangling symbolic link,
    a FIFO, a socket, a device) so that reading it reports why, and a path that
    is not a directory is yielded as given. A folder that cannot be listed, or
    an entry that cannot be examined (one removed after the listing), raises
    OSError; with ``onerror`` it is passed there instead (as ``os.walk`` does)
    and the walk goes on with the rest.
    """
    for path in paths:
        if _is_dir(path, onerror):
            yield from _walk(path, onerror)
        else:
            yield path


def _is_dir(path: Path, onerror: OnError | None) -> bool:
    try:
        return path.is_dir()
    except OSError as error:
        if onerror is None:
            raise
        onerror(path, error)
        return False


def _walk(directory: Path, onerror: OnError | None) -> Iterator[Path]:
    try:
        children = sorted(directory.iterdir(), key=lambda p: p.name)
    except OSError as error:
        if onerror is None:
            raise
        onerror(directory, error)
        return
    for child in children:
        if child.name.startswith("."):
            continue
        try:
            mode = child.lstat().st_mode  # raises when the entry is gone since the listing
        except OSError as error:
            if onerror is None:
                raise
            onerror(child, error)
            continue
        if stat.S_ISDIR(mode):
            yield from _walk(child, onerror)
        elif not (stat.S_ISLNK(mode) and _points_to_dir(child)):
            yield child


def _points_to_dir(link: Path) -> bool:
    try:
        return link.is_dir()
    except OSError:  # a loop of links: reading it reports the error
        return False


def split_messages(data: bytes, source: str) -> Iterator[RawMessage]:
    """The messages of one file's bytes, numbered from 1."""
    chunks = [chunk for block in _blocks(data) for chunk in _split_block(block)]
    if not chunks and _has_content(data):
        chunks = [data]
    for position, chunk in enumerate(chunks, start=1):
        yield RawMessage(source=source, position=position, data=chunk)


def iter_raw_messages(
    paths: Iterable[Path], *, max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
) -> Iterator[RawMessage]:
    """Every message of every file under ``paths``.

    Raises OSError or InputFileError (not a regular file, over ``max_file_bytes``)
    for the first file that cannot be read; see :func:`radfollow.io.inputs.read_input`.
    """
    for path in iter_files(paths):
        yield from split_messages(read_input(path, max_bytes=max_file_bytes), str(path))


def no_message_reason(data: bytes) -> str:
    """Why a file's ``data`` gave no message from :func:`split_messages` (a one-line reason)."""
    if not data:
        return "empty file (0 bytes): no HL7 message"
    if not data.removeprefix(_BOM).strip(b" \t\r\n\x0b\x1c\x0c"):
        return "no HL7 message: only whitespace or MLLP framing bytes"
    return "no HL7 message: only batch header and trailer segments (FHS, BHS, BTS, FTS)"


#: What may follow a start byte anywhere on a line for it to start a block: an
#: MSH, FHS or BHS segment (after an optional byte order mark and line breaks).
_BLOCK_HEAD = re.compile(rb"(?:\xef\xbb\xbf)?[ \t\r\n]*(?:MSH|FHS|BHS)[!-/:-@\[-`{-~]")
_BLANKS = frozenset(b" \t")
_LINE_ENDS = frozenset(b"\r\n\x1c")
#: An end byte with no open block, at the end of a line: dropped.
_LONE_END = re.compile(rb"\x1c(?=[\r\n]|\Z)")


def _blocks(data: bytes) -> list[bytes]:
    """The data as MLLP blocks and the unframed stretches between them, in order.

    A file may mix framed and unframed messages: text outside every block is
    kept (it used to be dropped). A block runs from a start byte (0x0B, see
    :func:`_starts_block`) to its end byte 0x1C, to the next block start, or to
    the end of the data. Stretches of whitespace only are left out.
    """
    data = data.removeprefix(_BOM)
    pieces: list[bytes] = []
    ends = _EndFinder(data)
    pos = 0
    while pos < len(data):
        start = _next_start(data, pos)
        if start == -1:
            pieces.append(_LONE_END.sub(b"", data[pos:]))
            break
        pieces.append(_LONE_END.sub(b"", data[pos:start]))
        body = start + 1
        stop, pos = _block_end(data, body, ends)
        pieces.append(data[body:stop].removeprefix(_BOM))
    return [piece for piece in pieces if piece.strip()]


class _EndFinder:
    """The first end byte at or after a position, for positions that only grow:
    each byte of the data is searched at most once."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.found = -2  # not searched yet

    def next_end(self, pos: int) -> int:
        if self.found == -2 or (self.found != -1 and self.found < pos):
            self.found = self.data.find(MLLP_END, pos)
        return self.found


def _next_start(data: bytes, pos: int) -> int:
    """Offset of the next start byte at or after ``pos`` that starts a block, or -1."""
    start = data.find(MLLP_START, pos)
    while start != -1 and not _starts_block(data, start):
        start = data.find(MLLP_START, start + 1)
    return start


def _block_end(data: bytes, body: int, ends: _EndFinder | None = None) -> tuple[int, int]:
    """Where the block whose text starts at ``body`` stops, and where reading goes on:
    after its end byte, or at the next block's start byte (a block without an end).
    ``ends`` remembers the next end byte across calls, so a file of blocks without
    end bytes is read in linear time."""
    end = (ends or _EndFinder(data)).next_end(body)
    limit = len(data) if end == -1 else end
    start = data.find(MLLP_START, body, limit)
    while start != -1 and not _starts_block(data, start):
        start = data.find(MLLP_START, start + 1, limit)
    if start != -1:
        return start, start
    return (end, end + 1) if end != -1 else (len(data), len(data))


def _starts_block(data: bytes, offset: int) -> bool:
    """Whether the start byte at ``offset`` starts a block: it is at the start of the
    data or of a line, or after an end byte (spaces and tabs allowed in between),
    or an MSH, FHS or BHS segment follows it. Anywhere else it is a stray byte of
    the message's text and splits nothing."""
    i = offset - 1
    while i >= 0 and data[i] in _BLANKS:
        i -= 1
    if i < 0 or data[i] in _LINE_ENDS:
        return True
    return _BLOCK_HEAD.match(data, offset + 1) is not None


def _has_content(data: bytes) -> bool:
    """Anything besides whitespace, MLLP bytes and batch header/trailer segments."""
    unframed = data.replace(MLLP_START, b"\n").replace(MLLP_END, b"\n")
    return any(True for _ in _segments(unframed))


def _split_block(block: bytes) -> list[bytes]:
    """Group segments into messages, each starting at an MSH segment.

    A block of batch headers only (an empty batch) gives no message; a block
    with content but no MSH comes back whole.
    """
    if not _has_content(block):
        return []
    if not any(MSH_BYTES.match(segment) for segment in _segments(block)):
        return [block]
    messages: list[list[bytes]] = []
    stray: list[bytes] = []
    for segment in _segments(block):
        if MSH_BYTES.match(segment):
            messages.append([segment])
        elif messages:
            messages[-1].append(segment)
        else:
            stray.append(segment)
    groups = ([stray] if stray else []) + messages
    return [b"\r".join(group) for group in groups]


def _segments(block: bytes) -> Iterator[bytes]:
    for line in _SEGMENT_BREAK.split(block):
        segment = line.lstrip(b" \t")
        if segment.strip() and not segment.startswith(BATCH_SEGMENTS):
            yield segment
