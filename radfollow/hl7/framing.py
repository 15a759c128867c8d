"""Files and directories to single raw messages.

Handles MLLP framing (``0x0B ... 0x1C 0x0D``, several blocks per file, framed
and unframed messages mixed in one file), FHS/BHS batch files, several
messages concatenated in one file, and CR, LF or CR LF segment endings. A 0x0B
starts a block only at the start of the data or of a line, or right after an
end byte: a stray 0x0B inside report text splits nothing. Each message comes
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


#: An MLLP start byte at a block start: at the start of the data or of a line,
#: or right after an end byte (spaces and tabs allowed before it). Anywhere else
#: it is a stray byte of the message's text and splits nothing.
_FRAME_START = re.compile(rb"(?:\A|(?<=[\r\n\x1c]))[ \t]*\x0b")
#: Where an open block ends: its end byte, or the start of the next block.
_FRAME_END = re.compile(rb"\x1c|(?<=[\r\n])[ \t]*\x0b")
#: An end byte with no open block, at the end of a line: dropped.
_LONE_END = re.compile(rb"\x1c(?=[\r\n]|\Z)")


def _blocks(data: bytes) -> list[bytes]:
    """The data as MLLP blocks and the unframed stretches between them, in order.

    A file may mix framed and unframed messages: text outside every block is
    kept (it used to be dropped). A block runs from a start byte (0x0B at a
    block start, see ``_FRAME_START``) to its end byte 0x1C, to the next block
    start, or to the end of the data. Stretches of whitespace only are left out.
    """
    data = data.removeprefix(_BOM)
    pieces: list[bytes] = []
    pos = 0
    while pos < len(data):
        start = _FRAME_START.search(data, pos)
        if start is None:
            pieces.append(_LONE_END.sub(b"", data[pos:]))
            break
        pieces.append(_LONE_END.sub(b"", data[pos : start.start()]))
        end = _FRAME_END.search(data, start.end())
        stop = end.start() if end else len(data)
        pieces.append(data[start.end() : stop].removeprefix(_BOM))
        pos = end.end() if end and end.group() == MLLP_END else stop
    return [piece for piece in pieces if piece.strip()]


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
