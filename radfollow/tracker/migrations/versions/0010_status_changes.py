"""the stored statuses' change log

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01

Issue 15. ``status_changes`` lists, per stored-status version, the
recommendations whose stored status (or anything else about them) changed, so
the review app's in-memory copy of the figures' columns (radfollow.tracker.facts)
reads only those rows again instead of every recommendation. Recommendation id 0
means every row. Rows stored before keep working: the next refresh starts the log.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "status_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("recommendation_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_status_changes_version", "status_changes", ["version"])


def downgrade() -> None:
    op.drop_index("ix_status_changes_version", table_name="status_changes")
    op.drop_table("status_changes")
