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
    "advised_to_see": (
        "He was advised to see his urologist about the prostate.",
        "The patient was advised to remain supine for two hours.",
    ),
    "return_visit": (
        "She should come back in four weeks so the cyst can be rescanned.",
        "She should return to normal activity in four weeks.",
    ),
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
    "if_persist": ("If symptoms persist, MRI.", "Symptoms persisted despite the prior MRI."),
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
    "patient_instructions": (
        "The patient should remain supine for two hours, then resume diet as tolerated.",
        "A supine radiograph should be obtained in two hours.",
    ),
    "procedure_narrative": (
        "Radiosurgery was chosen because the lesion lies near critical structures.",
        "Radiosurgery should be considered because the lesion lies near critical structures.",
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


# Issue 12, kind 1: recommendations without "recommend/suggest/consider".
# sentence, rule that fires first, modality, conditional
CUELESS = [
    ("A follow-up ultrasound could help clarify this if needed.", "followup_lead", "US", True),
    (
        "Oblique radiographs of the wrist may better show the fracture line.",
        "may_provide",
        "XR",
        True,
    ),
    ("Further evaluation with contrast-enhanced MRI may be pursued.", "could_may", "MR", True),
    ("Cardiac MRI is warranted for assessment of the ventricle.", "needed", "MR", False),
    (
        "She should come back in four weeks so the cyst can be rescanned.",
        "return_visit",
        None,
        False,
    ),
    ("He was advised to see his urologist about the prostate.", "advised_to_see", "CONSULT", False),
    (
        "An orthopedic referral may be appropriate should pain continue.",
        "could_may",
        "CONSULT",
        True,
    ),
    (
        "Clinical correlation and, if appropriate, repeat radiographs after treatment.",
        "if_indicated",
        "XR",
        True,
    ),
    ("MRI would better delineate the extent of the collection.", "would_be_helpful", "MR", True),
]


@pytest.mark.parametrize(("sentence", "rule", "modality", "conditional"), CUELESS)
def test_cueless_recommendation(
    rules: RecommendationRulesComponent,
    sentence: str,
    rule: str,
    modality: str | None,
    conditional: bool,
) -> None:
    candidate = rules.read(sentence, "impression")
    assert candidate is not None and candidate.rule == rule
    assert (candidate.modality.value if candidate.modality else None) == modality
    assert candidate.conditional is conditional


@pytest.mark.parametrize(
    ("sentence", "trigger"),
    [
        # "views" is an action only with the modality-vocabulary rules; the trigger is ours
        ("Oblique views of the wrist may better show the fracture line.", "may_provide"),
        ("A dedicated view may better demonstrate the fracture.", "may_provide"),
        ("The fracture line is better shown on the oblique view.", None),
    ],
)
def test_cueless_trigger_words(
    rules: RecommendationRulesComponent, sentence: str, trigger: str | None
) -> None:
    found = rules._first_trigger(sentence)
    assert (found[0] if found else None) == trigger


# Issue 12, kind 3: the conditional flag belongs to the recommendation, not to its reason.
HEDGE_SCOPE = [
    ("MRI is recommended to evaluate for a possible tear.", False),
    (
        "Recommend a repeat PA view with nipple markers, since the density may be a nipple shadow.",
        False,
    ),
    ("Recommend ultrasound because the lesion could represent a complex cyst.", False),
    ("CT is advised, as the opacity may reflect a developing infiltrate.", False),
    ("Recommend MRI to determine if this is a cyst.", False),
    ("Biopsy of the nodule, which may be malignant, is recommended.", False),
    ("This may represent a cyst; recommend ultrasound.", False),
    ("She should come back in four weeks so the cyst can be rescanned.", False),
    ("If symptoms persist, MRI.", True),
    ("MRI could be considered to evaluate for a possible tear.", True),
    ("MRI may be helpful.", True),
    ("Recommend MRI to evaluate for a possible tear if symptoms persist.", True),
    ("Recommend MRI to evaluate the tendon as clinically indicated.", True),
    ("Consider MRI, since the density may be a nipple shadow.", True),
]


@pytest.mark.parametrize(("sentence", "conditional"), HEDGE_SCOPE)
def test_hedge_scope(rules: RecommendationRulesComponent, sentence: str, conditional: bool) -> None:
    assert rules.conditional(sentence, rules._first_trigger(sentence)) is conditional


def test_hedge_scope_lists_load() -> None:
    scope = RULES.hedge_scope
    assert scope.reason_openers and scope.descriptive and scope.clause_end != "(?!)"
    assert RULES.void_triggers


# Issue 12, kind 4: void triggers: (sentence whose trigger proposes nothing, near miss that does)
VOID_TRIGGERS = [
    (
        "Differential includes post-biopsy hematoma, abscess or less likely tumor; "
        "clinical correlation recommended.",
        "Differential includes abscess or tumor; clinical correlation and biopsy are recommended.",
    ),
    (
        "Findings may relate to prior surgery or radiation; recommend clinical correlation.",
        "Findings may relate to prior surgery; recommend clinical correlation and CT in 3 months.",
    ),
    (
        "Post-surgical change versus recurrence; suggest correlation with clinical findings.",
        "Post-surgical change versus recurrence; suggest correlation with CT.",
    ),
]


@pytest.mark.parametrize(("void", "near_miss"), VOID_TRIGGERS)
def test_void_trigger(rules: RecommendationRulesComponent, void: str, near_miss: str) -> None:
    assert rules.read(void, "impression") is None
    assert rules.read(near_miss, "impression") is not None
