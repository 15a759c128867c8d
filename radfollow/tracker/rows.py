"""The column values of one report's rows, shared by the per-report ingest
(:mod:`radfollow.tracker.ingest`, which builds ORM objects from them) and the bulk
loader (:mod:`radfollow.tracker.bulk`, which inserts them as they are), so the two
paths cannot store a report differently.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table

from radfollow.models import Communication, CriticalResult, Guidance, RadiologyReport
from radfollow.models import Finding as FindingRecord
from radfollow.models import Recommendation as RecommendationRecord
from radfollow.models import ReportCheck as CheckRecord
from radfollow.tracker.keys import control_key, fit
from radfollow.tracker.policy import Policy
from radfollow.tracker.schema import PENDING, Base

Values = dict[str, Any]


def table(model: type[Base]) -> Table:
    """The Core table of an ORM class (for bulk statements)."""
    return cast(Table, model.__table__)


def study_values(
    patient_id: int, report: RadiologyReport, observed: datetime, policy: Policy
) -> Values:
    """The ``studies`` row of ``report`` (without its id)."""
    info = policy.procedure(report.procedure.text, report.procedure.code, report.modality)
    return {
        "patient_id": patient_id,
        "accession": report.accession,
        "control_id": control_key(report.control_id),
        "modality": info.modality,
        "procedure": fit(report.procedure.text, 255),
        "procedure_code": fit(report.procedure.code, 32),
        "procedure_kind": info.kind,
        "laterality": info.laterality,
        "body_region": info.region,
        "regions": fit("|".join(info.regions), 255) or None,
        "observed_at": observed,
        "result_status": report.result_status.value,
        "report_text": report.text,
        "source": fit(report.source, 512),
        "facility": fit(report.sending_facility, 64),
        "department": fit(report.department, 64),
        "ordering_provider": fit(report.ordering_provider, 128),
        "interpreter": fit(report.principal_interpreter, 128),
        "patient_class": report.patient_class.value if report.patient_class else None,
    }


def demographics(current: Mapping[str, Any], report: RadiologyReport) -> Values:
    """The patient's sex, birth date and postal code as the latest report states them
    (a value the report leaves out keeps the ``current`` one)."""
    source = report.patient
    return {
        "sex": fit(source.sex, 8) or current.get("sex"),
        "birth_date": source.birth_date or current.get("birth_date"),
        "postal_code": fit(source.postal_code, 16) or current.get("postal_code"),
    }


def finding_values(study_id: int, f: FindingRecord) -> Values:
    return {
        "study_id": study_id,
        "local_id": f.id,
        "type": f.type.value,
        "text": f.text,
        "start": f.start,
        "end": f.end,
        "assertion": f.assertion.value,
        "benign": f.benign,
        "incidental": f.incidental,
        "size_mm": f.size_mm,
        "laterality": f.laterality.value if f.laterality else None,
        "location": f.location,
        "incidental_reason": f.incidental_reason.value if f.incidental_reason else None,
        "composition": f.composition.value if f.composition else None,
        "multiplicity": f.multiplicity.value if f.multiplicity else None,
        "largest_size_mm": f.largest_size_mm,
        "density_hu": f.density_hu,
    }


def judged_values(guidance: Guidance) -> Values:
    """The guideline judgement of the lesion a finding is the sized mention of."""
    answers = [(f"{a.condition}: " if a.condition else "") + a.text for a in guidance.expected]
    return {
        "guideline": guidance.guideline,
        "guideline_version": guidance.version,
        "guideline_band": (guidance.band or "")[:128] or None,
        "concordance": guidance.concordance.value if guidance.concordance else None,
        "expected_follow_up": "; ".join(answers) or None,
        "missing_inputs": "|".join(guidance.missing_inputs)[:255] or None,
        "guideline_not_applicable": (guidance.not_applicable_reason or "")[:255] or None,
    }


def check_values(study_id: int, check: CheckRecord) -> Values:
    return {
        "study_id": study_id,
        "kind": check.kind.value,
        "message": check.message,
        "expected": (check.expected or "")[:64] or None,
        "found": (check.found or "")[:64] or None,
        "evidence": check.evidence,
        "start": check.start,
        "end": check.end,
    }


def critical_values(study_id: int, c: CriticalResult) -> Values:
    return {
        "study_id": study_id,
        "local_id": c.id,
        "category": c.category[:64],
        "label": c.label[:128],
        "tier": c.tier.value,
        "acr_category": c.acr_category,
        "assertion": c.assertion.value,
        "text": c.text,
        "start": c.start,
        "end": c.end,
        "communicated": c.communicated,
    }


def communication_values(study_id: int, m: Communication) -> Values:
    return {
        "study_id": study_id,
        "local_id": m.id,
        "recipient_role": m.recipient_role.value,
        "name_present": m.name_present,
        "method": m.method.value,
        "sent_at": m.sent,
        "acknowledged": m.acknowledged,
        "start": m.start,
        "end": m.end,
    }


def recommendation_values(
    study: Mapping[str, Any],
    finding: Mapping[str, Any] | None,
    rec: RecommendationRecord,
    policy: Policy,
    at: datetime,
    *,
    now: datetime | None = None,
) -> Values:
    """The ``recommendations`` row of ``rec``, reported at ``at`` and created ``now``
    (default: the current time); ``study`` and ``finding`` are the rows' values with
    their ``id``. Its due window counts from the study's time."""
    modality = rec.modality.value if rec.modality else None
    side = finding["laterality"] if finding else None
    window = policy.window(study["observed_at"], rec.interval_months, modality)
    return {
        "study_id": study["id"],
        "patient_id": study["patient_id"],
        "finding_id": finding["id"] if finding else None,
        "local_id": rec.id,
        "finding_type": finding["type"] if finding else None,
        "modality": modality,
        "modality_options": " ".join(m.value for m in rec.modality_options) or None,
        "body_region": rec.body_region,
        "laterality": side if side in ("left", "right", "bilateral") else None,
        "interpreter": study["interpreter"],
        "ordering_provider": study["ordering_provider"],
        "facility": study["facility"],
        "interval_min": rec.interval_months[0] if rec.interval_months else None,
        "interval_max": rec.interval_months[1] if rec.interval_months else None,
        "window_source": window.source,
        "due_start": window.start,
        "due_end": window.end,
        "conditional": rec.conditional,
        "score": rec.score,
        "evidence": rec.text,
        "start": rec.start,
        "end": rec.end,
        "state": "active",
        "reported_at": at,
        "resolved_at": PENDING,
        "created_at": now or datetime.now(UTC),
    }
