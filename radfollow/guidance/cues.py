"""Reading the cues of guidance.json (known cancer, smoking, suspicious features...) in a
report: case-insensitive regexes. A match is cancelled by a negation before it: one
that ends just before it ("no known history of cancer"; ``negation_scope`` adjacent),
or one anywhere earlier in its clause ("without septations or solid components";
``clause``: back to the last '.', ';', line break, 'but' or 'however', at most 80
characters); or by a ``negated_after`` pattern just after it ("adenoma not excluded").
"""

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
_NEGATION_WINDOW = 80
#: Where a clause starts, for negations with clause scope.
_CLAUSE_BREAK = re.compile(r"[.;\n]|\b(?:but|however|although|except)\b", re.IGNORECASE)


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
        end = "$" if self.cue.negation_scope == "adjacent" else ""
        return tuple(re.compile(f"(?:{p}){end}", re.IGNORECASE) for p in self.cue.negated_by)

    @cached_property
    def after(self) -> re.Pattern[str] | None:
        if not self.cue.negated_after:
            return None
        return re.compile(r"\W{0,3}(?:" + "|".join(self.cue.negated_after) + ")", re.IGNORECASE)

    def first(self, text: str) -> re.Match[str] | None:
        """The first match that no negation cancels, or None."""
        for match in self.pattern.finditer(text):
            if not self._negated(text, match.start()) and not (
                self.after is not None and self.after.match(text, match.end())
            ):
                return match
        return None

    def _negated(self, text: str, start: int) -> bool:
        before = text[max(0, start - _NEGATION_WINDOW) : start]
        if self.cue.negation_scope == "clause":
            breaks = list(_CLAUSE_BREAK.finditer(before))
            before = before[breaks[-1].end() :] if breaks else before
        return any(negation.search(before) for negation in self.negations)


def finding_words(finding: Finding) -> str:
    """The words a finding's features are read in: its own text and its sentence."""
    return " ".join(part for part in (finding.text, finding.sentence) if part)


def cue_text(cue: Cue, context: ReportContext, finding: Finding | None) -> str:
    """The text a cue is read in (Cue.where); '' when there is none (a finding cue
    without a finding)."""
    if cue.where == "finding":
        if finding is None:
            return ""
        return finding_words(finding)
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
