"""Issue 13's kinds of incidental-finding errors on real reports: one table per kind,
a positive and a negative case per rule (examples in the project's own words).

Each row: report text, HL7 indication (or None), the words of the finding checked
(its ``text`` must contain them), and what is expected of it.
"""

from __future__ import annotations

import pytest

from radfollow.models import ExtractionResult, Finding


def _finding(result: ExtractionResult, words: str, section: str | None = None) -> Finding:
    found = [
        f
        for f in result.findings
        if words.lower() in f.text.lower() and (section is None or f.section == section)
    ]
    assert found, f"no finding with {words!r} in {[f.text for f in result.findings]}"
    return found[-1]


# Kind 1: the finding is what the exam is about -> reason, not incidental.
EXPLAINED = [
    # the report is a procedure on it
    (
        "EXAM: CT-guided biopsy of the right renal mass.\n"
        "FINDINGS: The right renal mass was biopsied with an 18 gauge needle.",
        None,
        "renal mass",
        "procedure_target",
    ),
    (
        "EXAM: Ultrasound-guided drainage of the hepatic collection.\n"
        "FINDINGS: A 3 cm hepatic lesion was drained.",
        None,
        "hepatic lesion",
        "procedure_target",
    ),
    # a recommendation to biopsy is not a procedure report: stays incidental
    (
        "EXAM: CT chest.\nFINDINGS: 2 cm thyroid nodule. Recommend biopsy of the thyroid nodule.",
        "Trauma",
        "thyroid nodule",
        None,
    ),
    # the history names it, in a narrative first paragraph
    (
        "58-year-old with a known tongue-base mass for staging.\n\n"
        "FINDINGS: 3 cm mass at the tongue base.",
        None,
        "3 cm mass",
        "indication",
    ),
    (
        "INDICATION: Follow-up of RUL nodule.\nFINDINGS: 6 mm nodule in the right upper lobe.",
        None,
        "6 mm nodule",
        "indication",
    ),
    (
        "HISTORY: Melanoma.\nFINDINGS: Multiple pulmonary nodules concerning for metastases.",
        None,
        "pulmonary nodules",
        "indication",
    ),
    # the same type detected in the history (no phrase list needed): a cyst asked about
    (
        "CLINICAL HISTORY: Ovarian cyst seen on prior ultrasound.\n"
        "FINDINGS: 3 cm left adnexal lesion.",
        None,
        "adnexal lesion",
        "indication",
    ),
    # an unrelated finding on a staging exam stays incidental
    (
        "INDICATION: Staging lung cancer.\nFINDINGS: 3 cm right upper lobe mass. "
        "1.5 cm left thyroid nodule.",
        None,
        "thyroid nodule",
        None,
    ),
    # a history paragraph without any history wording is not read as history
    (
        "Chest CT.\n\nFINDINGS: 2 cm left adrenal nodule.",
        None,
        "adrenal nodule",
        None,
    ),
    # described against a prior study as known disease
    (
        "FINDINGS: The known abdominal aortic aneurysm now measures 4.1 cm, previously 4.0 cm.",
        "Back pain",
        "aortic aneurysm",
        "known_prior",
    ),
    (
        "FINDINGS: The previously described hepatic cyst is again seen.",
        "Abdominal pain",
        "hepatic cyst",
        "known_prior",
    ),
    (
        "FINDINGS: Redemonstrated 8 mm left lower lobe nodule.",
        "Cough",
        "nodule",
        "known_prior",
    ),
    # a comma clause right after the finding can say it is known ("..., increased since")
    (
        "FINDINGS: 1 cm nodule in the right base, increased since the comparison exam.",
        "Cough",
        "nodule",
        "known_prior",
    ),
    (
        "FINDINGS: 1 cm nodule in the right base, with a stable small effusion.",
        "Cough",
        "nodule",
        None,
    ),
    # ... not a comma clause about something else ("stable cardiomegaly")
    ("FINDINGS: 6 mm right upper lobe nodule, stable cardiomegaly.", "Chest pain", "nodule", None),
    # a new finding next to known ones is incidental
    (
        "FINDINGS: Stable 4 mm right upper lobe nodule. New 6 mm nodule in the left lower lobe.",
        "Cough",
        "New 6 mm nodule",
        None,
    ),
]


@pytest.mark.parametrize(("text", "indication", "words", "reason"), EXPLAINED)
def test_explained_findings(run, text, indication, words, reason) -> None:  # type: ignore[no-untyped-def]
    finding = _finding(run(text, indication=indication), words, "findings")
    got = finding.incidental_reason.value if finding.incidental_reason else None
    assert got == reason
    assert finding.incidental is (reason is None)


# Kind 2: benign said anywhere nearby.
BENIGN = [
    ("FINDINGS: 1.5 cm left adrenal nodule. No follow-up is needed.", "adrenal nodule", True),
    ("FINDINGS: 1.5 cm left adrenal nodule. No routine follow-up is required.", "adrenal", True),
    (
        "FINDINGS: 1.5 cm left adrenal nodule. This is consistent with a lipid-rich adenoma.",
        "adrenal nodule",
        True,
    ),
    ("FINDINGS: 2 cm left renal lesion. Bosniak I.", "renal lesion", True),
    ("FINDINGS: 2 cm left renal lesion. This is a simple cyst.", "renal lesion", True),
    ("FINDINGS: 2 cm left renal lesion. It is a Bosniak 1 cyst.", "renal lesion", True),
    # the next paragraph, or another numbered item, is about something else
    ("FINDINGS: 1.5 cm left adrenal nodule.\n\nNo follow-up is needed.", "adrenal nodule", False),
    (
        "IMPRESSION:\n1. 4.5 cm infrarenal abdominal aortic aneurysm.\n"
        "2. No further follow-up is needed for the gallbladder.",
        "aortic aneurysm",
        False,
    ),
    # benign words about another finding of their own sentence
    (
        "FINDINGS: 1.5 cm left adrenal nodule. Simple cyst in the right kidney.",
        "adrenal nodule",
        False,
    ),
    # named benign entities, unless hedged
    ("FINDINGS: Large mucous retention cyst in the right maxillary sinus.", "cyst", True),
    ("FINDINGS: Possible lipoma in the thigh soft tissue mass.", "mass", False),
    # a benign word of one alternative of a differential does not reach the other
    (
        "FINDINGS: Right hilar opacity, which may represent a calcified granuloma or"
        " lymphadenopathy.",
        "lymphadenopathy",
        False,
    ),
    ("FINDINGS: Calcified granuloma in the right upper lobe.", "granuloma", True),
]


@pytest.mark.parametrize(("text", "words", "benign"), BENIGN)
def test_benign_nearby(run, text, words, benign) -> None:  # type: ignore[no-untyped-def]
    finding = _finding(run(text, indication="Trauma"), words)
    assert finding.benign is benign
    assert finding.incidental is (not benign)


def test_characterising_phrase_is_not_a_second_mention(run) -> None:  # type: ignore[no-untyped-def]
    result = run(
        "FINDINGS: 1.5 cm left adrenal nodule. This is consistent with a lipid-rich adenoma.",
        indication="Trauma",
    )
    assert [f.text for f in result.findings] == ["1.5 cm left adrenal nodule"]


# Kind 3: not findings at all (absent from the findings, or not affirmed).
NOT_FINDINGS = [
    # template label: the label is no mention; the negated sentence after it is absent
    ("Lymph nodes: No enlarged nodes.", "enlarged nodes", "absent"),
    ("Lymph nodes: Enlarged right hilar nodes.", "nodes", "present"),
    # negation phrasings
    (
        "FINDINGS: The kidneys do not demonstrate any evidence of a mass.",
        "mass",
        "absent",
    ),
    ("FINDINGS: The liver is without sonographic evidence of a mass.", "mass", "absent"),
    ("FINDINGS: The lungs are free of nodules.", "nodules", "absent"),
    ("FINDINGS: The kidneys demonstrate a 2 cm mass.", "mass", "present"),
    # a diagnostic question with a hyphen is still one
    (
        "IMPRESSION: Recommend CT to rule-out an underlying pulmonary nodule.",
        "nodule",
        "hypothetical",
    ),
    # "versus" hedges the finding it offers (and ends a benign adjective's reach)
    ("FINDINGS: Scarring versus 8 mm nodule in the right upper lobe.", "nodule", "possible"),
    # differential lists and diagnostic questions
    ("FINDINGS: Differential includes abscess, mass, or hematoma.", "mass", "possible"),
    ("INDICATION: Rule out lung mass.", "mass", "hypothetical"),
    ("IMPRESSION: Consider oblique views to exclude a true nodule.", "nodule", "hypothetical"),
    ("FINDINGS: Evaluation for pulmonary nodules is limited by motion.", "nodules", "hypothetical"),
    # pseudo-lesions on a radiograph
    (
        "FINDINGS: Nodular densities over the 9th ribs are consistent with nipple shadows.",
        "Nodular densities",
        "absent",
    ),
    ("FINDINGS: 8 mm nodular density in the left upper lobe.", "nodular density", "present"),
    # a hedge about the cause of something else does not hedge a known finding
    (
        "FINDINGS: Mediastinal widening may be due to the known thyroid mass.",
        "thyroid mass",
        "present",
    ),
    # a finding seen on one view only is not absent ...
    (
        "FINDINGS: A 1.7 cm nodular density in the right lung base is seen on the frontal view,"
        " not identified on the lateral view.",
        "nodular density",
        "present",
    ),
    (
        "FINDINGS: Nodular opacity at the left base, not appreciated on the lateral projection.",
        "nodular opacity",
        "present",
    ),
    ("FINDINGS: The nodular density is not identified.", "nodular density", "absent"),
    ("FINDINGS: No nodule is seen on the lateral view.", "nodule", "absent"),
    # ... but one not seen on every view, or on this view "either", is
    (
        "FINDINGS: Pulmonary nodule is not visualized on the PA or lateral views.",
        "nodule",
        "absent",
    ),
    (
        "FINDINGS: The questioned nodule is not seen on the frontal or lateral views today.",
        "nodule",
        "absent",
    ),
    (
        "FINDINGS: No pulmonary nodule is seen on the frontal view. A nodule is not seen on the"
        " lateral view either.",
        "nodule",
        "absent",
    ),
    # a finding not seen on the prior study is new, not absent
    (
        "FINDINGS: New 9 mm right upper lobe nodule, not seen on the prior study.",
        "nodule",
        "present",
    ),
    ("FINDINGS: The 8 mm nodule seen on the prior study is not seen today.", "nodule", "absent"),
    # the TERMINATE 'seen' of "seen on the prior study is" does not shield the finding from
    # the negation after it ...
    ("FINDINGS: The lung nodule seen on the prior study is not identified.", "nodule", "absent"),
    ("FINDINGS: The lung nodule seen on prior exam is no longer seen.", "nodule", "absent"),
    ("FINDINGS: The hepatic lesion seen on the comparison study has resolved.", "lesion", "absent"),
    ("FINDINGS: The lung nodule seen on the prior study is unchanged.", "nodule", "present"),
    # ... and 'seen' still ends a negation before the next finding of a list or a clause
    (
        "IMPRESSION: No consolidation, no definite pleural effusion seen, left hilar"
        " calcifications and dense nodule in the left lung.",
        "nodule",
        "present",
    ),
    (
        "FINDINGS: No pleural effusion seen on comparison exam, and a new 1.2 cm spiculated"
        " nodule in the right upper lobe.",
        "nodule",
        "present",
    ),
]


@pytest.mark.parametrize(("text", "words", "assertion"), NOT_FINDINGS)
def test_not_findings_assertion(run, text, words, assertion) -> None:  # type: ignore[no-untyped-def]
    assert _finding(run(text), words).assertion.value == assertion


NO_MENTION = [
    # (text, finding words that must not be a mention, a control that must be)
    ("FINDINGS: Adrenals: Normal. Lymph nodes: none. 2 cm liver lesion.", "Lymph nodes", "liver"),
    ("EXAM: MRI renal mass protocol.\nFINDINGS: 2 cm renal mass.", "mass protocol", "2 cm"),
    (
        "FINDINGS: 50% stenotic lesion of the left carotid artery. 2 cm thyroid nodule.",
        "stenotic lesion",
        "thyroid",
    ),
    (
        "FINDINGS: The spur is the likely culprit lesion for the impingement. Bone island.",
        "culprit lesion",
        "Bone island",
    ),
    (
        "FINDINGS: Large Hill-Sachs lesion. 1 cm lytic lesion in the humerus.",
        "Hill-Sachs",
        "lytic lesion",
    ),
    (
        "FINDINGS: Mild aortic ectasia and tortuosity. Ectatic ascending aorta measuring 4.6 cm.",
        "aortic ectasia",
        "Ectatic ascending aorta",
    ),
    (
        "FINDINGS: Reticulonodular opacities in both lungs. 6 mm nodule in the right upper lobe.",
        "Reticulonodular",
        "6 mm nodule",
    ),
    (
        "FAMILY HISTORY: Brother with a lung mass.\nFINDINGS: 6 mm nodule in the right upper lobe.",
        "lung mass",
        "6 mm nodule",
    ),
]


@pytest.mark.parametrize(("text", "absent_words", "control"), NO_MENTION)
def test_not_a_mention(run, text, absent_words, control) -> None:  # type: ignore[no-untyped-def]
    texts = [f.text for f in run(text).findings]
    assert not any(absent_words.lower() in t.lower() for t in texts), texts
    assert any(control.lower() in t.lower() for t in texts), texts


# Kind 4: the type comes from the finding's own clause and location.
TYPES = [
    ("EXAM: CT chest.\nFINDINGS: Hypoenhancing mass in segment 7 of the liver.", "hepatic_lesion"),
    ("EXAM: CT chest.\nFINDINGS: 3 cm mass in the right upper lobe.", "lung_mass"),
    ("EXAM: Pelvic ultrasound.\nFINDINGS: 2 cm follicular cyst.", "adnexal_lesion"),
    ("EXAM: CT abdomen.\nFINDINGS: 2 cm ovarian cyst.", "adnexal_lesion"),
    ("EXAM: CT abdomen.\nFINDINGS: 8 mm part-solid nodule.", "pulmonary_nodule"),
    ("EXAM: CT abdomen.\nFINDINGS: 8 mm nodule.", "other_mass"),
    ("EXAM: CT head.\nFINDINGS: 1.8 cm mass in the right parietal lobe.", "other_mass"),
    (
        "EXAM: Chest radiograph.\nFINDINGS: Nodular opacity projecting over the 9th rib.",
        "pulmonary_nodule",
    ),
    ("EXAM: Chest radiograph.\nFINDINGS: Lytic lesion of the 9th rib.", "bone_lesion"),
    ("EXAM: CT chest.\nFINDINGS: 4.5 cm nodule in the left upper lobe.", "lung_mass"),
    # an exam named in the finding's own sentence gives the organ before the report's exam
    (
        "EXAM: CT chest.\nFINDINGS: MRI brain, 1/26/93, revealed a large enhancing mass.",
        "other_mass",
    ),
    ("EXAM: CT chest.\nFINDINGS: A large enhancing mass.", "lung_mass"),
    ("EXAM: CT chest.\nFINDINGS: 2.5 cm nodule in the left upper lobe.", "pulmonary_nodule"),
    # a mediastinal location is no lung, even on a chest exam
    ("EXAM: Chest radiograph.\nFINDINGS: 3 cm paratracheal mass.", "other_mass"),
    ("EXAM: Chest radiograph.\nFINDINGS: 3 cm mass in the aortopulmonary window.", "other_mass"),
    # an opacity called suspicious for malignancy is a mass (ANNOTATION.md section 2)
    (
        "EXAM: Chest radiograph.\nFINDINGS: Opacity in the left upper lobe, concerning for"
        " neoplasm.",
        "lung_mass",
    ),
    (
        "EXAM: CT chest.\nFINDINGS: 2 cm nodule in the retrosternal part of the thyroid gland.",
        "thyroid_nodule",
    ),
    # "midlung" is the lung; "osteocartilaginous" is bone (no exam to fall back on)
    ("FINDINGS: Nodular density in the right midlung.", "pulmonary_nodule"),
    ("FINDINGS: Nodular densities in both midlungs.", "pulmonary_nodule"),
    ("FINDINGS: Osteocartilaginous lesion.", "bone_lesion"),
    ("FINDINGS: Nodular density.", "other_mass"),
]


@pytest.mark.parametrize(("text", "finding_type"), TYPES)
def test_type_from_own_clause(run, text, finding_type) -> None:  # type: ignore[no-untyped-def]
    findings = [f for f in run(text).findings if f.section == "findings"]
    assert [f.type.value for f in findings] == [finding_type]


# Kind 5: findings and impression agree.
AGREE = [
    (
        "FINDINGS: 1.2 cm left renal cyst.\n\nIMPRESSION: Simple left renal cyst.",
        "benign",
    ),
    (
        "FINDINGS: Again demonstrated is a 2 cm right renal lesion.\n\n"
        "IMPRESSION: 2 cm right renal lesion, as described above.",
        "known_prior",
    ),
    # a lesion on the other side is a different lesion
    (
        "FINDINGS: 1.2 cm right renal cyst.\n\nIMPRESSION: Simple left renal cyst.",
        None,
    ),
]


@pytest.mark.parametrize(("text", "reason"), AGREE)
def test_findings_and_impression_agree(run, text, reason) -> None:  # type: ignore[no-untyped-def]
    result = run(text, indication="Trauma")
    finding = next(f for f in result.findings if f.section == "findings")
    impression = next(f for f in result.findings if f.section == "impression")
    got = finding.incidental_reason.value if finding.incidental_reason else None
    assert got == reason
    if reason is not None:
        assert impression.incidental is False


# Attributes for the guideline engine.
ATTRIBUTES = [
    (
        "FINDINGS: Multiple ground-glass nodules in the right upper lobe, largest 8 mm.",
        "nodules",
        {"composition": "ground-glass", "multiplicity": "multiple", "largest_size_mm": 8.0},
    ),
    (
        "FINDINGS: 9 x 7 mm part-solid nodule in the left lower lobe.",
        "nodule",
        {"composition": "part-solid", "multiplicity": "single", "largest_size_mm": 9.0},
    ),
    (
        "FINDINGS: A 1.5 cm left adrenal nodule measures -10 HU.",
        "adrenal nodule",
        {"density_hu": -10.0, "composition": None, "multiplicity": "single"},
    ),
    (
        "FINDINGS: Two hepatic cysts measuring 15 Hounsfield units.",
        "hepatic cysts",
        {"density_hu": 15.0, "composition": "cystic", "multiplicity": "multiple"},
    ),
    ("FINDINGS: Calcified granuloma in the left lung.", "granuloma", {"composition": "calcified"}),
    ("FINDINGS: Solid nodule in the right lower lobe.", "nodule", {"composition": "solid"}),
    ("FINDINGS: No pulmonary nodules.", "nodules", {"multiplicity": None, "density_hu": None}),
    ("FINDINGS: Mediastinal lymphadenopathy.", "lymphadenopathy", {"multiplicity": None}),
]


@pytest.mark.parametrize(("text", "words", "expected"), ATTRIBUTES)
def test_attributes(run, text, words, expected) -> None:  # type: ignore[no-untyped-def]
    finding = _finding(run(text), words)
    got = {k: getattr(finding, k) for k in expected}
    got = {k: (v.value if hasattr(v, "value") else v) for k, v in got.items()}
    assert got == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("FINDINGS: No calvarial metastases.", [("bone_lesion", "absent")]),
        # METs: metabolic equivalents of a stress test, not metastases
        ("EXERCISE: 4. METs: 10.1. The patient exercised to 12.8 METS.", []),
    ],
)
def test_metastasis_heads(run, text, expected) -> None:  # type: ignore[no-untyped-def]
    found = [(f.type.value, f.assertion.value) for f in run(text).findings]
    assert found == expected


# A reviewer's cases (2026-12-01): rules that must not reach too far.
REVIEW = [
    # a recommendation is not history
    (
        "EXAM: CT abdomen\nFINDINGS: 2.1 cm enhancing lesion in the right kidney.\n"
        "IMPRESSION: 2.1 cm right renal lesion. Recommend follow-up of the renal lesion with MRI.",
        "Pain",
        "2.1 cm enhancing lesion",
        True,
    ),
    # findings and impression: a different lesion of the same type is not linked
    (
        "EXAM: CT chest\nFINDINGS: A 4 mm calcified granuloma in the left lower lobe. "
        "A 12 mm spiculated nodule in the left upper lobe.\nIMPRESSION: 1. 12 mm spiculated "
        "left upper lobe nodule, suspicious. 2. Calcified granuloma.",
        "Cough",
        "12 mm spiculated nodule",
        True,
    ),
    # benign words that are negated, or about something else, do not leak
    (
        "EXAM: CT abdomen\nFINDINGS: A 2 cm left adrenal nodule measuring 35 HU. "
        "It cannot be confirmed as benign on this noncontrast study.",
        "Pain",
        "adrenal nodule",
        True,
    ),
    (
        "EXAM: CT chest\nFINDINGS: An 8 mm solid nodule in the right lower lobe. "
        "Benign-appearing calcified mediastinal lymph nodes.",
        "Cough",
        "8 mm solid nodule",
        True,
    ),
    (
        "EXAM: CT abdomen\r\nFINDINGS: A 2 cm left adrenal nodule.\r\n\r\n"
        "This is consistent with benign degenerative change of the spine.",
        "Pain",
        "adrenal nodule",
        True,
    ),
    # a known-prior cue about something else, or a new finding
    (
        "EXAM: CT chest\nFINDINGS: There is a 6 mm solid nodule in the left lower lobe, "
        "not previously seen.",
        "Cough",
        "6 mm solid nodule",
        True,
    ),
    (
        "EXAM: CT chest\nFINDINGS: Stable postoperative changes of the sternum and a 9 mm "
        "solid nodule in the right lower lobe.",
        "Cough",
        "9 mm solid nodule",
        True,
    ),
    # history: not the patient's, or another lesion
    (
        "INDICATION: Trauma.\nFINDINGS: History of left lower lobe granuloma. "
        "A new 11 mm spiculated nodule in the right upper lobe.",
        None,
        "11 mm spiculated nodule",
        True,
    ),
    (
        "INDICATION: Cough. No history of cancer.\nFINDINGS: 9 mm nodule in the right upper lobe.",
        None,
        "9 mm nodule",
        True,
    ),
    # pseudo-lesion words elsewhere in the sentence; family history before the patient's
    (
        "EXAM: CT chest\nFINDINGS: A 9 mm spiculated nodule in the right upper lobe with an "
        "old healed right rib fracture.",
        "Cough",
        "9 mm spiculated nodule",
        True,
    ),
    (
        "EXAM: CT chest\nFINDINGS: Given the family history of lung cancer, the new 14 mm "
        "spiculated nodule in the right upper lobe is concerning.",
        "Cough",
        "14 mm spiculated nodule",
        True,
    ),
    # "This is separate from ..." names another lesion, kept
    (
        "EXAM: CT abdomen\nFINDINGS: Left adrenal nodule measuring 1.2 cm. This is separate "
        "from a 4 cm enhancing left renal mass.",
        "Pain",
        "renal mass",
        True,
    ),
    # procedure words in the history or about another lesion
    (
        "CLINICAL HISTORY: 60F, remote breast biopsy, now cough.\n"
        "FINDINGS: A 9 mm solid nodule in the right upper lobe.",
        None,
        "9 mm solid nodule",
        True,
    ),
    (
        "EXAM: CT abdomen, status post radiofrequency ablation\nFINDINGS: Ablation zone in "
        "segment 7. A new 2 cm enhancing lesion in the left kidney, not in the ablation zone.",
        None,
        "2 cm enhancing lesion",
        True,
    ),
    # findings in an untitled first paragraph are not history
    (
        "The lungs show a 1.5 cm nodule in the left upper lobe. Heart size normal. Patient "
        "with prior CABG.\n\nIMPRESSION: Nodule. Recommend CT.",
        None,
        "1.5 cm nodule",
        True,
    ),
]


@pytest.mark.parametrize(("text", "indication", "words", "incidental"), REVIEW)
def test_rules_do_not_reach_too_far(run, text, indication, words, incidental) -> None:  # type: ignore[no-untyped-def]
    assert _finding(run(text, indication=indication), words).incidental is incidental


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "FINDINGS: Right adrenal nodule measuring 1.5 cm and 45 HU; a renal cyst measuring"
            " 2 cm (5 HU).",
            [45.0, 5.0],
        ),
        ("FINDINGS: Left adrenal nodule of 99999999 HU.", [None]),
        ("FINDINGS: A 2 mm nodule. A 3 cm renal cyst. A solitary hepatic metastasis.", [None] * 3),
    ],
)
def test_density_goes_to_the_finding_it_follows(run, text, expected) -> None:  # type: ignore[no-untyped-def]
    findings = run(text).findings
    assert [f.density_hu for f in findings] == expected
    assert all(f.multiplicity is None or f.multiplicity.value == "single" for f in findings)


@pytest.mark.parametrize(
    ("text", "types"),
    [
        (
            "EXAM: Chest radiograph.\nFINDINGS: Opacity in the right base, suspicious for tumor.",
            ["lung_mass"],
        ),
        (
            "EXAM: Chest radiograph.\nFINDINGS: Right basal opacity, concerning for pneumonia.",
            [],
        ),
        ("EXAM: Chest radiograph.\nFINDINGS: No opacity suspicious for malignancy.", ["lung_mass"]),
    ],
)
def test_opacity_suspicious_for_malignancy(run, text, types) -> None:  # type: ignore[no-untyped-def]
    findings = run(text).findings
    assert [f.type.value for f in findings] == types
    assert all(f.assertion.value in {"possible", "absent"} for f in findings)
