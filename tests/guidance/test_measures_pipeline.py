"""MIPS measures computed through the whole pipeline on synthetic reports, against
results worked out by hand (issue 16: "measures computed on the synthetic corpus match
hand-computed expectations"), then summed per radiologist by `radfollow measures`."""

from __future__ import annotations

from typing import Any

import pytest

from radfollow.guidance import Assessor, ReportContext
from radfollow.guidance.summary import summarise
from radfollow.nlp.extract import Extractor, ReportText

CT_CHEST = {"modality": "CT", "procedure": "CT CHEST WITHOUT CONTRAST", "age": 64}
CT_ABD = {"modality": "CT", "procedure": "CT ABDOMEN PELVIS WITH CONTRAST", "age": 58}
CT_NECK = {"modality": "CT", "procedure": "CT NECK SOFT TISSUE", "age": 47}

#: (id, metadata, text, {measure: (eligible, exclusion, outcome)}) worked out by hand.
CASES: list[tuple[str, dict[str, Any], str, dict[str, tuple[Any, ...]]]] = [
    (
        "m364-met",
        {**CT_CHEST, "radiologist": "DR A"},
        "INDICATION: Cough.\nFINDINGS: A 7 mm solid nodule in the right upper lobe.\n"
        "IMPRESSION: 7 mm right upper lobe nodule. Recommend CT chest in 6-12 months per "
        "the Fleischner Society 2017 guidelines.",
        {"MIPS364": (True, None, "performance_met")},
    ),
    (
        "m364-no-source",
        {**CT_CHEST, "radiologist": "DR A"},
        "INDICATION: Cough.\nFINDINGS: A 7 mm solid nodule in the right upper lobe.\n"
        "IMPRESSION: 7 mm right upper lobe nodule. Recommend CT chest in 6-12 months.",
        {"MIPS364": (True, None, "performance_not_met")},
    ),
    (
        "m364-silent",
        {**CT_CHEST, "radiologist": "DR B"},
        "INDICATION: Chest pain.\nFINDINGS: A 5 mm solid nodule in the left lower lobe.\n"
        "IMPRESSION: No pulmonary embolism. 5 mm left lower lobe nodule.",
        {"MIPS364": (True, None, "performance_not_met")},
    ),
    (
        "m364-young",
        {**CT_CHEST, "age": 30, "radiologist": "DR B"},
        "INDICATION: Trauma.\nFINDINGS: A 4 mm solid nodule in the right middle lobe.\n"
        "IMPRESSION: 4 mm nodule.",
        {"MIPS364": (False, "patient younger than 35", None)},
    ),
    (
        "m405-met",
        {**CT_ABD, "radiologist": "DR A"},
        "INDICATION: Abdominal pain.\nFINDINGS: A 2.5 cm simple cyst in the right kidney.\n"
        "IMPRESSION: Simple right renal cyst. No follow-up imaging is recommended.",
        {"MIPS405": (True, None, "performance_met")},
    ),
    (
        "m405-silent",
        {**CT_ABD, "radiologist": "DR B"},
        "INDICATION: Abdominal pain.\nFINDINGS: A 3 cm simple cyst in the left kidney.\n"
        "IMPRESSION: Simple left renal cyst.",
        {"MIPS405": (True, None, "performance_not_met")},
    ),
    (
        "m405-small-adrenal",
        {**CT_ABD, "radiologist": "DR A"},
        "INDICATION: Flank pain.\nFINDINGS: An 8 mm left adrenal nodule.\n"
        "IMPRESSION: 8 mm left adrenal nodule. No further imaging is needed.",
        {"MIPS405": (True, None, "performance_met")},
    ),
    (
        "m406-recommended",
        {**CT_NECK, "radiologist": "DR A"},
        "INDICATION: Neck pain.\nFINDINGS: A 6 mm nodule in the left thyroid lobe.\n"
        "IMPRESSION: 6 mm left thyroid nodule. Recommend thyroid ultrasound.",
        {"MIPS406": (True, None, "performance_met")},
    ),
    (
        "m406-not-recommended",
        {**CT_NECK, "radiologist": "DR B"},
        "INDICATION: Neck pain.\nFINDINGS: A 7 mm nodule in the right thyroid lobe.\n"
        "IMPRESSION: 7 mm right thyroid nodule.",
        {"MIPS406": (True, None, "performance_not_met")},
    ),
    (
        "none",
        {**CT_ABD, "radiologist": "DR B"},
        "INDICATION: Abdominal pain.\nFINDINGS: Normal liver and kidneys.\nIMPRESSION: Normal.",
        {},
    ),
]


@pytest.fixture(scope="module")
def records(extractor: Extractor) -> dict[str, dict[str, Any]]:
    assessor = Assessor()
    out = {}
    for case_id, meta, text, _ in CASES:
        result = extractor.extract(ReportText(text, procedure=meta["procedure"]))
        result = assessor.assess(ReportContext.of_metadata(text, meta), result)
        out[case_id] = {
            "id": case_id,
            "observation_time": "2025-03-01",
            "radiologist": meta["radiologist"],
            "measures": [m.model_dump(mode="json") for m in result.measures],
        }
    return out


@pytest.mark.parametrize(("case_id", "expected"), [(c[0], c[3]) for c in CASES])
def test_measures_match_hand_computed(records: dict, case_id: str, expected: dict) -> None:
    got = {
        m["measure"]: (m["eligible"], m["exclusion_reason"], m["outcome"])
        for m in records[case_id]["measures"]
    }
    assert got == expected


def test_summary_per_radiologist_matches_hand_computed(records: dict) -> None:
    rows = {(r.radiologist, r.measure): r for r in summarise(records.values(), period="year")}
    # DR A: 364 met and not met (no source); DR B: not met, and excluded (under 35)
    assert rows[("DR A", "MIPS364")].performance_rate == 0.5
    assert (rows[("DR B", "MIPS364")].eligible, rows[("DR B", "MIPS364")].excluded) == (1, 1)
    total = rows[("(all)", "MIPS364")]
    assert (total.met, total.not_met, total.excluded, total.performance_rate) == (1, 2, 1, 0.3333)
    assert rows[("(all)", "MIPS405")].performance_rate == round(2 / 3, 4)
    # 406 is inverse: one of two eligible reports recommended follow-up
    assert (rows[("(all)", "MIPS406")].performance_rate, rows[("(all)", "MIPS406")].inverse) == (
        0.5,
        True,
    )
