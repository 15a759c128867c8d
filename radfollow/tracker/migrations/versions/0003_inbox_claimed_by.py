"""inbox rows record which worker claimed them

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01

A worker that dies mid-batch leaves its claimed rows ``processing``; the
listener gives back exactly those rows when it replaces the worker.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.drop_column("claimed_by")
