"""Report mismatch checks (issue 16): laterality, sex and age, with rules as data."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from radfollow.errors import RuleFileError
from radfollow.guidance.checks import report_checks
from radfollow.guidance.context import ReportContext
from radfollow.models import Assertion, CheckKind, Finding, FindingType, Laterality, ReportCheck
from radfollow.rules.loader import load_rule_file, load_rules, packaged_rule_file
from radfollow.rules.schema.checks import CheckRules


def _checks(context: ReportContext, findings: list[Finding] | None = None) -> list[ReportCheck]:
    checks = report_checks(context, findings or [])
    for check in checks:
        assert check.evidence == context.text[check.start : check.end]
        assert check.evidence
    return checks


def _kinds(checks: list[ReportCheck], kind: CheckKind) -> list[ReportCheck]:
    return [check for check in checks if check.kind is kind]


# --- laterality: order against report ----------------------------------------------


@pytest.mark.parametrize(
    ("procedure", "text", "evidence"),
    [
        pytest.param(
            "MRI KNEE LEFT",
            "FINDINGS: Joint effusion of the right knee. Intact menisci.",
            "right knee",
            id="left-order-right-report",
        ),
        pytest.param(
            "XR KNEE LT 3 VIEWS",
            "EXAM: XR KNEE LEFT 3 VIEWS\nFINDINGS: Right medial knee soft tissue swelling.",
            "Right medial knee",
            id="exam-line-not-read",
        ),
        pytest.param(
            "US VENOUS DUPLEX RT LE",
            "INDICATION: right leg swelling.\nFINDINGS: The left lower extremity veins are patent.",
            "left lower extremity",
            id="right-order-left-report-indication-not-read",
        ),
        pytest.param(
            "MAMMO DIAG L",
            "Spot compression views of the right breast. Benign.",
            "right breast",
            id="one-letter-order-code",
        ),
        pytest.param("MRI KNEE LEFT", "Right knee: normal.", "Right knee", id="header-form"),
        pytest.param("MRI KNEE LEFT", "No left knee effusion.", None, id="same-side"),
        pytest.param(
            "MRI KNEE LEFT",
            "Right knee effusion, compared with the left.",
            None,
            id="both-sides-comparison",
        ),
        pytest.param("XR KNEES BILATERAL", "Right knee effusion.", None, id="bilateral-order"),
        pytest.param("XR KNEE LT AND RT", "Right knee effusion.", None, id="both-sides-order"),
        pytest.param("XR KNEE 3 VIEWS", "Right knee effusion.", None, id="order-without-side"),
        pytest.param("MRI KNEE LEFT", "Right hip arthroplasty is seen.", None, id="other-part"),
        pytest.param("XR L SPINE 2 VIEWS", "Right hip arthroplasty.", None, id="l-spine-no-side"),
        pytest.param(
            "US RENAL R/O STONE",
            "The left kidney is normal.",
            None,
            id="rule-out-is-no-side",
        ),
        pytest.param(
            "XR KNEE LEFT",
            "COMPARISON: right knee radiograph 2020.\nFINDINGS: Mild degenerative change.",
            None,
            id="comparison-line-not-read",
        ),
        pytest.param(
            "MRI KNEE LEFT",
            "Right. Knee effusion.",
            None,
            id="punctuation-between",
        ),
    ],
)
def test_order_side(procedure: str, text: str, evidence: str | None) -> None:
    checks = _kinds(_checks(ReportContext(text=text, procedure=procedure)), CheckKind.LATERALITY)
    assert [c.evidence for c in checks] == ([evidence] if evidence else [])
    if evidence:
        assert {checks[0].expected, checks[0].found} == {"left", "right"}
        assert str(checks[0].found) in evidence.lower()


# --- laterality: impression against findings ---------------------------------------


def _finding(
    text: str,
    phrase: str,
    section: str,
    side: Laterality | None,
    kind: FindingType = FindingType.RENAL_LESION,
    assertion: Assertion = Assertion.PRESENT,
) -> Finding:
    start = text.index(phrase, text.index(section.upper()))
    return Finding(
        id=f"f{start}",
        type=kind,
        text=phrase,
        start=start,
        end=start + len(phrase),
        assertion=assertion,
        section=section,
        laterality=side,
    )


REPORT = "FINDINGS: Renal cyst on one side.\nIMPRESSION: Renal cyst, see above."
LEFT, RIGHT = Laterality.LEFT, Laterality.RIGHT


@pytest.mark.parametrize(
    ("body", "impression", "flagged"),
    [
        pytest.param([RIGHT], LEFT, True, id="impression-left-findings-right"),
        pytest.param([LEFT, LEFT], RIGHT, True, id="every-finding-other-side"),
        pytest.param([LEFT], LEFT, False, id="same-side"),
        pytest.param([RIGHT, LEFT], LEFT, False, id="findings-both-sides"),
        pytest.param([None], LEFT, False, id="findings-no-side"),
        pytest.param([], LEFT, False, id="no-findings-finding"),
        pytest.param([RIGHT], None, False, id="impression-no-side"),
        pytest.param([RIGHT], Laterality.BILATERAL, False, id="impression-bilateral"),
    ],
)
def test_section_side(
    body: list[Laterality | None], impression: Laterality | None, flagged: bool
) -> None:
    findings = [_finding(REPORT, "Renal cyst", "findings", side) for side in body]
    findings.append(_finding(REPORT, "Renal cyst", "impression", impression))
    checks = _kinds(_checks(ReportContext(text=REPORT), findings), CheckKind.LATERALITY)
    assert len(checks) == flagged
    if flagged:
        assert checks[0].start > REPORT.index("IMPRESSION")
        assert (checks[0].found, checks[0].expected) == (impression, body[0])


@pytest.mark.parametrize(
    ("kind", "assertion"),
    [
        pytest.param(FindingType.ADRENAL_NODULE, Assertion.PRESENT, id="other-type"),
        pytest.param(FindingType.RENAL_LESION, Assertion.ABSENT, id="absent-in-impression"),
    ],
)
def test_section_side_needs_same_type_and_a_present_finding(
    kind: FindingType, assertion: Assertion
) -> None:
    findings = [
        _finding(REPORT, "Renal cyst", "findings", RIGHT),
        _finding(REPORT, "Renal cyst", "impression", LEFT, kind, assertion),
    ]
    assert _checks(ReportContext(text=REPORT), findings) == []


# --- sex ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sex", "text", "evidence"),
    [
        pytest.param("F", "The prostate is enlarged.", "prostate", id="F-prostate"),
        pytest.param("F", "No prostate is seen.", "prostate", id="F-no-prostate"),
        pytest.param("F", "Normal seminal vesicles.", "seminal vesicles", id="F-seminal-vesicles"),
        pytest.param("F", "Left testicle: small hydrocele.", "testicle", id="F-testicle"),
        pytest.param("F", "58-year-old man with cough.", "man", id="F-called-man"),
        pytest.param("F", "History: he reports pain.", "he", id="F-he"),
        pytest.param("M", "The uterus is anteverted.", "uterus", id="M-uterus"),
        pytest.param("M", "Both ovaries are normal.", "ovaries", id="M-ovaries"),
        pytest.param("M", "Cervix uteri is unremarkable.", "Cervix", id="M-cervix"),
        pytest.param("M", "A 58-year-old woman.", "woman", id="M-called-woman"),
        pytest.param("m", "She is short of breath.", "She", id="lower-case-code"),
        pytest.param("F", "Father had prostate cancer.", None, id="F-father-prostate"),
        pytest.param(
            "F", "Family history of prostate cancer screening.", None, id="F-family-history"
        ),
        pytest.param("M", "Cervical spine: no fracture.", None, id="M-cervical-spine"),
        pytest.param("M", "Mother died of uterine cancer.", None, id="M-mother-uterus"),
        pytest.param("F", "The uterus is normal.", None, id="F-uterus"),
        pytest.param("M", "The prostate is normal.", None, id="M-prostate"),
        pytest.param("F", "A 58-year-old female.", None, id="F-female"),
        pytest.param(
            "F",
            "Findings discussed with Dr. Smith, who said he would call.",
            None,
            id="F-clinician-he",
        ),
        pytest.param(
            "M",
            "Findings were discussed with Dr. Lee at 3 pm. She acknowledged receipt.",
            None,
            id="M-clinician-she-next-sentence",
        ),
        pytest.param(
            "M",
            "Discussed with Dr. Lee. Small effusion. She has pain.",
            "She",
            id="M-she-two-sentences-after-clinician",
        ),
        pytest.param(
            "M",
            "Results called to the referring physician. A 40-year-old woman.",
            "woman",
            id="M-woman-next-sentence",
        ),
        pytest.param("F", "Bundle of His is normal.", None, id="F-bundle-of-his"),
        pytest.param("O", "The prostate is enlarged.", None, id="other-sex"),
        pytest.param("U", "The uterus is anteverted.", None, id="unknown-sex"),
        pytest.param(None, "The uterus is anteverted.", None, id="no-sex"),
    ],
)
def test_sex(sex: str | None, text: str, evidence: str | None) -> None:
    checks = _kinds(_checks(ReportContext(text=text, sex=sex)), CheckKind.SEX)
    assert [c.evidence for c in checks] == ([evidence] if evidence else [])
    if evidence:
        assert checks[0].expected == (sex or "").upper()
        assert checks[0].found == {"F": "M", "M": "F"}[checks[0].expected]


def test_sex_evidence_is_the_first_mention() -> None:
    text = "Penis normal. The prostate is enlarged."
    [check] = _checks(ReportContext(text=text, sex="F"))
    assert (check.evidence, check.start) == ("Penis", 0)


# --- age ------------------------------------------------------------------------------

BORN = date(1966, 6, 15)


@pytest.mark.parametrize(
    ("text", "exam", "evidence"),
    [
        pytest.param("58-year-old with cough.", date(2024, 7, 1), None, id="58-vs-58"),
        pytest.param("58 year old with cough.", date(2025, 7, 1), None, id="58-vs-59"),
        pytest.param("58-year-old with cough.", date(2024, 6, 1), None, id="58-vs-57"),
        pytest.param("45-year-old with cough.", date(2024, 7, 1), "45-year-old", id="45-vs-58"),
        pytest.param("Patient is 45 yo.", date(2024, 7, 1), "45 yo", id="yo"),
        pytest.param("45 y/o F with pain.", date(2024, 7, 1), "45 y/o", id="y-slash-o"),
        pytest.param("45y.o. F with pain.", date(2024, 7, 1), "45y.o.", id="y-dot-o"),
        pytest.param("Age 45. Cough.", date(2024, 7, 1), "Age 45", id="age-N"),
        pytest.param("Aged: 45, cough.", date(2024, 7, 1), "Aged: 45", id="aged-N"),
        pytest.param("A 45-yr-old man.", date(2024, 7, 1), "45-yr-old", id="yr-old"),
        pytest.param("A 60 years old man.", date(2024, 7, 1), "60 years old", id="years-old"),
        pytest.param("10-year history of smoking.", date(2024, 7, 1), None, id="duration"),
        pytest.param("5-year-old fracture of the tibia.", date(2024, 7, 1), None, id="old-thing"),
        pytest.param("Diagnosed at age 40 with asthma.", date(2024, 7, 1), None, id="at-age"),
        pytest.param("Bone age 10 years.", date(2024, 7, 1), None, id="bone-age"),
        pytest.param("Gestational age 20 weeks.", date(2024, 7, 1), None, id="gestational"),
        pytest.param("Her 80-year-old mother has COPD.", date(2024, 7, 1), None, id="family"),
        pytest.param("Age 58. Prior CT at 45 years old.", date(2024, 7, 1), None, id="past-age-at"),
        pytest.param("58-year-old. Followed since 45 yo.", date(2024, 7, 1), None, id="since-age"),
        pytest.param("45-year-old with cough.", None, None, id="no-exam-date"),
    ],
)
def test_age(text: str, exam: date | None, evidence: str | None) -> None:
    context = ReportContext(text=text, birth_date=BORN, exam_date=exam)
    checks = _kinds(_checks(context), CheckKind.AGE)
    assert [c.evidence for c in checks] == ([evidence] if evidence else [])
    if evidence:
        assert checks[0].expected == "58"
        assert checks[0].found is not None and checks[0].found in evidence


@pytest.mark.parametrize(
    ("age", "tolerance", "flagged"),
    [
        pytest.param(60.0, 1, True, id="two-years-off"),
        pytest.param(60.0, 2, False, id="site-tolerance-two"),
        pytest.param(59.0, 0, True, id="tolerance-zero"),
    ],
)
def test_age_tolerance_is_data(age: float, tolerance: float, flagged: bool) -> None:
    rules = load_rule_file(CheckRules)
    rules = rules.model_copy(
        update={"age": rules.age.model_copy(update={"tolerance_years": tolerance})}
    )
    context = ReportContext(text="58-year-old man.", age_years=age, sex="M")
    assert len(report_checks(context, [], rules=rules)) == flagged


# --- every check at once; messages ----------------------------------------------------


def test_all_checks_in_order_and_messages_quote_no_identifier() -> None:
    text = "FINDINGS: 45-year-old woman. The right knee and the prostate."
    context = ReportContext(
        text=text, procedure="MRI KNEE LEFT", sex="F", age_years=70, radiologist="Jane Roe"
    )
    checks = _checks(context)
    assert [c.kind for c in checks] == [CheckKind.LATERALITY, CheckKind.SEX, CheckKind.AGE]
    assert [c.evidence for c in checks] == ["right knee", "prostate", "45-year-old"]
    for check in checks:
        assert "Roe" not in check.message
        assert "MRI" not in check.message


# --- the rule file -----------------------------------------------------------------------


def test_packaged_rules_validate() -> None:
    rules = load_rules(CheckRules)
    assert isinstance(rules, CheckRules)
    assert load_rule_file(CheckRules) is rules
    assert packaged_rule_file(CheckRules).name == "checks.json"


def _site_file(folder: Path, change: dict[str, object]) -> Path:
    data = json.loads(packaged_rule_file(CheckRules).read_text(encoding="utf-8"))
    for dotted, value in change.items():
        *parents, last = dotted.split(".")
        target = data
        for key in parents:
            target = target[key]
        target[last] = value
    path = folder / CheckRules.file_name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param({"colour": "red"}, "colour: Extra inputs", id="unknown-top-key"),
        pytest.param({"sex.colour": "red"}, "sex.colour: Extra inputs", id="unknown-nested-key"),
        pytest.param({"age.patterns.terms": [r"\d+ yo"]}, "group named 'age'", id="no-age-group"),
        pytest.param({"family.terms": ["(father"]}, "regular expression", id="bad-regex"),
        pytest.param({"family.source": None}, "family.source", id="list-without-source"),
        pytest.param({"age.tolerance_years": -1}, "tolerance_years", id="negative-tolerance"),
    ],
)
def test_bad_site_file_is_refused(tmp_path: Path, change: dict[str, object], message: str) -> None:
    path = _site_file(tmp_path, change)
    with pytest.raises(RuleFileError, match=message) as info:
        load_rules(CheckRules, tmp_path)
    assert info.value.where == str(path)


def test_site_file_replaces_the_wording(tmp_path: Path) -> None:
    _site_file(tmp_path, {"sex.male_anatomy.terms": ["prostate gland"]})
    rules = load_rules(CheckRules, tmp_path)
    context = ReportContext(text="The prostate is small.", sex="F")
    assert report_checks(context, [], rules=rules) == []
    assert len(report_checks(context, [])) == 1
