"""Lexicon cue matching shared by the typer and the anatomy linker."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span

_STOP = frozenset({".", ";", ":", "\n", ",", "and", "or", "with", "without", "in", "of", "to"})
_RIGHT_STOP = frozenset(
    {".", ";", ":", ",", "and", "with", "which", "that", "but", "while", "overlying", "overlies"}
    | {"projecting", "projects", "projected", "superimposed", "overlapping", "versus", "vs"}
)
#: Words that end the window even right after the finding: what follows is what it
#: projects over on a radiograph, not its organ ("nodular opacity over the 9th rib").
_PROJECTION = frozenset(
    {"over", "projecting", "projects", "projected", "superimposed", "overlapping", "overlying"}
    | {"overlies", "overlie", "overlap", "overlaps"}
)


@dataclass(frozen=True)
class Cue:
    start: int
    end: int
    label: str
    strength: int = 1


class CueMatcher:
    """PhraseMatcher over lowercased terms; each term carries a label and strength."""

    def __init__(self, nlp: Language, entries: Iterable[tuple[str, int, Iterable[str]]]) -> None:
        self._matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
        self._info: dict[int, tuple[str, int]] = {}
        for index, (label, strength, terms) in enumerate(entries):
            key = f"cue{index}"
            self._matcher.add(key, [nlp.make_doc(term) for term in terms])
            self._info[nlp.vocab.strings[key]] = (label, strength)

    def __call__(self, doc: Doc) -> list[Cue]:
        cues = []
        for match_id, start, end in self._matcher(doc):
            label, strength = self._info[match_id]
            cues.append(Cue(start, end, label, strength))
        return cues


def window(span: Span, *, left: int = 5, right: int = 9) -> tuple[int, int]:
    """Token window around a finding: its noun phrase and the phrase after it."""
    sent = span.sent
    lo = span.start
    while lo > max(sent.start, span.start - left) and span.doc[lo - 1].text not in _STOP:
        lo -= 1
    hi = span.end
    while hi < min(sent.end, span.end + right):
        text = span.doc[hi].lower_
        if (text in _RIGHT_STOP and hi > span.end) or text in _PROJECTION:
            break
        hi += 1
    return lo, hi


def best_cue(span: Span, cues: list[Cue], *, left: int = 5, right: int = 9) -> Cue | None:
    """Strongest cue in the window, nearest first among equals; cues inside the span count."""
    lo, hi = window(span, left=left, right=right)
    found = [c for c in cues if c.start >= lo and c.end <= hi]
    if not found:
        return None

    def rank(cue: Cue) -> tuple[int, int]:
        distance = span.start - cue.end if cue.end <= span.start else max(0, cue.start - span.end)
        return (distance - 2 * cue.strength, distance)

    return min(found, key=rank)
