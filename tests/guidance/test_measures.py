"""MIPS 364, 405 and 406 per report: eligibility, exclusions and outcomes (issue 16)."""

from __future__ import annotations

from typing import Any

import pytest
from guidance_helpers import context, finding, rec

from radfollow.guidance import Assessor
from radfollow.models import ExtractionResult, MeasureOutcome

ASSESSOR = Assessor()
MET, NOT_MET, EXCEPTION = MeasureOutcome.MET, MeasureOutcome.NOT_MET, MeasureOutcome.EXCEPTION


def _measure(name: str, findings: list, recs: list, impression: str | None, **ctx: Any) -> Any:
    result = ExtractionResult(findings=findings, recommendations=recs, impression=impression)
    measures = ASSESSOR.assess(context(**ctx), result).measures
    return next((m for m in measures if m.measure == name), None)


NODULE = [finding("pulmonary_nodule", 7.0)]
FLEISCHNER_REC = "Recommend CT chest in 6-12 months per Fleischner Society guidelines."
CASES_364 = [
    # (recs, impression, context, eligible, exclusion, outcome)
    ([rec("CT", (6, 12))], FLEISCHNER_REC, {}, True, None, MET),
    ([rec("CT", (6, 12))], "Recommend CT chest in 6-12 months.", {}, True, None, NOT_MET),
    ([], "No follow-up is needed per Fleischner criteria.", {}, True, None, MET),
    ([], "Small nodule.", {}, True, None, NOT_MET),
    ([rec("CT", None)], "Recommend CT chest, Fleischner guidelines.", {}, True, None, NOT_MET),
    ([rec("CT", (6, 12), section="findings")], FLEISCHNER_REC, {}, True, None, NOT_MET),
    ([], FLEISCHNER_REC, {"age": 34}, False, "patient younger than 35", None),
    ([], FLEISCHNER_REC, {"age": None}, False, "patient age not known", None),
    ([], FLEISCHNER_REC, {"modality": "DX"}, False, "not a CT exam (DX)", None),
    ([], FLEISCHNER_REC, {"modality": None}, False, "exam modality not known", None),
    ([], FLEISCHNER_REC, {"indication": "History of colon cancer."}, False, "known cancer", None),
    ([], FLEISCHNER_REC, {"procedure": "CT LUNG SCREENING"}, False, "lung cancer screening", None),
]


@pytest.mark.parametrize(
    ("recs", "impression", "ctx", "eligible", "exclusion", "outcome"), CASES_364
)
def test_mips364(
    recs: list, impression: str, ctx: dict, eligible: bool, exclusion: Any, outcome: Any
) -> None:
    result = _measure("MIPS364", NODULE, recs, impression, **ctx)
    assert (result.eligible, result.exclusion_reason, result.outcome) == (
        eligible,
        exclusion,
        outcome,
    )
    assert result.finding_ids == ["f1"]


def test_mips364_needs_an_incidental_nodule() -> None:
    known = [finding("pulmonary_nodule", 7.0, incidental=False, reason="indication")]
    assert _measure("MIPS364", known, [], FLEISCHNER_REC) is None


SIMPLE_CYST = finding(
    "renal_lesion",
    25.0,
    sentence="Simple cyst of the right kidney.",
    benign=True,
    incidental=False,
    reason="benign",
)
NO_FOLLOW = "A simple right renal cyst. No follow-up imaging is recommended."
CASES_405 = [
    # (findings, recs, text, context, eligible, outcome)
    ([SIMPLE_CYST], [], NO_FOLLOW, {}, True, MET),
    ([SIMPLE_CYST], [], "A simple right renal cyst.", {}, True, NOT_MET),
    ([SIMPLE_CYST], [rec("US", (12, 12))], NO_FOLLOW, {}, True, NOT_MET),
    ([finding("adrenal_nodule", 8.0)], [], "No further imaging is needed.", {}, True, MET),
    ([finding("adrenal_nodule", 25.0, hu=5.0)], [], "No further imaging is needed.", {}, True, MET),
    (
        [finding("adrenal_nodule", 25.0, sentence="Left adrenal adenoma.")],
        [],
        "Adenoma.",
        {},
        True,
        NOT_MET,
    ),
    (
        [SIMPLE_CYST],
        [],
        NO_FOLLOW,
        {"indication": "History of renal cell carcinoma."},
        True,
        MET,  # met: the medical-reason exception is for reports that are not
    ),
    (
        [SIMPLE_CYST],
        [rec("US", (12, 12))],
        "Simple renal cyst. Follow-up ultrasound in 12 months.",
        {"indication": "History of renal cell carcinoma."},
        True,
        EXCEPTION,
    ),
    ([SIMPLE_CYST], [], NO_FOLLOW, {"age": 17}, False, None),
]


@pytest.mark.parametrize(("findings", "recs", "text", "ctx", "eligible", "outcome"), CASES_405)
def test_mips405(
    findings: list, recs: list, text: str, ctx: dict, eligible: bool, outcome: Any
) -> None:
    result = _measure("MIPS405", findings, recs, None, text=text, **ctx)
    assert (result.eligible, result.outcome) == (eligible, outcome)


@pytest.mark.parametrize(
    "lesion",
    [
        finding("adrenal_nodule", 25.0),  # indeterminate, not benign: not in 405
        finding("adrenal_nodule", 45.0, hu=5.0),  # over 4 cm
        finding("renal_lesion", 25.0, sentence="Bosniak IIF cyst."),
        finding("renal_lesion", 25.0, sentence="Solid renal mass.", composition="solid"),
    ],
)
def test_mips405_leaves_out_lesions_it_is_not_about(lesion: Any) -> None:
    assert _measure("MIPS405", [lesion], [], None) is None


THYROID = [finding("thyroid_nodule", 8.0)]
CASES_406 = [
    (
        [finding("thyroid_nodule", 8.0, sentence="Nodule without suspicious lymph nodes.")],
        [rec("US", None)],
        {},
        True,
        None,
        MET,  # a negated reason is no reason
    ),
    # (findings, recs, context, eligible, exclusion, outcome)
    (THYROID, [rec("US", None)], {}, True, None, MET),
    (THYROID, [], {}, True, None, NOT_MET),
    (
        [finding("thyroid_nodule", 8.0, sentence="Nodule with abnormal lymph nodes.")],
        [rec("US", None)],
        {},
        True,
        None,
        EXCEPTION,
    ),
    (THYROID, [rec("US", None)], {"modality": "DX"}, False, "not a CT or MR exam (DX)", None),
    (
        THYROID,
        [rec("US", None)],
        {"procedure": "CT ABDOMEN PELVIS"},
        False,
        "not a chest or neck exam",
        None,
    ),
    (THYROID, [rec("US", None)], {"procedure": "MRI CERVICAL SPINE"}, True, None, MET),
    (THYROID, [rec("US", None)], {"age": 17}, False, "patient younger than 18", None),
]


@pytest.mark.parametrize(("findings", "recs", "ctx", "eligible", "exclusion", "outcome"), CASES_406)
def test_mips406_is_inverse(
    findings: list, recs: list, ctx: dict, eligible: bool, exclusion: Any, outcome: Any
) -> None:
    result = _measure("MIPS406", findings, recs, None, **ctx)
    assert result.inverse
    assert (result.eligible, result.exclusion_reason, result.outcome) == (
        eligible,
        exclusion,
        outcome,
    )


def test_mips406_leaves_out_nodules_of_1_cm() -> None:
    assert _measure("MIPS406", [finding("thyroid_nodule", 10.0)], [], None) is None
