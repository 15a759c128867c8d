"""Hard-wrapped report text: which line breaks are soft wraps, not sentence ends.

Older RIS feeds send a report as one OBX segment per printed line of a fixed
width (HL7 v2.5 section 2.A.79, TX data type: "string data meant for user
display (on a terminal or printer)"), so the text breaks every 60-80
characters in the middle of sentences. Other reports put one statement per
line without a period ("No acute findings\\nStable 4 mm nodule"); there every
line break must stay a sentence end, or a negation reaches the next statement.

A fixed-width feed fills each line greedily, as ``textwrap`` and ``fmt`` do: a
line is broken only when the next word would not fit. That is the test used
here, per report (all lines of a report come through the same feed):

- the *width* W is the longest line (trailing spaces and ``\\r`` stripped);
- a *candidate* is a single line break (no blank line) after a line that is
  not only a section header and does not end with terminal punctuation
  (``. ! ? :``, a closing quote or bracket allowed after it), before a line
  that starts neither a list item (``1.``, ``2)``, ``-``, ``*``, a bullet)
  nor a section header;
- a candidate is *full* when the first word of the next line would not have
  fitted on the line: ``len(line) + 1 + len(word) > W``. A line ended by hand
  (a statement, a header) leaves room; a wrapped line does not;
- the report is hard-wrapped when ``min_width <= W <= max_width`` (a feed's
  fixed width; a 300-character line is a paragraph, not a printed line), at
  least ``min_soft_breaks`` candidates are full, they are at least
  ``min_full_ratio`` of all candidates, and at least ``min_lowercase_starts``
  of them go on with a lowercase letter (a sentence continued, not a new
  statement that happens to be long). In a text without capitals (a
  lowercased export) that tells nothing, so it is never taken as wrapped.

In a hard-wrapped report every full candidate is a soft wrap: the splitter
reads it as a space, so the in-line rules decide (a period before a capital
still ends the sentence there). Every other line break stays a sentence end.
A report too short to show the pattern (one wrapped sentence) keeps its line
breaks: splitting a sentence loses less than joining two statements, which
can carry a negation into a finding.

The thresholds (:class:`WrapThresholds`) are the ``wrap_*`` settings of the
``radfollow_sentences_v2`` factory. With the defaults no report of the
bundled gold or the shared corpora (4,179, none wrapped) is taken as
wrapped, and the gold reports wrapped at 70 characters are in 115 of 204
(dev) cases; the rest hold fewer than two wrapped lines.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass

#: A line that does not continue the line before it: a list item.
_LIST_ITEM = re.compile(r"[ \t]*(?:\d{1,2}[.)]|[-*\u2022])(?:[ \t]|$)")
#: A line ended by terminal punctuation (optionally closed by a quote or bracket).
_TERMINAL = re.compile(r"[.!?:][\"')\]]?$")
_UPPERCASE = re.compile(r"[A-Z]")


@dataclass(frozen=True)
class WrapThresholds:
    """When a report counts as hard-wrapped (see the module docstring).

    ``min_width`` / ``max_width``: the range of feed widths, in characters.
    ``min_soft_breaks``: full candidates needed; ``min_full_ratio``: their
    share of all candidates (0-1); ``min_lowercase_starts``: full candidates
    whose next line starts with a lowercase letter.
    """

    min_width: int = 40
    max_width: int = 132
    min_soft_breaks: int = 2
    min_full_ratio: float = 0.5
    min_lowercase_starts: int = 1


@dataclass(frozen=True)
class _Line:
    start: int  # offset of the line's first character
    text: str  # the line without trailing spaces or "\r"


def soft_wraps(
    text: str, headers: Mapping[int, int], thresholds: WrapThresholds
) -> list[tuple[int, int]]:
    """The soft wraps of ``text``: ``(start, end)`` character ranges of whitespace.

    Each range runs from the end of a wrapped line's text to the start of the
    next line (trailing spaces, ``\\r``, ``\\n``, indentation). Empty unless
    the report is hard-wrapped. ``headers``: section headers, the offset
    where each header's line starts mapped to where the header ends. Linear
    in ``len(text)``.
    """
    lines = _lines(text)
    width = max((len(line.text) for line in lines if line), default=0)
    if not thresholds.min_width <= width <= thresholds.max_width:
        return []
    candidates = _candidates(lines, headers)
    full = [(line, after) for line, after in candidates if _is_full(line, after, width)]
    lowercase = sum(_first_word(after)[:1].islower() for _, after in full)
    if _UPPERCASE.search(text) is None:
        lowercase = 0  # a lowercased export: a lowercase line start tells nothing
    if (
        len(full) < thresholds.min_soft_breaks
        or len(full) < thresholds.min_full_ratio * len(candidates)
        or lowercase < thresholds.min_lowercase_starts
    ):
        return []
    return [(line.start + len(line.text), after.start + _indent(after)) for line, after in full]


def join_soft_wraps(text: str, wraps: list[tuple[int, int]]) -> str:
    """``text`` with every soft wrap's whitespace turned into spaces (same length, same offsets)."""
    if not wraps:
        return text
    parts, last = [], 0
    for start, end in wraps:
        parts += [text[last:start], " " * (end - start)]
        last = end
    parts.append(text[last:])
    return "".join(parts)


def _lines(text: str) -> list[_Line | None]:
    """Every line of ``text``; None for a blank one."""
    lines: list[_Line | None] = []
    start = 0
    for line in text.split("\n"):
        content = line.rstrip()
        lines.append(_Line(start, content) if content else None)
        start += len(line) + 1
    return lines


def _candidates(lines: list[_Line | None], headers: Mapping[int, int]) -> list[tuple[_Line, _Line]]:
    """Single line breaks that nothing in the text marks as a sentence end."""
    return [
        (line, after)
        for line, after in itertools.pairwise(lines)
        if line is not None
        and after is not None
        and _TERMINAL.search(line.text[-2:]) is None
        and after.start not in headers
        and headers.get(line.start, -1) < line.start + len(line.text)
        and _LIST_ITEM.match(after.text) is None
    ]


def _is_full(line: _Line, after: _Line, width: int) -> bool:
    """True when the next line's first word would not have fitted on ``line``."""
    return len(line.text) + 1 + len(_first_word(after)) > width


def _first_word(line: _Line) -> str:
    return line.text.split(None, 1)[0]


def _indent(line: _Line) -> int:
    return len(line.text) - len(line.text.lstrip())
