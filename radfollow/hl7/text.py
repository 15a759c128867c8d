"""Report text from the OBX (and NTE) segments of one OBR group.

OBX-5 of value type TX, FT or ST is read as one piece of text: the raw field is
split only on the repetition separator (each repetition is a line) and then
unescaped, so literal component separators stay in the text. CE/CWE values
give their text component (see :meth:`Reader.coded_text`). Other value types
(NM, SN, ED, RP, ...) and OBX marked deleted or wrong in OBX-11 (D, W) are
left out. Values are joined with newlines in OBX order.

NTE segments (notes and comments, HL7 v2.5.1 section 2.15.10):

* After a placeholder OBX (``placeholders.json``, :class:`PlaceholderRules`:
  a TX, FT, ST or RP OBX whose value is "See Comments", "See Note", "See
  report below"...), the NTE segments up to the next OBX are the report text:
  NTE-3 (FT) of each, one line per repetition, escapes decoded, in place of
  the placeholder. The placeholder's own value is never report text, so a
  placeholder without NTE segments adds nothing.
* After any other OBX, or between the OBR and its first OBX, NTE segments
  are comments on the result or the order (who dictated, who was called) and
  are left out, as they always were.

Rich text: the joined text of a group goes through
:func:`radfollow.hl7.markup.plain_text`, which converts HTML or RTF to plain
text with its line structure and leaves any other text unchanged; the
converted text is the report text that is stored and that NLP offsets refer to.
"""

from __future__ import annotations

from collections.abc import Iterable

from radfollow.hl7.fields import Reader, Segment
from radfollow.hl7.markup import plain_text
from radfollow.hl7.rtf import RTF_SIGNATURE
from radfollow.rules.schema import PlaceholderRules

TEXT_TYPES = frozenset({"TX", "FT", "ST"})
CODED_TYPES = frozenset({"CE", "CWE"})
SKIPPED_STATUSES = frozenset({"D", "W"})
#: A raw OBX-5 longer than this is report text, never a placeholder phrase.
MAX_PLACEHOLDER_CHARS = 200


def obx_lines(obx: Segment, reader: Reader) -> list[str] | None:
    """Lines of one OBX (trailing blanks kept), or None when it carries no report text."""
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
    return _split_lines(decoded)


def is_placeholder(obx: Segment, reader: Reader, rules: PlaceholderRules) -> bool:
    """Whether ``obx`` stands for report text in the NTE segments after it.

    TX/FT/ST: the whole value (repetitions joined by a space); RP and others:
    the first component (the RP pointer). OBX marked D or W, and values longer
    than :data:`MAX_PLACEHOLDER_CHARS` as sent, are never one.
    """
    if reader.value(obx.raw(11)).upper() in SKIPPED_STATUSES:
        return False
    value_type = reader.value(obx.raw(2))
    raw = obx.raw(5)
    if len(raw) > MAX_PLACEHOLDER_CHARS:
        return False
    if value_type.upper() in TEXT_TYPES:
        value = " ".join(reader.text(rep) for rep in reader.repetitions(raw))
    else:
        value = reader.value(raw)
    return rules.is_placeholder(value_type, value)


def nte_lines(nte: Segment, reader: Reader) -> list[str]:
    """NTE-3 of one NTE, one line per repetition (an empty NTE is one blank line), trailing
    blanks kept."""
    return _split_lines([reader.text(rep) for rep in reader.repetitions(nte.raw(3))])


def report_text(results: Iterable[Segment], reader: Reader, rules: PlaceholderRules) -> str:
    """The report text of a group's OBX and NTE segments (in message order), trimmed of
    blank ends, HTML or RTF converted to plain text."""
    lines: list[str] = []
    in_placeholder = False
    for segment in results:
        if segment.name == "NTE":
            if in_placeholder:
                lines.extend(nte_lines(segment, reader))
            continue
        in_placeholder = is_placeholder(segment, reader, rules)
        if not in_placeholder:
            lines.extend(obx_lines(segment, reader) or [])
    joined = "\n".join(lines)
    if joined.lstrip().startswith(RTF_SIGNATURE):
        # RTF ignores line ends in its source, so a blank at the end of an OBX
        # (one chunk of a document split over several OBX) may be a word gap.
        return plain_text(joined)
    return plain_text("\n".join(line.rstrip() for line in lines).strip("\n")).strip("\n")


def _split_lines(values: Iterable[str]) -> list[str]:
    return [line for value in values for line in _lines(value)]


def _lines(value: str) -> list[str]:
    return value.replace("\r\n", "\n").replace("\r", "\n").split("\n")
