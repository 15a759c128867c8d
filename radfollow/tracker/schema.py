"""Tracker tables (SQLAlchemy 2). Changes go through Alembic migrations.

Times are stored as timezone-aware UTC. ``review_actions`` is append-only:
the library never updates or deletes its rows.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


class Base(DeclarativeBase):
    pass


#: ``resolved_at`` of a recommendation that is still pending.
PENDING = datetime(9999, 12, 31, tzinfo=UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware datetimes stored as UTC on every backend.

    SQLite keeps no offset: values go in as naive UTC and come back tagged UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the tracker; use timezone-aware times")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Patient(Base):
    __tablename__ = "patients"
    __table_args__ = (UniqueConstraint("identifier", "assigning_authority"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    identifier: Mapped[str] = mapped_column(String(64))
    assigning_authority: Mapped[str] = mapped_column(String(64), default="")
    # Migration 0008 (PID-8, PID-7, PID-11 component 5): the latest report's
    # values; for population analytics, never logged.
    sex: Mapped[str | None] = mapped_column(String(8))
    birth_date: Mapped[date | None] = mapped_column(Date)
    postal_code: Mapped[str | None] = mapped_column(String(16))


class Setting(Base):
    """Values stored with the data (migration 0008): ``timezone``, the site's IANA
    zone, set by the first process or listener that writes (``--timezone``)."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(255))


class Message(Base):
    """Every message ingested, for idempotency (same MSH-10 from the same sender)."""

    __tablename__ = "messages"
    __table_args__ = (UniqueConstraint("sending_facility", "control_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sending_facility: Mapped[str] = mapped_column(String(64), default="")
    control_id: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(32))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Study(Base):
    __tablename__ = "studies"
    __table_args__ = (
        Index("ix_studies_patient_time", "patient_id", "observed_at"),
        Index("ix_studies_accession", "accession"),
        Index("ix_studies_ordering_provider", "ordering_provider"),
        Index("ix_studies_interpreter", "interpreter"),
        Index("ix_studies_facility", "facility"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    accession: Mapped[str] = mapped_column(String(64))
    control_id: Mapped[str] = mapped_column(String(64))
    modality: Mapped[str | None] = mapped_column(String(16))
    procedure: Mapped[str | None] = mapped_column(String(255))
    body_region: Mapped[str | None] = mapped_column(String(64))
    observed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    result_status: Mapped[str] = mapped_column(String(1))
    report_text: Mapped[str] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(String(512))
    # Migration 0008: what the procedure is (rules/procedures.json) and the
    # people and places of the study. NULL in rows stored before 0008.
    #: OBR-4 identifier (e.g. CPT 71250).
    procedure_code: Mapped[str | None] = mapped_column(String(32))
    #: diagnostic | angiography | screening | biopsy | interventional.
    procedure_kind: Mapped[str | None] = mapped_column(String(16))
    #: left | right | bilateral, as the procedure names it.
    laterality: Mapped[str | None] = mapped_column(String(16))
    #: Every body region the procedure names, "|"-separated ("head|neck");
    #: ``body_region`` is the first.
    regions: Mapped[str | None] = mapped_column(String(255))
    #: MSH-4 sending facility.
    facility: Mapped[str | None] = mapped_column(String(64))
    #: PV1-3 point of care, else ORC-21.
    department: Mapped[str | None] = mapped_column(String(64))
    #: OBR-16.
    ordering_provider: Mapped[str | None] = mapped_column(String(128))
    #: OBR-32 principal result interpreter (the radiologist).
    interpreter: Mapped[str | None] = mapped_column(String(128))
    #: PV1-2: emergency | inpatient | outpatient | preadmit | recurring | obstetrics.
    patient_class: Mapped[str | None] = mapped_column(String(16))
    patient: Mapped[Patient] = relationship()

    def region_list(self) -> list[str]:
        """``regions`` as a list; ``[body_region]`` for rows stored before 0008."""
        if self.regions:
            return self.regions.split("|")
        return [self.body_region] if self.body_region else []


class Finding(Base):
    __tablename__ = "findings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.id"), index=True)
    local_id: Mapped[str] = mapped_column(String(16))
    type: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    assertion: Mapped[str] = mapped_column(String(16))
    benign: Mapped[bool] = mapped_column(Boolean)
    incidental: Mapped[bool] = mapped_column(Boolean)
    size_mm: Mapped[list[float] | None] = mapped_column(JSON)
    laterality: Mapped[str | None] = mapped_column(String(16))
    location: Mapped[str | None] = mapped_column(String(64))
    # Migration 0007; NULL when the report does not state them, and in rows
    # stored before 0007. Values are those of the record's enums.
    #: procedure_target | indication | known_prior | benign: why a present or
    #: possible finding is not incidental.
    incidental_reason: Mapped[str | None] = mapped_column(String(32))
    #: solid | part-solid | ground-glass | cystic | calcified.
    composition: Mapped[str | None] = mapped_column(String(16))
    #: single | multiple.
    multiplicity: Mapped[str | None] = mapped_column(String(16))
    largest_size_mm: Mapped[float | None] = mapped_column(Float)
    #: Attenuation in Hounsfield units.
    density_hu: Mapped[float | None] = mapped_column(Float)
    # Migration 0011 (issue 16): the guideline judgement of the lesion whose sized
    # mention this finding is (docs/guidance.md); NULL for its other mentions, for
    # types no guideline covers, and in rows stored before 0011.
    #: Guideline id (fleischner, acr-thyroid...), version and band.
    guideline: Mapped[str | None] = mapped_column(String(32))
    guideline_version: Mapped[str | None] = mapped_column(String(16))
    guideline_band: Mapped[str | None] = mapped_column(String(128))
    #: concordant | discordant | missing | unnecessary; NULL when it did not apply.
    concordance: Mapped[str | None] = mapped_column(String(16), index=True)
    #: The guideline's expected management, its answers "; "-joined.
    expected_follow_up: Mapped[str | None] = mapped_column(Text)
    #: Inputs the report does not state, "|"-separated ("risk|composition").
    missing_inputs: Mapped[str | None] = mapped_column(String(255))
    #: Why the guideline did not apply.
    guideline_not_applicable: Mapped[str | None] = mapped_column(String(255))


class ReportCheck(Base):
    """A report's mismatch with its order or patient (migration 0011, issue 16)."""

    __tablename__ = "report_checks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.id"), index=True)
    #: laterality | sex | age.
    kind: Mapped[str] = mapped_column(String(16))
    message: Mapped[str] = mapped_column(Text)
    expected: Mapped[str | None] = mapped_column(String(64))
    found: Mapped[str | None] = mapped_column(String(64))
    evidence: Mapped[str] = mapped_column(Text)
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)


class CriticalFinding(Base):
    """A critical or significant unexpected result of a report (migration 0012, issue 17)."""

    __tablename__ = "critical_results"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.id"), index=True)
    local_id: Mapped[str] = mapped_column(String(16))
    #: rules/critical.json category id and label.
    category: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(128))
    #: critical | unexpected; ACR actionable-finding category 1-3.
    tier: Mapped[str] = mapped_column(String(16))
    acr_category: Mapped[int] = mapped_column(Integer)
    assertion: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    #: The report documents a communication of its results.
    communicated: Mapped[bool] = mapped_column(Boolean, index=True)


class ResultCommunication(Base):
    """A documented communication of a report's results (migration 0012, issue 17);
    no recipient name is stored."""

    __tablename__ = "communications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.id"), index=True)
    local_id: Mapped[str] = mapped_column(String(16))
    recipient_role: Mapped[str] = mapped_column(String(32))
    name_present: Mapped[bool] = mapped_column(Boolean)
    method: Mapped[str] = mapped_column(String(32))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    acknowledged: Mapped[bool] = mapped_column(Boolean)
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)


class OutboxEvent(Base):
    """A notification-worthy event, written in the transaction of the change that causes
    it (migration 0013, issue 17; radfollow.tracker.outbox). ``key`` is its
    idempotency key: one row per (subject, event), whatever retries or restarts."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_rec_event", "recommendation_id", "event"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    #: coming_due | overdue | uncommunicated_critical | needs_review.
    event: Mapped[str] = mapped_column(String(32))
    recommendation_id: Mapped[int | None] = mapped_column(ForeignKey("recommendations.id"))
    study_id: Mapped[int | None] = mapped_column(ForeignKey("studies.id"))
    #: Overdue reminders: 1 for the first notice, then 2, 3 ...
    sequence: Mapped[int] = mapped_column(Integer, default=1)
    #: The ordering provider as stored (ORC-12 / OBR-16), the digest's addressee.
    recipient: Mapped[str | None] = mapped_column(String(128))
    #: When the event was written.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    #: The exam it is about (critical results, reviews); None for status events.
    observed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class OutboxDelivery(Base):
    """One event's delivery through one configured channel: status, attempts, lease."""

    __tablename__ = "outbox_deliveries"
    __table_args__ = (
        UniqueConstraint("event_id", "channel", name="uq_outbox_delivery"),
        Index("ix_outbox_deliveries_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("outbox.id"))
    channel: Mapped[str] = mapped_column(String(64))
    #: pending | sending | delivered | failed.
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: The last failure in words that quote no identifier ("HTTP 500", "timed out").
    last_error: Mapped[str | None] = mapped_column(String(255))
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Recommendation(Base):
    __tablename__ = "recommendations"
    __table_args__ = (
        # Worklists: "pending at as-of" is resolved_at > as_of, so open/due/overdue
        # are ranges on (due_start | due_end, resolved_at), in due order.
        Index("ix_recs_due_end_resolved", "due_end", "resolved_at"),
        Index("ix_recs_due_start_resolved", "due_start", "resolved_at"),
        Index("ix_recs_state", "state"),
        Index("ix_recs_completed_at", "completed_at"),
        Index("ix_recs_patient", "patient_id", "state"),
        # (migration 0009 adds the status: counts per status of a period)
        Index("ix_recs_reported_at", "reported_at", "status"),
        # Worklists cut by radiologist, ordering provider or site, most urgent first
        # (migration 0008): the study's values, copied so a page is one index range.
        Index("ix_recs_interpreter_due", "interpreter", "due_end"),
        Index("ix_recs_provider_due", "ordering_provider", "due_end"),
        Index("ix_recs_facility_due", "facility", "due_end"),
        Index("ix_recs_assignee_due", "assignee", "status", "due_end"),
        # Stored statuses (migration 0009): a page of one status in due order, the
        # counts per status, and the rows a refresh must look at again.
        Index("ix_recs_status_due", "status", "due_end", "id"),
        Index("ix_recs_due_end_id", "due_end", "id"),
        Index("ix_recs_interpreter_status", "interpreter", "status"),
        Index("ix_recs_provider_status", "ordering_provider", "status"),
        Index("ix_recs_facility_status", "facility", "status"),
        Index("ix_recs_status_volatile", "status_volatile"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.id"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    finding_id: Mapped[int | None] = mapped_column(ForeignKey("findings.id"))
    local_id: Mapped[str] = mapped_column(String(16))
    finding_type: Mapped[str | None] = mapped_column(String(32))
    modality: Mapped[str | None] = mapped_column(String(16))
    #: The acceptable modalities ("CT or MRI"), space-separated in report order,
    #: the first = ``modality``; NULL for none, and in rows stored before 0006.
    modality_options: Mapped[str | None] = mapped_column(String(128))
    body_region: Mapped[str | None] = mapped_column(String(64))
    interval_min: Mapped[float | None] = mapped_column(Float)
    interval_max: Mapped[float | None] = mapped_column(Float)
    window_source: Mapped[str] = mapped_column(String(16))
    due_start: Mapped[datetime] = mapped_column(UTCDateTime())
    due_end: Mapped[datetime] = mapped_column(UTCDateTime())
    conditional: Mapped[bool] = mapped_column(Boolean)
    score: Mapped[float | None] = mapped_column(Float)
    evidence: Mapped[str] = mapped_column(Text)
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    #: active | superseded | closed. The status (open, due, overdue, completed,
    #: closed, superseded) is computed against an as-of date from these times.
    state: Mapped[str] = mapped_column(String(16), default="active")
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closed_reason: Mapped[str | None] = mapped_column(String(32))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    superseded_by: Mapped[int | None] = mapped_column(ForeignKey("studies.id"))
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Migration 0008.
    #: left | right | bilateral: the side of its finding; NULL when not stated.
    laterality: Mapped[str | None] = mapped_column(String(16))
    #: Since when a person must choose between candidate studies (``match_candidates``)
    #: or confirm a weak match; NULL when no review is pending.
    needs_review_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Since when a later order or appointment fits it (``scheduled_order_id``);
    #: NULL when none, or after that order was cancelled or missed.
    scheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    scheduled_order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    #: The scheduling order's planned time; the status ``scheduled`` lapses
    #: ``scheduled_lapse_days`` after it (after the window end without one).
    scheduled_for: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Copies of its study's ``interpreter``, ``ordering_provider`` and ``facility``
    #: (never changed after), for the worklist indexes above.
    interpreter: Mapped[str | None] = mapped_column(String(128))
    ordering_provider: Mapped[str | None] = mapped_column(String(128))
    facility: Mapped[str | None] = mapped_column(String(64))
    #: Migration 0009: the user name of the person it is assigned to; NULL: nobody.
    assignee: Mapped[str | None] = mapped_column(String(64))
    #: Migration 0009: its status at the last refresh (radfollow.tracker.statuses);
    #: NULL until then and after any change to the row.
    status: Mapped[str | None] = mapped_column(String(16))
    #: One of its clinical times was later than that refresh: refreshed every time.
    status_volatile: Mapped[bool] = mapped_column(Boolean, default=False)
    #: When it stopped being pending (closed, superseded or completed, the
    #: earliest); PENDING while it is still pending.
    resolved_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    study: Mapped[Study] = relationship(foreign_keys=[study_id])
    finding: Mapped[Finding | None] = relationship()

    def acceptable_modalities(self) -> list[str]:
        """``modality_options`` as a list; ``[modality]`` for older rows; [] for none."""
        if self.modality_options:
            return self.modality_options.split()
        return [self.modality] if self.modality else []

    def refresh_resolved(self) -> None:
        """Recompute ``resolved_at`` after closing, reopening, superseding or completing."""
        times = [t for t in (self.closed_at, self.superseded_at, self.completed_at) if t]
        self.resolved_at = min(times) if times else PENDING


class Completion(Base):
    """A later study that fulfils a recommendation, and why it matched."""

    __tablename__ = "completions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recommendation_id: Mapped[int] = mapped_column(ForeignKey("recommendations.id"), unique=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.id"))
    reason: Mapped[str] = mapped_column(Text)
    matched_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Migration 0008: taken more than ``early_days`` before the window opened;
    # who matched it (radfollow, or the reviewer who chose the study).
    early: Mapped[bool] = mapped_column(Boolean, default=False)
    matched_by: Mapped[str] = mapped_column(String(64), default="radfollow")
    study: Mapped[Study] = relationship()


class MatchCandidate(Base):
    """A study that may fulfil a recommendation in ``needs_review`` (migration 0008)."""

    __tablename__ = "match_candidates"
    __table_args__ = (UniqueConstraint("recommendation_id", "study_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recommendation_id: Mapped[int] = mapped_column(ForeignKey("recommendations.id"), index=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.id"))
    #: strong (fully qualifies: two or more did) or weak (region or kind unverified).
    strength: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str] = mapped_column(Text)
    early: Mapped[bool] = mapped_column(Boolean, default=False)
    found_at: Mapped[datetime] = mapped_column(UTCDateTime())
    study: Mapped[Study] = relationship()


class MatchExclusion(Base):
    """A study a person said does not fulfil a recommendation: never matched again (0008)."""

    __tablename__ = "match_exclusions"
    __table_args__ = (UniqueConstraint("recommendation_id", "study_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recommendation_id: Mapped[int] = mapped_column(ForeignKey("recommendations.id"), index=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("studies.id"))
    actor: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class Order(Base):
    """An order or appointment (ORM^O01, OMI^O23, SIU^S12...) for a patient (0008).

    status: ordered | scheduled | cancelled | no_show, the latest event's.
    """

    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("patient_id", "order_key"),
        Index("ix_orders_patient", "patient_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    #: sha256-capped placer/filler order number or accession (keys.control_key).
    order_key: Mapped[str] = mapped_column(String(64))
    accession: Mapped[str | None] = mapped_column(String(64))
    procedure: Mapped[str | None] = mapped_column(String(255))
    modality: Mapped[str | None] = mapped_column(String(16))
    regions: Mapped[str | None] = mapped_column(String(255))
    laterality: Mapped[str | None] = mapped_column(String(16))
    procedure_kind: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    scheduled_for: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: MSH-7 of the latest event (when it took effect).
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    message_type: Mapped[str] = mapped_column(String(16))


class StatusChange(Base):
    """Which recommendations a stored-status refresh changed, by version (migration
    0010; radfollow.tracker.statuses): in-memory copies (radfollow.tracker.facts)
    catch up by reading only these rows again. ``recommendation_id`` 0: every row
    changed (the first refresh, or a change of policy). Pruned to recent versions."""

    __tablename__ = "status_changes"
    __table_args__ = (Index("ix_status_changes_version", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    recommendation_id: Mapped[int] = mapped_column(Integer)


class ReviewAction(Base):
    """Append-only audit trail: who did what to a recommendation, when, why."""

    __tablename__ = "review_actions"
    __table_args__ = (Index("ix_actions_rec", "recommendation_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recommendation_id: Mapped[int] = mapped_column(ForeignKey("recommendations.id"))
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    #: When the action was taken (radfollow's clock for its own actions).
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: Migration 0008: for radfollow's own actions, the clinical time they rest on
    #: (the study's, or the message time of an order or correction); NULL for a
    #: person's actions and rows stored before 0008.
    clinical_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class User(Base):
    """A person who signs in to the review app (migration 0009). ``password_hash`` is
    an argon2id PHC string; ``role`` viewer | reviewer | admin. Failed sign-ins are
    counted for throttling (``failed_logins``, ``locked_until``)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class WebSession(Base):
    """A signed-in browser (migration 0009). The cookie carries a random token; only
    its SHA-256 is stored, so a copy of the database cannot be used to sign in.
    ``csrf_token`` is the session's token for forms (synchronizer token pattern)."""

    __tablename__ = "web_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    user: Mapped[User] = relationship()


class Verification(Base):
    """A person's verdict on an extracted recommendation (migration 0009), kept as a
    labelled example for training (``tracker export-labels``). ``verdict``:
    correct | not_recommendation | wrong_values; with wrong_values, the corrected
    modality and interval (months). ``extracted`` is what radfollow had said
    (JSON: modality, interval_min, interval_max, conditional)."""

    __tablename__ = "verifications"
    __table_args__ = (Index("ix_verifications_rec", "recommendation_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recommendation_id: Mapped[int] = mapped_column(ForeignKey("recommendations.id"))
    actor: Mapped[str] = mapped_column(String(64))
    verdict: Mapped[str] = mapped_column(String(24))
    modality: Mapped[str | None] = mapped_column(String(16))
    interval_min: Mapped[float | None] = mapped_column(Float)
    interval_max: Mapped[float | None] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(Text)
    extracted: Mapped[dict[str, object]] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(UTCDateTime())


#: The rows ``ix_inbox_suspect`` holds: pending rows a worker died holding (migration 0015).
SUSPECT_ROWS = "status = 'pending' AND worker_deaths > 0"


class InboxMessage(Base):
    """A received message, stored (committed) before it is acknowledged.

    status: pending -> processing -> done; ignored (not ORU, by policy);
    unusable (parsed but no report, ACKed AE); duplicate (same sender and
    MSH-10 as an earlier message); failed (processing raised, see error).

    ``sending_facility`` and ``control_id`` hold the first 64 characters (for
    display); duplicates are found on ``message_key``, the SHA-256 of the
    whole values (migration 0004).

    A ``processing`` row is leased (migration 0014, issue 18): its worker holds it
    until ``lease_until`` and renews the lease while it works (``heartbeat_at``);
    once the lease has run out any listener's worker may claim the row again
    (radfollow/listener/claims.py).
    """

    __tablename__ = "inbox"
    __table_args__ = (
        Index("ix_inbox_status", "status", "id"),
        Index("ix_inbox_message_key", "message_key"),
        Index("ix_inbox_lease", "status", "lease_until"),
        Index(
            "ix_inbox_suspect",
            "id",
            sqlite_where=text(SUSPECT_ROWS),
            postgresql_where=text(SUSPECT_ROWS),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    peer: Mapped[str] = mapped_column(String(64))
    sending_facility: Mapped[str] = mapped_column(String(64), default="")
    control_id: Mapped[str] = mapped_column(String(64))
    #: sha256 hex of the whole sending facility and MSH-10 (see ``message_key``
    #: in radfollow/listener/store.py); NULL only for rows stored before 0004.
    message_key: Mapped[str | None] = mapped_column(String(64))
    message_type: Mapped[str] = mapped_column(String(16))
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: The worker (``host:pid``) holding a ``processing`` row, so the listener can
    #: give back exactly a dead worker's rows; on a ``done`` or ``failed`` row, the
    #: worker that settled it.
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    #: Database time until which ``claimed_by`` holds the ``processing`` row.
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Database time of the holder's last claim or renewal of the lease.
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: How many times a worker died holding this row (migration 0015): its rows go
    #: back to pending and are then claimed one at a time, so a message that kills
    #: its worker is found; at ``Lease.max_worker_deaths`` the row is failed.
    worker_deaths: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class DeadLetter(Base):
    """Bytes that could not be stored as a message (no readable MSH, unparseable, too large)."""

    __tablename__ = "dead_letters"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    peer: Mapped[str] = mapped_column(String(64))
    control_id: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(Integer)
    replayed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
