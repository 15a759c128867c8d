"""Fast rule-based sentence splitter for radiology reports.

PyRuSH costs most of stock medspaCy's time. Radiology reports keep one
statement per line or end sentences with a period, so boundaries are: every
line break, a period/question/exclamation mark followed by whitespace and a
capital letter, digit or bracket, and the end of each section header.
"""

from __future__ import annotations

import re

from spacy.language import Language
from spacy.tokens import Doc

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
        text = doc.text
        starts = {m.end() for m in _BOUNDARY.finditer(text) if not _keeps_period(text, m)}
        for section in doc._.rad_sections or []:
            if section.header_end > section.header_start:
                starts.add(section.header_start)
                starts.add(section.header_end)
        return starts

    def __call__(self, doc: Doc) -> Doc:
        starts = self.boundaries(doc)
        pending = True
        for token in doc:
            if token.is_space:
                token.is_sent_start = pending and token.i == 0
                if token.i == 0:
                    pending = False
                continue
            if pending or token.idx in starts:
                token.is_sent_start = True
                pending = False
            else:
                token.is_sent_start = False
            if token.idx + len(token.text) in starts:
                pending = True
        return doc


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
