"""Fast rule-based sentence splitter for radiology reports.

PyRuSH costs most of stock medspaCy's time. Radiology reports keep one
statement per line or end sentences with a period, so boundaries are:

- every line break, except the soft wraps of a hard-wrapped report
  (:mod:`radfollow.nlp.hard_wrap`: a fixed-width feed breaks lines in the
  middle of sentences; a soft wrap is read as a space, so the rules below
  decide there);
- a period, question or exclamation mark followed by whitespace and a capital
  letter, digit or bracket, unless the period belongs to an abbreviation
  ("Dr. Smith", :data:`ABBREVIATIONS`) or to a list number at a line start
  ("1. Nodule");
- a lone period between spaces followed by a lowercase word: lowercased,
  tokenized exports ("no acute process . heart size is normal .", how some
  public datasets ship). A period of an abbreviation, a decimal ("4.5") or
  "e.g." is attached to its word, so it is never lone;
- the start and end of each section header;
- the first whitespace after every ``max_sentence_chars`` characters of a
  longer sentence. The longest sentence in the bundled and shared corpora has
  698 characters; a report of thousands of characters without a stop (a
  hostile or broken sender) would otherwise be one sentence, and ConText
  compares every pair of cues within a sentence (quadratic: 10 KB of "no
  nodule or mass, " took 16 s).

Every step is linear in the text: the look-behind for the word before a
period reads at most :data:`LOOK_BEHIND` characters (no scan back to the line
start), so a 1 MB report on one line is split in well under a second
(``benchmarks/sentences.py``).
"""

from __future__ import annotations

import re
from typing import cast

import numpy as np
from spacy.attrs import IDX, IS_SPACE, LENGTH, SENT_START
from spacy.language import Language
from spacy.tokens import Doc
from thinc.types import Ints2d

from radfollow.nlp.extensions import doc_text
from radfollow.nlp.hard_wrap import WrapThresholds, join_soft_wraps, soft_wraps

_LINE_BREAK = r"\n[ \t\r\n]*"
_STOP = r"(?P<stop>[.!?])[\"')\]]?[ \t]+(?=[A-Z0-9(\[\"])"
_SPACED_STOP = r"(?<=[ \t])(?P<spaced>\.)[ \t]+(?=[a-z])"
_BOUNDARY = re.compile(f"{_LINE_BREAK}|{_STOP}")
_BOUNDARY_SPACED = re.compile(f"{_LINE_BREAK}|{_STOP}|{_SPACED_STOP}")
#: The word before a period: a list number at a line start, or a word (an abbreviation?).
_WORD_BEFORE = re.compile(
    r"(?:^[ \t]{0,16}(?P<number>\d{1,2})|(?:^|(?<=\s))(?P<word>[A-Za-z.]{1,16}))\Z", re.MULTILINE
)
_SPACE = re.compile(r"\s+")
#: Characters read back from a period to find the word before it (bounds the work per period).
LOOK_BEHIND = 24
#: Words whose period does not end a sentence.
ABBREVIATIONS = frozenset(
    {"dr", "mr", "mrs", "ms", "st", "vs", "approx", "e.g", "i.e", "etc", "fig", "cf", "no", "pt"}
)


class RadSentenceSplitter:
    """Sets ``Token.is_sent_start`` on every token (needs ``doc._.rad_sections``).

    ``wrap``: when a report counts as hard-wrapped; None keeps every line
    break a boundary (``radfollow_sentences_v1``). ``spaced_periods``: split
    at lone lowercase-export periods. ``max_sentence_chars``: the longest
    sentence (None: no limit). Raises ValueError for a limit under 1.
    """

    def __init__(
        self,
        nlp: Language,
        name: str,
        *,
        wrap: WrapThresholds | None = None,
        spaced_periods: bool = True,
        max_sentence_chars: int | None = None,
    ) -> None:
        if max_sentence_chars is not None and max_sentence_chars < 1:
            raise ValueError("max_sentence_chars must be at least 1")
        self.name = name
        self.wrap = wrap
        self.max_sentence_chars = max_sentence_chars
        self._boundary = _BOUNDARY_SPACED if spaced_periods else _BOUNDARY

    def boundaries(self, doc: Doc) -> set[int]:
        """Character offsets where a sentence starts (a superset: ``sentence_starts`` maps them)."""
        text = doc_text(doc)
        headers = {s for s in doc._.rad_sections or [] if s.header_end > s.header_start}
        if self.wrap is not None:
            spans = {s.header_start: s.header_end for s in headers}
            text = join_soft_wraps(text, soft_wraps(text, spans, self.wrap))
        result = {m.end() for m in self._boundary.finditer(text) if not _keeps_period(text, m)}
        for section in headers:
            result.add(section.header_start)
            result.add(section.header_end)
        if self.max_sentence_chars is not None:
            result |= _cuts(text, result, self.max_sentence_chars)
        return result

    def __call__(self, doc: Doc) -> Doc:
        if len(doc):
            doc.from_array([SENT_START], sentence_starts(doc, self.boundaries(doc)))
        return doc


def sentence_starts(doc: Doc, starts: set[int]) -> Ints2d:
    """SENT_START values (1 / -1) for every token, from boundary character offsets.

    A token starts a sentence when it begins at a boundary or when the previous
    non-space token ends at one; whitespace tokens never start a sentence
    except the first token. Setting ``Token.is_sent_start`` one token at a time
    scans the whole Doc per token, so this works on arrays and is set at once.
    """
    idx = doc.to_array(IDX).astype(np.int64)
    ends = idx + doc.to_array(LENGTH).astype(np.int64)
    boundary = np.zeros(int(ends[-1]) + 1, dtype=bool)
    boundary[[c for c in starts if c <= ends[-1]]] = True
    result = np.full(len(doc), -1, dtype=np.int64)
    words = np.flatnonzero(doc.to_array(IS_SPACE) == 0)
    if len(words):
        pending = np.empty(len(words), dtype=bool)
        pending[0] = words[0] == 0
        pending[1:] = boundary[ends[words[:-1]]]
        result[words[pending | boundary[idx[words]]]] = 1
    result[0] = 1
    return cast(Ints2d, result.astype(np.uint64).reshape(-1, 1))


def _cuts(text: str, starts: set[int], limit: int) -> set[int]:
    """Offsets of the first whitespace after every ``limit`` characters of a longer sentence."""
    cuts: set[int] = set()
    bounds = sorted(c for c in starts if 0 < c < len(text))
    for start, end in zip([0, *bounds], [*bounds, len(text)], strict=True):
        position = start + limit
        while position < end:
            space = _SPACE.search(text, position, end)
            if space is None:
                break
            cuts.add(space.start())
            position = space.end() + limit
    return cuts


def _keeps_period(text: str, match: re.Match[str]) -> bool:
    """True for "Dr. Smith" and for list numbers such as "1. Nodule" at a line start.

    Reads at most ``LOOK_BEHIND`` characters before the period: a longer word
    is no abbreviation, and a list number is indented by at most 16 spaces.
    """
    if match.group("stop") != ".":
        return False
    end = match.start()
    before = _WORD_BEFORE.search(text, max(0, end - LOOK_BEHIND), end)
    if before is None:
        return False
    if before.group("number") is not None:
        return True
    return before.group("word").lower().rstrip(".") in ABBREVIATIONS
