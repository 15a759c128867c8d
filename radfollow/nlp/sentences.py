"""Fast rule-based sentence splitter for radiology reports.

PyRuSH costs most of stock medspaCy's time. Radiology reports keep one
statement per line or end sentences with a period, so boundaries are: every
line break, a period/question/exclamation mark followed by whitespace and a
capital letter, digit or bracket, and the end of each section header.
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

_BOUNDARY = re.compile(r"\n[ \t\r\n]*|(?P<stop>[.!?])[\"')\]]?[ \t]+(?=[A-Z0-9(\[\"])")
_WORD_BEFORE = re.compile(r"(?:^|(?<=\s))(?P<word>[A-Za-z.]+|\d{1,2})$")
#: Words whose period does not end a sentence.
ABBREVIATIONS = frozenset(
    {"dr", "mr", "mrs", "ms", "st", "vs", "approx", "e.g", "i.e", "etc", "fig", "cf", "no", "pt"}
)


class RadSentenceSplitter:
    def __init__(self, nlp: Language, name: str) -> None:
        self.name = name

    def boundaries(self, doc: Doc) -> set[int]:
        text = doc_text(doc)
        starts = {m.end() for m in _BOUNDARY.finditer(text) if not _keeps_period(text, m)}
        for section in doc._.rad_sections or []:
            if section.header_end > section.header_start:
                starts.add(section.header_start)
                starts.add(section.header_end)
        return starts

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


def _keeps_period(text: str, match: re.Match[str]) -> bool:
    """True for "Dr. Smith" and for list numbers such as "1. Nodule" at a line start."""
    if match.group("stop") != ".":
        return False
    line_start = text.rfind("\n", 0, match.start()) + 1
    before = _WORD_BEFORE.search(text, line_start, match.start())
    if before is None:
        return False
    word = before.group("word")
    if word.isdigit():
        return not text[line_start : before.start()].strip()
    return word.lower().rstrip(".") in ABBREVIATIONS
