"""matching rules, orders and appointments, and the people and places of each study

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01

Issue 14. ``studies`` gain what the procedure is (``procedure_code``,
``procedure_kind``, ``laterality``, every body region in ``regions``; from
rules/procedures.json) and the people and places of the study: sending
facility (MSH-4), department (PV1-3 / ORC-21), ordering provider (OBR-16),
principal result interpreter (OBR-32), patient class (PV1-2), indexed for
worklist filters. ``patients`` gain sex, birth date and postal code (PID-8,
PID-7, PID-11). ``recommendations`` gain the finding's ``laterality``,
``needs_review_at`` (a person must choose between candidate studies or
confirm a weak match), and ``scheduled_at`` / ``scheduled_order_id`` /
``scheduled_for`` (a later order or appointment fits it, planned then), and
copies of their study's interpreter, ordering provider and facility, indexed
with ``due_end`` so a worklist cut by one of them is one index range.
``completions`` record ``early`` and ``matched_by``. ``review_actions`` gain
``clinical_at``: radfollow's own actions are stamped with the time it acted,
the clinical time beside it.
New tables: ``settings`` (the site's timezone, stored with the data),
``match_candidates``, ``match_exclusions`` (studies a person said
do not fulfil a recommendation) and ``orders``. All new columns are nullable
or have a default: rows stored before keep working.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from radfollow.tracker.schema import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

STUDY_COLUMNS = (
    ("procedure_code", 32),
    ("procedure_kind", 16),
    ("laterality", 16),
    ("regions", 255),
    ("facility", 64),
    ("department", 64),
    ("ordering_provider", 128),
    ("interpreter", 128),
    ("patient_class", 16),
)
STUDY_INDEXES = ("ordering_provider", "interpreter", "facility")
#: The study's people and place copied on each recommendation, for worklist indexes.
REC_COPIES = (("interpreter", 128), ("ordering_provider", 128), ("facility", 64))
REC_INDEXES = (
    ("ix_recs_interpreter_due", "interpreter"),
    ("ix_recs_provider_due", "ordering_provider"),
    ("ix_recs_facility_due", "facility"),
)


def upgrade() -> None:
    op.create_table(
        "settings",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.String(255), nullable=False),
    )
    op.create_table(
        "orders",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("patient_id", sa.Integer(), sa.ForeignKey("patients.id"), nullable=False),
        sa.Column("order_key", sa.String(64), nullable=False),
        sa.Column("accession", sa.String(64), nullable=True),
        sa.Column("procedure", sa.String(255), nullable=True),
        sa.Column("modality", sa.String(16), nullable=True),
        sa.Column("regions", sa.String(255), nullable=True),
        sa.Column("laterality", sa.String(16), nullable=True),
        sa.Column("procedure_kind", sa.String(16), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("scheduled_for", UTCDateTime(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("message_type", sa.String(16), nullable=False),
        sa.UniqueConstraint("patient_id", "order_key"),
    )
    op.create_index("ix_orders_patient", "orders", ["patient_id", "status"])
    for name in ("match_candidates", "match_exclusions"):
        columns: list[sa.Column[Any]] = [
            sa.Column("id", sa.Integer(), primary_key=True),
            sa.Column(
                "recommendation_id",
                sa.Integer(),
                sa.ForeignKey("recommendations.id"),
                nullable=False,
            ),
            sa.Column("study_id", sa.Integer(), sa.ForeignKey("studies.id"), nullable=False),
        ]
        if name == "match_candidates":
            columns += [
                sa.Column("strength", sa.String(8), nullable=False),
                sa.Column("reason", sa.Text(), nullable=False),
                sa.Column("early", sa.Boolean(), nullable=False),
                sa.Column("found_at", UTCDateTime(), nullable=False),
            ]
        else:
            columns += [
                sa.Column("actor", sa.String(64), nullable=False),
                sa.Column("reason", sa.Text(), nullable=True),
                sa.Column("at", UTCDateTime(), nullable=False),
            ]
        op.create_table(name, *columns, sa.UniqueConstraint("recommendation_id", "study_id"))
        op.create_index(f"ix_{name}_recommendation_id", name, ["recommendation_id"])
    with op.batch_alter_table("studies", schema=None) as batch_op:
        for column, width in STUDY_COLUMNS:
            batch_op.add_column(sa.Column(column, sa.String(length=width), nullable=True))
        for column in STUDY_INDEXES:
            batch_op.create_index(f"ix_studies_{column}", [column])
    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sex", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("birth_date", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("postal_code", sa.String(length=16), nullable=True))
    with op.batch_alter_table("recommendations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("laterality", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("needs_review_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("scheduled_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("scheduled_order_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("scheduled_for", UTCDateTime(), nullable=True))
        batch_op.create_foreign_key(
            "fk_recommendations_scheduled_order", "orders", ["scheduled_order_id"], ["id"]
        )
        for column, width in REC_COPIES:
            batch_op.add_column(sa.Column(column, sa.String(length=width), nullable=True))
        for name, column in REC_INDEXES:
            batch_op.create_index(name, [column, "due_end"])
    with op.batch_alter_table("review_actions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("clinical_at", UTCDateTime(), nullable=True))
    with op.batch_alter_table("completions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("early", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("matched_by", sa.String(64), nullable=False, server_default="radfollow")
        )


def downgrade() -> None:
    with op.batch_alter_table("review_actions", schema=None) as batch_op:
        batch_op.drop_column("clinical_at")
    with op.batch_alter_table("completions", schema=None) as batch_op:
        batch_op.drop_column("matched_by")
        batch_op.drop_column("early")
    with op.batch_alter_table("recommendations", schema=None) as batch_op:
        for name, _ in REC_INDEXES:
            batch_op.drop_index(name)
        for column, _ in reversed(REC_COPIES):
            batch_op.drop_column(column)
        batch_op.drop_constraint("fk_recommendations_scheduled_order", type_="foreignkey")
        for column in (
            "scheduled_for",
            "scheduled_order_id",
            "scheduled_at",
            "needs_review_at",
            "laterality",
        ):
            batch_op.drop_column(column)
    with op.batch_alter_table("patients", schema=None) as batch_op:
        for column in ("postal_code", "birth_date", "sex"):
            batch_op.drop_column(column)
    with op.batch_alter_table("studies", schema=None) as batch_op:
        for column in STUDY_INDEXES:
            batch_op.drop_index(f"ix_studies_{column}")
        for column, _ in reversed(STUDY_COLUMNS):
            batch_op.drop_column(column)
    for name in ("match_exclusions", "match_candidates"):
        op.drop_index(f"ix_{name}_recommendation_id", table_name=name)
        op.drop_table(name)
    op.drop_index("ix_orders_patient", table_name="orders")
    op.drop_table("orders")
    op.drop_table("settings")
