"""A report's recommendations against a guideline's answers, and lesions read once."""

from __future__ import annotations

from typing import Any

import pytest
from guidance_helpers import context, finding, rec

from radfollow.guidance.concordance import compare, overall
from radfollow.guidance.engine import GuidanceEngine
from radfollow.guidance.lesions import group_lesions
from radfollow.models import Concordance, ExpectedFollowUp, Laterality
from radfollow.rules.loader import load_rules
from radfollow.rules.schema.guidance import GuidanceRules

ENGINE = GuidanceEngine(load_rules(GuidanceRules))
CT_6_12 = ExpectedFollowUp(
    follow_up=True, modality_options=["CT"], interval_months=(6, 12), text="CT at 6-12 months."
)
NONE = ExpectedFollowUp(follow_up=False, text="No follow-up.")
OPTIONAL = ExpectedFollowUp(
    follow_up=True, optional=True, modality_options=["CT"], interval_months=(12, 12), text="x"
)
NOW = ExpectedFollowUp(follow_up=True, modality_options=["US"], interval_months=(0, 0), text="x")

CASES = [
    (CT_6_12, [rec("CT", (6, 12))], Concordance.CONCORDANT),
    (CT_6_12, [rec("CT", (12, 12))], Concordance.CONCORDANT),
    (CT_6_12, [rec("CT", (3, 3))], Concordance.DISCORDANT),
    (CT_6_12, [rec("MR", (6, 6))], Concordance.DISCORDANT),
    (CT_6_12, [rec("CT", None)], Concordance.DISCORDANT),  # no interval: now
    (CT_6_12, [rec(None, (6, 6))], Concordance.CONCORDANT),  # no modality: no disagreement
    (CT_6_12, [rec("MR", (6, 6), options=["MR", "CT"])], Concordance.CONCORDANT),
    (CT_6_12, [rec("MR", (6, 6)), rec("CT", (9, 9), rid="r2")], Concordance.CONCORDANT),
    (CT_6_12, [], Concordance.MISSING),
    (NONE, [], Concordance.CONCORDANT),
    (NONE, [rec("CT", (12, 12))], Concordance.UNNECESSARY),
    (NONE, [rec("CT", None, conditional=True)], Concordance.CONCORDANT),
    (NONE, [rec("CT", None, conditional=True), rec("US", None, rid="r2")], Concordance.UNNECESSARY),
    (OPTIONAL, [], Concordance.CONCORDANT),
    (OPTIONAL, [rec("CT", (12, 12))], Concordance.CONCORDANT),
    (OPTIONAL, [rec("CT", (3, 3))], Concordance.DISCORDANT),
    (NOW, [rec("US", None)], Concordance.CONCORDANT),
    (NOW, [rec("US", (6, 6))], Concordance.DISCORDANT),
]


@pytest.mark.parametrize(("answer", "recs", "expected"), CASES)
def test_compare(answer: ExpectedFollowUp, recs: list, expected: Concordance) -> None:
    assert compare(answer, recs) is expected


@pytest.mark.parametrize(
    ("interval", "expected"),
    [
        ((1.5, 1.5), Concordance.CONCORDANT),
        ((3, 3), Concordance.CONCORDANT),
        ((4, 4), Concordance.DISCORDANT),
    ],
)
def test_prompt_months_meet_now(interval: tuple, expected: Concordance) -> None:
    assert compare(NOW, [rec("US", interval)], prompt_months=3) is expected


def test_interval_slack_widens_the_window() -> None:
    assert compare(CT_6_12, [rec("CT", (3, 3))], slack_months=3) is Concordance.CONCORDANT


@pytest.mark.parametrize(
    ("results", "expected"),
    [
        ([Concordance.MISSING, Concordance.CONCORDANT], Concordance.CONCORDANT),
        ([Concordance.UNNECESSARY, Concordance.DISCORDANT], Concordance.DISCORDANT),
        ([Concordance.MISSING], Concordance.MISSING),
        ([], None),
    ],
)
def test_overall_prefers_agreement(results: list, expected: Concordance | None) -> None:
    assert overall(results) is expected


def test_unknown_risk_reports_both_answers_and_agrees_with_either() -> None:
    lesions = group_lesions([finding("pulmonary_nodule", 4.0, composition="solid")])
    (guidance,) = ENGINE.assess(context(), lesions, [])
    assert [a.concordance for a in guidance.expected] == [
        Concordance.CONCORDANT,
        Concordance.CONCORDANT,  # optional CT at 12 months in high risk
    ]
    assert guidance.concordance is Concordance.CONCORDANT
    assert "risk" in guidance.missing_inputs


LESION_CASES: list[tuple[str, list[Any], list[tuple[str, ...]]]] = [
    (
        "impression mention without a size joins the sized one",
        [finding("pulmonary_nodule", 7.0), finding("pulmonary_nodule", None, fid="f2")],
        [("f1", "f2")],
    ),
    (
        "two sizes on one side are two lesions",
        [finding("thyroid_nodule", 8.0), finding("thyroid_nodule", 14.0, fid="f2")],
        [("f1",), ("f2",)],
    ),
    (
        "left and right are two lesions",
        [
            finding("adrenal_nodule", 12.0, side=Laterality.LEFT),
            finding("adrenal_nodule", None, fid="f2", side=Laterality.RIGHT),
        ],
        [("f1",), ("f2",)],
    ),
    (
        "an unsized plural mention summarises the sized nodules of its sides",
        [
            finding("pulmonary_nodule", 9.0, side=Laterality.LEFT),
            finding("pulmonary_nodule", 6.0, fid="f2", side=Laterality.RIGHT),
            finding("pulmonary_nodule", None, fid="f3", side=Laterality.BILATERAL),
        ],
        [("f1", "f3"), ("f2", "f3")],
    ),
    (
        "an unsized mention with no side beside two sized nodules summarises both",
        [
            finding("pulmonary_nodule", 4.0, side=Laterality.RIGHT),
            finding("pulmonary_nodule", 12.0, fid="f2", side=Laterality.LEFT),
            finding("pulmonary_nodule", None, fid="f3", section="impression"),
        ],
        [("f1", "f3"), ("f2", "f3")],
    ),
    (
        "an unsized mention of the other side is a lesion of its own",
        [
            finding("adrenal_nodule", 14.0, side=Laterality.LEFT),
            finding("adrenal_nodule", None, fid="f2", side=Laterality.RIGHT),
        ],
        [("f1",), ("f2",)],
    ),
    (
        "an unsized calcified granuloma is not about a nodule of unstated composition",
        [
            finding("pulmonary_nodule", 15.0, side=Laterality.LEFT),
            finding("pulmonary_nodule", None, fid="f2", composition="calcified"),
        ],
        [("f1",), ("f2",)],
    ),
    (
        "a calcified granuloma beside a solid nodule is a lesion of its own",
        [
            finding("pulmonary_nodule", 15.0, composition="solid"),
            finding("pulmonary_nodule", 4.0, fid="f2", composition="calcified"),
        ],
        [("f1",), ("f2",)],
    ),
    (
        "different types are never grouped",
        [finding("renal_lesion", 12.0), finding("hepatic_lesion", 12.0, fid="f2")],
        [("f1",), ("f2",)],
    ),
    (
        "absent mentions are not lesions",
        [finding("renal_lesion", 12.0, assertion="absent")],
        [],
    ),
]


@pytest.mark.parametrize(("why", "findings", "groups"), LESION_CASES)
def test_group_lesions(why: str, findings: list, groups: list) -> None:
    assert [lesion.mention_ids for lesion in group_lesions(findings)] == groups, why


def test_a_lesion_takes_the_recommendation_linked_to_any_mention() -> None:
    findings = [
        finding("pulmonary_nodule", 7.0, composition="solid"),
        finding("pulmonary_nodule", None, fid="f2", section="impression"),
    ]
    recs = [rec("CT", (6, 12), finding_id="f2")]
    (guidance,) = ENGINE.assess(context(), group_lesions(findings), recs)
    assert guidance.finding_id == "f1"
    assert guidance.mention_ids == ["f1", "f2"]
    assert guidance.recommendation_ids == ["r1"]
    assert guidance.concordance is Concordance.CONCORDANT


def test_unlinked_recommendations_count_only_for_a_single_lesion() -> None:
    one = group_lesions([finding("pulmonary_nodule", 7.0)])
    (alone,) = ENGINE.assess(context(), one, [rec("CT", (6, 12), finding_id=None)])
    assert alone.concordance is Concordance.CONCORDANT
    two = group_lesions(
        [finding("pulmonary_nodule", 7.0), finding("thyroid_nodule", 20.0, fid="f2")]
    )
    nodule, thyroid = ENGINE.assess(context(), two, [rec("CT", (6, 12), finding_id=None)])
    assert nodule.concordance is Concordance.MISSING
    assert thyroid.concordance is Concordance.MISSING


def test_multiple_nodules_are_managed_by_the_most_suspicious() -> None:
    """Fleischner 2017: several nodules are managed by the most suspicious (largest) one,
    with the bands for multiple nodules; a calcified granuloma stays apart."""
    findings = [
        finding("pulmonary_nodule", 4.0, side=Laterality.RIGHT),
        finding("pulmonary_nodule", 12.0, fid="f2", side=Laterality.LEFT),
        finding("pulmonary_nodule", 5.0, fid="f3", composition="calcified"),
    ]
    recs = [rec("CT", (3, 3), finding_id="f1")]
    small, lead, granuloma = ENGINE.assess(context(), group_lesions(findings), recs)
    assert small.not_applicable_reason == "managed with the most suspicious nodule (f2)"
    assert small.expected == []
    assert lead.band == "solid, multiple, >8 mm"
    assert lead.mention_ids == ["f1", "f2"]
    assert lead.recommendation_ids == ["r1"]
    assert lead.concordance is Concordance.CONCORDANT  # CT at 3-6 months
    assert granuloma.band == "calcified or benign"


def test_a_single_sized_nodule_is_managed_alone() -> None:
    findings = [finding("pulmonary_nodule", 7.0), finding("thyroid_nodule", 8.0, fid="f2")]
    nodule, _ = ENGINE.assess(context(), group_lesions(findings), [])
    assert nodule.band == "solid, single, 6-8 mm"
