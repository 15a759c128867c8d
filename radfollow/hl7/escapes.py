"""HL7 v2 escape sequences (v2.5 chapter 2.7) in one leaf value: decoded, and written for ACKs.

Split on delimiters first, then unescape: escape sequences never contain a
delimiter, so a value that carries ``\\F\\`` or ``\\S\\`` round-trips.
Formatting commands become line structure: ``\\.br\\``, ``\\.sp\\`` and
``\\.ce\\`` end a line, ``\\.sp<n>\\`` gives n line ends (python-hl7 does the
same), ``\\.sk<n>\\`` gives n spaces, indentation and fill commands are dropped.
Highlighting (``\\H\\``, ``\\N\\``), locally defined (``\\Z..\\``) and charset
switch sequences (``\\C..\\``, ``\\M..\\``) are removed. An unknown or
unterminated sequence is kept as written, so free text with a stray escape
character is not mangled.
"""

from __future__ import annotations

import re

from radfollow.hl7.delimiters import Delimiters

_FORMAT = re.compile(r"\.(br|sp|ce|sk|in|ti|fi|nf)([+-]?\d*)", re.IGNORECASE)
_HEX = re.compile(r"X((?:[0-9A-Fa-f]{2})+)")
_REMOVED = re.compile(r"Z.*|C[0-9A-Fa-f]{4}|M[0-9A-Fa-f]{4}(?:[0-9A-Fa-f]{2})?", re.DOTALL)


def unescape(value: str, delimiters: Delimiters, charset: str = "utf-8") -> str:
    """Return ``value`` with every escape sequence decoded."""
    esc = delimiters.escape
    if esc not in value:
        return value
    out: list[str] = []
    pos = 0
    while pos < len(value):
        start = value.find(esc, pos)
        end = value.find(esc, start + 1) if start != -1 else -1
        if start == -1 or end == -1:
            out.append(value[pos:])
            break
        out.append(value[pos:start])
        out.append(_decode_sequence(value[start + 1 : end], delimiters, charset))
        pos = end + 1
    return "".join(out)


def _decode_sequence(body: str, delimiters: Delimiters, charset: str) -> str:
    simple = {
        "F": delimiters.field,
        "S": delimiters.component,
        "T": delimiters.subcomponent,
        "R": delimiters.repetition,
        "E": delimiters.escape,
        "H": "",
        "N": "",
    }
    if body in simple:
        return simple[body]
    formatted = _format_command(body)
    if formatted is not None:
        return formatted
    hex_match = _HEX.fullmatch(body)
    if hex_match:
        return _decode_hex(hex_match.group(1), charset)
    if _REMOVED.fullmatch(body):
        return ""
    return f"{delimiters.escape}{body}{delimiters.escape}"


def _format_command(body: str) -> str | None:
    match = _FORMAT.fullmatch(body)
    if match is None:
        return None
    command, arg = match.group(1).lower(), match.group(2)
    count = abs(int(arg)) if arg.lstrip("+-") else 1
    if command in ("br", "ce"):
        return "\n"
    if command == "sp":
        return "\n" * count
    if command == "sk":
        return " " * count
    return ""


def _decode_hex(digits: str, charset: str) -> str:
    data = bytes.fromhex(digits)
    try:
        return data.decode(charset)
    except (UnicodeDecodeError, LookupError):
        return data.decode("latin-1")


def escape(value: str, delimiters: Delimiters) -> str:
    """Return ``value`` written as one HL7 leaf value (the inverse of :func:`unescape`).

    The escape character goes first, so the sequences written here are not
    escaped again; CR and LF become hex escapes so a value never ends a segment.
    """
    esc = delimiters.escape
    out = value.replace(esc, f"{esc}E{esc}")
    for char, code in (
        (delimiters.field, "F"),
        (delimiters.component, "S"),
        (delimiters.subcomponent, "T"),
        (delimiters.repetition, "R"),
        ("\r", "X0D"),
        ("\n", "X0A"),
    ):
        out = out.replace(char, f"{esc}{code}{esc}")
    return out
