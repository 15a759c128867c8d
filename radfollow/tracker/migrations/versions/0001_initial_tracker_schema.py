"""initial tracker schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sending_facility", sa.String(length=64), nullable=False),
        sa.Column("control_id", sa.String(length=64), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("sending_facility", "control_id"),
    )
    op.create_table(
        "patients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("identifier", sa.String(length=64), nullable=False),
        sa.Column("assigning_authority", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("identifier", "assigning_authority"),
    )
    op.create_table(
        "studies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("accession", sa.String(length=64), nullable=False),
        sa.Column("control_id", sa.String(length=64), nullable=False),
        sa.Column("modality", sa.String(length=16), nullable=True),
        sa.Column("procedure", sa.String(length=255), nullable=True),
        sa.Column("body_region", sa.String(length=64), nullable=True),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("result_status", sa.String(length=1), nullable=False),
        sa.Column("report_text", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=512), nullable=True),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("studies", schema=None) as batch_op:
        batch_op.create_index("ix_studies_accession", ["accession"], unique=False)
        batch_op.create_index(
            "ix_studies_patient_time", ["patient_id", "observed_at"], unique=False
        )

    op.create_table(
        "findings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("local_id", sa.String(length=16), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("start", sa.Integer(), nullable=False),
        sa.Column("end", sa.Integer(), nullable=False),
        sa.Column("assertion", sa.String(length=16), nullable=False),
        sa.Column("benign", sa.Boolean(), nullable=False),
        sa.Column("incidental", sa.Boolean(), nullable=False),
        sa.Column("size_mm", sa.JSON(), nullable=True),
        sa.Column("laterality", sa.String(length=16), nullable=True),
        sa.Column("location", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["study_id"],
            ["studies.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_findings_study_id"), ["study_id"], unique=False)

    op.create_table(
        "recommendations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("finding_id", sa.Integer(), nullable=True),
        sa.Column("local_id", sa.String(length=16), nullable=False),
        sa.Column("finding_type", sa.String(length=32), nullable=True),
        sa.Column("modality", sa.String(length=16), nullable=True),
        sa.Column("body_region", sa.String(length=64), nullable=True),
        sa.Column("interval_min", sa.Float(), nullable=True),
        sa.Column("interval_max", sa.Float(), nullable=True),
        sa.Column("window_source", sa.String(length=16), nullable=False),
        sa.Column("due_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("conditional", sa.Boolean(), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("start", sa.Integer(), nullable=False),
        sa.Column("end", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_reason", sa.String(length=32), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("superseded_by", sa.Integer(), nullable=True),
        sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["finding_id"],
            ["findings.id"],
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
        ),
        sa.ForeignKeyConstraint(
            ["study_id"],
            ["studies.id"],
        ),
        sa.ForeignKeyConstraint(
            ["superseded_by"],
            ["studies.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("recommendations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recommendations_study_id"), ["study_id"], unique=False)
        batch_op.create_index("ix_recs_completed_at", ["completed_at"], unique=False)
        batch_op.create_index("ix_recs_due_end_resolved", ["due_end", "resolved_at"], unique=False)
        batch_op.create_index(
            "ix_recs_due_start_resolved", ["due_start", "resolved_at"], unique=False
        )
        batch_op.create_index("ix_recs_patient", ["patient_id", "state"], unique=False)
        batch_op.create_index("ix_recs_reported_at", ["reported_at"], unique=False)
        batch_op.create_index("ix_recs_state", ["state"], unique=False)

    op.create_table(
        "completions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recommendation_id", sa.Integer(), nullable=False),
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("matched_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["recommendation_id"],
            ["recommendations.id"],
        ),
        sa.ForeignKeyConstraint(
            ["study_id"],
            ["studies.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("recommendation_id"),
    )
    op.create_table(
        "review_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recommendation_id", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["recommendation_id"],
            ["recommendations.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("review_actions", schema=None) as batch_op:
        batch_op.create_index("ix_actions_rec", ["recommendation_id", "at"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("review_actions", schema=None) as batch_op:
        batch_op.drop_index("ix_actions_rec")

    op.drop_table("review_actions")
    op.drop_table("completions")
    with op.batch_alter_table("recommendations", schema=None) as batch_op:
        batch_op.drop_index("ix_recs_state")
        batch_op.drop_index("ix_recs_reported_at")
        batch_op.drop_index("ix_recs_patient")
        batch_op.drop_index("ix_recs_due_start_resolved")
        batch_op.drop_index("ix_recs_due_end_resolved")
        batch_op.drop_index("ix_recs_completed_at")
        batch_op.drop_index(batch_op.f("ix_recommendations_study_id"))

    op.drop_table("recommendations")
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_findings_study_id"))

    op.drop_table("findings")
    with op.batch_alter_table("studies", schema=None) as batch_op:
        batch_op.drop_index("ix_studies_patient_time")
        batch_op.drop_index("ix_studies_accession")

    op.drop_table("studies")
    op.drop_table("patients")
    op.drop_table("messages")
