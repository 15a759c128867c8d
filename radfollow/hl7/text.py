"""Report text from the OBX segments of one OBR group.

OBX-5 of value type TX, FT or ST is read as one piece of text: the raw field is
split only on the repetition separator (each repetition is a line) and then
unescaped, so literal component separators stay in the text. CE/CWE values
give their text component (see :meth:`Reader.coded_text`). Other value types
(NM, SN, ED, RP, ...) and OBX marked deleted or wrong in OBX-11 (D, W) are
left out. Values are joined with newlines in OBX order.
"""

from __future__ import annotations

from collections.abc import Iterable

from radfollow.hl7.fields import Reader, Segment

TEXT_TYPES = frozenset({"TX", "FT", "ST"})
CODED_TYPES = frozenset({"CE", "CWE"})
SKIPPED_STATUSES = frozenset({"D", "W"})


def obx_lines(obx: Segment, reader: Reader) -> list[str] | None:
    """Lines of one OBX, or None when it carries no report text."""
    value_type = reader.value(obx.raw(2)).upper()
    if reader.value(obx.raw(11)).upper() in SKIPPED_STATUSES:
        return None
    repetitions = reader.repetitions(obx.raw(5))
    if value_type in TEXT_TYPES:
        decoded = [reader.text(rep) for rep in repetitions]
    elif value_type in CODED_TYPES:
        decoded = [text for text in map(reader.coded_text, repetitions) if text]
    else:
        return None
    return [line.rstrip() for value in decoded for line in _lines(value)]


def report_text(obxs: Iterable[Segment], reader: Reader) -> str:
    """All text OBX values of a group, one line per repetition, trimmed of blank ends."""
    lines: list[str] = []
    for obx in obxs:
        lines.extend(obx_lines(obx, reader) or [])
    return "\n".join(lines).strip("\n")


def _lines(value: str) -> list[str]:
    return value.replace("\r\n", "\n").replace("\r", "\n").split("\n")
