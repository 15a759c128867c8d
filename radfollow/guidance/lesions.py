"""Mentions of one lesion, read as one (issue 16).

A report names a lesion in its findings and again in its impression, often with the
size in one place and the recommendation linked to the other. The guidance and the
measures read each lesion once: the present or possible mentions of one finding type
are grouped when their sides and compositions agree (or one is unstated) and they do
not state two different sizes (two sized nodules on one side are two lesions). A
mention group with no size beside sized lesions of its type is read as their summary.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from radfollow.models import Assertion, Finding, IncidentalReason, Laterality

_ASSESSED = (Assertion.PRESENT, Assertion.POSSIBLE)


@dataclass(frozen=True)
class Lesion:
    """The mentions of one lesion and the finding they add up to (``finding``: the
    sized mention, with the attributes, sentences and flags of all mentions)."""

    finding: Finding
    mention_ids: tuple[str, ...]

    @property
    def unrelated(self) -> bool:
        """Not what the exam is about: incidental, or left out of incidental only
        because it is benign (the guidelines and measures judge benign lesions too)."""
        return self.finding.incidental or self.finding.incidental_reason == IncidentalReason.BENIGN


def _fits(group: list[Finding], mention: Finding) -> bool:
    first = group[0]
    if first.type != mention.type:
        return False
    sides = {f.laterality for f in group if f.laterality} | (
        {mention.laterality} if mention.laterality else set()
    )
    if len(sides) > 1:
        return False
    kinds = {f.composition for f in group if f.composition} | (
        {mention.composition} if mention.composition else set()
    )
    if len(kinds) > 1:  # a calcified granuloma beside a solid nodule: two lesions
        return False
    sizes = {f.largest_size_mm for f in group if f.largest_size_mm is not None}
    return mention.largest_size_mm is None or not sizes or mention.largest_size_mm in sizes


def _first(mentions: Sequence[Finding], name: str) -> object:
    return next((getattr(f, name) for f in mentions if getattr(f, name) is not None), None)


def _merged(mentions: list[Finding]) -> Finding:
    sized = [f for f in mentions if f.size_mm]
    primary = sized[0] if sized else mentions[0]
    related = [f for f in mentions if not f.incidental and f.incidental_reason]
    reasons = [
        f.incidental_reason for f in related if f.incidental_reason != IncidentalReason.BENIGN
    ]
    incidental = all(f.incidental for f in mentions)
    sentences = dict.fromkeys(f.sentence for f in mentions if f.sentence)
    return primary.model_copy(
        update={
            "composition": _first([primary, *mentions], "composition"),
            "multiplicity": _first([primary, *mentions], "multiplicity"),
            "density_hu": _first([primary, *mentions], "density_hu"),
            "laterality": _first([primary, *mentions], "laterality"),
            "location": _first([primary, *mentions], "location"),
            "benign": any(f.benign for f in mentions),
            "incidental": incidental,
            "incidental_reason": None
            if incidental
            else (reasons[0] if reasons else IncidentalReason.BENIGN),
            "sentence": " ".join(sentences) or None,
        }
    )


def _side(group: list[Finding]) -> Laterality | None:
    return next((f.laterality for f in group if f.laterality), None)


def _may_summarise(group: list[Finding], mention: Finding) -> bool:
    """Whether an unsized ``mention`` may be about the sized ``group``: same type, its
    composition unstated or the group's own (a 'calcified granuloma' is not about a
    nodule of unstated composition), and a side that is unstated, bilateral or the
    same."""
    first, side, other = group[0], mention.laterality, _side(group)
    kinds = {f.composition for f in group if f.composition}
    return (
        first.type == mention.type
        and (mention.composition is None or kinds == {mention.composition})
        and (side in (None, Laterality.BILATERAL) or other in (None, side))
    )


def group_lesions(findings: Sequence[Finding]) -> list[Lesion]:
    """The present or possible findings grouped into lesions, in report order.

    Sized mentions first: one lesion per size (and side, composition). Then each
    unsized mention: with one sized lesion it may be about, it joins it; with several
    ('pulmonary nodules' in the impression), it is their summary and its id goes to
    each; with none, it is a lesion of its own (with the unsized mentions like it)."""
    mentions = [f for f in findings if f.assertion in _ASSESSED]
    sized: list[list[Finding]] = []
    for mention in (f for f in mentions if f.size_mm):
        home = next((g for g in sized if _fits(g, mention)), None)
        if home is None:
            sized.append([mention])
        else:
            home.append(mention)
    extra: dict[int, list[str]] = {}
    unsized: list[list[Finding]] = []
    for mention in (f for f in mentions if not f.size_mm):
        about = [i for i, g in enumerate(sized) if _may_summarise(g, mention)]
        if len(about) == 1:
            sized[about[0]].append(mention)
        elif about:
            for i in about:
                extra.setdefault(i, []).append(mention.id)
        else:
            home = next((g for g in unsized if _fits(g, mention)), None)
            if home is None:
                unsized.append([mention])
            else:
                home.append(mention)
    order = {f.id: n for n, f in enumerate(mentions)}
    lesions = [
        (group, [f.id for f in group] + extra.get(i, [])) for i, group in enumerate(sized)
    ] + [(group, [f.id for f in group]) for group in unsized]
    lesions.sort(key=lambda item: min(order[f.id] for f in item[0]))
    return [Lesion(_merged(group), tuple(ids)) for group, ids in lesions]
