"""Hand-built synthetic reports for the FHIR mapping tests (no corpora, no network)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest

from radfollow.models import (
    Coding,
    ExtractionResult,
    Finding,
    Patient,
    RadiologyReport,
    Recommendation,
)

EST = timezone(timedelta(hours=-5))
REPORT_TEXT = (
    "EXAM: CT chest without contrast.\n"
    "FINDINGS: 6 mm nodule in the right upper lobe.\n"
    "IMPRESSION: 6 mm RUL nodule. Follow-up CT chest in 6-12 months could be considered."
)
IMPRESSION = "6 mm RUL nodule. Follow-up CT chest in 6-12 months could be considered."


def make_report(**overrides: Any) -> RadiologyReport:
    fields: dict[str, Any] = {
        "control_id": "MSG0001",
        "sending_facility": "GENHOSP",
        "patient": Patient(
            id="MRN123",
            assigning_authority="2.16.840.1.113883.19.5",
            sex="F",
            birth_date=date(1958, 3, 14),
        ),
        "accession": "ACC1001",
        "procedure": Coding(code="71250", text="CT chest without contrast", system="CPT"),
        "modality": "CT",
        "observation_time": datetime(2024, 1, 31, 9, 30, tzinfo=EST),
        "text": REPORT_TEXT,
    }
    fields.update(overrides)
    return RadiologyReport(**fields)


def make_finding(**overrides: Any) -> Finding:
    fields: dict[str, Any] = {
        "id": "f1",
        "type": "pulmonary_nodule",
        "text": "6 mm nodule in the right upper lobe",
        "start": 44,
        "end": 79,
        "assertion": "present",
        "incidental": True,
        "size_mm": [6.0],
        "laterality": "right",
        "location": "right upper lobe",
        "sentence": "6 mm nodule in the right upper lobe.",
    }
    fields.update(overrides)
    return Finding(**fields)


def make_recommendation(**overrides: Any) -> Recommendation:
    fields: dict[str, Any] = {
        "id": "r1",
        "text": "Follow-up CT chest in 6-12 months could be considered.",
        "start": 110,
        "end": 165,
        "modality": "CT",
        "body_region": "chest",
        "interval_months": (6, 12),
        "conditional": True,
        "score": 0.93,
        "finding_id": "f1",
    }
    fields.update(overrides)
    return Recommendation(**fields)


def make_result(
    findings: list[Finding] | None = None,
    recommendations: list[Recommendation] | None = None,
    impression: str | None = IMPRESSION,
) -> ExtractionResult:
    return ExtractionResult(
        findings=[make_finding()] if findings is None else findings,
        recommendations=[make_recommendation()] if recommendations is None else recommendations,
        impression=impression,
    )


@pytest.fixture
def report_factory() -> Callable[..., RadiologyReport]:
    return make_report


@pytest.fixture
def finding_factory() -> Callable[..., Finding]:
    return make_finding


@pytest.fixture
def rec_factory() -> Callable[..., Recommendation]:
    return make_recommendation


@pytest.fixture
def result_factory() -> Callable[..., ExtractionResult]:
    return make_result


def resources_of(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def url_of(bundle: dict[str, Any], kind: str) -> str:
    (url,) = [e["fullUrl"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]
    return url


@pytest.fixture
def resources() -> Callable[[dict[str, Any], str], list[dict[str, Any]]]:
    return resources_of


@pytest.fixture
def full_url_of() -> Callable[[dict[str, Any], str], str]:
    return url_of
