"""findings keep their guideline judgement; reports keep their mismatch checks

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01

Issue 16. A finding that is the sized mention of a lesion a guideline covers
keeps the guideline (id, version, band), the report's ``concordance`` with it
(concordant, discordant, missing, unnecessary), the expected management, the
inputs the report did not state and why the guideline did not apply: the
"missing recommendation" worklist reads ``concordance = 'missing'``.
``report_checks`` keeps a report's laterality, sex and age mismatches with
their evidence span. All nullable; rows stored before keep NULL.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

COLUMNS = (
    ("guideline", sa.String(length=32)),
    ("guideline_version", sa.String(length=16)),
    ("guideline_band", sa.String(length=128)),
    ("concordance", sa.String(length=16)),
    ("expected_follow_up", sa.Text()),
    ("missing_inputs", sa.String(length=255)),
    ("guideline_not_applicable", sa.String(length=255)),
)


def upgrade() -> None:
    with op.batch_alter_table("findings", schema=None) as batch_op:
        for name, kind in COLUMNS:
            batch_op.add_column(sa.Column(name, kind, nullable=True))
    op.create_index("ix_findings_concordance", "findings", ["concordance"])
    op.create_table(
        "report_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("expected", sa.String(length=64), nullable=True),
        sa.Column("found", sa.String(length=64), nullable=True),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("start", sa.Integer(), nullable=False),
        sa.Column("end", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["study_id"], ["studies.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_report_checks_study_id", "report_checks", ["study_id"])


def downgrade() -> None:
    op.drop_index("ix_report_checks_study_id", table_name="report_checks")
    op.drop_table("report_checks")
    op.drop_index("ix_findings_concordance", table_name="findings")
    with op.batch_alter_table("findings", schema=None) as batch_op:
        for name, _ in reversed(COLUMNS):
            batch_op.drop_column(name)
