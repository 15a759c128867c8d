"""The one MSH reader: every part of radfollow reads the message header here.

Two levels:

* bytes, before the message is decoded: :func:`find_msh` and :func:`msh_field`
  (MSH-18, the charset, is needed to decode at all);
* the typed :class:`MessageHeader`, read the same way for every caller: escapes
  decoded with the message's delimiters and charset (:class:`Reader`), first
  repetition, HD fields (MSH-3 to MSH-6) as component 1, else component 2.
  :func:`read_header` reads it from bytes, best effort, for the listener and
  error lines; :func:`header_from_segment` from an already split MSH for the
  adapter, which then applies :func:`check_oru_header`.

Values are never cut here: column widths belong to whoever stores them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from radfollow.errors import (
    HL7Error,
    HL7MissingDataError,
    HL7UnsupportedMessageError,
    quoted_code,
)
from radfollow.hl7.delimiters import Delimiters
from radfollow.hl7.fields import Reader, Segment

if TYPE_CHECKING:
    from radfollow.hl7.charset import CharsetRules

# MSH followed by a field separator: printable ASCII punctuation.
MSH_PATTERN = r"MSH[!-/:-@\[-`{-~]"
MSH_BYTES = re.compile(MSH_PATTERN.encode())
_MSH_START = re.compile(rb"(?:^|[\r\n\x0b])[ \t]*(" + MSH_PATTERN.encode() + rb")")
_SEGMENT_END = re.compile(rb"[\r\n\x1c]")
_MSH_START_TEXT = re.compile(r"(?:^|[\r\n\x0b])[ \t]*(" + MSH_PATTERN + r")")
_SEGMENT_END_TEXT = re.compile(r"[\r\n\x1c]")
_BOM = b"\xef\xbb\xbf"
FALLBACK_CODEC = "iso8859-1"  # Latin-1: every byte decodes, so any input has a header to read

#: MSH-9 (message type, trigger event) accepted by the adapter; an ORU without event counts.
SUPPORTED_TYPES = frozenset({("ORU", "R01"), ("ORU", "")})
_V2_VERSION = re.compile(r"2(\.\d+)*")


def find_msh(data: bytes) -> int:
    """Offset of the first segment that starts with MSH (and a field separator), or -1."""
    match = _MSH_START.search(data)
    return match.start(1) if match else -1


def msh_field(data: bytes, number: int) -> bytes | None:
    """Raw bytes of MSH-``number`` (first repetition, first component), or None.

    Not decoded and not unescaped: this is for MSH-18 before the charset is
    known. MSH-1 is the field separator itself, so MSH-n is the (n-1)th piece
    after splitting the segment on it.
    """
    start = find_msh(data)
    if start == -1 or number < 2:
        return None
    end_match = _SEGMENT_END.search(data, start)
    segment = data[start : end_match.start() if end_match else len(data)]
    separator = segment[3:4]
    pieces = segment.split(separator)
    if len(pieces) < number:
        return None
    if number == 2:
        return pieces[1]
    encoding = pieces[1]
    value = pieces[number - 1]
    for delimiter in (encoding[1:2], encoding[0:1]):  # repetition, then component
        if delimiter:
            value = value.split(delimiter, 1)[0]
    return value


@dataclass(frozen=True)
class MessageHeader:
    """The MSH values radfollow uses, unescaped and stripped; ``""`` where not sent.

    ``charset`` is MSH-18 as declared; ``codec`` the Python codec the message
    was decoded with (the one an answer to it is encoded in).
    """

    delimiters: Delimiters
    sending_application: str  # MSH-3
    sending_facility: str  # MSH-4
    receiving_application: str  # MSH-5
    receiving_facility: str  # MSH-6
    message_type: str  # MSH-9.1, as sent (not upper-cased)
    trigger: str  # MSH-9.2
    control_id: str  # MSH-10
    processing_id: str  # MSH-11
    version: str  # MSH-12
    charset: str  # MSH-18
    codec: str

    @property
    def encoding_characters(self) -> str:
        """MSH-2 as this message's delimiters write it (all four characters)."""
        d = self.delimiters
        return d.component + d.repetition + d.escape + d.subcomponent


def header_from_segment(msh: Segment, reader: Reader) -> MessageHeader:
    """The header of an MSH segment whose ``raw(n)`` is MSH-n (MSH-1 the separator).

    Never raises; checks nothing (see :func:`check_oru_header`).
    """

    def hd(number: int) -> str:
        """An HD field: namespace id (component 1), else universal id (component 2)."""
        return reader.value(msh.raw(number), 1) or reader.value(msh.raw(number), 2)

    return MessageHeader(
        delimiters=reader.delimiters,
        sending_application=hd(3),
        sending_facility=hd(4),
        receiving_application=hd(5),
        receiving_facility=hd(6),
        message_type=reader.value(msh.raw(9), 1),
        trigger=reader.value(msh.raw(9), 2),
        control_id=reader.value(msh.raw(10)),
        processing_id=reader.value(msh.raw(11)),
        version=reader.value(msh.raw(12)),
        charset=reader.value(msh.raw(18)),
        codec=reader.charset,
    )


def read_header(data: bytes, *, charset_rules: CharsetRules | None = None) -> MessageHeader | None:
    """Best-effort header of any input: the first segment starting with MSH.

    Decoded as the adapter decodes (MSH-18, UTF-8 by default, Latin-1 fallback;
    a charset that cannot decode the bytes falls back to Latin-1 here).
    Returns None when there is no MSH at the start of a segment, its delimiters
    are unusable, or MSH-10 is empty. Never raises.
    """
    text, codec = _decode(data, charset_rules)
    match = _MSH_START_TEXT.search(text)
    if match is None:
        return None
    start = match.start(1)
    end = _SEGMENT_END_TEXT.search(text, start)
    line = text[start : end.start() if end else len(text)]
    try:
        delimiters = Delimiters.from_msh(line)
    except HL7Error:
        return None
    segment = Segment("MSH", ("MSH", delimiters.field, *line.split(delimiters.field)[1:]))
    header = header_from_segment(segment, Reader(delimiters, codec))
    return header if header.control_id else None


def _decode(data: bytes, charset_rules: CharsetRules | None) -> tuple[str, str]:
    """Text and codec; any charset failure (even a codec error) falls back to Latin-1."""
    # Imported here: charset.py reads MSH-18 with this module's msh_field.
    from radfollow.hl7.charset import decode_message

    try:
        decoded = decode_message(data, charset_rules)
    except (HL7Error, LookupError, ValueError):  # ValueError covers UnicodeError
        return data.removeprefix(_BOM).decode(FALLBACK_CODEC), FALLBACK_CODEC
    return decoded.text, decoded.charset


def check_oru_header(header: MessageHeader) -> MessageHeader:
    """``header`` unchanged if the message is an HL7 v2 ORU^R01 with a control id.

    Raises :class:`HL7UnsupportedMessageError` for another MSH-9 type or an
    MSH-12 that is not a v2 version, :class:`HL7MissingDataError` for an empty
    MSH-10 (checked in that order).
    """
    kind, event = header.message_type.upper(), header.trigger.upper()
    if (kind, event) not in SUPPORTED_TYPES:
        shown = f"{kind}^{event}" if event else kind
        shown = quoted_code(shown).strip("'") if shown else "(empty)"
        raise HL7UnsupportedMessageError(f"message type {shown} is not ORU^R01 (MSH-9)")
    if header.version and not _V2_VERSION.fullmatch(header.version):
        raise HL7UnsupportedMessageError(
            f"HL7 version {quoted_code(header.version)} is not a v2 version (MSH-12)"
        )
    if not header.control_id:
        raise HL7MissingDataError("MSH-10 message control id is empty")
    return header
