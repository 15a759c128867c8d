"""Follow-up recommendations (ANNOTATION.md section 1): triggers, exclusions, attributes."""

from __future__ import annotations

import pytest

IMPRESSION = "IMPRESSION:\n1. 6 mm right upper lobe nodule.\n2. {}"

POSITIVE = [
    # sentence, modality, body region, interval, conditional
    ("Recommend follow-up CT chest in 6-12 months.", "CT", "chest", (6.0, 12.0), False),
    ("Follow-up MRI abdomen in 3 months is recommended.", "MR", "abdomen", (3.0, 3.0), False),
    ("A dedicated renal ultrasound should be obtained.", "US", "kidney", None, False),
    ("Consider MRI for further characterization.", "MR", None, None, True),
    ("Ultrasound could be obtained if clinically indicated.", "US", None, None, True),
    ("Short-interval follow-up radiograph in 6 weeks.", "XR", None, (1.5, 1.5), False),
    ("PET/CT may be helpful.", "PET", None, None, True),
    ("Tissue sampling with CT-guided biopsy is advised.", "BIOPSY", None, None, False),
    ("Surgical consultation is recommended.", "CONSULT", None, None, False),
    ("Correlate with serum AFP.", "LAB", None, None, False),
    ("Follow-up CT chest in 1 year.", "CT", "chest", (12.0, 12.0), False),
    ("Recommend non-contrast chest CT in 3 to 6 months.", "CT", "chest", (3.0, 6.0), False),
    ("Recommend follow-up imaging in 6 months.", None, None, (6.0, 6.0), False),
    ("Refer to endocrinology for evaluation.", "CONSULT", None, None, False),
]

NEGATIVE = [
    "Clinical correlation is recommended.",
    "Correlate clinically.",
    "Comparison with prior studies would be helpful.",
    "No follow-up imaging is recommended.",
    "No further follow-up is needed.",
    "CT of the chest was performed with contrast.",
    "Follow-up CT was previously recommended.",
    "As recommended on the prior report, follow-up CT was performed.",
    "The patient is scheduled for biopsy next week.",
    "Recommend annual screening mammography.",
    "The nodule is stable since the CT 6 months ago.",
]


@pytest.mark.parametrize(("sentence", "modality", "region", "interval", "conditional"), POSITIVE)
def test_recommendation_found(run, sentence, modality, region, interval, conditional) -> None:  # type: ignore[no-untyped-def]
    text = IMPRESSION.format(sentence)
    recs = run(text).recommendations
    assert len(recs) == 1, recs
    rec = recs[0]
    assert text[rec.start : rec.end] == rec.text == sentence
    assert (rec.modality.value if rec.modality else None) == modality
    assert rec.body_region == region
    assert rec.interval_months == interval
    assert rec.conditional is conditional
    assert rec.score is not None and rec.score >= 0.5


@pytest.mark.parametrize("sentence", NEGATIVE)
def test_not_a_recommendation(run, sentence: str) -> None:  # type: ignore[no-untyped-def]
    assert run(IMPRESSION.format(sentence)).recommendations == []


def test_indication_sentences_are_not_recommendations(run) -> None:  # type: ignore[no-untyped-def]
    text = "INDICATION: Follow-up CT recommended for nodule.\nFINDINGS: Stable nodule."
    assert run(text).recommendations == []


def test_recommendation_links_to_finding_of_its_region(run) -> None:  # type: ignore[no-untyped-def]
    text = (
        "FINDINGS: 6 mm nodule in the right upper lobe. Left adrenal nodule measuring 1.5 cm.\n"
        "IMPRESSION: Consider adrenal protocol CT for further characterization."
    )
    result = run(text)
    by_id = {f.id: f for f in result.findings}
    assert by_id[result.recommendations[0].finding_id].type.value == "adrenal_nodule"


def test_threshold_from_config() -> None:
    from radfollow.nlp.extract import Extractor, ReportText
    from radfollow.nlp.pipeline import PipelineConfig

    strict = Extractor(config=PipelineConfig(threshold=0.85, classifier=False))
    text = IMPRESSION.format("Consider MRI for further characterization.")
    assert strict.extract(ReportText(text)).recommendations == []
    direct = IMPRESSION.format("Recommend MRI for further characterization.")
    assert len(strict.extract(ReportText(direct)).recommendations) == 1


@pytest.mark.parametrize(
    "sentence",
    [
        "A 59-year-old female was referred to us for a CT coronary angiogram.",
        "Intrauterine pregnancy with a sonographic gestational age of 37 weeks.",
        "Please refer to the Myoview interpretation.",
        "This is considered a negative stress echocardiogram.",
        "Follow up appointment was made at the spine clinic in one to two weeks.",
        "The patient will follow up with Dr. X.",
    ],
)
def test_regression_real_text_false_positives(run, sentence: str) -> None:  # type: ignore[no-untyped-def]
    assert run(IMPRESSION.format(sentence)).recommendations == []


# Issue 12, kind 1: recommendations without a cue word, through the whole pipeline.
CUELESS = [
    # sentence, modality, interval, conditional
    ("A follow-up ultrasound could help clarify this if needed.", "US", None, True),
    ("Oblique radiographs of the wrist may better show the fracture line.", "XR", None, True),
    ("Oblique views of the wrist may better show the fracture line.", "XR", None, True),
    ("Further evaluation with contrast-enhanced MRI may be pursued.", "MR", None, True),
    ("Cardiac MRI is warranted for assessment of the ventricle.", "MR", None, False),
    ("She should come back in four weeks so the cyst can be rescanned.", None, (1.0, 1.0), False),
    ("He was advised to see his urologist about the prostate.", "CONSULT", None, False),
    ("An orthopedic referral may be appropriate should pain continue.", "CONSULT", None, True),
    (
        "Clinical correlation and, if appropriate, repeat radiographs after treatment.",
        "XR",
        None,
        True,
    ),
    ("If symptoms persist, MRI.", "MR", None, True),
]


@pytest.mark.parametrize(("sentence", "modality", "interval", "conditional"), CUELESS)
def test_cueless_recommendation_found(run, sentence, modality, interval, conditional) -> None:  # type: ignore[no-untyped-def]
    text = IMPRESSION.format(sentence)
    recs = run(text).recommendations
    assert [r.text for r in recs] == [sentence]
    assert (recs[0].modality.value if recs[0].modality else None) == modality
    assert recs[0].interval_months == interval
    assert recs[0].conditional is conditional


# Issue 12, kind 3: a hedged reason does not make the recommendation conditional.
@pytest.mark.parametrize(
    ("sentence", "conditional"),
    [
        ("MRI is recommended to evaluate for a possible tear.", False),
        (
            "Recommend a repeat PA radiograph with nipple markers, "
            "since the density may be a nipple shadow.",
            False,
        ),
        ("Follow-up CT in 3 months is recommended, as the nodule may be inflammatory.", False),
        ("MRI could be considered to evaluate for a possible tear.", True),
        ("If symptoms persist, MRI.", True),
    ],
)
def test_conditional_belongs_to_the_recommendation(run, sentence: str, conditional: bool) -> None:  # type: ignore[no-untyped-def]
    recs = run(IMPRESSION.format(sentence)).recommendations
    assert len(recs) == 1 and recs[0].conditional is conditional


# Issue 12, kind 4 (precision): none of these is a recommendation for this patient.
PRECISION_NEGATIVES = [
    "Differential includes post-biopsy hematoma, abscess, or less likely recurrent tumor "
    "after surgery; clinical correlation recommended.",
    "Recommend the patient remain supine for two hours after the biopsy, then resume diet as "
    "tolerated.",
    "Radiosurgery was chosen because the lesion lies near critical structures, where surgical "
    "resection is not advised.",
]


@pytest.mark.parametrize("sentence", PRECISION_NEGATIVES)
def test_precision_negatives(run, sentence: str) -> None:  # type: ignore[no-untyped-def]
    assert run(IMPRESSION.format(sentence)).recommendations == []


GUIDELINE_TABLE = (
    "IMPRESSION:\n1. 5 mm right upper lobe nodule.\n\n"
    "Fleischner Society recommendations for incidental pulmonary nodules:\n"
    "Nodule size <= 4 mm: no follow-up needed.\n"
    "Low risk: optional follow-up CT at 12 months.\n"
    "High risk: follow-up CT at 12 months is recommended.\n"
)


def test_pasted_guideline_table_is_skipped(run) -> None:  # type: ignore[no-untyped-def]
    assert run(GUIDELINE_TABLE).recommendations == []


def test_recommendation_after_a_guideline_table_is_kept(run) -> None:  # type: ignore[no-untyped-def]
    text = GUIDELINE_TABLE + "\nRecommend follow-up CT chest in 12 months."
    recs = run(text).recommendations
    assert [r.text for r in recs] == ["Recommend follow-up CT chest in 12 months."]


def test_guideline_rows_without_a_table_heading_are_read(run) -> None:  # type: ignore[no-untyped-def]
    text = "IMPRESSION:\nPer Fleischner Society guidelines: follow-up CT in 12 months is advised."
    assert len(run(text).recommendations) == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("IMPRESSION:\nNo acute process.\nFOLLOW-UP RECOMMENDATION:\nNone.", []),
        ("IMPRESSION:\nNo acute process.\nFOLLOW-UP:\nNone.", []),
        (
            "IMPRESSION:\nNodule.\nFOLLOW-UP RECOMMENDATION: CT chest in 3 months.",
            ["FOLLOW-UP RECOMMENDATION: CT chest in 3 months."],
        ),
    ],
)
def test_heading_alone_is_no_recommendation(run, text: str, expected: list[str]) -> None:  # type: ignore[no-untyped-def]
    assert [r.text for r in run(text).recommendations] == expected
