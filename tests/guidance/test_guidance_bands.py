"""Every guideline band of guidance.json at its boundaries, and every exclusion (issue 16).

One row per case: the finding and patient, the band expected and each answer as
(condition, follow-up, modalities, interval). Sizes at the bands' edges (5.9 / 6.0 /
8.0 / 8.1 mm and so on); Fleischner 2017 reads the mean of the axes rounded to the
nearest millimetre, so 5.4 is below 6 mm and 5.5 is not.
"""

from __future__ import annotations

from typing import Any

import pytest
from guidance_helpers import context, finding

from radfollow.guidance.engine import GuidanceEngine
from radfollow.rules.loader import load_rules
from radfollow.rules.schema.guidance import GuidanceRules

ENGINE = GuidanceEngine(load_rules(GuidanceRules))
NONE: tuple[Any, ...] = (None, False, [], None)
CT_6_12 = (None, True, ["CT"], (6.0, 12.0))
CT_3_6 = (None, True, ["CT"], (3.0, 6.0))
FLEISCHNER_GT8 = (None, True, ["CT", "PET", "BIOPSY"], (0.0, 3.0))
LOW_HIGH_SMALL = [("low risk", False, [], None), ("high risk", True, ["CT"], (12.0, 12.0))]


def _answers(guidance: Any) -> list[tuple[Any, ...]]:
    return [
        (a.condition, a.follow_up, [m.value for m in a.modality_options], a.interval_months)
        for a in guidance.expected
    ]


def _run(kind: str, size: Any, ctx_args: dict[str, Any], **finding_args: Any) -> Any:
    return ENGINE.one(context(**ctx_args), finding(kind, size, **finding_args), [])


FLEISCHNER = [
    # (size, finding args, context args, band, answers)
    (5.4, {}, {}, "solid, single, <6 mm", LOW_HIGH_SMALL),
    (5.5, {}, {}, "solid, single, 6-8 mm", [CT_6_12]),
    (5.9, {}, {}, "solid, single, 6-8 mm", [CT_6_12]),
    (6.0, {}, {}, "solid, single, 6-8 mm", [CT_6_12]),
    (8.0, {}, {}, "solid, single, 6-8 mm", [CT_6_12]),
    (8.1, {}, {}, "solid, single, 6-8 mm", [CT_6_12]),
    (8.4, {}, {}, "solid, single, 6-8 mm", [CT_6_12]),
    (8.5, {}, {}, "solid, single, >8 mm", [FLEISCHNER_GT8]),
    ([7.0, 5.0], {}, {}, "solid, single, 6-8 mm", [CT_6_12]),
    ([6.0, 4.8], {}, {}, "solid, single, <6 mm", LOW_HIGH_SMALL),
    (5.0, {"multiplicity": "multiple"}, {}, "solid, multiple, <6 mm", LOW_HIGH_SMALL),
    (6.0, {"multiplicity": "multiple"}, {}, "solid, multiple, 6-8 mm", [CT_3_6]),
    (9.0, {"multiplicity": "multiple"}, {}, "solid, multiple, >8 mm", [CT_3_6]),
    (5.0, {"composition": "ground-glass"}, {}, "ground-glass, single, <6 mm", [NONE]),
    (6.0, {"composition": "ground-glass"}, {}, "ground-glass, single, >=6 mm", [CT_6_12]),
    (5.0, {"composition": "part-solid"}, {}, "part-solid, single, <6 mm", [NONE]),
    (6.0, {"composition": "part-solid"}, {}, "part-solid, single, >=6 mm", [CT_3_6]),
    (
        5.0,
        {"composition": "ground-glass", "multiplicity": "multiple"},
        {},
        "subsolid, multiple, <6 mm",
        [CT_3_6],
    ),
    (
        7.0,
        {"composition": "part-solid", "multiplicity": "multiple"},
        {},
        "subsolid, multiple, >=6 mm",
        [CT_3_6],
    ),
    (4.0, {"composition": "calcified"}, {}, "calcified or benign", [NONE]),
    (
        4.0,
        {},
        {"text": "Former smoker, 40 pack-years."},
        "solid, single, <6 mm",
        [(None, True, ["CT"], (12.0, 12.0))],
    ),
    (4.0, {}, {"text": "Never smoker."}, "solid, single, <6 mm", LOW_HIGH_SMALL),
]


@pytest.mark.parametrize(("size", "fargs", "cargs", "band", "answers"), FLEISCHNER)
def test_fleischner_bands(size: Any, fargs: dict, cargs: dict, band: str, answers: list) -> None:
    guidance = _run("pulmonary_nodule", size, cargs, **fargs)
    assert guidance.not_applicable_reason is None
    assert guidance.band == band
    assert _answers(guidance) == answers


def test_fleischner_says_what_it_assumed_and_what_is_missing() -> None:
    guidance = _run("pulmonary_nodule", 4.0, {})
    assert guidance.missing_inputs == ["composition", "multiplicity", "risk"]
    stated = _run("pulmonary_nodule", 7.0, {}, composition="solid", multiplicity="single")
    assert stated.missing_inputs == []  # the two risks give the same answer at 6-8 mm


EXCLUSIONS = [
    # (guideline finding, size, context args, finding args, reason fragment or None)
    ("pulmonary_nodule", 7.0, {"age": 34}, {}, "younger than 35"),
    ("pulmonary_nodule", 7.0, {"age": 35}, {}, None),
    ("pulmonary_nodule", 7.0, {"indication": "History of breast cancer."}, {}, "known cancer"),
    ("pulmonary_nodule", 7.0, {"indication": "No history of cancer."}, {}, None),
    ("pulmonary_nodule", 7.0, {"indication": "Known metastatic melanoma."}, {}, "known cancer"),
    ("pulmonary_nodule", 7.0, {"procedure": "CT CHEST LOW DOSE LUNG SCREENING"}, {}, "Lung-RADS"),
    ("pulmonary_nodule", 7.0, {"procedure": "CT CHEST WITH CONTRAST"}, {}, None),
    ("pulmonary_nodule", 7.0, {"indication": "Renal transplant, fever."}, {}, "immunosuppressed"),
    ("pulmonary_nodule", 7.0, {"modality": "DX"}, {}, "not a CT exam"),
    ("pulmonary_nodule", 7.0, {}, {"incidental": False, "reason": "indication"}, "not incidental"),
    ("thyroid_nodule", 20.0, {"modality": "US"}, {}, "TI-RADS"),
    ("thyroid_nodule", 20.0, {"modality": "MR"}, {}, None),
    ("thyroid_nodule", 20.0, {"modality": "DX"}, {}, "radiography"),
    ("aortic_aneurysm", 45.0, {}, {"sentence": "Ascending thoracic aortic aneurysm."}, "thoracic"),
    ("aortic_aneurysm", 45.0, {}, {"sentence": "Infrarenal abdominal aortic aneurysm."}, None),
    (
        "adnexal_lesion",
        40.0,
        {},
        {"sentence": "Complex cyst with septations.", "composition": "cystic"},
        "not a simple cyst",
    ),
    (
        "adnexal_lesion",
        40.0,
        {},
        {"sentence": "Simple cyst of the left ovary.", "composition": "cystic"},
        None,
    ),
    (
        "adnexal_lesion",
        40.0,
        {},
        {"sentence": "Left adnexal mass."},
        "not described as a simple cyst",
    ),
    ("pancreatic_lesion", 20.0, {}, {"composition": "solid"}, "solid pancreatic lesion"),
    ("pancreatic_lesion", 20.0, {}, {"composition": "cystic"}, None),
]


@pytest.mark.parametrize(("kind", "size", "cargs", "fargs", "reason"), EXCLUSIONS)
def test_exclusions(kind: str, size: float, cargs: dict, fargs: dict, reason: str | None) -> None:
    guidance = _run(kind, size, cargs, **fargs)
    if reason is None:
        assert guidance.not_applicable_reason is None
        assert guidance.expected
    else:
        assert reason in (guidance.not_applicable_reason or "")
        assert guidance.expected == []
        assert guidance.concordance is None


US_NOW = (None, True, ["US"], (0.0, 0.0))
CT_MR_NOW = (None, True, ["CT", "MR"], (0.0, 0.0))
US_12 = (None, True, ["US"], (12.0, 12.0))
SIMPLE = "Simple cyst of the ovary."
BANDS = [
    # thyroid (ACR 2015): age and size
    ("thyroid_nodule", 9.9, {"age": 34}, {}, "age <35, <1 cm", [NONE]),
    ("thyroid_nodule", 10.0, {"age": 34}, {}, "age <35, >=1 cm", [US_NOW]),
    ("thyroid_nodule", 14.9, {"age": 35}, {}, "age >=35, <1.5 cm", [NONE]),
    ("thyroid_nodule", 15.0, {"age": 35}, {}, "age >=35, >=1.5 cm", [US_NOW]),
    (
        "thyroid_nodule",
        5.0,
        {},
        {"sentence": "Nodule with abnormal lymph nodes."},
        "suspicious features",
        [US_NOW],
    ),
    (
        "thyroid_nodule",
        5.0,
        {},
        {"sentence": "Nodule; no abnormal lymph nodes."},
        "age >=35, <1.5 cm",
        [NONE],
    ),
    (
        "thyroid_nodule",
        12.0,
        {"age": None},
        {},
        "age <35, >=1 cm; age >=35, <1.5 cm",
        [
            ("age under 35", True, ["US"], (0.0, 0.0)),
            ("age 35 or over", False, [], None),
        ],
    ),
    ("thyroid_nodule", 8.0, {"age": None}, {}, "age <35, <1 cm", [NONE]),
    # adrenal (ACR 2017)
    ("adrenal_nodule", 9.9, {}, {}, "<1 cm", [NONE]),
    ("adrenal_nodule", 10.0, {}, {}, "1-2 cm", [(None, True, ["CT", "MR"], (12.0, 12.0))]),
    ("adrenal_nodule", 20.0, {}, {}, "1-2 cm", [(None, True, ["CT", "MR"], (12.0, 12.0))]),
    ("adrenal_nodule", 20.1, {}, {}, ">2-4 cm", [CT_MR_NOW]),
    ("adrenal_nodule", 40.0, {}, {}, ">2-4 cm", [CT_MR_NOW]),
    ("adrenal_nodule", 40.1, {}, {}, ">4 cm", [(None, True, ["PROCEDURE", "CONSULT"], (0.0, 0.0))]),
    ("adrenal_nodule", 15.0, {}, {"hu": 10.0}, "unenhanced attenuation <=10 HU", [NONE]),
    (
        "adrenal_nodule",
        15.0,
        {},
        {"hu": 10.1},
        "1-2 cm",
        [(None, True, ["CT", "MR"], (12.0, 12.0))],
    ),
    ("adrenal_nodule", 30.0, {}, {"sentence": "Adrenal myelolipoma."}, "benign features", [NONE]),
    (
        "adrenal_nodule",
        15.0,
        {"indication": "History of lung cancer."},
        {},
        "1-4 cm, known cancer",
        [(None, True, ["CT", "MR", "PET", "BIOPSY"], (0.0, 0.0))],
    ),
    (
        "adrenal_nodule",
        45.0,
        {"indication": "History of lung cancer."},
        {},
        ">4 cm, known cancer",
        [(None, True, ["PET", "BIOPSY"], (0.0, 0.0))],
    ),
    ("adrenal_nodule", 26.0, {}, {"sentence": "Right adrenal adenoma."}, "benign features", [NONE]),
    (
        "adrenal_nodule",
        26.0,
        {},
        {"sentence": "Adrenal nodule, possibly adenoma."},
        ">2-4 cm",
        [CT_MR_NOW],
    ),
    ("adrenal_nodule", 26.0, {}, {"sentence": "Nodule, not an adenoma."}, ">2-4 cm", [CT_MR_NOW]),
    (
        "adrenal_nodule",
        25.0,
        {},
        {"sentence": "Adrenal nodule with absolute washout of 65%."},
        "adenoma by washout",
        [NONE],
    ),
    (
        "adrenal_nodule",
        25.0,
        {},
        {"sentence": "Adrenal nodule; relative washout 40%."},
        "adenoma by washout",
        [NONE],
    ),
    (
        "adrenal_nodule",
        25.0,
        {},
        {"sentence": "Adrenal nodule with absolute washout of 59% and relative washout of 39%."},
        ">2-4 cm",
        [CT_MR_NOW],
    ),
    # renal (ACR 2018, Bosniak 2019)
    (
        "renal_lesion",
        30.0,
        {},
        {"sentence": "Bosniak II cyst.", "composition": "cystic"},
        "Bosniak I-II",
        [NONE],
    ),
    (
        "renal_lesion",
        30.0,
        {},
        {"sentence": "Bosniak IIF cyst.", "composition": "cystic"},
        "Bosniak IIF",
        [(None, True, ["CT", "MR"], (6.0, 6.0))],
    ),
    (
        "renal_lesion",
        30.0,
        {},
        {"sentence": "Bosniak category 3 cyst."},
        "Bosniak III-IV",
        [(None, True, ["CONSULT", "PROCEDURE"], (0.0, 0.0))],
    ),
    (
        "renal_lesion",
        9.9,
        {},
        {"composition": "cystic"},
        "too small to characterize (<1 cm)",
        [NONE],
    ),
    (
        "renal_lesion",
        10.0,
        {},
        {"composition": "cystic"},
        "indeterminate cystic, >=1 cm",
        [(None, True, ["CT", "MR", "US"], (0.0, 0.0))],
    ),
    (
        "renal_lesion",
        9.9,
        {},
        {"composition": "solid"},
        "solid, <1 cm",
        [(None, True, ["CT", "MR"], (6.0, 12.0))],
    ),
    (
        "renal_lesion",
        10.0,
        {},
        {"composition": "solid"},
        "solid, >=1 cm",
        [(None, True, ["CT", "MR", "CONSULT"], (0.0, 0.0))],
    ),
    (
        "renal_lesion",
        25.0,
        {},
        {"benign": True, "composition": "cystic"},
        "benign (simple cyst)",
        [NONE],
    ),
    # liver (ACR 2017): average risk unless the history says otherwise
    ("hepatic_lesion", 14.9, {}, {}, "low risk, <1.5 cm", [NONE]),
    (
        "hepatic_lesion",
        15.0,
        {},
        {},
        "low risk, >=1.5 cm",
        [(None, True, ["MR", "CT"], (0.0, 0.0))],
    ),
    (
        "hepatic_lesion",
        9.9,
        {"indication": "Cirrhosis."},
        {},
        "high risk, <1 cm",
        [(None, True, ["MR"], (3.0, 6.0))],
    ),
    (
        "hepatic_lesion",
        10.0,
        {"indication": "Cirrhosis."},
        {},
        "high risk, >=1 cm",
        [(None, True, ["MR", "BIOPSY"], (0.0, 0.0))],
    ),
    ("hepatic_lesion", 10.0, {"indication": "No cirrhosis."}, {}, "low risk, <1.5 cm", [NONE]),
    # pancreatic cysts (ACR 2017)
    (
        "pancreatic_lesion",
        4.9,
        {"age": 70},
        {},
        "<5 mm",
        [(None, True, ["MR", "CT"], (24.0, 24.0))],
    ),
    ("pancreatic_lesion", 4.9, {"age": 75}, {}, "<5 mm, age 75 or over", [NONE]),
    (
        "pancreatic_lesion",
        14.9,
        {"age": 64},
        {},
        "<1.5 cm, age under 65",
        [(None, True, ["MR", "CT"], (12.0, 12.0))],
    ),
    (
        "pancreatic_lesion",
        14.9,
        {"age": 65},
        {},
        "<1.5 cm, age 65 or over",
        [(None, True, ["MR", "CT"], (24.0, 24.0))],
    ),
    (
        "pancreatic_lesion",
        15.0,
        {"age": 79},
        {},
        "1.5-2.5 cm, age under 80",
        [(None, True, ["MR", "CT"], (6.0, 12.0))],
    ),
    (
        "pancreatic_lesion",
        25.0,
        {"age": 80},
        {},
        "1.5-2.5 cm, age 80 or over",
        [(None, True, ["MR", "CT"], (24.0, 24.0))],
    ),
    (
        "pancreatic_lesion",
        25.1,
        {},
        {},
        ">2.5 cm",
        [(None, True, ["MR", "BIOPSY", "CONSULT"], (0.0, 6.0))],
    ),
    (
        "pancreatic_lesion",
        10.0,
        {},
        {"sentence": "Cyst with a mural nodule."},
        "worrisome features",
        [(None, True, ["BIOPSY", "MR"], (0.0, 0.0))],
    ),
    # abdominal aortic aneurysm (SVS 2018)
    ("aortic_aneurysm", 24.9, {}, {}, "<2.5 cm", [NONE]),
    ("aortic_aneurysm", 25.0, {}, {}, "2.5-2.9 cm", [(None, True, ["US", "CT"], (120.0, 120.0))]),
    ("aortic_aneurysm", 29.9, {}, {}, "2.5-2.9 cm", [(None, True, ["US", "CT"], (120.0, 120.0))]),
    ("aortic_aneurysm", 30.0, {}, {}, "3.0-3.9 cm", [(None, True, ["US", "CT"], (36.0, 36.0))]),
    ("aortic_aneurysm", 40.0, {}, {}, "4.0-4.9 cm", [(None, True, ["US", "CT"], (12.0, 12.0))]),
    ("aortic_aneurysm", 49.9, {}, {}, "4.0-4.9 cm", [(None, True, ["US", "CT"], (12.0, 12.0))]),
    (
        "aortic_aneurysm",
        50.0,
        {"sex": "F"},
        {},
        "5.0-5.4 cm, women",
        [(None, True, ["CONSULT"], (0.0, 0.0))],
    ),
    (
        "aortic_aneurysm",
        50.0,
        {"sex": "M"},
        {},
        "5.0-5.4 cm, men",
        [(None, True, ["US", "CT"], (6.0, 6.0))],
    ),
    (
        "aortic_aneurysm",
        54.9,
        {"sex": "U"},
        {},
        "5.0-5.4 cm, women; 5.0-5.4 cm, men",
        [
            ("female", True, ["CONSULT"], (0.0, 0.0)),
            ("male", True, ["US", "CT"], (6.0, 6.0)),
        ],
    ),
    (
        "aortic_aneurysm",
        55.0,
        {"sex": "M"},
        {},
        ">=5.5 cm",
        [(None, True, ["CONSULT", "PROCEDURE"], (0.0, 0.0))],
    ),
    # simple adnexal cysts (SRU 2010; O-RADS: over 50 is postmenopausal when not stated)
    (
        "adnexal_lesion",
        30.0,
        {"age": 40},
        {"composition": "cystic", "sentence": SIMPLE},
        "premenopausal, <=3 cm",
        [NONE],
    ),
    (
        "adnexal_lesion",
        30.1,
        {"age": 40},
        {"composition": "cystic", "sentence": SIMPLE},
        "premenopausal, >3-5 cm",
        [NONE],
    ),
    (
        "adnexal_lesion",
        50.0,
        {"age": 50},
        {"composition": "cystic", "sentence": SIMPLE},
        "premenopausal, >3-5 cm",
        [NONE],
    ),
    (
        "adnexal_lesion",
        50.1,
        {"age": 40},
        {"composition": "cystic", "sentence": SIMPLE},
        "premenopausal, >5-7 cm",
        [US_12],
    ),
    (
        "adnexal_lesion",
        70.0,
        {"age": 40},
        {"composition": "cystic", "sentence": SIMPLE},
        "premenopausal, >5-7 cm",
        [US_12],
    ),
    (
        "adnexal_lesion",
        70.1,
        {"age": 40},
        {"composition": "cystic", "sentence": SIMPLE},
        ">7 cm",
        [(None, True, ["MR", "CONSULT", "PROCEDURE"], (0.0, 0.0))],
    ),
    (
        "adnexal_lesion",
        10.0,
        {"age": 51},
        {"composition": "cystic", "sentence": SIMPLE},
        "postmenopausal, <=1 cm",
        [NONE],
    ),
    (
        "adnexal_lesion",
        10.1,
        {"age": 51},
        {"composition": "cystic", "sentence": SIMPLE},
        "postmenopausal, >1-7 cm",
        [US_12],
    ),
    (
        "adnexal_lesion",
        20.0,
        {"age": 45, "indication": "Postmenopausal bleeding."},
        {"composition": "cystic", "sentence": SIMPLE},
        "postmenopausal, >1-7 cm",
        [US_12],
    ),
    (
        "adnexal_lesion",
        40.0,
        {"age": None},
        {"composition": "cystic", "sentence": SIMPLE},
        "premenopausal, >3-5 cm; postmenopausal, >1-7 cm",
        [
            ("premenopausal", False, [], None),
            ("postmenopausal", True, ["US"], (12.0, 12.0)),
        ],
    ),
]


@pytest.mark.parametrize(("kind", "size", "cargs", "fargs", "band", "answers"), BANDS)
def test_acr_svs_sru_bands(
    kind: str, size: float, cargs: dict, fargs: dict, band: str, answers: list
) -> None:
    guidance = _run(kind, size, cargs, **fargs)
    assert guidance.not_applicable_reason is None
    assert guidance.band == band
    assert _answers(guidance) == answers


@pytest.mark.parametrize(
    ("kind", "cargs", "missing"),
    [
        ("thyroid_nodule", {"age": None}, ["age"]),
        ("aortic_aneurysm", {"sex": None}, ["sex"]),
        ("adnexal_lesion", {"age": None}, ["menopausal status"]),
    ],
)
def test_unknown_inputs_that_matter_are_missing(kind: str, cargs: dict, missing: list) -> None:
    size = {"thyroid_nodule": 12.0, "aortic_aneurysm": 52.0, "adnexal_lesion": 40.0}[kind]
    extra = {"composition": "cystic", "sentence": SIMPLE} if kind == "adnexal_lesion" else {}
    guidance = _run(kind, size, cargs, **extra)
    assert guidance.missing_inputs == missing
    assert len(guidance.expected) == 2


@pytest.mark.parametrize("kind", ["pulmonary_nodule", "thyroid_nodule", "aortic_aneurysm"])
def test_no_size_no_answer(kind: str) -> None:
    guidance = _run(kind, None, {})
    assert guidance.expected == []
    assert "size" in guidance.missing_inputs
    assert guidance.not_applicable_reason is None


def test_benign_finding_gets_the_benign_band() -> None:
    guidance = _run("renal_lesion", 20.0, {}, benign=True, incidental=False, reason="benign")
    assert guidance.not_applicable_reason is not None  # via one(): not incidental by default
    lesion = ENGINE.one(
        context(), finding("renal_lesion", 20.0, benign=True, incidental=False), [], unrelated=True
    )
    assert lesion.band == "benign (simple cyst)"


@pytest.mark.parametrize("guideline", ENGINE.rules.guidelines, ids=lambda g: g.id)
def test_every_guideline_is_documented_and_cited(guideline: Any) -> None:
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "guidance.md").read_text()
    assert f"`{guideline.id}`" in doc
    assert guideline.version in guideline.citation
    assert guideline.rules, "a guideline without bands"


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ({"rules": [{"band": "x", "follow_up": True, "text": "t"}]}, "needs at least one modality"),
        (
            {"rules": [{"band": "x", "follow_up": False, "modality": ["CT"], "text": "t"}]},
            "no follow-up",
        ),
        ({"risk_cues": {"high": ["no_such_cue"]}}, "unknown cues"),
        ({"exclude_terms": ["("]}, "invalid regular expression"),
        ({"not_applicable": [{"when": {"features": ["typo_cue"]}, "reason": "x"}]}, "unknown cues"),
        (
            {
                "rules": [
                    {
                        "band": "x",
                        "when": {"size_mm": {"at_least": 50, "below": 10}},
                        "follow_up": False,
                        "text": "t",
                    }
                ]
            },
            "empty band",
        ),
        (
            {
                "rules": [
                    {
                        "band": "x",
                        "follow_up": True,
                        "modality": ["CT"],
                        "interval_months": [12, 3],
                        "text": "t",
                    }
                ]
            },
            "earliest, latest",
        ),
        ({"id": "x" * 33}, "at most 32"),
        ({"id": "acr-thyroid"}, "repeated guideline ids"),
        ({"finding_types": ["pulmonary_nodule", "thyroid_nodule"]}, "two guidelines"),
    ],
)
def test_guidance_rules_refuse_bad_data(patch: dict, message: str) -> None:
    import json

    from pydantic import ValidationError

    from radfollow.rules.loader import packaged_rule_file

    data = json.loads(packaged_rule_file(GuidanceRules).read_text())
    data["guidelines"][0].update(patch)
    with pytest.raises(ValidationError, match=message):
        GuidanceRules.model_validate(data)


def test_unknown_age_gives_one_answer_per_age_band_that_can_hold() -> None:
    """A 3 mm pancreatic cyst: under 75 one MRI or CT at 2 years, from 75 none; the
    under-65 yearly band never holds at 3 mm and is not offered."""
    guidance = _run("pancreatic_lesion", 3.0, {"age": None})
    assert _answers(guidance) == [
        ("age under 75", True, ["MR", "CT"], (24.0, 24.0)),
        ("age 75 or over", False, [], None),
    ]
    assert guidance.missing_inputs == ["age"]


def test_an_exclusion_left_open_stays_missing_when_the_answers_agree() -> None:
    """7 mm nodule, no age: the under-35 exclusion is undecided ('age' missing) even
    though the low- and high-risk answers are the same."""
    guidance = _run(
        "pulmonary_nodule", 7.0, {"age": None}, composition="solid", multiplicity="single"
    )
    assert len(guidance.expected) == 1
    assert guidance.missing_inputs == ["age"]


NEGATION_CASES = [
    # (kind, size, context args, sentence, band): negations and hedges (review of issue 16)
    (
        "thyroid_nodule",
        6.0,
        {},
        "6 mm nodule without cervical lymphadenopathy.",
        "age >=35, <1.5 cm",
    ),
    (
        "thyroid_nodule",
        6.0,
        {},
        "6 mm nodule with cervical lymphadenopathy.",
        "suspicious features",
    ),
    (
        "pancreatic_lesion",
        10.0,
        {"age": 60},
        "Cyst without mural nodule or duct dilation.",
        "<1.5 cm, age under 65",
    ),
    (
        "pancreatic_lesion",
        10.0,
        {"age": 60},
        "Cyst; no associated solid component.",
        "<1.5 cm, age under 65",
    ),
    ("pancreatic_lesion", 10.0, {"age": 60}, "Cyst with a mural nodule.", "worrisome features"),
    ("adrenal_nodule", 25.0, {}, "Adrenal nodule; adenoma not excluded.", ">2-4 cm"),
    ("adrenal_nodule", 25.0, {}, "Adrenal nodule; cannot exclude adenoma.", ">2-4 cm"),
    ("adrenal_nodule", 25.0, {}, "Adrenal nodule, likely adenoma.", ">2-4 cm"),
    ("adrenal_nodule", 25.0, {}, "Adrenal adenoma versus metastasis.", ">2-4 cm"),
]


@pytest.mark.parametrize(("kind", "size", "cargs", "sentence", "band"), NEGATION_CASES)
def test_negated_and_hedged_features(
    kind: str, size: float, cargs: dict, sentence: str, band: str
) -> None:
    assert _run(kind, size, cargs, sentence=sentence).band == band


@pytest.mark.parametrize(
    ("sentence", "applies"),
    [
        ("Simple cyst without septations or solid components.", True),
        ("Anechoic cyst with no internal vascularity.", True),
        ("Cyst with thick septations.", False),
    ],
)
def test_adnexal_simple_cyst_negated_complex_features(sentence: str, applies: bool) -> None:
    guidance = _run("adnexal_lesion", 40.0, {"age": 40}, sentence=sentence, composition="cystic")
    assert (guidance.not_applicable_reason is None) is applies


@pytest.mark.parametrize(
    ("cargs", "reason"),
    [
        ({"indication": "Family history of lung cancer."}, None),
        ({"indication": "History of lung cancer."}, "known cancer"),
        ({"procedure": "CT ABDOMEN PELVIS LOW DOSE STONE PROTOCOL"}, None),
        ({"procedure": "CT CHEST LOW DOSE"}, "Lung-RADS"),
        ({"indication": "Low-dose CT for kidney stone."}, None),
    ],
)
def test_history_and_screening_cues(cargs: dict, reason: str | None) -> None:
    guidance = _run("pulmonary_nodule", 7.0, cargs)
    assert (
        (guidance.not_applicable_reason is None)
        if reason is None
        else (reason in (guidance.not_applicable_reason or ""))
    )


def test_lmp_alone_does_not_make_a_68_year_old_premenopausal() -> None:
    guidance = _run(
        "adnexal_lesion",
        40.0,
        {"age": 68, "indication": "LMP: 2005."},
        composition="cystic",
        sentence="Simple cyst.",
    )
    assert guidance.band == "postmenopausal, >1-7 cm"


@pytest.mark.parametrize("sizes", [[0.0], [0.0, 0.0]])
def test_a_zero_size_is_no_size(sizes: list) -> None:
    guidance = _run("pulmonary_nodule", sizes, {})
    assert guidance.expected == []
    assert "size" in guidance.missing_inputs


@pytest.mark.parametrize(
    ("age", "read"),
    [(60, 60.0), ("60", 60.0), (" 61.5 ", 61.5), ("sixty", None), (True, None), (-1, None)],
)
def test_metadata_age(age: object, read: float | None) -> None:
    from radfollow.guidance.context import ReportContext

    assert ReportContext.of_metadata("text", {"age": age}).age == read
