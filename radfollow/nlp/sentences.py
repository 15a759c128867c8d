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

_BOUNDARY = re.compile(r"\n[ \t\r\n]*|[.!?][\"')\]]?[ \t]+(?=[A-Z0-9(\[\"])")


class RadSentenceSplitter:
    def __init__(self, nlp: Language, name: str) -> None:
        self.name = name

    def boundaries(self, doc: Doc) -> set[int]:
        starts = {m.end() for m in _BOUNDARY.finditer(doc.text)}
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
