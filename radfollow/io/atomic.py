"""Atomic output files: written to a temporary file beside the target, then renamed.

A reader never sees a half-written file, and a crash leaves the previous
version in place. Outputs may hold PHI: the file is created mode 0600 (by
``mkstemp``) and missing folders 0700 (:mod:`radfollow.io.private`).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from radfollow.io.private import make_private_dirs


@contextlib.contextmanager
def atomic_writer(path: str | Path, *, encoding: str = "utf-8") -> Iterator[TextIO]:
    target = Path(path)
    make_private_dirs(target.parent)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding=encoding, newline="\n") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
