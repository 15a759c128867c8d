"""MIPS quality measures 364, 405 and 406 for one report (issue 16; docs/guidance.md
cites the specification years and the choices they leave).

A report gets a MeasureResult for a measure only when it has a finding the measure is
about (an incidental, present or possible finding of its type and size); the result
says whether the report is in the denominator and, if so, its outcome.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache

from radfollow.guidance.context import ReportContext
from radfollow.guidance.cues import finding_words
from radfollow.guidance.lesions import Lesion
from radfollow.models import (
    Finding,
    FindingType,
    MeasureOutcome,
    MeasureResult,
    Modality,
    Recommendation,
)
from radfollow.rules.schema.guidance import MeasureRules

#: Actions that are imaging (for "follow-up imaging recommended").
IMAGING = frozenset(
    {Modality.CT, Modality.MR, Modality.US, Modality.XR, Modality.MG, Modality.NM}
    | {Modality.PET, Modality.FLUORO}
)
#: Actions that need no interval to count as "interval and modality" for 364.
IMMEDIATE = frozenset({Modality.BIOPSY, Modality.PROCEDURE, Modality.CONSULT})


@cache
def _compiled(patterns: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


def _says(patterns: tuple[str, ...], text: str | None) -> bool:
    return bool(text) and _compiled(patterns).search(text or "") is not None


#: A negation earlier in the clause cancels a stated medical reason or benign wording.
_NEGATED = re.compile(r"\b(?:no|not|without|negative for|free of)\b[^.;\n]{0,60}$", re.I)


def _affirmed(patterns: tuple[str, ...], text: str) -> bool:
    """Whether ``text`` says one of ``patterns`` with no negation before it in its clause
    ("without suspicious lymph nodes" is not a medical reason)."""
    return any(
        not _NEGATED.search(text, max(0, m.start() - 60), m.start())
        for m in _compiled(patterns).finditer(text)
    )


def _incidental(lesions: Sequence[Lesion], kind: FindingType) -> list[Lesion]:
    return [lesion for lesion in lesions if lesion.finding.type == kind and lesion.unrelated]


def _recs_for(
    lesions: Sequence[Lesion], recommendations: Sequence[Recommendation], only_kind: bool
) -> list[Recommendation]:
    """The recommendations linked to a mention of ``lesions``; unlinked ones too when
    these are the report's only lesions the measure is about."""
    ids = {i for lesion in lesions for i in lesion.mention_ids}
    return [
        r for r in recommendations if r.finding_id in ids or (r.finding_id is None and only_kind)
    ]


def _imaging(rec: Recommendation) -> bool:
    options = set(rec.modality_options) or ({rec.modality} if rec.modality else set())
    return bool(options & IMAGING)


def _age_exclusion(context: ReportContext, minimum: float) -> str | None:
    age = context.age
    if age is None:
        return "patient age not known"
    return f"patient younger than {minimum:g}" if age < minimum else None


def _result(measure: str, lesions: list[Lesion], **values: object) -> MeasureResult:
    ids = [i for lesion in lesions for i in lesion.mention_ids]
    return MeasureResult(measure=measure, finding_ids=ids, **values)  # type: ignore[arg-type]


def _adrenal_405(finding: Finding, size: float, rules: MeasureRules) -> bool:
    """At most 1 cm, or at most 4 cm and likely or diagnostically benign."""
    if size <= 10:
        return True
    benign = (
        finding.benign
        or (finding.density_hu is not None and finding.density_hu <= 10)
        or _affirmed(rules.adrenal_benign, finding_words(finding))
    )
    return size <= 40 and benign


@dataclass(frozen=True)
class Assessed:
    """What the measures read of a report: its lesions, recommendations and impression."""

    lesions: Sequence[Lesion]
    recommendations: Sequence[Recommendation]
    impression: str | None


class MeasureReader:
    """The measures of one rules file (measures.json)."""

    def __init__(self, rules: MeasureRules, history_flags: Callable[[ReportContext], set[str]]):
        self.rules = rules
        self._history_flags = history_flags

    def assess(self, context: ReportContext, result: Assessed) -> list[MeasureResult]:
        """The results of every measure the report has a qualifying finding for."""
        out = []
        for measure in (self.mips364, self.mips405, self.mips406):
            value = measure(context, result)
            if value is not None:
                out.append(value)
        return out

    def _modality_exclusion(self, context: ReportContext) -> str | None:
        modality = (context.exam_modality or "").upper()
        if not modality:
            return "exam modality not known"
        return (
            None if modality in self.rules.cross_sectional else f"not a CT or MR exam ({modality})"
        )

    def mips364(self, context: ReportContext, result: Assessed) -> MeasureResult | None:
        """Incidental pulmonary nodule on CT, age 35 or over: the impression states an
        interval and modality (or no follow-up) and the guideline it follows."""
        nodules = _incidental(result.lesions, FindingType.PULMONARY_NODULE)
        if not nodules:
            return None
        modality = (context.exam_modality or "").upper()
        flags = self._history_flags(context)
        exclusion = (
            ("exam modality not known" if not modality else None)
            or (f"not a CT exam ({modality})" if modality and modality != "CT" else None)
            or _age_exclusion(context, 35)
            or next(
                (
                    f
                    for f in ("known cancer", "immunosuppressed", "lung cancer screening")
                    if f in flags
                ),
                None,
            )
        )
        if exclusion:
            return _result("MIPS364", nodules, eligible=False, exclusion_reason=exclusion)
        impression = result.impression or context.text
        recs = [
            r
            for r in _recs_for(nodules, result.recommendations, True)
            if r.modality is not None
            and (r.interval_months is not None or r.modality in IMMEDIATE)
            and (r.section in ("impression", "recommendation") or not result.impression)
        ]
        stated = bool(recs) or _says(self.rules.no_follow_up, impression)
        sourced = _says(self.rules.guideline_source, impression)
        outcome = MeasureOutcome.MET if stated and sourced else MeasureOutcome.NOT_MET
        return _result("MIPS364", nodules, eligible=True, outcome=outcome)

    def _405_findings(self, lesions: Sequence[Lesion]) -> list[Lesion]:
        renal = [
            f
            for f in _incidental(lesions, FindingType.RENAL_LESION)
            if _says(self.rules.renal_simple, finding_words(f.finding))
        ]
        adrenal = [
            f
            for f in _incidental(lesions, FindingType.ADRENAL_NODULE)
            if (size := f.finding.largest_size_mm) is not None
            and _adrenal_405(f.finding, size, self.rules)
        ]
        return renal + adrenal

    def mips405(self, context: ReportContext, result: Assessed) -> MeasureResult | None:
        """Incidental simple renal cyst or small/benign adrenal lesion, age 18 or over: the
        report recommends no follow-up imaging, in so many words."""
        lesions = self._405_findings(result.lesions)
        if not lesions:
            return None
        exclusion = _age_exclusion(context, 18)
        if exclusion:
            return _result("MIPS405", lesions, eligible=False, exclusion_reason=exclusion)
        kinds = {lesion.finding.type for lesion in result.lesions if lesion.unrelated}
        only = kinds <= {FindingType.RENAL_LESION, FindingType.ADRENAL_NODULE}
        recs = _recs_for(lesions, result.recommendations, only)
        said_none = _says(self.rules.no_follow_up, context.text)
        if said_none and not any(_imaging(r) for r in recs):
            outcome = MeasureOutcome.MET
        elif "known cancer" in self._history_flags(context):  # a medical reason: only if not met
            outcome = MeasureOutcome.EXCEPTION
        else:
            outcome = MeasureOutcome.NOT_MET
        return _result("MIPS405", lesions, eligible=True, outcome=outcome)

    def mips406(self, context: ReportContext, result: Assessed) -> MeasureResult | None:
        """Inverse: incidental thyroid nodule under 1 cm on CT or MR of the chest or neck,
        age 18 or over, with follow-up imaging recommended (lower is better)."""
        nodules = [
            f
            for f in _incidental(result.lesions, FindingType.THYROID_NODULE)
            if f.finding.largest_size_mm is not None and f.finding.largest_size_mm < 10
        ]
        if not nodules:
            return None
        procedure = context.procedure
        exclusion = (
            self._modality_exclusion(context)
            or (
                "not a chest or neck exam"
                if procedure and not _says(self.rules.chest_or_neck, procedure)
                else None
            )
            or _age_exclusion(context, 18)
        )
        if exclusion:
            return _result(
                "MIPS406", nodules, eligible=False, exclusion_reason=exclusion, inverse=True
            )
        only = {x.finding.type for x in result.lesions if x.unrelated} == {
            FindingType.THYROID_NODULE
        }
        recs = [r for r in _recs_for(nodules, result.recommendations, only) if _imaging(r)]
        if not recs:
            outcome = MeasureOutcome.NOT_MET
        elif _affirmed(
            self.rules.medical_reason_406, " ".join(finding_words(f.finding) for f in nodules)
        ):
            outcome = MeasureOutcome.EXCEPTION
        else:
            outcome = MeasureOutcome.MET
        return _result("MIPS406", nodules, eligible=True, outcome=outcome, inverse=True)
