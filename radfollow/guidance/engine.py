"""The guideline engine: what each guideline of guidance.json expects for each finding,
and whether the report's recommendations agree (issue 16; docs/guidance.md).

For every present or possible finding of a type a guideline covers: the guideline's
exclusions first (not_applicable), then its bands in order. A band whose conditions
hold gives the answer. A band left open by an unknown input (age, sex, menopausal
status, risk) gives one answer for that case and the engine reads on, so a report
that does not state the risk gets both the low- and the high-risk answers, each
labelled, and 'risk' in missing_inputs. An unknown size stops the reading: no answer,
'size' missing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import cache
from itertools import product
from typing import Any

from radfollow.guidance.concordance import compare, overall
from radfollow.guidance.conditions import evaluate
from radfollow.guidance.context import ReportContext
from radfollow.guidance.cues import CueReader
from radfollow.guidance.inputs import GuidelineReads, Inputs, finding_size, read_inputs
from radfollow.guidance.lesions import Lesion
from radfollow.models import (
    Composition,
    ExpectedFollowUp,
    Finding,
    Guidance,
    Multiplicity,
    Recommendation,
)
from radfollow.rules.schema.guidance import GuidanceRules, Guideline, Rule


@dataclass(frozen=True)
class _Reading:
    """The bands a finding falls in, and the inputs that were missing."""

    rules: tuple[Rule, ...]
    missing: tuple[str, ...]
    reason: str | None = None
    #: Unknown inputs whose cases gave the bands (listed missing when answers differ).
    varied: tuple[str, ...] = ()


@cache
def _exclusions(patterns: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p, re.IGNORECASE) for p in patterns)


def _excluded(finding: Finding, guideline: Guideline) -> bool:
    text = " ".join(p for p in (finding.text, finding.location, finding.sentence) if p)
    return any(p.search(text) for p in _exclusions(guideline.exclude_terms))


def _add(missing: list[str], names: Iterable[str]) -> None:
    for name in sorted(names):
        if name not in missing:
            missing.append(name)


#: Inputs that may be unknown, and their names in missing_inputs.
_UNKNOWABLE = {"age": "age", "female": "sex", "menopause": "menopausal status", "risk": "risk"}
_SIZE_UNKNOWN = object()


def _age_points(guideline: Guideline) -> list[float]:
    """One age in each band the guideline's age conditions make (below the first cut,
    at each cut, just past each)."""
    ages = [rule.when.age for rule in guideline.rules if rule.when.age is not None]
    bounds = [
        b
        for age in ages
        for b in (age.at_least, age.above, age.below, age.at_most)
        if b is not None
    ]
    cuts = sorted(set(bounds))
    return sorted({cuts[0] - 1, *cuts, *(c + 0.5 for c in cuts)}) if cuts else [50.0]


def _cases(guideline: Guideline, inputs: Inputs, tested: frozenset[str]) -> list[dict[str, Any]]:
    """Every combination of values the unknown inputs the bands test could take."""
    choices: dict[str, list[Any]] = {}
    if inputs.age is None and "age" in tested:
        choices["age"] = list(_age_points(guideline))
    if inputs.female is None and "female" in tested:
        choices["female"] = [True, False]
    if inputs.menopause is None and "menopause" in tested:
        choices["menopause"] = ["pre", "post"]
    if inputs.risk is None and "risk" in tested:
        choices["risk"] = ["low", "high"]
    return [dict(zip(choices, values, strict=True)) for values in product(*choices.values())]


def _first(guideline: Guideline, inputs: Inputs) -> Rule | object | None:
    """The first band that holds; _SIZE_UNKNOWN when the size decides and is unknown."""
    for rule in guideline.rules:
        verdict = evaluate(rule.when, inputs)
        if verdict.holds:
            return rule
        if verdict.holds is None:
            return _SIZE_UNKNOWN
    return None


def _read(
    guideline: Guideline, inputs: Inputs, related: str | None, banded: frozenset[str]
) -> _Reading:
    """The guideline's exclusions, then ``related`` (why the finding is not incidental,
    or None), then its bands: the first that holds, once for each case the unknown
    inputs leave open."""
    missing: list[str] = list(inputs.assumed)
    for exclusion in guideline.not_applicable:
        verdict = evaluate(exclusion.when, inputs)
        if verdict.holds:
            return _Reading((), tuple(missing), exclusion.reason)
        _add(missing, verdict.unknown)
    if related is not None:
        return _Reading((), (), related)
    cases = _cases(guideline, inputs, banded)
    found: list[Rule] = []
    for case in cases:
        rule = _first(guideline, replace(inputs, **case))
        if rule is _SIZE_UNKNOWN:
            _add(missing, {"size"})
            return _Reading((), tuple(missing))
        if isinstance(rule, Rule) and not any(rule is r for r in found):
            found.append(rule)
    varied = tuple(_UNKNOWABLE[name] for name in (cases[0] if cases else {}))
    return _Reading(tuple(found), tuple(missing), varied=varied)


def _answer(rule: Rule, labelled: bool) -> ExpectedFollowUp:
    return ExpectedFollowUp(
        condition=(rule.condition or rule.band) if labelled else None,
        follow_up=rule.follow_up,
        optional=rule.optional,
        modality_options=list(rule.modality),
        interval_months=rule.interval_months,
        text=rule.text,
    )


def _same(rules: tuple[Rule, ...]) -> bool:
    keys = {(r.follow_up, r.optional, r.modality, r.interval_months) for r in rules}
    return len(keys) == 1


def _band(rules: tuple[Rule, ...]) -> str | None:
    bands = list(dict.fromkeys(rule.band for rule in rules))
    return "; ".join(bands) if bands else None


class GuidanceEngine:
    """The guidelines of one rules file, ready to apply to reports."""

    def __init__(self, rules: GuidanceRules) -> None:
        self.rules = rules
        self.reader = CueReader(rules.cues)
        self._by_type = {t: g for g in rules.guidelines for t in g.finding_types}
        self._reads = {g.id: GuidelineReads.of(g) for g in rules.guidelines}

    def assess(
        self,
        context: ReportContext,
        lesions: Sequence[Lesion],
        recommendations: Sequence[Recommendation],
    ) -> list[Guidance]:
        """One Guidance per lesion of a type a guideline covers, in report order.

        A lesion's recommendations are those linked to any of its mentions; when it is
        the report's only covered lesion, the unlinked ones too. A guideline that
        manages several lesions together (``together``: Fleischner's multiple nodules)
        judges them as one, by the most suspicious (the largest): it gets the
        'multiple' bands and every recommendation linked to any of them, and the
        others say which lesion they are managed with."""
        covered = [lesion for lesion in lesions if lesion.finding.type in self._by_type]
        loose = [r for r in recommendations if r.finding_id is None]
        leads = self._leads(covered)
        out = []
        for i, lesion in enumerate(covered):
            lead = leads.get(i, i)
            if lead != i:
                out.append(self._managed_with(lesion, covered[lead]))
                continue
            members = [covered[j] for j, k in leads.items() if k == i] or [lesion]
            ids = {m for member in members for m in member.mention_ids}
            recs = [r for r in recommendations if r.finding_id in ids]
            if len(members) == len(covered):
                recs += loose
            finding = lesion.finding
            if len(members) > 1:
                finding = finding.model_copy(update={"multiplicity": Multiplicity.MULTIPLE})
            guidance = self.one(context, finding, recs, unrelated=lesion.unrelated)
            mentions = [m for member in members for m in member.mention_ids]
            out.append(guidance.model_copy(update={"mention_ids": mentions}))
        return out

    def _leads(self, covered: Sequence[Lesion]) -> dict[int, int]:
        """For lesions a ``together`` guideline manages as one: index -> the index of the
        largest of them (the first on a tie). Benign and calcified lesions, lesions the
        exam is about, and lesions without a size stay apart."""
        leads: dict[int, int] = {}
        for guideline in self.rules.guidelines:
            if not guideline.together:
                continue
            group = [
                (i, size)
                for i, lesion in enumerate(covered)
                if lesion.finding.type in guideline.finding_types
                and lesion.finding.incidental
                and not lesion.finding.benign
                and lesion.finding.composition != Composition.CALCIFIED
                and (size := finding_size(lesion.finding, guideline)) is not None
            ]
            if len(group) < 2:
                continue
            lead = max(group, key=lambda item: (item[1], -item[0]))[0]
            leads.update({i: lead for i, _ in group})
        return leads

    def _managed_with(self, lesion: Lesion, lead: Lesion) -> Guidance:
        guideline = self._by_type[lesion.finding.type]
        return Guidance(
            finding_id=lesion.finding.id,
            mention_ids=list(lesion.mention_ids),
            guideline=guideline.id,
            version=guideline.version,
            citation=guideline.citation,
            not_applicable_reason=f"managed with the most suspicious nodule ({lead.finding.id})",
        )

    def one(
        self,
        context: ReportContext,
        finding: Finding,
        recs: Sequence[Recommendation],
        *,
        unrelated: bool | None = None,
    ) -> Guidance:
        """The guidance for one finding against the recommendations that concern it;
        ``unrelated``: not what the exam is about (default: ``finding.incidental``)."""
        guideline = self._by_type[finding.type]
        base = Guidance(
            finding_id=finding.id,
            guideline=guideline.id,
            version=guideline.version,
            citation=guideline.citation,
        )
        related = None
        if not (finding.incidental if unrelated is None else unrelated):
            why = finding.incidental_reason.value if finding.incidental_reason else "indication"
            related = f"not incidental ({why})"
        if _excluded(finding, guideline):
            return base.model_copy(update={"not_applicable_reason": guideline.exclude_reason})
        reads = self._reads[guideline.id]
        inputs = read_inputs(finding, context, guideline, self.rules, self.reader, reads)
        reading = _read(guideline, inputs, related, reads.banded)
        if reading.reason is not None or not reading.rules:
            reason = reading.reason
            if reason is None and "size" not in reading.missing:
                reason = "no band of the guideline fits the stated attributes"
            missing = [] if reading.reason else list(reading.missing)  # nothing to decide
            return base.model_copy(
                update={"missing_inputs": missing, "not_applicable_reason": reason}
            )
        return self._judged(base, reading, recs)

    def _judged(
        self, base: Guidance, reading: _Reading, recs: Sequence[Recommendation]
    ) -> Guidance:
        rules = reading.rules
        missing = list(reading.missing)
        if len(rules) > 1 and _same(rules):
            rules = rules[:1]
        elif len(rules) > 1:
            _add(missing, set(reading.varied))
        slack = self.rules.concordance_interval_slack_months
        expected = []
        for rule in rules:
            answer = _answer(rule, labelled=len(rules) > 1)
            answer.concordance = compare(
                answer, recs, slack_months=slack, prompt_months=self.rules.prompt_months
            )
            expected.append(answer)
        return base.model_copy(
            update={
                "band": _band(rules),
                "expected": expected,
                "concordance": overall([a.concordance for a in expected if a.concordance]),
                "recommendation_ids": [r.id for r in recs],
                "missing_inputs": missing,
            }
        )
