"""Owner-only files and folders for everything that may hold PHI.

The tracker database (and SQLite's ``-wal``, ``-shm`` and ``-journal`` files,
which SQLite creates with the database file's permissions), listener Bundle
files, ``process`` and ``extract`` outputs and tracker exports are created
mode 0600; folders radfollow creates for them 0700. Files and folders that
already exist keep their permissions: a site may have widened them on purpose.

Modes are given to ``os.open``/``os.mkdir`` rather than set through the umask,
which is process-wide and would race with other threads.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TextIO

#: Mode of a file radfollow creates that may hold PHI.
FILE_MODE = 0o600
#: Mode of a folder radfollow creates for such files.
DIR_MODE = 0o700


def make_private_dirs(folder: str | Path) -> None:
    """Create ``folder`` and any missing parents, each mode 0700 (like ``mkdir -p``
    with an owner-only mode); existing folders are left as they are.

    Raises OSError (e.g. FileExistsError when a part of the path is a file).
    """
    target = Path(folder)
    missing: list[Path] = []
    while not target.is_dir():
        missing.append(target)
        if target.parent == target:
            break
        target = target.parent
    for part in reversed(missing):
        try:
            os.mkdir(part, DIR_MODE)
        except FileExistsError:
            if not part.is_dir():
                raise


def create_private_file(path: str | Path) -> bool:
    """Create ``path`` empty with mode 0600 if it does not exist (its folder too,
    0700). Returns True when this call created it. Raises OSError."""
    target = Path(path)
    make_private_dirs(target.parent)
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return False
    os.close(fd)
    return True


def open_private(path: str | Path, mode: str = "a", *, encoding: str = "utf-8") -> TextIO:
    """``open(path, mode)`` for text (``"a"`` or ``"w"``), creating the file 0600 and
    its folder 0700 when missing. Raises OSError."""
    if mode not in ("a", "w"):
        raise ValueError("open_private writes text: mode 'a' or 'w'")
    target = Path(path)
    make_private_dirs(target.parent)
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if mode == "a" else os.O_TRUNC)
    fd = os.open(target, flags, FILE_MODE)
    if mode == "a":
        return os.fdopen(fd, "a", encoding=encoding)
    return os.fdopen(fd, "w", encoding=encoding)
