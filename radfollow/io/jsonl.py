"""JSON Lines input: the one reader, with errors located as ``path:line``.

:func:`iter_json_lines` reads any JSONL file (``extract`` input, gold and
prediction files, training sentences); :func:`read_jsonl` is the ``extract``
input on it: ``{"id": ..., "text": ...[, "indication": ...]}`` per line.

Lines and their numbers: a line ends at LF, CR LF or a lone CR, as text
editors (VS Code, Notepad++, Sublime Text, JetBrains IDEs) show and number
lines; JSON text itself never holds a raw CR or LF, so no value is cut. Line
numbers are 1-based and count blank lines. A UTF-8 byte order mark at the start
of the file is skipped (Windows editors write one); anywhere else it is that
line's error. Files are opened as :mod:`radfollow.io.inputs` opens every input:
regular files only, at most ``max_bytes`` bytes.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from radfollow.errors import InputFormatError
from radfollow.io.inputs import DEFAULT_MAX_FILE_BYTES, open_input

Decoding = Literal["strict", "replace"]
OnError = Literal["raise", "yield"]

#: Deepest nesting of objects and arrays a line may have (the line's own value is level 1).
#: Deeper values make ``json.loads`` (about 1000 levels) or pydantic's serialiser
#: (255 levels) raise far from the line, so they are that line's error here.
MAX_DEPTH = 100
_TOO_DEEP = f"JSON nested too deeply (more than {MAX_DEPTH} levels)"

# Bytes that are not valid UTF-8, as the "surrogateescape" error handler reads them.
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")


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


def text_lines(path: str | Path, *, max_bytes: int = DEFAULT_MAX_FILE_BYTES) -> Iterator[str]:
    """The lines of a UTF-8 text file, ends included, in order (see the module's docstring).

    Bytes that are not UTF-8 come back as lone surrogates ("surrogateescape"),
    so the caller decides what a bad line is. Raises OSError when the file
    cannot be opened or read, InputFileError (RF203) when it is not a regular
    file or is over ``max_bytes``.
    """
    raw = open_input(path, max_bytes=max_bytes)
    with io.TextIOWrapper(raw, encoding="utf-8-sig", errors="surrogateescape") as handle:
        yield from handle


def iter_json_lines(
    path: str | Path,
    *,
    errors: Decoding = "strict",
    on_error: OnError = "raise",
    max_bytes: int = DEFAULT_MAX_FILE_BYTES,
) -> Iterator[tuple[int, Any]]:
    """``(line_no, value)`` for every non-blank line of a UTF-8 JSONL file, in order.

    Line numbers are 1-based and count blank lines. ``errors``: ``"strict"``
    makes a line with bytes that are not UTF-8 an error; ``"replace"`` reads
    such bytes as U+FFFD. A line that is not one JSON value (or is nested too
    deeply to read) is an :class:`InputFormatError` whose ``where`` is
    ``path:line``: with ``on_error="raise"`` the first one is raised, with
    ``"yield"`` it comes back as ``(line_no, error)`` in place of the value and
    reading goes on. Raises OSError when the file cannot be read, InputFileError
    when it is not a regular file or is over ``max_bytes`` (see :func:`text_lines`).
    """
    for line_no, raw in enumerate(text_lines(path, max_bytes=max_bytes), start=1):
        if not raw.strip():
            continue
        where = f"{path}:{line_no}"
        try:
            value = loads_line(_decoded(raw, errors, where), where=where)
        except InputFormatError as err:
            if on_error == "raise":
                raise
            yield line_no, err
            continue
        yield line_no, value


def load_jsonl(path: str | Path) -> list[Any]:
    """Every value of a strict UTF-8 JSONL file; raises the first InputFormatError."""
    return [value for _, value in iter_json_lines(path)]


def _decoded(raw: str, errors: Decoding, where: str) -> str:
    """The line as ``errors`` reads it; ``raw`` was read with "surrogateescape"."""
    if raw.isascii():
        return raw
    bad = _ESCAPED_BYTE.search(raw)
    if bad is None:
        return raw
    if errors == "replace":  # the exact text a "replace" read of these bytes gives
        return raw.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    byte = ord(bad.group()) - 0xDC00
    raise InputFormatError(
        f"not valid UTF-8 (byte 0x{byte:02x} at column {bad.start() + 1})", where=where
    )


def loads_line(text: str, *, where: str) -> Any:
    """One JSON value, nested at most :data:`MAX_DEPTH` levels, every string valid Unicode.

    Raises InputFormatError (located at ``where``) when ``text`` is not one
    JSON value, holds a value Python refuses (a number of over 4,300 digits),
    is nested deeper, or escapes a lone surrogate (``"\\ud800"``), which no
    output can encode.
    """
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        raise InputFormatError(
            f"not valid JSON ({err.msg} at column {err.colno})", where=where
        ) from err
    except RecursionError as err:
        raise InputFormatError(_TOO_DEEP, where=where) from err
    except ValueError as err:  # e.g. int() refusing over 4,300 digits (CPython's limit)
        raise InputFormatError(
            "not valid JSON for this reader (a number of over 4,300 digits?)", where=where
        ) from err
    problem = _problem(value, MAX_DEPTH)
    if problem:
        raise InputFormatError(problem, where=where)
    return value


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _problem(value: Any, limit: int) -> str | None:
    """Why ``value`` cannot be used: nested over ``limit`` levels, or a string with a
    lone surrogate. Walks without recursion."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if not item.isascii() and _LONE_SURROGATE.search(item):
                return "a string holds a lone surrogate escape (not valid Unicode)"
            continue
        if not isinstance(item, dict | list):
            continue
        if depth > limit:
            return _TOO_DEEP
        if isinstance(item, dict):
            stack.extend((key, depth) for key in item)
            stack.extend((child, depth + 1) for child in item.values())
        else:
            stack.extend((child, depth + 1) for child in item)
    return None


#: The string fields of an ``extract`` input record: name, required.
_STRING_FIELDS = (("id", True), ("text", True), ("indication", False))


def check_record(value: Any, *, where: str) -> dict[str, Any]:
    """``value`` if it is an ``extract`` input record; else raises InputFormatError.

    ``id`` and ``text`` must be JSON strings, ``indication`` a string or null or
    absent: a number, array, object or boolean there is the line's error (it used
    to be stored as its Python text, ``[1, 2]`` or ``True``).
    """
    if not isinstance(value, dict):
        raise InputFormatError("expected a JSON object", where=where)
    for name, required in _STRING_FIELDS:
        field = value.get(name)
        if field is None:
            if required:
                raise InputFormatError(f"missing {name!r}", where=where)
            continue
        if not isinstance(field, str):
            raise InputFormatError(
                f"{name!r} must be a string, not {_json_type(field)}", where=where
            )
    return value


def _json_type(value: Any) -> str:
    """What JSON calls the type of a decoded value that is not a string."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "an array"
    return "an object"


def parse_line(raw: str, *, where: str) -> dict[str, Any]:
    """One ``extract`` input line to its record; raises InputFormatError."""
    return check_record(loads_line(raw, where=where), where=where)


def read_jsonl(path: str | Path, *, max_bytes: int = DEFAULT_MAX_FILE_BYTES) -> Iterator[InputLine]:
    """The ``extract`` input: every non-blank line; a bad line yields its error instead of stopping.

    A line with bytes that are not UTF-8 is that line's error (they used to be
    read as U+FFFD, changing the report silently). Raises OSError when the file
    cannot be read, InputFileError when it is not a regular file or is over
    ``max_bytes``.
    """
    lines = iter_json_lines(path, errors="strict", on_error="yield", max_bytes=max_bytes)
    for line_no, value in lines:
        if isinstance(value, InputFormatError):
            yield InputLine(line_no, None, value)
            continue
        try:
            yield InputLine(line_no, check_record(value, where=f"{path}:{line_no}"))
        except InputFormatError as err:
            yield InputLine(line_no, None, err)


def count_lines(path: str | Path, *, max_bytes: int = DEFAULT_MAX_FILE_BYTES) -> int:
    """Non-blank lines, counted as :func:`iter_json_lines` counts them (a lone CR ends a line)."""
    return sum(1 for line in text_lines(path, max_bytes=max_bytes) if line.strip())
