"""Plain-text JSONL input: ``{"id": ..., "text": ...}`` per line, errors located by line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from radfollow.errors import InputFormatError


@dataclass(frozen=True)
class InputLine:
    """One usable input line, or the error that made it unusable."""

    line_no: int
    record: dict[str, Any] | None
    error: InputFormatError | None = None

    @property
    def id(self) -> str | None:
        if self.record is None:
            return None
        return str(self.record["id"])


def parse_line(raw: str, *, where: str) -> dict[str, Any]:
    try:
        record = json.loads(raw)
    except json.JSONDecodeError as err:
        raise InputFormatError(
            f"not valid JSON ({err.msg} at column {err.colno})", where=where
        ) from err
    if not isinstance(record, dict):
        raise InputFormatError("expected a JSON object", where=where)
    if "id" not in record or record["id"] is None:
        raise InputFormatError("missing 'id'", where=where)
    if not isinstance(record.get("text"), str):
        raise InputFormatError("missing 'text' or it is not a string", where=where)
    indication = record.get("indication")
    if indication is not None and not isinstance(indication, str):
        raise InputFormatError("'indication' must be a string", where=where)
    return record


def read_jsonl(path: str | Path) -> Iterator[InputLine]:
    """Yield every non-blank line; a bad line yields its error instead of stopping."""
    with open(path, encoding="utf-8", errors="replace") as handle:
        for line_no, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            where = f"{path}:{line_no}"
            try:
                yield InputLine(line_no, parse_line(raw, where=where))
            except InputFormatError as err:
                yield InputLine(line_no, None, err)


def count_lines(path: str | Path) -> int:
    with open(path, "rb") as handle:
        return sum(1 for line in handle if line.strip())
