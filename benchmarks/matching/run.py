"""Score the tracker's matching and statuses against the hand-labelled scenarios.

    python benchmarks/matching/run.py [--db URL] [--errors]

Replays every patient of ``scenarios.json`` (labelled by hand before any run;
LABELS.md) through the tracker's own entry points, in arrival order: reports
through ``radfollow.tracker.ingest.ingest`` (the NLP is replaced by the
labelled recommendations, so only matching is measured), orders and
appointments through ``radfollow.tracker.orders.ingest_order``, a person's
``unmatch`` and ``close`` through ``radfollow.tracker.decisions`` and
``radfollow.tracker.review``. Then every recommendation's status is read with
``tracker list``'s query at the scenario's as-of date (the end of that day).
Times in the file are the site's wall clock, read as UTC.

Prints:
- match precision / recall / F1 over (recommendation, completing study) pairs;
- status accuracy (a needs_review status counts only with the right
  candidates), and early-flag accuracy over completed pairs;
- both per rule, with ``--errors`` listing every disagreement.
Default database: a temporary SQLite file; ``--db`` takes a PostgreSQL URL
(an empty database; its tables are created). ``--scenarios heldout.json``
scores the held-out set (written by a second helper after the rules were
fixed; LABELS.md).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import defaultdict
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

from sqlalchemy import select

from radfollow.models import (
    ExtractionResult,
    Finding,
    FindingType,
    OrderEvent,
    Patient,
    RadiologyReport,
    Recommendation,
)
from radfollow.tracker.db import Tracker
from radfollow.tracker.decisions import unmatch
from radfollow.tracker.ingest import ingest
from radfollow.tracker.orders import ingest_order
from radfollow.tracker.queries import Filters, worklist
from radfollow.tracker.review import CloseReason, close
from radfollow.tracker.schema import Completion, MatchCandidate
from radfollow.tracker.schema import Recommendation as RecRow
from radfollow.tracker.schema import Study as StudyRow

HERE = Path(__file__).parent
TYPES = {t.value for t in FindingType}


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _report(patient: str, event: dict[str, Any]) -> tuple[RadiologyReport, ExtractionResult]:
    text = " ".join(r.get("text", "Recommend follow-up.") for r in event["recommendations"])
    report = RadiologyReport(
        control_id=f"{patient}-{event['id']}",
        sending_facility="BENCH",
        patient=Patient(id=patient, assigning_authority="BENCH"),
        accession=f"{patient}-{event['id']}",
        procedure={"text": event["procedure"], "code": event.get("code")},
        modality=event.get("modality"),
        observation_time=_when(event["at"]),
        result_status=event.get("status", "F"),
        text=text or "IMPRESSION: No acute findings.",
    )
    findings, recs, offset = [], [], 0
    for n, rec in enumerate(event["recommendations"], start=1):
        length = len(rec.get("text", "Recommend follow-up."))
        kind = rec.get("finding_type")
        findings.append(
            Finding(
                id=f"f{n}",
                type=kind if kind in TYPES else "other_mass",
                text="finding",
                start=offset,
                end=offset + length,
                assertion="present",
                incidental=True,
                laterality=rec.get("laterality"),
            )
        )
        interval = rec.get("interval_months")
        recs.append(
            Recommendation(
                id=rec["id"],
                text=rec.get("text", "Recommend follow-up."),
                start=offset,
                end=offset + length,
                modality_options=rec.get("modality_options") or [],
                body_region=rec.get("body_region"),
                interval_months=tuple(interval) if interval else None,
                finding_id=f"f{n}",
            )
        )
        offset += length + 1
    return report, ExtractionResult(findings=findings, recommendations=recs)


def _order(patient: str, event: dict[str, Any]) -> OrderEvent:
    return OrderEvent(
        control_id=f"{patient}-{event['id']}",
        sending_facility="BENCH",
        message_type="SIU^S12" if event["event"] != "ordered" else "ORM^O01",
        event=event["event"],
        event_time=_when(event["at"]),
        patient=Patient(id=patient, assigning_authority="BENCH"),
        placer_order_number=event.get("order_number"),
        procedure={"text": event.get("procedure"), "code": event.get("code")},
        modality=event.get("modality"),
        scheduled_time=_when(event["scheduled_for"]) if event.get("scheduled_for") else None,
    )


def replay(tracker: Tracker, scenario: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Feed one patient's events; return each recommendation's outcome at as-of."""
    patient = scenario["patient"]
    rec_ids: dict[str, int] = {}
    policy = tracker.policy
    for event in scenario["events"]:
        with tracker.session() as session:
            if event["kind"] == "report":
                report, result = _report(patient, event)
                ingest(session, report, result, policy)
                study = session.scalar(
                    select(StudyRow).where(StudyRow.accession == report.accession)
                )
                for row in session.scalars(select(RecRow).where(RecRow.study_id == study.id)):
                    rec_ids[row.local_id] = row.id
            elif event["kind"] == "order":
                ingest_order(session, _order(patient, event), policy)
            elif event["kind"] == "unmatch":
                reason = event.get("reason", "wrong study")
                unmatch(
                    session,
                    rec_ids[event["recommendation"]],
                    by="bench",
                    reason=reason,
                    at=_when(event["at"]),
                )
            elif event["kind"] == "close":
                reason = CloseReason(event.get("close_reason", "done elsewhere"))
                close(
                    session,
                    rec_ids[event["recommendation"]],
                    reason=reason,
                    by="bench",
                    at=_when(event["at"]),
                    note=event.get("reason"),
                )
    as_of = datetime.combine(datetime.fromisoformat(scenario["as_of"]).date(), time.max, tzinfo=UTC)
    outcome = {}
    with tracker.session() as session:
        rows = {
            r.id: r
            for r in worklist(
                session,
                Filters(patient=patient),
                as_of=as_of,
                grace=policy.grace,
                limit=None,
                lead=policy.coming_due,
            )
        }
        for local, rec_id in rec_ids.items():
            row = rows[rec_id]
            completion = session.scalar(
                select(Completion).where(Completion.recommendation_id == rec_id)
            )
            candidates = sorted(
                c.study.accession.split("-", 1)[1]
                for c in session.scalars(
                    select(MatchCandidate).where(MatchCandidate.recommendation_id == rec_id)
                )
            )
            study = completion.study.accession.split("-", 1)[1] if completion else None
            outcome[local] = {
                "status": row.status,
                "study": study if row.status == "completed" else None,
                "early": bool(completion.early) if completion else None,
                "candidates": candidates,
            }
    return outcome


def _score(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return p, r, 2 * p * r / (p + r) if p + r else 0.0


def score(
    tracker: Tracker, scenarios: list[dict[str, Any]]
) -> tuple[dict[str, list[int]], list[Any]]:
    """Counts per rule: [match TP, FP, FN, statuses right, recommendations, early right,
    correct completions], and the disagreements."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0, 0, 0])
    errors = []
    for scenario in scenarios:
        got = replay(tracker, scenario)
        for rec, want in scenario["expected"].items():
            have = got[rec]
            c = counts[scenario["rule"]]
            gold, pred = want.get("study"), have["study"]
            c[0] += bool(gold and pred == gold)
            c[1] += bool(pred and pred != gold)
            c[2] += bool(gold and pred != gold)
            right = have["status"] == want["status"] and (
                want["status"] != "needs_review"
                or have["candidates"] == sorted(want.get("candidates", []))
            )
            c[3] += right
            c[4] += 1
            if gold and pred == gold:
                c[5] += have["early"] == bool(want.get("early", False))
                c[6] += 1
            if not right or pred != gold:
                errors.append((scenario["patient"], scenario["rule"], rec, want, have))
    return counts, errors


def summary(counts: dict[str, list[int]]) -> tuple[float, float]:
    """(match F1, status accuracy) over all rules."""
    total = [sum(c[i] for c in counts.values()) for i in range(7)]
    return _score(total[0], total[1], total[2])[2], total[3] / total[4]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="database URL (default: a temporary SQLite file)")
    parser.add_argument("--scenarios", type=Path, default=HERE / "scenarios.json")
    parser.add_argument("--errors", action="store_true", help="list every disagreement")
    args = parser.parse_args(argv)
    scenarios = json.loads(args.scenarios.read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as tmp:
        tracker = Tracker(args.db or f"sqlite:///{Path(tmp) / 'matching.db'}")
        try:
            counts, errors = score(tracker, scenarios)
        finally:
            tracker.close()
    total = [sum(c[i] for c in counts.values()) for i in range(7)]
    print(f"{len(scenarios)} patients, {total[4]} recommendations ({args.scenarios.name})")
    print(f"{'rule':<14}{'recs':>6}{'match P':>9}{'R':>7}{'F1':>7}{'status':>9}")
    for rule, c in [*sorted(counts.items()), ("all", total)]:
        p, r, f = _score(c[0], c[1], c[2])
        print(f"{rule:<14}{c[4]:>6}{p:>9.3f}{r:>7.3f}{f:>7.3f}{c[3] / c[4]:>9.3f}")
    if total[6]:
        print(f"early flag right on {total[5]}/{total[6]} correct completions")
    if args.errors:
        for patient, rule, rec, want, have in errors:
            print(f"{patient} {rule} {rec}: expected {want} got {have}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
