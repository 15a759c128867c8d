"""Every trigger and exclusion in recommendations.json has a positive and a negative case."""

from __future__ import annotations

import json
import re

import pytest
from pydantic import ValidationError

from radfollow.models import Modality, Recommendation
from radfollow.nlp.recommendations import RecommendationRulesComponent
from radfollow.rules.loader import load_rules
from radfollow.rules.schema import ActionRule, RecommendationRules

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
    "will_require": (
        "Further characterization will require a contrast-enhanced CT.",
        "Evaluation of the aorta would require a contrast-enhanced CT, which could not be given.",
    ),
    "please": ("Please obtain a CT of the abdomen.", "Please correlate clinically."),
    "followup_lead": ("Follow-up CT chest in 3 months.", "Follow-up CT was performed in 2019."),
    "interval_imaging": ("Repeat CT in 3 months.", "Stable at follow-up for 2 years."),
    "referral": ("Refer to urology.", "The patient was referred for this CT."),
    "follow_up_with": (
        "She was told to follow up with her urologist about the prostate.",
        "She has followed up with her urologist about the prostate.",
    ),
    "consider": ("Consider a pelvic ultrasound.", "This is considered normal."),
    "could_may": (
        "A pelvic ultrasound could be obtained.",
        "The nodule could represent a granuloma.",
    ),
    "could_be_evaluated": (
        "The hilar fullness could be evaluated further with a chest CT.",
        "This lesion can be characterized with CT as a simple cyst.",
    ),
    "could_be_followed": (
        "The nodule could be followed up in 6 months.",
        "The nodule could be followed up clinically.",
    ),
    "could_be_redacted": (
        "A chest CT could be XXXX to define the opacity.",
        "The opacity could be XXXX to overlying soft tissues on the chest CT.",
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
    "exam_requirement": (
        "If MRI is pursued, sedation may be required.",
        "If symptoms persist, MRI may be required.",
    ),
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
    "device_adjustment": (
        "The endotracheal tube tip is at the carina, recommend retraction by 2 cm.",
        "The tube tip is at the carina; a chest radiograph is recommended after retraction.",
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


# Issue 12, kind 2: sentence -> the modality its action words name (ANNOTATION.md section 1).
MODALITY_WORDS = [
    ("Recommend further evaluation.", None),
    ("Gradient echo imaging should be obtained.", "MR"),
    ("Diffusion-weighted images would help.", "MR"),
    ("Histologic evaluation would be necessary for diagnosis.", "BIOPSY"),
    ("Cross-sectional imaging of the chest is recommended.", "CT"),
    ("Consider oblique images to exclude a true nodule.", "XR"),
    ("Recommend PET/CT.", "PET"),
    ("Recommend ultrasound-guided biopsy.", "BIOPSY"),
    ("FNA of the dominant nodule is recommended.", "BIOPSY"),
    ("Recommend fine needle aspiration.", "BIOPSY"),
    ("Recommend nuclear medicine bone scan.", "NM"),
    ("Recommend CT.", "CT"),
    ("Recommend MRI.", "MR"),
    ("Recommend ultrasound.", "US"),
    ("Recommend esophagram.", "FLUORO"),
    ("Recommend upper GI series.", "FLUORO"),
    # radiograph wording
    ("Recommend skeletal survey.", "XR"),
    ("Follow-up radiographs are recommended in 2 weeks.", "XR"),
    ("Recommend repeat x-ray after treatment.", "XR"),
    ("Recommend repeat x-XXXX in 6 weeks.", "XR"),
    ("Recommend follow-up CXR.", "XR"),
    ("Recommend chest film after antibiotics.", "XR"),
    ("Recommend KUB.", "XR"),
    ("Oblique views of the wrist may better show the fracture line.", "XR"),
    ("Recommend left lateral decubitus views.", "XR"),
    ("Repeat views after reduction are recommended.", "XR"),
    ("Recommend follow-up films in 10 days.", "XR"),
    ("An acute abdominal series is recommended.", "XR"),
    ("A repeat series should be obtained after the cast is removed.", "XR"),
    # mammography wording
    ("Recommend diagnostic mammogram.", "MG"),
    ("Spot compression views are recommended.", "MG"),
    ("Recommend magnification views of the calcifications.", "MG"),
    ("Recommend MLO/CC views.", "MG"),
    ("Recommend diagnostic workup of the left breast.", "MG"),
    # interventions and referrals
    ("Recommend colonoscopy.", "PROCEDURE"),
    ("Endoscopy is recommended.", "PROCEDURE"),
    ("Bronchoscopy should be considered.", "PROCEDURE"),
    ("Recommend steroid injection of the joint.", "PROCEDURE"),
    ("An injection could be considered for pain.", "PROCEDURE"),
    ("Aspiration of the collection is recommended.", "PROCEDURE"),
    ("Percutaneous drainage is recommended.", "PROCEDURE"),
    ("Surgery should be considered.", "PROCEDURE"),
    ("Recommend fluoroscopically guided injection.", "PROCEDURE"),
    ("Recommend surgical consultation.", "CONSULT"),
    ("Recommend surgery consultation.", "CONSULT"),
    ("Recommend follow up with Dr. XXXX.", "CONSULT"),
    ("Return to clinic in 2 weeks is advised.", "CONSULT"),
    ("He was advised to see his urologist about the prostate.", "CONSULT"),
    ("An orthopedic referral may be appropriate should pain continue.", "CONSULT"),
    ("Consultation with an endocrinologist is recommended.", "CONSULT"),
    # non-radiology tests
    ("Recommend echocardiogram.", "US"),
    ("Recommend TSH level.", "LAB"),
    ("Recommend PSA.", "LAB"),
    ("Correlation with AFP is recommended.", "LAB"),
    ("Recommend EKG.", "OTHER"),
    ("A stress test is recommended.", "OTHER"),
    ("Recommend PFTs.", "OTHER"),
    # de-identification removed the exam's name: a recommendation of an unnamed kind
    ("High-resolution XXXX is recommended for the nodule.", None),
]

# Near misses: (sentence, the modality it must not get, what it gets instead or None).
MODALITY_NEAR_MISSES = [
    ("Gradient echo imaging should be obtained.", "US", "MR"),
    ("Recommend spin-echo sequences.", "US", "MR"),
    ("Recommend upper GI series.", "XR", "FLUORO"),
    ("Recommend surgical consultation.", "PROCEDURE", "CONSULT"),
    ("Recommend ultrasound-guided biopsy.", "US", "BIOPSY"),
    ("Recommend fine needle aspiration.", "PROCEDURE", "BIOPSY"),
    ("Recommend fluoroscopically guided injection.", "FLUORO", "PROCEDURE"),
    ("Recommend echocardiogram.", "OTHER", "US"),
    ("Recommend magnification views of the calcifications.", "XR", "MG"),
    ("Recommend diagnostic workup of the left breast.", None, "MG"),
    ("Recommend follow-up with Dr. XXXX.", None, "CONSULT"),
    ("Please see the radiologist's addendum.", "CONSULT", None),
    # a modality named as an earlier or the current exam is not the recommended one
    ("Compared with the prior CT, MRI is recommended.", "CT", "MR"),
    ("Given the findings on ultrasound, recommend CT.", "US", "CT"),
    ("This CT shows a nodule; recommend PET/CT.", "CT", "PET"),
    ("Recommend follow-up of this lesion with CT or MRI.", "MR", "CT"),
    ("Recommend comparison with prior CT.", None, "CT"),  # the only one named: kept
]

# Technique and findings sentences with common exam words: no gate, no candidate.
NOT_GATED = [
    "Chest x-XXXX shows no acute disease.",
    "KUB shows a nonobstructive bowel gas pattern.",
    "Exercise stress test with myocardial perfusion imaging.",
    "EMG and nerve conduction studies of the right arm.",
    "Lordotic view of the chest shows no apical mass.",
    "Frontal and lateral views of the chest were obtained.",
    "AP view of the pelvis shows no fracture.",
    "Three views of the left wrist.",
    "Films are degraded by motion.",
    "The patient is status post surgery.",
    "Following injection of contrast, axial images were acquired.",
    "The urologist's note was reviewed.",
    "A series of axial images was acquired.",
]


@pytest.mark.parametrize(("sentence", "modality"), MODALITY_WORDS)
def test_modality_words(rules: RecommendationRulesComponent, sentence: str, modality) -> None:  # type: ignore[no-untyped-def]
    candidate = rules.read(sentence, "impression")
    assert candidate is not None
    assert candidate.modality == (Modality(modality) if modality else None)


@pytest.mark.parametrize(("index", "rule"), list(enumerate(RULES.actions)))
def test_every_action_rule_has_a_case(index: int, rule: ActionRule) -> None:
    regex = re.compile(rule.pattern, re.IGNORECASE)
    named = {Modality(m) if m else None for s, m in MODALITY_WORDS if regex.search(s)}
    assert rule.modality in named, f"action {index} ({rule.modality}) has no positive case"


@pytest.mark.parametrize(("sentence", "wrong", "right"), MODALITY_NEAR_MISSES)
def test_modality_near_misses(
    rules: RecommendationRulesComponent, sentence: str, wrong: str | None, right: str | None
) -> None:
    modality = rules.describe(sentence).modality
    assert modality != (Modality(wrong) if wrong else None)
    assert modality == (Modality(right) if right else None)


@pytest.mark.parametrize("sentence", NOT_GATED)
def test_common_exam_words_do_not_open_the_gate(
    rules: RecommendationRulesComponent, sentence: str
) -> None:
    assert not rules.gate(sentence)
    assert rules.read(sentence, "findings") is None


def test_weak_words_still_name_the_modality_of_a_trigger_sentence(
    rules: RecommendationRulesComponent,
) -> None:
    assert not rules.gate("Repeat views of the ankle.")
    candidate = rules.read("Repeat views of the ankle are recommended.", "impression")
    assert candidate is not None and candidate.modality is Modality.XR


# Alternatives: sentence -> modality_options in sentence order.
OPTIONS = [
    ("Recommend CT or MRI.", ["CT", "MR"]),
    ("Ultrasound versus MRI is recommended.", ["US", "MR"]),
    ("Recommend CT vs MRI of the pelvis.", ["CT", "MR"]),
    ("Recommend CT and/or MRI of the abdomen.", ["CT", "MR"]),
    ("Recommend MRI or, if contraindicated, CT.", ["MR", "CT"]),
    ("Recommend CT, MRI or ultrasound.", ["CT", "MR", "US"]),
    ("Recommend CT of the chest with contrast or MRI.", ["CT", "MR"]),
    ("Recommend PET/CT or MRI.", ["PET", "MR"]),
    # negatives: a modality named as history, a reason, a second exam, none at all
    ("Recommend follow-up MRI, compared with the prior CT.", ["MR"]),
    ("Recommend MRI since the lesion is not seen on CT or ultrasound.", ["MR"]),
    ("Recommend CT and MRI.", ["CT"]),
    ("Recommend CT in 3 months or sooner if symptoms develop, and ultrasound.", ["CT"]),
    ("Recommend CT, compared with the prior MRI.", ["CT"]),
    ("Recommend MRI or the prior CT.", ["MR"]),
    ("Compared with the prior CT, MRI or ultrasound is recommended.", ["MR", "US"]),
    ("Recommend further evaluation.", []),
]


@pytest.mark.parametrize(("sentence", "options"), OPTIONS)
def test_modality_options(
    rules: RecommendationRulesComponent, sentence: str, options: list[str]
) -> None:
    candidate = rules.read(sentence, "impression")
    assert candidate is not None
    assert [m.value for m in candidate.modality_options] == options
    assert candidate.modality == (Modality(options[0]) if options else None)


# Issue 12, kind 6: body region from exam words (and its negative: no region named).
EXAM_WORD_REGIONS = [
    ("Recommend follow-up CXR in 6 weeks.", "chest"),
    ("Recommend chest film after antibiotics.", "chest"),
    ("Recommend repeat chest radiograph.", "chest"),
    ("Recommend KUB.", "abdomen"),
    ("Recommend diagnostic mammogram.", "breast"),
    ("Recommend diagnostic mammography.", "breast"),
    ("Spot compression views are recommended.", "breast"),
    ("Cardiac MRI is warranted for assessment of the ventricle.", "heart"),
    ("He was advised to see his urologist about the prostate.", "prostate"),
    ("Recommend repeat x-ray after treatment.", None),
    ("Recommend follow-up radiographs.", None),
    ("Recommend CT or MRI.", None),
    ("Compared with the prior chest CT, MRI of the abdomen is recommended.", "abdomen"),
]


@pytest.mark.parametrize(("sentence", "region"), EXAM_WORD_REGIONS)
def test_region_from_exam_words(
    rules: RecommendationRulesComponent, sentence: str, region: str | None
) -> None:
    candidate = rules.read(sentence, "impression")
    assert candidate is not None and candidate.body_region == region


@pytest.mark.parametrize("region", sorted({r.region for r in RULES.body_regions}))
def test_every_region_has_organs_or_is_known_unlinked(region: str) -> None:
    """A region steers linking through its organs; these name none on purpose."""
    unlinked = {"head", "scrotum", "extremity", "heart", "prostate"}
    organs = {o for r in RULES.body_regions if r.region == region for o in r.organs}
    assert bool(organs) != (region in unlinked)


@pytest.mark.parametrize(
    ("sentence", "options"),
    [
        ("Recommend adrenal CT or MRI.", ["CT", "MR"]),
        ("Recommend adrenal MRI, compared with the prior CT.", ["MR"]),
        ("Recommend follow-up imaging in 6 months.", []),
    ],
)
def test_record_carries_modality_options(run, sentence: str, options: list[str]) -> None:  # type: ignore[no-untyped-def]
    (rec,) = run(f"FINDINGS: Adrenal nodule.\nIMPRESSION: {sentence}").recommendations
    assert [m.value for m in rec.modality_options] == options
    assert (rec.modality.value if rec.modality else None) == (options[0] if options else None)
    assert json.loads(rec.model_dump_json())["modality_options"] == options


@pytest.mark.parametrize(
    ("fields", "options", "modality"),
    [
        ({"modality": "CT"}, ["CT"], "CT"),  # options filled from the modality
        ({"modality_options": ["MR", "CT"]}, ["MR", "CT"], "MR"),  # modality from options
        ({}, [], None),
    ],
)
def test_record_options_start_with_modality(fields, options, modality) -> None:  # type: ignore[no-untyped-def]
    rec = Recommendation(id="r1", text="x", start=0, end=1, **fields)
    assert [m.value for m in rec.modality_options] == options
    assert (rec.modality.value if rec.modality else None) == modality


def test_record_options_must_start_with_modality() -> None:
    with pytest.raises(ValidationError, match="must start with modality"):
        Recommendation(id="r1", text="x", start=0, end=1, modality="CT", modality_options=["MR"])


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
    ("Oblique views of the wrist may better show the fracture line.", "may_provide", "XR", True),
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
    ("A PET scan may be necessary for staging.", "could_may", "PET", True),
    ("The nodule could be followed up in 6 months.", "could_be_followed", None, True),
    ("The nodule could be followed with CT in 6 months.", "could_be_evaluated", "CT", True),
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


# De-identified reports (Open-i): the recommended exam's name was removed ("XXXX").
DEIDENTIFIED = [
    ("Recommend XXXX.", True),
    ("A XXXX is recommended given the history of lymphoma.", True),
    ("Recommend contrast-enhanced XXXX for the nodule.", True),
    ("XXXX scan would better characterize the opacity if symptoms continue.", True),
    ("Heart size is XXXX.", False),
    ("Recommend comparison with XXXX.", False),
    ("No further XXXX is recommended.", False),
    ("XXXX XXXX are intact; no follow-up is recommended.", False),
]


@pytest.mark.parametrize(("sentence", "is_candidate"), DEIDENTIFIED)
def test_deidentified_exam(
    rules: RecommendationRulesComponent, sentence: str, is_candidate: bool
) -> None:
    candidate = rules.read(sentence, "impression")
    assert (candidate is not None) is is_candidate
    assert candidate is None or candidate.modality is None


@pytest.mark.parametrize(
    ("sentence", "is_candidate"),
    [
        # an alternative exam after a request for old films is a recommendation
        ("Comparison with prior films would help; alternatively, a chest CT could be done.", True),
        ("Comparison with prior films would help to assess the chest CT finding.", False),
        # third-person "suggests" is evidence, not advice
        ("Asymmetric breast tissue on the lateral view suggests a prior mastectomy.", False),
        ("Suggest a lateral view of the chest.", True),
        ("Mild atelectasis is suggested on the lateral view.", False),
        ("MRI is suggested on an outpatient basis for the adrenal nodule.", True),
        # "otherwise unremarkable" does not rescue a request for old films
        (
            "Comparison with prior films would help date the deformity; the wrist is otherwise"
            " unremarkable.",
            False,
        ),
        # a differential's "consideration" is no recommendation
        ("Another consideration is lymphoma, given the adenopathy on CT.", False),
        # a limit of the exam is no recommendation
        ("Definitive characterization would require MRI, which is contraindicated.", False),
        # after the test half's one final score (round 2): wording its misses showed
        ("The nodule would benefit from a follow-up chest CT.", True),
        ("The chest CT findings would benefit the surgical plan.", False),
        ("Chest CT if warranted clinically.", True),
    ],
)
def test_round_2_kinds(
    rules: RecommendationRulesComponent, sentence: str, is_candidate: bool
) -> None:
    assert (rules.read(sentence, "impression") is not None) is is_candidate


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
    # the reason clause ends where the sentence's own modal predicate starts
    ("A follow-up radiograph to assess stability may be of benefit.", True),
    ("A chest CT to characterize the nodule could be considered.", True),
    # "would be" before a word of necessity is direct wording
    ("A chest CT would be recommended to evaluate the nodule.", False),
    ("A chest CT would be necessary to evaluate the nodule.", False),
    ("Recommend orthopedic consultation to determine whether surgery would be appropriate.", False),
    # a differential's "consideration" is no hedge of the recommendation
    ("Primary consideration is a lipoma, but biopsy is necessary for a diagnosis.", False),
    ("Consideration of biopsy is advised.", True),
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
