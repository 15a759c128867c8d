"""The guideline worklist and the report checks stored by ingest (issue 16, migration
0011; docs/guidance.md), and the critical results (issue 17, migration 0012).

``guideline_worklist`` lists the lesions whose report disagrees with the guideline:
by default ``missing``, an incidental finding for which the guideline expects
follow-up and the report recommends none (the "missing recommendation" list).
``critical_worklist`` lists critical and significant unexpected results, by
default those whose report documents no communication ("uncommunicated
critical"), most urgent ACR category first, then newest.
Only each accession's newest stored version counts (a corrected report replaces
the earlier one), and cancelled reports none.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import ColumnElement, Select, and_, exists, select
from sqlalchemy.orm import Session, aliased

from radfollow.tracker.schema import CriticalFinding, Finding, Patient, ReportCheck, Study

#: The concordance values a worklist may select (models.Concordance).
CONCORDANCES = ("missing", "discordant", "unnecessary", "concordant")


class JudgementFilters(BaseModel):
    """Filters of the guideline worklist and the checks list; every field "and"."""

    concordance: list[str] = ["missing"]
    guideline: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    radiologist: str | None = None
    site: str | None = None


class GuidelineRow(BaseModel):
    """One lesion against its guideline (the finding's own sentence is not stored
    apart: ``finding`` is the finding's words). Times ISO 8601 UTC."""

    finding_id: int
    concordance: str
    patient_id: str
    accession: str
    procedure: str | None
    study_date: str
    finding_type: str
    finding: str
    size_mm: float | None
    guideline: str
    guideline_version: str | None
    band: str | None
    expected: str | None
    missing_inputs: str | None
    radiologist: str | None
    ordering_provider: str | None
    site: str | None


class CheckRow(BaseModel):
    """One stored report mismatch."""

    id: int
    kind: str
    message: str
    expected: str | None
    found: str | None
    evidence: str
    patient_id: str
    accession: str
    procedure: str | None
    study_date: str
    radiologist: str | None
    site: str | None


def _current(study: type[Study]) -> ColumnElement[bool]:
    """The study is its accession's newest stored version and not cancelled."""
    later = aliased(Study)
    newer = exists().where(
        later.patient_id == study.patient_id,
        later.accession == study.accession,
        later.id > study.id,
    )
    return and_(~newer, study.result_status != "X")


def _study_filters(query: Select[Any], filters: JudgementFilters) -> Select[Any]:
    if filters.since is not None:
        query = query.where(Study.observed_at >= filters.since)
    if filters.until is not None:
        query = query.where(Study.observed_at < filters.until)
    if filters.radiologist is not None:
        query = query.where(Study.interpreter == filters.radiologist)
    if filters.site is not None:
        query = query.where(Study.facility == filters.site)
    return query.where(_current(Study))


def guideline_worklist(
    session: Session, filters: JudgementFilters, *, limit: int | None = 500, offset: int = 0
) -> list[GuidelineRow]:
    """Lesions whose concordance is one of ``filters.concordance``, newest exam first.
    Raises ValueError for a concordance not in CONCORDANCES."""
    unknown = sorted(set(filters.concordance) - set(CONCORDANCES))
    if unknown:
        raise ValueError(f"unknown concordance {unknown[0]!r}; known: {', '.join(CONCORDANCES)}")
    query = (
        select(Finding, Study, Patient.identifier)
        .join(Study, Finding.study_id == Study.id)
        .join(Patient, Study.patient_id == Patient.id)
        .where(Finding.concordance.in_(filters.concordance))
    )
    if filters.guideline is not None:
        query = query.where(Finding.guideline == filters.guideline)
    query = _study_filters(query, filters).order_by(Study.observed_at.desc(), Finding.id)
    rows = session.execute(query.limit(limit).offset(offset))
    return [_guideline_row(finding, study, patient) for finding, study, patient in rows]


def _guideline_row(finding: Finding, study: Study, patient: str) -> GuidelineRow:
    return GuidelineRow(
        finding_id=finding.id,
        concordance=finding.concordance or "",
        patient_id=patient,
        accession=study.accession,
        procedure=study.procedure,
        study_date=study.observed_at.isoformat(),
        finding_type=finding.type,
        finding=finding.text,
        size_mm=finding.largest_size_mm,
        guideline=finding.guideline or "",
        guideline_version=finding.guideline_version,
        band=finding.guideline_band,
        expected=finding.expected_follow_up,
        missing_inputs=finding.missing_inputs,
        radiologist=study.interpreter,
        ordering_provider=study.ordering_provider,
        site=study.facility,
    )


def known_guidelines(session: Session) -> list[str]:
    """The guideline ids stored findings were judged by, sorted."""
    query = select(Finding.guideline).where(Finding.guideline.is_not(None)).distinct()
    return sorted(g for g in session.scalars(query) if g)


def report_checks(
    session: Session,
    filters: JudgementFilters,
    *,
    kind: str | None = None,
    limit: int | None = 500,
    offset: int = 0,
) -> list[CheckRow]:
    """Stored mismatches (``kind``: laterality, sex or age; None: all), newest first."""
    query = (
        select(ReportCheck, Study, Patient.identifier)
        .join(Study, ReportCheck.study_id == Study.id)
        .join(Patient, Study.patient_id == Patient.id)
    )
    if kind is not None:
        query = query.where(ReportCheck.kind == kind)
    query = _study_filters(query, filters).order_by(Study.observed_at.desc(), ReportCheck.id)
    rows = session.execute(query.limit(limit).offset(offset))
    return [
        CheckRow(
            id=check.id,
            kind=check.kind,
            message=check.message,
            expected=check.expected,
            found=check.found,
            evidence=check.evidence,
            patient_id=patient,
            accession=study.accession,
            procedure=study.procedure,
            study_date=study.observed_at.isoformat(),
            radiologist=study.interpreter,
            site=study.facility,
        )
        for check, study, patient in rows
    ]


class CriticalRow(BaseModel):
    """One stored critical result with its study."""

    id: int
    category: str
    label: str
    tier: str
    acr_category: int
    assertion: str
    communicated: bool
    finding: str
    patient_id: str
    accession: str
    procedure: str | None
    study_date: str
    radiologist: str | None
    ordering_provider: str | None
    site: str | None


def critical_worklist(
    session: Session,
    filters: JudgementFilters,
    *,
    uncommunicated_only: bool = True,
    limit: int | None = 500,
    offset: int = 0,
) -> list[CriticalRow]:
    """Stored critical results (by default only those without a documented
    communication), ACR category 1 first, then newest exam first."""
    query = (
        select(CriticalFinding, Study, Patient.identifier)
        .join(Study, CriticalFinding.study_id == Study.id)
        .join(Patient, Study.patient_id == Patient.id)
    )
    if uncommunicated_only:
        query = query.where(CriticalFinding.communicated.is_(False))
    query = _study_filters(query, filters).order_by(
        CriticalFinding.acr_category, Study.observed_at.desc(), CriticalFinding.id
    )
    rows = session.execute(query.limit(limit).offset(offset))
    return [
        CriticalRow(
            id=c.id,
            category=c.category,
            label=c.label,
            tier=c.tier,
            acr_category=c.acr_category,
            assertion=c.assertion,
            communicated=c.communicated,
            finding=c.text,
            patient_id=patient,
            accession=study.accession,
            procedure=study.procedure,
            study_date=study.observed_at.isoformat(),
            radiologist=study.interpreter,
            ordering_provider=study.ordering_provider,
            site=study.facility,
        )
        for c, study, patient in rows
    ]
