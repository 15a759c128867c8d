"""Paths and URIs as the Spark job reads them (no Spark, no pandas: the CLI uses it)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse


def local_path(uri: str) -> str | None:
    """The local path a command-line input or output names: a plain path as given
    (``#`` and ``?`` are part of the name), a ``file:`` URI decoded; None for any
    other URI (``hdfs://``, ``s3a://``)."""
    parsed = urlparse(uri)
    if parsed.scheme == "file":
        return unquote(parsed.path)
    if parsed.scheme == "" or len(parsed.scheme) == 1:  # no scheme (or a drive letter)
        return uri
    return None


def uri(path: str) -> str:
    """``path`` as Spark should read it: a local path as a ``file:`` URI (absolute,
    so a cluster's default file system does not take it), any URI unchanged."""
    local = local_path(path)
    # Not Path.as_uri(): Hadoop reads "%5B" as three characters, not as "[".
    return f"file://{Path(local).resolve()}" if local is not None else path
