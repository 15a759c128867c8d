"""recommendations keep their acceptable alternative modalities

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01

"CT or MRI" is fulfilled by either: ``modality_options`` holds the acceptable
modalities, space-separated in report order (the first is ``modality``). Rows
stored before this revision keep NULL and are matched on ``modality`` alone.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("recommendations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("modality_options", sa.String(length=128), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("recommendations", schema=None) as batch_op:
        batch_op.drop_column("modality_options")
