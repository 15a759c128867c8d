"""Every trigger and exclusion in recommendations.json has a positive and a negative case."""

from __future__ import annotations

import pytest

from radfollow.nlp.recommendations import RecommendationRulesComponent
from radfollow.rules.loader import load_rules
from radfollow.rules.schema import RecommendationRules

RULES = load_rules(RecommendationRules)

# trigger name: (sentence it fires on first, sentence that is no recommendation)
TRIGGERS = {
    "recommend": ("Recommend CT of the abdomen.", "CT of the chest was performed."),
    "advise": ("MRI of the pelvis is advised.", "The patient was advised of the results."),
    "should": ("MRI of the pelvis should be performed.", "This should be correlated clinically."),
    "suggest": ("Suggest pelvic ultrasound.", "The appearance suggests pneumonia."),
    "needed": ("MRI of the pelvis is needed.", "Clinical correlation is needed."),
    "please": ("Please obtain a CT of the abdomen.", "Please correlate clinically."),
    "followup_lead": ("Follow-up CT chest in 3 months.", "Follow-up CT was performed in 2019."),
    "interval_imaging": ("Repeat CT in 3 months.", "Stable at follow-up for 2 years."),
    "referral": ("Refer to urology.", "The patient was referred for this CT."),
    "consider": ("Consider a pelvic ultrasound.", "This is considered normal."),
    "could_may": (
        "A pelvic ultrasound could be obtained.",
        "The nodule could represent a granuloma.",
    ),
    "would_be_helpful": (
        "A pelvic ultrasound would be helpful.",
        "Comparison with prior films would be helpful.",
    ),
    "may_provide": ("MRI may provide further characterization.", "This may represent atelectasis."),
    "optional": ("A repeat CT chest is optional.", "Oral contrast was optional."),
    "if_indicated": ("Ultrasound if clinically indicated.", "Correlate clinically as indicated."),
    "correlate_lab": ("Correlate with serum AFP.", "Correlate with clinical history."),
}

# exclusion name: (sentence it blocks, near miss it lets through)
EXCLUSIONS = {
    "no_followup": ("No follow-up CT is recommended.", "Follow-up CT is recommended."),
    "not_needed": ("Biopsy is not needed.", "Biopsy is needed."),
    "does_not_require": ("The cyst does not require follow-up imaging.", "Follow-up is advised."),
    "prior_films": ("Comparison with prior studies would be helpful.", "A CT would be helpful."),
    "history_of_recommendation": ("Follow-up CT was previously recommended.", "CT is recommended."),
    "already_done": ("Follow-up CT was performed in May.", "Follow-up CT should be performed."),
    "scheduled": ("Biopsy is scheduled for next week.", "Biopsy is recommended next week."),
    "routine_screening": (
        "Recommend annual screening mammography.",
        "Recommend diagnostic mammography.",
    ),
    "reason_for_exam": ("Reason for exam: follow-up nodule.", "Recommend CT for the reason above."),
    "pointer_to_other_report": ("Please refer to the separate report.", "Please refer to urology."),
    "arranged": (
        "A follow-up appointment has been made.",
        "A follow-up appointment should be made.",
    ),
    "referred_for_this_exam": (
        "The patient was referred for a CT angiogram.",
        "The patient should be referred for a CT angiogram.",
    ),
}


@pytest.fixture(scope="module")
def rules(extractor) -> RecommendationRulesComponent:  # type: ignore[no-untyped-def]
    return extractor.nlp.get_pipe("radfollow_recommendation_rules_v1")


def test_tables_cover_every_rule() -> None:
    assert set(TRIGGERS) == {t.name for t in RULES.triggers}
    assert set(EXCLUSIONS) == {e.name for e in RULES.exclusions}


@pytest.mark.parametrize(("name", "positive", "negative"), [(k, *v) for k, v in TRIGGERS.items()])
def test_trigger(
    rules: RecommendationRulesComponent, name: str, positive: str, negative: str
) -> None:
    candidate = rules.read(positive, "impression")
    assert candidate is not None and candidate.rule == name
    assert rules.read(negative, "impression") is None


@pytest.mark.parametrize(("name", "positive", "negative"), [(k, *v) for k, v in EXCLUSIONS.items()])
def test_exclusion(
    rules: RecommendationRulesComponent, name: str, positive: str, negative: str
) -> None:
    assert rules.exclusion(positive) == name
    assert rules.exclusion(negative) is None


@pytest.mark.parametrize("modality", [a.modality for a in RULES.actions], ids=str)
def test_every_action_has_a_case(rules: RecommendationRulesComponent, modality) -> None:  # type: ignore[no-untyped-def]
    sentence = {
        None: "Recommend further evaluation.",
        "PET": "Recommend PET/CT.",
        "BIOPSY": "Recommend ultrasound-guided biopsy.",
        "MG": "Recommend diagnostic mammogram.",
        "NM": "Recommend nuclear medicine bone scan.",
        "CT": "Recommend CT.",
        "MR": "Recommend MRI.",
        "US": "Recommend ultrasound.",
        "FLUORO": "Recommend esophagram.",
        "XR": "Recommend skeletal survey.",
        "PROCEDURE": "Recommend colonoscopy.",
        "CONSULT": "Recommend surgical consultation.",
        "LAB": "Recommend TSH level.",
        "OTHER": "Recommend echocardiogram.",
    }[modality.value if modality else None]
    candidate = rules.read(sentence, "impression")
    assert candidate is not None and candidate.modality == modality
    assert rules.read("Recommend clinical correlation.", "impression") is None
