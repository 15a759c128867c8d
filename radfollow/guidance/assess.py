"""Guidance, measures and mismatch checks for one report, after the NLP (issue 16)."""

from __future__ import annotations

from pathlib import Path

from radfollow.guidance.checks import report_checks
from radfollow.guidance.context import ReportContext
from radfollow.guidance.critical import with_sent_times
from radfollow.guidance.engine import GuidanceEngine
from radfollow.guidance.lesions import group_lesions
from radfollow.guidance.measures import Assessed, MeasureReader
from radfollow.models import ExtractionResult
from radfollow.rules.loader import load_rules
from radfollow.rules.schema.checks import CheckRules
from radfollow.rules.schema.guidance import GuidanceRules, MeasureRules

#: Cue names of guidance.json the measures read as exclusions, and their labels.
_HISTORY_FLAGS = {
    "known_cancer": "known cancer",
    "immunosuppressed": "immunosuppressed",
    "screening": "lung cancer screening",
}


class Assessor:
    """The packaged (or a site's, ``rules_dir``) guidance.json, measures.json and
    checks.json, loaded once; raises RuleFileError when one is missing or invalid."""

    def __init__(self, rules_dir: str | Path | None = None) -> None:
        self.engine = GuidanceEngine(load_rules(GuidanceRules, rules_dir))
        self.measures = MeasureReader(load_rules(MeasureRules, rules_dir), self._flags)
        self.check_rules = load_rules(CheckRules, rules_dir)

    def _flags(self, context: ReportContext) -> set[str]:
        reader = self.engine.reader
        return {label for name, label in _HISTORY_FLAGS.items() if reader.stated(name, context)}

    def assess(self, context: ReportContext, result: ExtractionResult) -> ExtractionResult:
        """``result`` with its ``guidance``, ``measures`` and ``checks`` filled, and its
        communications' ``sent`` times resolved against the exam time (a copy)."""
        lesions = group_lesions(result.findings)
        guidance = self.engine.assess(context, lesions, result.recommendations)
        read = Assessed(lesions, result.recommendations, result.impression)
        measures = self.measures.assess(context, read)
        checks = report_checks(context, result.findings, rules=self.check_rules)
        return result.model_copy(
            update={
                "guidance": guidance,
                "measures": measures,
                "checks": checks,
                "communications": with_sent_times(result.communications, context.exam_time),
            }
        )
