"""Byte-level look at the first MSH segment, before the message is decoded.

Used to read MSH-18 (the charset, needed to decode) and, best effort, MSH-10
for error lines about input that does not parse.
"""

from __future__ import annotations

import re

# MSH followed by a field separator: printable ASCII punctuation.
MSH_PATTERN = r"MSH[!-/:-@\[-`{-~]"
MSH_BYTES = re.compile(MSH_PATTERN.encode())
_MSH_START = re.compile(rb"(?:^|[\r\n\x0b])[ \t]*(" + MSH_PATTERN.encode() + rb")")
_SEGMENT_END = re.compile(rb"[\r\n\x1c]")


def find_msh(data: bytes) -> int:
    """Offset of the first segment that starts with MSH, or -1."""
    match = _MSH_START.search(data)
    return match.start(1) if match else -1


def msh_field(data: bytes, number: int) -> bytes | None:
    """Raw bytes of MSH-``number`` (first repetition, first component), or None.

    MSH-1 is the field separator itself, so MSH-n is the (n-1)th piece after
    splitting the segment on it.
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
