"""rules/procedures.json and the region hierarchy of rules/tracker.json (issue 14):
what a procedure is, a positive and a near-miss per rule."""

from __future__ import annotations

import pytest

from radfollow.tracker.policy import Policy

POLICY = Policy()


@pytest.mark.parametrize(
    ("text", "code", "regions", "kind", "side"),
    [
        # abbreviations and punctuation
        ("CT ABD/PELVIS W/WO", None, ("abdomen and pelvis",), "diagnostic", None),
        ("CT ABDOMEN W CONTRAST", None, ("abdomen",), "diagnostic", None),
        ("CT CHEST ABD PELVIS W", None, ("chest, abdomen and pelvis",), "diagnostic", None),
        ("US RETROPERITONEAL", None, ("retroperitoneum",), "diagnostic", None),
        ("US SOFT TISSUES HEAD AND NECK", None, ("head", "neck"), "diagnostic", None),
        ("PET/CT SKULL BASE TO MID THIGH", None, ("skull base to thigh",), "diagnostic", None),
        ("PET/CT WHOLE BODY", None, ("whole body",), "diagnostic", None),
        ("CT THORACIC SPINE", None, ("spine",), "diagnostic", None),  # not the chest
        ("US RIGHT UPPER QUADRANT", None, ("right upper quadrant",), "diagnostic", None),  # no side
        ("US ABD LTD", None, ("limited abdomen",), "diagnostic", None),
        ("US CERVICAL LENGTH", None, ("pregnancy",), "diagnostic", None),  # not the neck
        ("CT SINUS WO", None, ("face",), "diagnostic", None),  # not the head
        ("MR ORBITS W/WO", None, ("face",), "diagnostic", None),
        ("CT THORACIC W/O", None, (), "diagnostic", None),  # chest or spine: not understood
        ("US FNA NECK LYMPH NODE", None, ("lymph node", "neck"), "biopsy", None),
        ("MISC OUTSIDE FILM READ", None, (), "diagnostic", None),  # not understood
        # kinds
        ("IR BX LIVER", None, ("liver",), "biopsy", None),
        ("FNA THYROID", None, ("thyroid",), "biopsy", None),
        ("US GUIDED PARACENTESIS", None, (), "interventional", None),
        ("BILAT SCREENING MAMMO", None, ("breast",), "screening", "bilateral"),
        ("MG DIAG MAMMO LT", None, ("breast",), "diagnostic", "left"),
        ("CTA HEAD AND NECK", None, ("head", "neck"), "angiography", None),
        ("MRA BRAIN", None, ("head",), "angiography", None),
        # laterality
        ("US BREAST RT LIMITED", None, ("breast",), "diagnostic", "right"),
        ("XR KNEE LEFT AND RIGHT", None, ("extremity",), "diagnostic", "bilateral"),
        ("MR L SPINE WO", None, ("spine",), "diagnostic", None),  # L is lumbar, not left
        ("MAMMO DIAG R", None, ("breast",), "diagnostic", "right"),
        ("US KIDNEY L", None, ("kidney",), "diagnostic", "left"),
        # second review (issue 14): RIS wordings
        ("CT ABDOMEN PELVIS R/O ABSCESS", None, ("abdomen and pelvis",), "diagnostic", None),
        ("XR L/S SPINE", None, ("spine",), "diagnostic", None),
        ("US ABDOMEN RUQ", None, ("right upper quadrant",), "diagnostic", None),
        ("US ABDOMEN GALLBLADDER", None, ("gallbladder",), "diagnostic", None),
        ("CT LUNG NODULE FOLLOW UP", None, ("chest",), "diagnostic", None),
        ("CTA THORACIC AORTA", None, ("chest",), "angiography", None),
        ("PET/CT SKULL BASE TO MIDTHIGH", None, ("skull base to thigh",), "diagnostic", None),
        ("CT ABDO PELVIS", None, ("abdomen and pelvis",), "diagnostic", None),
        ("US PELVIS NON-OB", None, ("pelvis",), "diagnostic", None),
        ("MG DIAG BILAT", None, ("breast",), "diagnostic", "bilateral"),
        ("US RETROPERITONEAL LIMITED", None, ("limited retroperitoneum",), "diagnostic", None),
        ("CT SIM RT PLANNING", None, (), "diagnostic", None),
        # codes win over the text
        ("OUTSIDE STUDY", "71250", ("chest",), "diagnostic", None),
        ("SCREENING", "77067", ("breast",), "screening", "bilateral"),
        ("CHEST", "99999", ("chest",), "diagnostic", None),  # unknown code: the text
    ],
)
def test_procedure(
    text: str, code: str | None, regions: tuple[str, ...], kind: str, side: str | None
) -> None:
    info = POLICY.procedure(text, code, "CT")
    assert (info.regions, info.kind, info.laterality) == (regions, kind, side)


@pytest.mark.parametrize(
    ("study", "wanted", "covers"),
    [
        ("abdomen and pelvis", "kidney", True),  # through abdomen
        ("retroperitoneum", "adrenal", True),
        ("retroperitoneum", "liver", False),
        ("chest, abdomen and pelvis", "prostate", True),
        ("whole body", "thyroid", True),  # through neck
        ("chest", "adrenal", False),
        ("neck", "thyroid", True),
        ("thyroid", "neck", False),  # narrower never covers wider
        ("breast", "axilla", True),
        ("head", "neck", False),
        ("skull base to thigh", "head", False),  # a PET/CT does not show the brain
        ("skull base to thigh", "adrenal", True),
        ("face", "head", False),
        (None, "chest", False),
        ("chest", None, True),
    ],
)
def test_region_hierarchy(study: str | None, wanted: str | None, covers: bool) -> None:
    assert POLICY.region_covers(study, wanted) is covers


@pytest.mark.parametrize(
    ("interval_min", "days"),
    [(None, 0), (0, 0), (0.25, 3), (1, 15), (6, 91), (12, 182), (0.01, 1)],
)
def test_minimum_delay(interval_min: float | None, days: int) -> None:
    assert POLICY.minimum_delay(interval_min).days == days
