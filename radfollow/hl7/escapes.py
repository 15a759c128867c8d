"""HL7 v2 escape sequences (v2.5 chapter 2.7) in one leaf value: decoded, and written for ACKs.

Split on delimiters first, then unescape: escape sequences never contain a
delimiter, so a value that carries ``\\F\\`` or ``\\S\\`` round-trips.
Formatting commands (HL7 v2.5.1 section 2.7.6 "Formatted text") become line
structure: ``\\.br\\``, ``\\.sp\\`` and ``\\.ce\\`` end a line,
``\\.sp<n>\\`` gives n line ends (python-hl7 does the same), ``\\.sk<n>\\``
gives n spaces, indentation (``.in``, ``.ti``) and fill (``.fi``, ``.nf``)
commands are dropped.

Bounds: a count is layout, not content, so ``.sp<n>`` gives at most
:data:`MAX_LINE_ENDS` line ends and ``.sk<n>`` at most :data:`MAX_SPACES`
spaces, whatever n is (``\\.sp999999999\\`` once allocated a gigabyte); a
count of more than four digits is read as the cap without converting it.
Every sequence is therefore decoded to at most a few characters more than
it is long, and :func:`unescape` is linear in the length of its input.

Control characters: a hex escape (``\\Xhh..\\``) may name any byte. Of the
C0 and C1 control characters (Unicode category Cc) it yields, TAB is kept, CR,
LF and CR LF become one line end (``\\n``) and all others (NUL, VT, FF, ESC,
DEL, 0x80-0x9F...) are dropped: they are never report text, and NUL breaks
PostgreSQL text columns. Highlighting (``\\H\\``, ``\\N\\``), locally
defined (``\\Z..\\``) and charset switch sequences (``\\C..\\``,
``\\M..\\``) are removed. An unknown or unterminated sequence is kept as
written, so free text with a stray escape character is not mangled.
"""

from __future__ import annotations

import re

from radfollow.hl7.delimiters import Delimiters

_FORMAT = re.compile(r"\.(br|sp|ce|sk|in|ti|fi|nf)([+-]?\d*)", re.IGNORECASE)
_HEX = re.compile(r"X((?:[0-9A-Fa-f]{2})+)")
_REMOVED = re.compile(r"Z.*|C[0-9A-Fa-f]{4}|M[0-9A-Fa-f]{4}(?:[0-9A-Fa-f]{2})?", re.DOTALL)

#: Most line ends one ``.sp<n>`` gives (two blank lines; more carry no meaning).
MAX_LINE_ENDS = 3
#: Most spaces one ``.sk<n>`` gives.
MAX_SPACES = 10
_MAX_COUNT_DIGITS = 4

#: Cc characters from hex escapes: dropped, except TAB, CR and LF (kept, then
#: CR and CR LF read as LF in :func:`unescape`).
_CONTROLS = {code: None for code in (*range(0x20), *range(0x7F, 0xA0)) if chr(code) not in "\t\r\n"}


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
    text = "".join(out)
    # The raw value holds no CR (segments end there), so every CR came from a
    # hex escape: CR LF and a lone CR are one line end.
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


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
    command, digits = match.group(1).lower(), match.group(2).lstrip("+-")
    if command in ("br", "ce"):
        return "\n"
    if command == "sp":
        return "\n" * _count(digits, MAX_LINE_ENDS)
    if command == "sk":
        return " " * _count(digits, MAX_SPACES)
    return ""


def _count(digits: str, cap: int) -> int:
    """The count of a formatting command (1 when absent), at most ``cap``."""
    if not digits:
        return 1
    return cap if len(digits) > _MAX_COUNT_DIGITS else min(int(digits), cap)


def _decode_hex(digits: str, charset: str) -> str:
    data = bytes.fromhex(digits)
    try:
        text = data.decode(charset)
    except (UnicodeDecodeError, LookupError):
        text = data.decode("latin-1")
    return text.translate(_CONTROLS)


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
