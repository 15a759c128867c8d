"""The reading stages of the Spark job, run on the executors: input -> ``INPUT`` rows.

Every input unit becomes one row: a JSONL line or Parquet row (its JSON text in
``value``) or an HL7 message (its bytes in ``data``), or, when it cannot be
read, the unit's error (``code``, ``reason``, quoting no field values). The
readers are the ones ``radfollow extract`` and ``process`` use
(:func:`radfollow.io.jsonl.read_jsonl`, :func:`radfollow.hl7.split_messages`),
so lines are numbered and messages split exactly as there.

Each function takes an iterator of pandas DataFrames and yields DataFrames
(``DataFrame.mapInPandas``); none imports Spark.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import pandas as pd

from radfollow.errors import InputFileError, RadfollowError
from radfollow.hl7 import split_messages
from radfollow.hl7.framing import no_message_reason
from radfollow.io.inputs import too_large
from radfollow.io.jsonl import read_jsonl
from radfollow.spark.tables import Columns

#: Text input (JSONL lines, Parquet rows): one row per unit.
TEXT_INPUT: Columns = (
    ("source", "string"),
    ("position", "bigint"),
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

Batches = Iterator[pd.DataFrame]


def local_path(uri: str) -> str:
    """A ``file:`` URI as the local path ``radfollow process`` would name it; any
    other URI (``hdfs://``, ``s3a://``) unchanged."""
    parsed = urlparse(uri)
    return unquote(parsed.path) if parsed.scheme == "file" else uri


def jsonl_files(max_bytes: int) -> Any:
    """The reader of batches of ``path`` rows: every line of each JSONL file, read
    and numbered as ``extract`` reads it; a file that cannot be read, or is over
    ``max_bytes``, is one error row."""

    def read(batches: Batches) -> Batches:
        for frame in batches:
            rows: list[dict[str, Any]] = []
            for path in frame["path"]:
                rows.extend(_jsonl_rows(path, max_bytes))
            yield pd.DataFrame(rows, columns=[name for name, _ in TEXT_INPUT])

    return read


def _jsonl_rows(path: str, max_bytes: int) -> Iterator[dict[str, Any]]:
    try:
        for line in read_jsonl(path, max_bytes=max_bytes):
            if line.record is None:
                yield _unit(path, line.line_no, None, line.error or InputFileError("unreadable"))
            else:
                yield _unit(path, line.line_no, json.dumps(line.record), None)
    except (RadfollowError, OSError) as error:  # the file as a whole: one error row
        yield _unit(path, None, None, _file_error(error))


def parquet_rows(columns: list[str]) -> Any:
    """The reader of Parquet batches with ``columns`` (plus ``_source``): each row's
    non-null values as a JSON record; dates and times become ISO 8601 text."""

    def read(batches: Batches) -> Batches:
        for frame in batches:
            rows = [
                _unit(str(source), None, json.dumps(_record(values, columns)), None)
                for source, *values in zip(
                    frame["_source"], *(frame[c] for c in columns), strict=True
                )
            ]
            yield pd.DataFrame(rows, columns=[name for name, _ in TEXT_INPUT])

    return read


def _record(values: list[Any], columns: list[str]) -> dict[str, Any]:
    record: dict[str, Any] = {}
    for name, value in zip(columns, values, strict=True):
        plain = _plain(value)
        if plain is not None:
            record[name] = plain
    return record


def _plain(value: Any) -> Any:
    """A Parquet value as JSON: None for null/NaN; ISO text for dates and times."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp | dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    if hasattr(value, "tolist"):  # numpy arrays (Parquet lists)
        return [_plain(v) for v in value.tolist()]
    return value


def hl7_files(max_bytes: int) -> Any:
    """The reader of ``binaryFile`` batches (path, length, content): each file split
    into its messages, numbered from 1; a file over ``max_bytes`` or holding no
    message is one error row (RF203), as in ``radfollow process``."""

    def read(batches: Batches) -> Batches:
        for frame in batches:
            rows: list[dict[str, Any]] = []
            for uri, length, content in zip(
                frame["path"], frame["length"], frame["content"], strict=True
            ):
                rows.extend(_messages(local_path(uri), int(length), content, max_bytes))
            yield pd.DataFrame(rows, columns=[name for name, _ in HL7_INPUT])

    return read


def _messages(
    source: str, length: int, content: bytes | None, max_bytes: int
) -> Iterator[dict[str, Any]]:
    if content is None or length > max_bytes:
        error = InputFileError(too_large(length, max_bytes), where=source)
        yield _message(source, None, None, error)
        return
    found = False
    for message in split_messages(bytes(content), source):
        found = True
        yield _message(source, message.position, message.data, None)
    if not found:
        yield _message(source, None, None, InputFileError(no_message_reason(bytes(content))))


def _unit(
    source: str, position: int | None, value: str | None, error: RadfollowError | None
) -> dict[str, Any]:
    """A ``TEXT_INPUT`` row."""
    return _row(source, position, "value", value, error)


def _message(
    source: str, position: int | None, data: bytes | None, error: RadfollowError | None
) -> dict[str, Any]:
    """An ``HL7_INPUT`` row."""
    return _row(source, position, "data", data, error)


def _row(
    source: str, position: int | None, key: str, content: object, error: RadfollowError | None
) -> dict[str, Any]:
    return {
        "source": source,
        "position": position,
        key: content,
        "code": error.code if error else None,
        "reason": error.message if error else None,
    }


def _file_error(error: BaseException) -> RadfollowError:
    if isinstance(error, RadfollowError):
        return error
    why = getattr(error, "strerror", None) or type(error).__name__
    return InputFileError(f"cannot read file: {why}")


def jsonl_paths(paths: list[Path]) -> list[str]:
    """The JSONL files under ``paths`` (folders: their non-hidden files, sorted by name)."""
    files: list[str] = []
    for path in paths:
        if path.is_dir():
            files.extend(
                str(p)
                for p in sorted(path.rglob("*"))
                if p.is_file() and not p.name.startswith(".")
            )
        else:
            files.append(str(path))
    return files
