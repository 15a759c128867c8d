"""The tracker's policy: windows, regions, fulfilment; a site's rules folder replaces it."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from radfollow.errors import RuleFileError
from radfollow.rules.loader import packaged_rule_file
from radfollow.rules.schema import ProcedureRules, RuleFile, TrackerPolicy
from radfollow.tracker.db import Tracker
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
        ("PET CT SKULL BASE TO MID THIGH", "skull base to thigh"),
        ("US THYROID", "thyroid"),
        ("XR LEFT KNEE 3 VIEWS", "extremity"),
        ("NUCLEAR STRESS TEST", None),
        # issue 12, kind 6: exam words name the region
        ("CXR PORTABLE", "chest"),
        ("XR KUB", "abdomen"),
        ("MAMMOGRAM DIAGNOSTIC BILATERAL", "breast"),
        ("XR SPOT COMPRESSION VIEWS LEFT", "breast"),
        ("ECHOCARDIOGRAM COMPLETE", "heart"),
        ("XR PORTABLE 1 VIEW", None),
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


def _site_file(folder: Path, model: type[RuleFile], change: Callable[[dict], object]) -> None:
    data = json.loads(packaged_rule_file(model).read_text(encoding="utf-8"))
    change(data)
    (folder / model.file_name).write_text(json.dumps(data), encoding="utf-8")


@pytest.mark.parametrize(
    ("site_file", "grace_days"),
    [pytest.param(True, 7, id="site-tracker-json"), pytest.param(False, 30, id="packaged")],
)
def test_site_tracker_json_sets_the_tracker_policy(
    tmp_path: Path, site_file: bool, grace_days: int
) -> None:
    if site_file:
        _site_file(tmp_path, TrackerPolicy, lambda d: d.update(grace_days=7))
    tracker = Tracker(f"sqlite:///{tmp_path / 't.db'}", rules_dir=tmp_path)
    try:
        assert tracker.policy.grace == timedelta(days=grace_days)
    finally:
        tracker.close()


FOOT = {"region": "foot", "keywords": ["FOOT", "FEET"]}


@pytest.mark.parametrize(
    ("site_file", "procedure", "region"),
    [
        pytest.param(True, "XR LEFT FOOT 3 VIEWS", "foot", id="site-region"),
        pytest.param(False, "XR LEFT FOOT 3 VIEWS", "extremity", id="packaged-foot-is-extremity"),
        pytest.param(True, "CT CHEST WITHOUT CONTRAST", "chest", id="site-keeps-the-others"),
    ],
)
def test_site_procedures_json_regions_reach_the_policy(
    tmp_path: Path, site_file: bool, procedure: str, region: str | None
) -> None:
    if site_file:
        _site_file(tmp_path, ProcedureRules, lambda d: d["regions"].insert(0, FOOT))
    assert Policy(rules_dir=tmp_path).study_region(procedure) == region


def test_bad_site_tracker_json_is_a_rule_file_error(tmp_path: Path) -> None:
    _site_file(tmp_path, TrackerPolicy, lambda d: d.update(grace_days="a month"))
    with pytest.raises(RuleFileError, match="grace_days") as info:
        Tracker(f"sqlite:///{tmp_path / 't.db'}", rules_dir=tmp_path)
    assert info.value.where == str(tmp_path / "tracker.json")
    assert not (tmp_path / "t.db").exists()  # rules are checked before the database is opened
