"""The inputs a guideline reads for one finding: its attributes and the patient's
(issue 16). Unknown is None; see UNKNOWABLE in radfollow/rules/schema/guidance.py."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import cache

from radfollow.guidance.context import ReportContext
from radfollow.guidance.cues import CueReader, finding_words
from radfollow.models import Finding
from radfollow.rules.schema.guidance import GuidanceRules, Guideline

_BOSNIAK = {"1": "I", "2": "II", "3": "III", "4": "IV", "II-F": "IIF", "2F": "IIF"}


@dataclass(frozen=True)
class Inputs:
    """What the guideline's conditions test; ``assumed`` names inputs read from the
    guideline's ``assume`` because the report does not state them."""

    size_mm: float | None
    composition: str | None
    multiplicity: str | None
    bosniak: str | None
    density_hu: float | None
    exam_modality: str | None
    age: float | None
    female: bool | None
    menopause: str | None
    risk: str | None
    benign: bool
    known_cancer: bool
    immunosuppressed: bool
    screening: bool
    features: frozenset[str]
    assumed: tuple[str, ...] = field(default=())


def fleischner_size(sizes: list[float]) -> float:
    """Mean of the first two stated dimensions, rounded to the nearest millimetre (half
    up); one dimension as it is, rounded. Fleischner 2017 (MacMahon et al.) and its
    measurement statement (Bankier et al., Radiology 2017;285:584-600)."""
    dims = sizes[:2]
    return float(math.floor(sum(dims) / len(dims) + 0.5))


def finding_size(finding: Finding, guideline: Guideline) -> float | None:
    """The size the guideline reads, in mm; None when the report gives none (sizes of
    0 or less are no size)."""
    sizes = [v for v in finding.size_mm or () if v > 0]
    if guideline.size == "mean_axes_rounded" and sizes:
        return fleischner_size(sizes)
    if finding.largest_size_mm is not None and finding.largest_size_mm > 0:
        return finding.largest_size_mm
    return max(sizes) if sizes else None


@cache
def _regex(pattern: str) -> re.Pattern[str]:
    """A rules-file pattern compiled case-insensitively, once."""
    return re.compile(pattern, re.IGNORECASE)


def bosniak_class(finding: Finding, rules: GuidanceRules) -> str | None:
    """The Bosniak class stated in the finding's text or sentence (I, II, IIF, III, IV)."""
    text = finding_words(finding)
    match = _regex(rules.bosniak).search(text)
    if match is None:
        return None
    value = match.group(1).upper()
    return _BOSNIAK.get(value, value)


def washout_benign(finding: Finding, rules: GuidanceRules) -> bool:
    """Whether a washout percentage stated in the finding's sentence reaches its
    adenoma threshold (guidance.json ``washout``; Mayo-Smith et al. 2017)."""
    text = finding_words(finding)
    for washout in rules.washout:
        for match in _regex(washout.pattern).finditer(text):
            if float(match.group(1)) >= washout.benign_at_least:
                return True
    return False


def menopause(context: ReportContext, reader: CueReader, rules: GuidanceRules) -> str | None:
    """'post' or 'pre' as stated; else by age (over ``postmenopausal_age``: post, O-RADS
    US 2020); None when neither is known."""
    if reader.stated("postmenopausal", context):
        return "post"
    if reader.stated("premenopausal", context):
        return "pre"
    age = context.age
    if age is None:
        return None
    return "post" if age > rules.postmenopausal_age else "pre"


def risk(context: ReportContext, reader: CueReader, guideline: Guideline) -> str | None:
    """'high' when a high-risk cue is stated, else 'low' when a low-risk cue is, else
    the guideline's default (None: unknown)."""
    for level in ("high", "low"):
        if any(reader.stated(name, context) for name in guideline.risk_cues.get(level, ())):
            return level
    return guideline.default_risk


@dataclass(frozen=True)
class GuidelineReads:
    """What a guideline's conditions read, so the engine works out nothing else:
    ``tested`` the Condition fields its bands and exclusions set, ``banded`` those its
    bands set, ``features`` the feature names they test."""

    tested: frozenset[str]
    banded: frozenset[str]
    features: frozenset[str]

    @classmethod
    def of(cls, guideline: Guideline) -> GuidelineReads:
        bands = [r.when for r in guideline.rules]
        conditions = bands + [n.when for n in guideline.not_applicable]
        return cls(
            tested=frozenset(name for c in conditions for name in c.model_fields_set),
            banded=frozenset(name for c in bands for name in c.model_fields_set),
            features=frozenset(
                name for c in conditions for name in (*(c.features or ()), *(c.no_features or ()))
            ),
        )


def read_inputs(
    finding: Finding,
    context: ReportContext,
    guideline: Guideline,
    rules: GuidanceRules,
    reader: CueReader,
    reads: GuidelineReads | None = None,
) -> Inputs:
    """The inputs of one finding for one guideline; ``reads``: ``GuidelineReads.of(
    guideline)``, worked out once by the caller (computed when not given)."""
    composition = finding.composition.value if finding.composition else None
    multiplicity = finding.multiplicity.value if finding.multiplicity else None
    assumed = []
    if composition is None and "composition" in guideline.assume:
        composition = guideline.assume["composition"]
        assumed.append("composition")
    if multiplicity is None and "multiplicity" in guideline.assume:
        multiplicity = guideline.assume["multiplicity"]
        assumed.append("multiplicity")
    reads = reads or GuidelineReads.of(guideline)
    used, tested = reads.features, reads.tested
    features = frozenset(
        name for name in used if name in rules.cues and reader.stated(name, context, finding)
    ) | (
        {"washout_benign"} if "washout_benign" in used and washout_benign(finding, rules) else set()
    )
    return Inputs(
        size_mm=finding_size(finding, guideline),
        composition=composition,
        multiplicity=multiplicity,
        bosniak=bosniak_class(finding, rules),
        density_hu=finding.density_hu,
        exam_modality=(context.exam_modality or "").upper() or None,
        age=context.age,
        female=context.female,
        menopause=menopause(context, reader, rules) if "menopause" in tested else None,
        risk=risk(context, reader, guideline) if "risk" in tested else None,
        benign=finding.benign,
        known_cancer="known_cancer" in tested and reader.stated("known_cancer", context),
        immunosuppressed="immunosuppressed" in tested
        and reader.stated("immunosuppressed", context),
        screening="screening" in tested and reader.stated("screening", context),
        features=features,
        assumed=tuple(assumed),
    )
