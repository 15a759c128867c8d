"""Finding types: a positive and a negative case per type (ANNOTATION.md section 2)."""

from __future__ import annotations

import pytest

POSITIVE = [
    ("pulmonary_nodule", "There is a 6 mm nodule in the right upper lobe.", None),
    ("pulmonary_nodule", "Ground-glass pulmonary nodule.", None),
    ("pulmonary_nodule", "Nodular opacity at the left lung base.", None),
    ("pulmonary_nodule", "Small nodule.", "CT CHEST"),
    ("lung_mass", "Spiculated mass in the left upper lobe.", None),
    ("lung_mass", "Right hilar mass.", None),
    ("lung_mass", "Masslike opacity in the right lung base.", None),
    ("thyroid_nodule", "Incidental 1.5 cm thyroid nodule.", None),
    ("thyroid_nodule", "Multinodular goiter.", None),
    ("adrenal_nodule", "Left adrenal nodule measuring 1.2 cm.", None),
    ("adrenal_nodule", "Right adrenal adenoma.", None),
    ("renal_lesion", "Indeterminate lesion in the lower pole of the left kidney.", None),
    ("renal_lesion", "Complex renal cyst.", None),
    ("hepatic_lesion", "Hypodensity in the liver too small to characterize.", None),
    ("hepatic_lesion", "Hepatic lesion in segment 7.", None),
    ("pancreatic_lesion", "Pancreatic cyst in the tail.", None),
    ("pancreatic_lesion", "Findings may represent an IPMN.", None),
    ("adnexal_lesion", "Left ovarian cyst.", None),
    ("adnexal_lesion", "Right adnexal mass.", None),
    ("aortic_aneurysm", "Infrarenal abdominal aortic aneurysm measuring 3.2 cm.", None),
    ("aortic_aneurysm", "Ectatic ascending aorta measuring 4.2 cm.", None),
    ("lymphadenopathy", "Mediastinal lymphadenopathy.", None),
    ("lymphadenopathy", "Enlarged right axillary lymph nodes.", None),
    ("lymphadenopathy", "A subcarinal lymph node measures 1.6 cm.", None),
    ("breast_lesion", "Incidental left breast mass.", None),
    ("bone_lesion", "Lytic lesion in the T8 vertebral body.", None),
    ("bone_lesion", "Sclerotic focus in the left iliac bone.", None),
    ("other_mass", "Mediastinal mass.", None),
    ("other_mass", "Subcutaneous nodule in the back.", None),
]

NEGATIVE = [
    ("pulmonary_nodule", "Reticulonodular interstitial markings."),
    ("lung_mass", "Massive pleural effusion."),
    ("thyroid_nodule", "The thyroid gland is normal."),
    ("adrenal_nodule", "The adrenal glands are unremarkable."),
    ("renal_lesion", "The kidneys are normal in size."),
    ("hepatic_lesion", "The liver is normal in size."),
    ("pancreatic_lesion", "The pancreas is atrophic."),
    ("adnexal_lesion", "The ovaries are normal."),
    ("aortic_aneurysm", "Left internal carotid artery aneurysm."),
    ("lymphadenopathy", "Normal-sized lymph node in the axilla."),
    ("breast_lesion", "Breast implants are present."),
    ("bone_lesion", "Degenerative changes of the spine."),
    ("other_mass", "Cardiomegaly is present."),
]


@pytest.mark.parametrize(("finding_type", "text", "procedure"), POSITIVE)
def test_type_found(run, finding_type: str, text: str, procedure: str | None) -> None:  # type: ignore[no-untyped-def]
    result = run(text, procedure=procedure)
    assert finding_type in {f.type.value for f in result.findings}, result.findings


@pytest.mark.parametrize(("finding_type", "text"), NEGATIVE)
def test_type_not_found(run, finding_type: str, text: str) -> None:  # type: ignore[no-untyped-def]
    assert finding_type not in {f.type.value for f in run(text).findings}


def test_characterization_is_not_a_second_finding(run) -> None:  # type: ignore[no-untyped-def]
    result = run("Left adrenal nodule measuring 1.2 cm may represent an adenoma.")
    assert [f.type.value for f in result.findings] == ["adrenal_nodule"]


def test_every_type_has_a_positive_and_a_negative_case() -> None:
    from radfollow.models import FindingType

    assert {t for t, _, _ in POSITIVE} == set(FindingType)
    assert {t for t, _ in NEGATIVE} == set(FindingType)
