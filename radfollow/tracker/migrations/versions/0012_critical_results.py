"""reports keep their critical results and documented communications

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02

Issue 17. ``critical_results`` keeps each critical or significant unexpected
result (rules/critical.json category, tier, ACR category, assertion, the
mention and whether the report documents a communication): the
"uncommunicated critical" worklist reads ``communicated = false``.
``communications`` keeps each documented communication (recipient role, whether
a name was given, never the name; method; time; read-back).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from radfollow.tracker.schema import UTCDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "critical_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("local_id", sa.String(length=16), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=128), nullable=False),
        sa.Column("tier", sa.String(length=16), nullable=False),
        sa.Column("acr_category", sa.Integer(), nullable=False),
        sa.Column("assertion", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("start", sa.Integer(), nullable=False),
        sa.Column("end", sa.Integer(), nullable=False),
        sa.Column("communicated", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["study_id"], ["studies.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_critical_results_study_id", "critical_results", ["study_id"])
    op.create_index("ix_critical_results_communicated", "critical_results", ["communicated"])
    op.create_table(
        "communications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("local_id", sa.String(length=16), nullable=False),
        sa.Column("recipient_role", sa.String(length=32), nullable=False),
        sa.Column("name_present", sa.Boolean(), nullable=False),
        sa.Column("method", sa.String(length=32), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.Column("acknowledged", sa.Boolean(), nullable=False),
        sa.Column("start", sa.Integer(), nullable=False),
        sa.Column("end", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["study_id"], ["studies.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_communications_study_id", "communications", ["study_id"])


def downgrade() -> None:
    op.drop_index("ix_communications_study_id", table_name="communications")
    op.drop_table("communications")
    op.drop_index("ix_critical_results_communicated", table_name="critical_results")
    op.drop_index("ix_critical_results_study_id", table_name="critical_results")
    op.drop_table("critical_results")
