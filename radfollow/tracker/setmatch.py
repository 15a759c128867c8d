"""Matching for the bulk loader, set-wise: the decisions the per-report ingest makes
(:func:`radfollow.tracker.matching.match_new_study`,
:func:`~radfollow.tracker.matching.match_new_recommendations` and
:func:`radfollow.tracker.scheduling.schedule_from_orders`), for many reports at once.

:meth:`Replay.load` reads, in a few queries for all the patients of a batch, what
matching looks at: their studies, open recommendations with their review
candidates, exclusions and review episodes, and live orders. The batch's reports
then :meth:`~Replay.arrive` in input order, and each is decided with the same
:func:`~radfollow.tracker.matching.evaluate` and the same rules as one by one,
in memory; :meth:`~Replay.write` stores every change in bulk. Times are kept as
the per-report ingest has them: the arriving study's as the report gives it,
those read back from the database in UTC (reasons quote their dates).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.orm import Session

from radfollow.tracker.copy import insert_new_rows, insert_rows
from radfollow.tracker.matching import SYSTEM, Exam, Verdict, evaluate, study_exam
from radfollow.tracker.outbox import event_key
from radfollow.tracker.policy import Policy
from radfollow.tracker.rows import table
from radfollow.tracker.scheduling import LIVE, fits
from radfollow.tracker.schema import (
    Completion,
    MatchCandidate,
    MatchExclusion,
    Order,
    OutboxEvent,
    Recommendation,
    ReviewAction,
    Study,
)

#: Patients per IN list (SQLite's bound-parameter limit is far above it).
IN_BATCH = 1000
#: The recommendation columns matching changes, written back for every changed row.
CHANGED = (
    "completed_at",
    "needs_review_at",
    "resolved_at",
    "scheduled_at",
    "scheduled_order_id",
    "scheduled_for",
)
_TIMES = ("due_start", "due_end", "reported_at", "scheduled_at")
_STUDY_COLUMNS = [c for c in table(Study).c if c.key != "report_text"]


class _View:
    """A row's values as attributes, the fields :func:`evaluate` and
    :func:`study_exam` read: ORM instances cost ten times as much to build, and
    these are never added to a session. A column the values leave out reads None
    (a class attribute of each subclass)."""

    def __init__(self, values: Mapping[Any, Any]) -> None:
        self.__dict__.update(values)


class StudyView(_View):
    region_list = Study.region_list


class RecView(_View):
    acceptable_modalities = Recommendation.acceptable_modalities
    refresh_resolved = Recommendation.refresh_resolved


for _name in (c.key for c in table(Study).c):
    setattr(StudyView, _name, None)
for _name in (*(c.key for c in table(Recommendation).c), "study"):
    setattr(RecView, _name, None)


def as_study(view: StudyView) -> Study:
    """``view`` where matching wants a Study (it reads attributes only)."""
    return cast(Study, view)


def as_rec(view: RecView) -> Recommendation:
    """``view`` where matching wants a Recommendation (it reads attributes only)."""
    return cast(Recommendation, view)


@dataclass
class Tracked:
    """An open recommendation as matching sees it, with its review state."""

    row: Recommendation  # a RecView
    candidates: dict[int, str] = field(default_factory=dict)  # study id -> strength
    stored: bool = False  # has candidate rows in the database
    rejected: set[str] = field(default_factory=set)  # accessions a person turned down
    episodes: int = 0  # needs_review events written so far
    changed: bool = False


@dataclass
class PatientState:
    open: list[Tracked] = field(default_factory=list)
    studies: list[Study] = field(default_factory=list)  # transient, in id order
    orders: list[Order] = field(default_factory=list)


@dataclass
class Counts:
    completed: int = 0
    needs_review: int = 0
    scheduled: int = 0


def _batches(ids: Iterable[int]) -> Iterator[list[int]]:
    ordered = sorted(set(ids))
    for k in range(0, len(ordered), IN_BATCH):
        yield ordered[k : k + IN_BATCH]


def _open(patients: list[int]) -> Any:
    return (
        Recommendation.patient_id.in_(patients),
        Recommendation.state == "active",
        Recommendation.completed_at.is_(None),
    )


def system_row(
    rec_id: int, action: str, reason: str, clinical_at: datetime, *, at: datetime | None = None
) -> dict[str, Any]:
    """A ``review_actions`` row of radfollow's own (as matching.system_action), written
    ``at`` (default: now)."""
    return {
        "recommendation_id": rec_id,
        "actor": SYSTEM,
        "action": action,
        "reason": reason,
        "at": at or datetime.now(UTC),
        "clinical_at": clinical_at,
    }


class Replay:
    """The matching state of a batch's patients, the batch's decisions, and their rows."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.patients: dict[int, PatientState] = {}
        self.tracked: dict[int, Tracked] = {}
        self.actions: list[dict[str, Any]] = []
        self.completions: list[dict[str, Any]] = []
        self.candidates: dict[tuple[int, int], dict[str, Any]] = {}
        self.cleared: set[int] = set()
        self.events: list[dict[str, Any]] = []
        self.counts = Counts()
        self._exams: dict[int, Exam] = {}

    # ------------------------------------------------------------------ load

    def load(self, session: Session, patient_ids: Iterable[int]) -> None:
        """What matching reads of these patients, in a few queries per IN_BATCH."""
        before = len(self.tracked)
        for batch in _batches(patient_ids):
            for pid in batch:
                self.patients[pid] = PatientState()
            studies = self._load_studies(session, batch)
            self._load_recs(session, batch, studies)
            orders = select(table(Order)).where(Order.patient_id.in_(batch), Order.status.in_(LIVE))
            for row in session.execute(orders.order_by(Order.id)).mappings():
                self.patients[row["patient_id"]].orders.append(Order(**row))
        self._load_review(session, list(self.tracked)[before:])

    def _load_studies(self, session: Session, batch: list[int]) -> dict[int, Study]:
        query = select(*_STUDY_COLUMNS).where(Study.patient_id.in_(batch)).order_by(Study.id)
        studies = {}
        for row in session.execute(query).mappings():
            study = as_study(StudyView(row))
            studies[study.id] = study
            self.patients[study.patient_id].studies.append(study)
        return studies

    def _load_recs(self, session: Session, batch: list[int], studies: dict[int, Study]) -> None:
        query = select(table(Recommendation)).where(*_open(batch))
        for row in session.execute(query).mappings():
            rec = as_rec(RecView({**row, "study": studies[row["study_id"]]}))
            tracked = Tracked(rec)
            self.tracked[rec.id] = tracked
            self.patients[rec.patient_id].open.append(tracked)

    def _load_review(self, session: Session, ids: list[int]) -> None:
        """Review candidates, exclusions and review episodes of open recommendations."""
        for batch in _batches(ids):
            candidates = select(
                MatchCandidate.recommendation_id, MatchCandidate.study_id, MatchCandidate.strength
            ).where(MatchCandidate.recommendation_id.in_(batch))
            for rec_id, study_id, strength in session.execute(candidates):
                self.tracked[rec_id].candidates[study_id] = strength
                self.tracked[rec_id].stored = True
            excluded = (
                select(MatchExclusion.recommendation_id, Study.accession)
                .join(Study, Study.id == MatchExclusion.study_id)
                .where(MatchExclusion.recommendation_id.in_(batch))
            )
            for rec_id, accession in session.execute(excluded):
                self.tracked[rec_id].rejected.add(accession)
            episodes = (
                select(OutboxEvent.recommendation_id, func.count(OutboxEvent.id))
                .where(
                    OutboxEvent.recommendation_id.in_(batch), OutboxEvent.event == "needs_review"
                )
                .group_by(OutboxEvent.recommendation_id)
            )
            for rec_id, number in session.execute(episodes):
                self.tracked[rec_id].episodes = number

    # ---------------------------------------------------------------- decide

    def arrive(self, study: Study, recs: list[Recommendation]) -> None:
        """A stored report: its study (with its id) and its new recommendations (with
        theirs, ``rec.study`` set), in input order; decided as ingest decides them."""
        state = self.patients[study.patient_id]
        new = [Tracked(rec) for rec in recs]
        for tracked in new:
            self.tracked[tracked.row.id] = tracked
            if state.orders:
                self._schedule(tracked, state.orders)
        state.open.extend(new)
        state.studies.append(study)
        self._match_study(state, study)
        self._match_recs(state, study, new)
        # read back from the database by the next report: in UTC
        study.observed_at = study.observed_at.astimezone(UTC)
        for tracked in new:
            for name in _TIMES:
                value = getattr(tracked.row, name)
                if value is not None:
                    setattr(tracked.row, name, value.astimezone(UTC))

    def _schedule(self, tracked: Tracked, orders: list[Order]) -> None:
        rec = tracked.row
        for order in orders:
            why = fits(rec, order, self.policy)
            if why is not None:
                rec.scheduled_at = rec.reported_at
                rec.scheduled_order_id = order.id
                rec.scheduled_for = order.scheduled_for
                self.actions.append(system_row(rec.id, "scheduled", why, rec.scheduled_at))
                tracked.changed = True
                self.counts.scheduled += 1
                return

    def _match_study(self, state: PatientState, study: Study) -> None:
        if study.result_status == "X":
            return
        exam = study_exam(study, self.policy)
        for tracked in state.open:
            rec = tracked.row
            if rec.completed_at is not None:
                continue
            verdict = evaluate(rec, exam, self.policy)
            if verdict is None or study.accession in tracked.rejected:
                continue
            in_review = rec.needs_review_at is not None
            only_weak = in_review and "strong" not in tracked.candidates.values()
            if verdict.strength == "strong" and only_weak:
                self._complete(tracked, study, verdict)
            elif in_review or verdict.strength == "weak":
                self._review(tracked, [(study, verdict)])
            else:
                self._complete(tracked, study, verdict)

    def _match_recs(self, state: PatientState, own: Study, new: list[Tracked]) -> None:
        if not new:
            return
        latest: dict[str, Study] = {}
        for s in state.studies:
            if s.observed_at > own.observed_at:
                latest[s.accession] = s
        later = [
            (s, self._exam(s))
            for s in sorted(latest.values(), key=lambda s: (s.observed_at, s.id))
            if s.result_status != "X"
        ]
        for tracked in new:
            found = [
                (study, verdict)
                for study, exam in later
                if study.accession not in tracked.rejected
                and (verdict := evaluate(tracked.row, exam, self.policy)) is not None
            ]
            strong = [m for m in found if m[1].strength == "strong"]
            if len(strong) == 1:
                self._complete(tracked, *strong[0])
            elif found:
                self._review(tracked, strong or found)

    def _exam(self, study: Study) -> Exam:
        exam = self._exams.get(study.id)
        if exam is None:
            exam = self._exams[study.id] = study_exam(study, self.policy)
        return exam

    def _complete(self, tracked: Tracked, study: Study, verdict: Verdict) -> None:
        """As matching.complete: the completion, its audit entry, candidates cleared."""
        rec = tracked.row
        rec.completed_at = study.observed_at
        rec.needs_review_at = None
        rec.refresh_resolved()
        for study_id in tracked.candidates:
            self.candidates.pop((rec.id, study_id), None)
        if tracked.stored:
            self.cleared.add(rec.id)
        tracked.candidates, tracked.stored, tracked.changed = {}, False, True
        self.completions.append(
            {
                "recommendation_id": rec.id,
                "study_id": study.id,
                "reason": verdict.reason,
                "matched_at": study.observed_at,
                "early": verdict.early,
                "matched_by": SYSTEM,
            }
        )
        self.actions.append(system_row(rec.id, "completed", verdict.reason, study.observed_at))
        self.counts.completed += 1

    def _review(self, tracked: Tracked, matches: list[tuple[Study, Verdict]]) -> None:
        """As matching.send_to_review: candidates, one notice per review episode."""
        rec = tracked.row
        known = len(tracked.candidates)
        new = [(s, v) for s, v in matches if s.id not in tracked.candidates]
        if not new:
            self.counts.needs_review += 1
            return
        when = max(s.observed_at for s, _ in new)
        first = rec.needs_review_at is None
        if first:
            rec.needs_review_at = when
            tracked.changed = True
            tracked.episodes += 1
            self.events.append(_review_event(rec, tracked.episodes, when))
        for study, verdict in new:
            tracked.candidates[study.id] = verdict.strength
            self.candidates[(rec.id, study.id)] = {
                "recommendation_id": rec.id,
                "study_id": study.id,
                "strength": verdict.strength,
                "reason": verdict.reason,
                "early": verdict.early,
                "found_at": study.observed_at,
            }
        total = known + len(new)
        strong = any(v.strength == "strong" for _, v in new)
        why = f"{total} studies qualify" if total > 1 or strong else "weak match"
        accessions = ", ".join(s.accession for s, _ in new)
        action = "needs review" if first else "candidate"
        self.actions.append(system_row(rec.id, action, f"{why}: {accessions}", when))
        self.counts.needs_review += 1

    # ----------------------------------------------------------------- write

    def write(self, session: Session) -> None:
        """Every decision's rows, in bulk, in the caller's transaction."""
        changed = [t.row for t in self.tracked.values() if t.changed]
        if changed:
            recs = table(Recommendation)
            statement = (
                update(recs)
                .where(recs.c.id == bindparam("rec_id"))
                .values({**{name: bindparam(name) for name in CHANGED}, "status": None})
            )
            rows = [{"rec_id": r.id, **{n: getattr(r, n) for n in CHANGED}} for r in changed]
            session.execute(statement, rows)
        for batch in _batches(self.cleared):
            query = delete(MatchCandidate).where(MatchCandidate.recommendation_id.in_(batch))
            session.execute(query)
        for model, rows in (
            (MatchCandidate, list(self.candidates.values())),
            (Completion, self.completions),
            (ReviewAction, self.actions),
        ):
            insert_rows(session, table(model), rows)
        insert_new_rows(session, table(OutboxEvent), self.events, ("key",))


def _review_event(rec: Recommendation, sequence: int, when: datetime) -> dict[str, Any]:
    return {
        "key": event_key("needs_review", "recommendation", rec.id, sequence),
        "event": "needs_review",
        "recommendation_id": rec.id,
        "study_id": None,
        "sequence": sequence,
        "recipient": rec.ordering_provider,
        "created_at": datetime.now(UTC),
        "observed_at": when,
    }
