from __future__ import annotations

import pytest

CASES = [
    ("FINDINGS: 6 mm nodule in the right upper lobe.", "Motor vehicle collision", True),
    ("FINDINGS: 6 mm nodule in the right upper lobe.", "Follow-up of pulmonary nodule", False),
    ("FINDINGS: 3 cm left lung mass.", "Lung cancer staging", False),
    ("FINDINGS: Left adrenal nodule.", "Flank pain, kidney stones", True),
    ("FINDINGS: Left adrenal nodule.", "Adrenal mass on prior CT", False),
    ("INDICATION: Known thyroid nodule.\nFINDINGS: 2 cm thyroid nodule.", None, False),
    ("INDICATION: Trauma.\nFINDINGS: 2 cm thyroid nodule.", None, True),
    ("FINDINGS: Simple renal cyst.", "Abdominal pain", False),
    ("FINDINGS: No pulmonary nodule.", "Cough", False),
]


@pytest.mark.parametrize(("text", "indication", "incidental"), CASES)
def test_incidental(run, text: str, indication: str | None, incidental: bool) -> None:  # type: ignore[no-untyped-def]
    findings = [f for f in run(text, indication=indication).findings if f.section != "indication"]
    assert findings, text
    assert findings[0].incidental is incidental


def test_breast_lesion_on_mammogram_is_not_incidental(run) -> None:  # type: ignore[no-untyped-def]
    finding = run("Breast mass at 2 o'clock.", procedure="MAMMOGRAM SCREENING").findings[0]
    assert finding.type.value == "breast_lesion"
    assert finding.incidental is False
