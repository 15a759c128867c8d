"""findings keep why they are not incidental and what the report says of them

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01

The record's findings gained attributes (issue 13): ``incidental_reason``
(procedure_target, indication, known_prior or benign: why a present or
possible finding is not incidental), ``composition`` (solid, part-solid,
ground-glass, cystic, calcified), ``multiplicity`` (single, multiple),
``largest_size_mm`` and ``density_hu`` (Hounsfield units). The tracker stores
them so a reviewer sees them with the recommendation. All are nullable: the
report may not state them, and rows stored before this revision keep NULL.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

COLUMNS = ("incidental_reason", "composition", "multiplicity", "largest_size_mm", "density_hu")


def upgrade() -> None:
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("incidental_reason", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("composition", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("multiplicity", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("largest_size_mm", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("density_hu", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("findings", schema=None) as batch_op:
        for name in reversed(COLUMNS):
            batch_op.drop_column(name)
