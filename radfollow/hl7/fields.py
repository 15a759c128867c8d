"""Typed access to the segments and fields of one parsed message.

python-hl7 splits the message (segment and field level); values are then read
from the raw field text with the message's own delimiters and unescaped here,
so escape handling is ours and never python-hl7's (which turns ``\\H\\`` into
``_`` and line breaks into ``\\r``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import hl7
from hl7.exceptions import HL7Exception

from radfollow.errors import HL7ParseError
from radfollow.hl7.delimiters import Delimiters
from radfollow.hl7.escapes import unescape

HL7_NULL = '""'


@dataclass(frozen=True)
class Segment:
    """One segment; ``raw(n)`` is field n as sent (for MSH, n is the HL7 number too)."""

    name: str
    fields: tuple[str, ...]

    def raw(self, number: int) -> str:
        return self.fields[number] if 0 <= number < len(self.fields) else ""


@dataclass(frozen=True)
class Reader:
    """Reads values out of raw fields with the message's delimiters and charset."""

    delimiters: Delimiters
    charset: str

    def repetitions(self, raw_field: str) -> list[str]:
        return raw_field.split(self.delimiters.repetition)

    def components(self, raw_repetition: str) -> list[str]:
        return raw_repetition.split(self.delimiters.component)

    def text(self, raw: str) -> str:
        """Unescaped text; the HL7 null ``""`` reads as empty."""
        return "" if raw == HL7_NULL else unescape(raw, self.delimiters, self.charset)

    def value(self, raw_field: str, component: int = 1, subcomponent: int = 1) -> str:
        """First repetition, given component and sub-component, unescaped and stripped."""
        return self.component(self.repetitions(raw_field)[0], component, subcomponent)

    def component(self, raw_repetition: str, component: int = 1, subcomponent: int = 1) -> str:
        """One component (and sub-component) of a repetition, unescaped and stripped."""
        parts = self.components(raw_repetition)
        if component > len(parts):
            return ""
        subparts = parts[component - 1].split(self.delimiters.subcomponent)
        if subcomponent > len(subparts):
            return ""
        return self.text(subparts[subcomponent - 1]).strip()

    def coded_text(self, raw_repetition: str) -> str:
        """Text of a CE/CWE: text (2), else alternate text (5), else a lone identifier."""
        parts = [self.text(part).strip() for part in self.components(raw_repetition)]
        padded = [*parts, "", "", "", "", ""]
        if padded[1] or padded[4]:
            return padded[1] or padded[4]
        return parts[0] if len(parts) == 1 else ""


_SEGMENT_ID = re.compile(r"[A-Z][A-Z0-9]{2}")


def split_segments(text: str) -> list[str]:
    """Segments of a message whose segments end in CR, LF or CR LF; blank lines dropped.

    A line that does not start like a segment (three-character id and the field
    separator) is a raw line break inside a value, as some senders put in TX
    report text: it is joined back onto its segment as a line break rather than
    dropped, which would silently cut the report.
    """
    lines = text.replace("\r\n", "\r").replace("\n", "\r").split("\r")
    separator = text[3] if text.startswith("MSH") and len(text) > 3 else "|"
    # Lines of one segment are gathered in a list and joined once: appending to
    # the last string (``segments[-1] += ...``) copies it each time, quadratic in
    # the number of line breaks inside a value.
    segments: list[list[str]] = []
    for line in lines:
        segment = line.lstrip(" \t")
        if not segment.strip():
            continue
        starts = _SEGMENT_ID.match(segment) and segment[3:4] == separator
        if segments and not starts:
            segments[-1].append(line)
        else:
            segments.append([segment])
    return ["\n".join(parts) for parts in segments]


def parse_segments(segments: Sequence[str]) -> list[Segment]:
    """Split segments into fields with python-hl7; its errors become HL7ParseError."""
    try:
        message = hl7.parse("\r".join(segments))
    except (HL7Exception, ValueError, IndexError, AssertionError) as exc:
        reason = f"python-hl7 could not parse the message ({type(exc).__name__})"
        raise HL7ParseError(reason) from exc
    return [Segment(str(seg[0]), tuple(str(field) for field in seg)) for seg in message]
