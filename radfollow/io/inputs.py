"""Input files for ``process`` and ``extract``: regular files only, within a size limit.

A FIFO given as input used to hang the run (opening it for reading waits for a
writer) and ``/dev/zero`` to fill memory. :func:`open_input` examines the path
before opening it, opens it without blocking, checks the open file again, and
counts what is read, so no input can stall a run or hold more than
``max_bytes`` bytes of it in memory.
"""

from __future__ import annotations

import io
import os
import stat
from pathlib import Path
from typing import BinaryIO

from radfollow.errors import InputFileError

#: Default largest input file, in bytes (1 GiB): ``--max-file-size``.
DEFAULT_MAX_FILE_BYTES = 1 << 30

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


def open_input(path: str | Path, *, max_bytes: int = DEFAULT_MAX_FILE_BYTES) -> BinaryIO:
    """A buffered binary handle on ``path``, a regular file of at most ``max_bytes`` bytes.

    The path is examined first (following symbolic links), so a FIFO, socket or
    device is refused without being opened; it is then opened with
    ``O_NONBLOCK`` and examined again on the open descriptor (the path may have
    been replaced in between). Reading more than ``max_bytes`` bytes (a file
    that grew) raises :class:`InputFileError` from the read.

    Raises InputFileError (RF203, ``where`` the path) when the path is not a
    regular file or is over ``max_bytes``; OSError when it cannot be examined
    or opened (missing, a dangling symbolic link, no permission).
    """
    _check(os.stat(path).st_mode, 0, path, max_bytes)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags)
    try:
        info = os.fstat(fd)
        _check(info.st_mode, info.st_size, path, max_bytes)
        raw = io.FileIO(fd, "rb", closefd=True)
    except BaseException:
        os.close(fd)
        raise
    return io.BufferedReader(_Bounded(raw, max_bytes, path))


def read_input(path: str | Path, *, max_bytes: int = DEFAULT_MAX_FILE_BYTES) -> bytes:
    """All bytes of a regular file of at most ``max_bytes`` bytes; see :func:`open_input`."""
    with open_input(path, max_bytes=max_bytes) as handle:
        return handle.read()


def too_large(size: int, max_bytes: int) -> str:
    return f"file of {size:,} bytes is over the {max_bytes:,}-byte limit (--max-file-size)"


def _check(mode: int, size: int, path: str | Path, max_bytes: int) -> None:
    for test, kind in _KINDS:
        if test(mode):
            raise InputFileError(f"not a regular file but {kind}", where=str(path))
    if not stat.S_ISREG(mode):
        raise InputFileError("not a regular file", where=str(path))
    if size > max_bytes:
        raise InputFileError(too_large(size, max_bytes), where=str(path))


class _Bounded(io.RawIOBase):
    """A raw file that raises InputFileError once more than ``limit`` bytes are read."""

    def __init__(self, raw: io.FileIO, limit: int, path: str | Path) -> None:
        super().__init__()
        self._raw, self._limit, self._path, self._read = raw, limit, path, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        view = memoryview(buffer).cast("B")
        # One byte past the limit is enough to know the file is over it.
        room = min(len(view), self._limit - self._read + 1)
        count = self._raw.readinto(view[:room]) or 0
        self._read += count
        if self._read > self._limit:
            raise InputFileError(
                f"file is over the {self._limit:,}-byte limit (--max-file-size)",
                where=str(self._path),
            )
        return count

    def readall(self) -> bytes:
        """The rest of the file, read in 1 MiB steps (RawIOBase reads 8 KiB at a time)."""
        data = bytearray()
        while chunk := self.read(1 << 20):
            data += chunk
        return bytes(data)

    def close(self) -> None:
        self._raw.close()
        super().close()
