from __future__ import annotations

from datetime import UTC, datetime

import pytest

from radfollow.tracker.policy import Policy

POLICY = Policy()
T0 = datetime(2025, 1, 31, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("interval", "modality", "start", "end", "source"),
    [
        ((6.0, 12.0), "CT", "2025-07-31", "2026-01-31", "report"),
        ((1.5, 1.5), "XR", "2025-03-15", "2025-03-15", "report"),
        (None, "MR", "2025-01-31", "2025-04-30", "default"),
        (None, "BIOPSY", "2025-01-31", "2025-02-28", "default"),
        (None, None, "2025-01-31", "2025-04-30", "default"),
    ],
)
def test_window(interval, modality, start: str, end: str, source: str) -> None:  # type: ignore[no-untyped-def]
    window = POLICY.window(T0, interval, modality)
    assert (window.start.date().isoformat(), window.end.date().isoformat(), window.source) == (
        start,
        end,
        source,
    )


@pytest.mark.parametrize(
    ("procedure", "region"),
    [
        ("CT CHEST WITHOUT CONTRAST", "chest"),
        ("CT ABDOMEN AND PELVIS WITH CONTRAST", "abdomen and pelvis"),
        ("MR ABDOMEN", "abdomen"),
        ("PET CT SKULL BASE TO MID THIGH", "whole body"),
        ("US THYROID", "thyroid"),
        ("XR LEFT KNEE 3 VIEWS", "extremity"),
        ("NUCLEAR STRESS TEST", None),
        (None, None),
    ],
)
def test_study_region(procedure: str | None, region: str | None) -> None:
    assert POLICY.study_region(procedure) == region


@pytest.mark.parametrize(
    ("study", "recommended", "covers"),
    [
        ("abdomen", "adrenal", True),
        ("abdomen", "chest", False),
        ("chest", "chest", True),
        ("abdomen and pelvis", "pancreas", True),
        (None, "chest", False),
        ("head", None, True),
    ],
)
def test_region_covers(study: str | None, recommended: str | None, covers: bool) -> None:
    assert POLICY.region_covers(study, recommended) is covers


@pytest.mark.parametrize(
    ("recommended", "study", "fulfils"),
    [
        ("CT", "CT", True),
        ("CT", "PET", True),
        ("PET", "CT", False),
        ("XR", "CT", True),
        ("MR", "CT", False),
        ("BIOPSY", "CT", False),
        ("US", None, False),
    ],
)
def test_modality_fulfils(recommended: str, study: str | None, fulfils: bool) -> None:
    assert POLICY.modality_fulfils(recommended, study) is fulfils
