"""The reading stages of the Spark job: input -> one row per unit.

Every input unit becomes one row: a JSONL line or Parquet row (its JSON text in
``value``) or an HL7 message (its bytes in ``data``), or, when it cannot be
read, the unit's error (``code``, ``reason``, quoting no field values).
Local files are listed on the driver with ``radfollow process``'s own walk
(:func:`radfollow.hl7.iter_files`: hidden entries skipped, FIFOs and dangling
links kept so that reading them reports why) and read on the executors with
the readers ``extract`` and ``process`` use
(:func:`radfollow.io.jsonl.read_jsonl`,
:func:`radfollow.processing.batch.file_messages`), so lines are numbered,
messages split and errors coded exactly as there. HL7 under another URI
(``hdfs://``, ``s3a://``) is read with Spark's ``binaryFile`` source.

The functions given to ``mapInPandas`` take an iterator of pandas DataFrames
and yield DataFrames of at most :data:`CHUNK` rows; none imports Spark.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from radfollow.errors import InputFileError, InputReadError, RadfollowError
from radfollow.hl7 import iter_files, split_messages
from radfollow.hl7.framing import RawMessage, no_message_reason
from radfollow.io.inputs import too_large
from radfollow.io.jsonl import read_jsonl
from radfollow.models import RejectedInput
from radfollow.processing.batch import file_messages, read_reason
from radfollow.spark.paths import local_path
from radfollow.spark.tables import Columns, names

#: Text input (JSONL lines, Parquet rows): one row per unit.
TEXT_INPUT: Columns = (
    ("source", "string"),
    ("position", "bigint"),  # null: the file as a whole (JSONL) or a Parquet row
    ("value", "string"),  # the record as JSON text; null when the unit is an error
    ("code", "string"),
    ("reason", "string"),
)
#: HL7 input: one row per message, or per file that gives none.
HL7_INPUT: Columns = (
    ("source", "string"),
    ("position", "bigint"),
    ("data", "binary"),
    ("code", "string"),
    ("reason", "string"),
)
#: Most rows in one DataFrame a reader yields (bounds a worker's memory on big files).
CHUNK = 2_000

Batches = Iterator[pd.DataFrame]


def list_files(paths: list[str]) -> tuple[list[tuple[str, str]], list[dict[str, Any]]]:
    """(files, error rows) of local ``paths``, walked as ``process`` walks them:
    each file as (absolute path, name as given), so that executors, whose working
    folder is not the driver's, read the right file and the outputs name it as
    ``process`` does; one RF201 row per folder that cannot be listed."""
    problems: list[tuple[Path, OSError]] = []
    local = [Path(local_path(p) or p) for p in paths]
    found = iter_files(local, onerror=lambda p, e: problems.append((p, e)))
    files = [(os.path.abspath(f), str(f)) for f in found]
    rows = [_row(str(p), None, None, None, InputReadError(read_reason(p, e))) for p, e in problems]
    return files, rows


def jsonl_files(max_bytes: int) -> Any:
    """The reader of batches of ``path`` rows: every line of each JSONL file, read
    and numbered as ``extract`` reads it (``TEXT_INPUT``)."""

    def read(batches: Batches) -> Batches:
        for frame in batches:
            for path, name in zip(frame["path"], frame["name"], strict=True):
                yield from chunked(_jsonl_rows(str(path), str(name), max_bytes), TEXT_INPUT)

    return read


def _jsonl_rows(path: str, name: str, max_bytes: int) -> Iterator[dict[str, Any]]:
    try:
        for line in read_jsonl(path, max_bytes=max_bytes):
            if line.record is None:
                error = line.error or InputFileError("unreadable line")
                yield _row(name, line.line_no, None, None, error)
            else:
                yield _row(name, line.line_no, "value", json.dumps(line.record), None)
    except RadfollowError as error:  # the file as a whole: one error row
        yield _row(name, None, None, None, error)
    except OSError as error:
        yield _row(name, None, None, None, InputReadError(read_reason(Path(path), error)))


def hl7_local_files(max_bytes: int) -> Any:
    """The reader of batches of ``path`` rows: the messages of each local HL7 file,
    split and numbered as ``process`` does, or the file's error (``HL7_INPUT``)."""

    def read(batches: Batches) -> Batches:
        for frame in batches:
            for path, name in zip(frame["path"], frame["name"], strict=True):
                units = file_messages([Path(str(path))], max_file_bytes=max_bytes)
                yield from chunked((_unit_row(u, str(name)) for u in units), HL7_INPUT)

    return read


def _unit_row(unit: RawMessage | RejectedInput, name: str) -> dict[str, Any]:
    """The row of one unit of one file, the file named ``name``."""
    if isinstance(unit, RawMessage):
        return _row(name, unit.position, "data", unit.data, None)
    return {
        "source": name,
        "position": unit.position,
        "data": None,
        "code": unit.code,
        "reason": unit.reason,
    }


def hl7_files(max_bytes: int) -> Any:
    """The reader of ``binaryFile`` batches (path, length, content) for HL7 under
    a non-local URI: each file split into its messages, numbered from 1; a file
    over ``max_bytes`` or holding no message is one error row (RF203)."""

    def read(batches: Batches) -> Batches:
        for frame in batches:
            for uri, length, content in zip(
                frame["path"], frame["length"], frame["content"], strict=True
            ):
                rows = _messages(str(uri), int(length), content, max_bytes)
                yield from chunked(rows, HL7_INPUT)

    return read


def _messages(
    source: str, length: int, content: bytes | None, max_bytes: int
) -> Iterator[dict[str, Any]]:
    if content is None or length > max_bytes:
        error = InputFileError(too_large(length, max_bytes), where=source)
        yield _row(source, None, None, None, error)
        return
    found = False
    for message in split_messages(bytes(content), source):
        found = True
        yield _row(source, message.position, "data", message.data, None)
    if not found:
        yield _row(source, None, None, None, InputFileError(no_message_reason(bytes(content))))


def chunked(rows: Iterable[dict[str, Any]], columns: Columns) -> Batches:
    """DataFrames of at most :data:`CHUNK` of ``rows`` (none for no rows)."""
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= CHUNK:
            yield pd.DataFrame(chunk, columns=names(columns))
            chunk = []
    if chunk:
        yield pd.DataFrame(chunk, columns=names(columns))


def _row(
    source: str,
    position: int | None,
    key: str | None,
    content: object,
    error: RadfollowError | None,
) -> dict[str, Any]:
    """An input row: ``content`` under ``key`` (``value`` or ``data``), or ``error``."""
    row: dict[str, Any] = {
        "source": source,
        "position": position,
        "code": error.code if error else None,
        "reason": error.message if error else None,
    }
    if key is not None:
        row[key] = content
    return row
