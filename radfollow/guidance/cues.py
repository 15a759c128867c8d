"""Reading the cues of guidance.json (known cancer, smoking, suspicious features...) in a
report: case-insensitive regexes, each match cancelled by a negation that ends just
before it ("no known history of cancer")."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from radfollow.guidance.context import ReportContext
from radfollow.models import Finding
from radfollow.rules.schema.guidance import Cue

#: How far before a match a negation may start, in characters.
_NEGATION_WINDOW = 60


@dataclass(frozen=True)
class CompiledCue:
    """One cue's patterns compiled once."""

    cue: Cue

    @cached_property
    def patterns(self) -> tuple[re.Pattern[str], ...]:
        return tuple(re.compile(p, re.IGNORECASE) for p in self.cue.patterns)

    @cached_property
    def negations(self) -> tuple[re.Pattern[str], ...]:
        return tuple(re.compile(f"(?:{p})$", re.IGNORECASE) for p in self.cue.negated_by)

    def first(self, text: str) -> re.Match[str] | None:
        """The first match of any pattern that no negation cancels, or None."""
        found = [
            match
            for pattern in self.patterns
            for match in pattern.finditer(text)
            if not self._negated(text, match.start())
        ]
        return min(found, key=lambda m: m.start(), default=None)

    def _negated(self, text: str, start: int) -> bool:
        before = text[max(0, start - _NEGATION_WINDOW) : start]
        return any(negation.search(before) for negation in self.negations)


def cue_text(cue: Cue, context: ReportContext, finding: Finding | None) -> str:
    """The text a cue is read in (Cue.where); '' when there is none (a finding cue
    without a finding)."""
    if cue.where == "finding":
        if finding is None:
            return ""
        return " ".join(part for part in (finding.text, finding.sentence) if part)
    if cue.where == "procedure":
        return "\n".join(part for part in (context.procedure, context.indication) if part)
    if cue.where == "history":
        return "\n".join(part for part in (context.indication, context.text) if part)
    return context.text


class CueReader:
    """Every cue of a rules file, compiled once; answers whether a cue is stated."""

    def __init__(self, cues: dict[str, Cue]) -> None:
        self._cues = {name: CompiledCue(cue) for name, cue in cues.items()}

    def stated(self, name: str, context: ReportContext, finding: Finding | None = None) -> bool:
        """Whether cue ``name`` is stated; KeyError for a name the rules do not define."""
        compiled = self._cues[name]
        return compiled.first(cue_text(compiled.cue, context, finding)) is not None
