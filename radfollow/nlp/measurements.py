"""Sizes, laterality and location linked to each finding.

Sizes are found with one regular expression per sentence ("6 mm", "1.2 x 0.8
cm", "4-5 mm", "3.1 x 2.4 x 2.0 cm") and assigned to findings in the same
sentence greedily by character distance, each measurement once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from spacy.language import Language
from spacy.tokens import Doc, Span

from radfollow.nlp.components_base import RuleFileComponent
from radfollow.nlp.cues import CueMatcher, best_cue
from radfollow.rules.schema import AnatomyRules

_NUM = r"\d+(?:\.\d+)?"
_MAX_DISTANCE = 60


@dataclass(frozen=True)
class Measurement:
    start: int
    end: int
    size_mm: list[float]


class AnatomyLinker(RuleFileComponent):
    rules_model = AnatomyRules

    def __init__(self, nlp: Language, name: str, *, rules: str | None = None) -> None:
        self.name = name
        self.nlp = nlp
        self._load(rules)

    def _compile(self) -> None:
        units = sorted(self.rules.measurement_units, key=len, reverse=True)
        unit = "(?:" + "|".join(map(re.escape, units)) + r")\b"
        self._units = {k.lower(): v for k, v in self.rules.measurement_units.items()}
        self._regex = re.compile(
            rf"(?<![\w.])(?P<body>{_NUM}(?:\s*{unit})?"
            rf"(?:\s*(?:x|\u00d7|by|-|\u2013|to)\s*{_NUM}(?:\s*{unit})?){{0,2}})\s*(?P<unit>{unit})",
            re.IGNORECASE,
        )
        self._laterality = CueMatcher(
            self.nlp, [(c.value.value, 1, c.terms) for c in self.rules.laterality]
        )
        self._location = CueMatcher(
            self.nlp, [(c.location, len(c.terms[0].split()), c.terms) for c in self.rules.locations]
        )

    def measurements(self, text: str, offset: int) -> list[Measurement]:
        found = []
        for match in self._regex.finditer(text):
            factor = self._units[match.group("unit").lower()]
            body = match.group("body")
            if re.search(r"\d\s*(?:-|\u2013|to)\s*\d", body):
                numbers = [float(n) for n in re.findall(_NUM, body)]
                sizes = [max(numbers) * factor]
            else:
                sizes = [float(n) * factor for n in re.findall(_NUM, body)]
            found.append(Measurement(offset + match.start(), offset + match.end(), sizes))
        return found

    def __call__(self, doc: Doc) -> Doc:
        if not doc.ents:
            return doc
        laterality = self._laterality(doc)
        location = self._location(doc)
        by_sentence: dict[int, list[Span]] = {}
        for ent in doc.ents:
            by_sentence.setdefault(ent.sent.start, []).append(ent)
            lat = best_cue(ent, laterality)
            ent._.rad_laterality = lat.label if lat else None
            loc = best_cue(ent, location)
            ent._.rad_location = loc.label if loc else None
        for ents in by_sentence.values():
            sent = ents[0].sent
            self._assign(ents, self.measurements(sent.text, sent.start_char))
        return doc

    @staticmethod
    def _assign(ents: list[Span], found: list[Measurement]) -> None:
        pairs = []
        for i, ent in enumerate(ents):
            for j, meas in enumerate(found):
                if meas.end <= ent.start_char:
                    distance = ent.start_char - meas.end
                else:
                    distance = max(0, meas.start - ent.end_char) + 5
                if distance <= _MAX_DISTANCE:
                    pairs.append((distance, i, j))
        used_e: set[int] = set()
        used_m: set[int] = set()
        for _, i, j in sorted(pairs):
            if i in used_e or j in used_m:
                continue
            used_e.add(i)
            used_m.add(j)
            ents[i]._.rad_size_mm = found[j].size_mm
