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

#: Report-level cue answers kept (a few reports' worth).
_KEPT_ANSWERS = 256
#: How far before a match a negation may start, in characters.
_NEGATION_WINDOW = 60


@dataclass(frozen=True)
class CompiledCue:
    """One cue's patterns compiled once."""

    cue: Cue

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        """Every pattern as one alternation: one pass over the text."""
        return re.compile("|".join(f"(?:{p})" for p in self.cue.patterns), re.IGNORECASE)

    @cached_property
    def negations(self) -> tuple[re.Pattern[str], ...]:
        return tuple(re.compile(f"(?:{p})$", re.IGNORECASE) for p in self.cue.negated_by)

    def first(self, text: str) -> re.Match[str] | None:
        """The first match that no negation cancels, or None."""
        for match in self.pattern.finditer(text):
            if not self._negated(text, match.start()):
                return match
        return None

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
        #: Answers of the cues read in the whole report (not in a finding), kept for the
        #: last reports: every lesion and measure of a report asks the same ones.
        self._answers: dict[tuple[str, str, str | None, str | None], bool] = {}

    def stated(self, name: str, context: ReportContext, finding: Finding | None = None) -> bool:
        """Whether cue ``name`` is stated; KeyError for a name the rules do not define."""
        compiled = self._cues[name]
        if compiled.cue.where == "finding":
            return compiled.first(cue_text(compiled.cue, context, finding)) is not None
        key = (name, context.text, context.indication, context.procedure)
        answer = self._answers.get(key)
        if answer is None:
            if len(self._answers) > _KEPT_ANSWERS:
                self._answers.clear()
            answer = compiled.first(cue_text(compiled.cue, context, None)) is not None
            self._answers[key] = answer
        return answer
