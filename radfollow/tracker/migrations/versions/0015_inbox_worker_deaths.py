"""inbox rows count the worker deaths they saw: worker_deaths

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02

A message that kills the worker processing it (a crash in a native library,
the kernel's OOM killer) was given back and claimed again for ever, taking
each new worker with it. ``worker_deaths`` counts how many times a worker died
holding the row. Such rows go back to pending and are claimed one at a time
(``ix_inbox_suspect`` finds them), so the next death is the row's own; at
``radfollow listen --max-worker-deaths`` the row is failed instead
(radfollow/listener/claims.py).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

SUSPECT = "status = 'pending' AND worker_deaths > 0"


def upgrade() -> None:
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("worker_deaths", sa.Integer(), nullable=False, server_default="0")
        )
    op.create_index(
        "ix_inbox_suspect",
        "inbox",
        ["id"],
        sqlite_where=sa.text(SUSPECT),
        postgresql_where=sa.text(SUSPECT),
    )


def downgrade() -> None:
    op.drop_index("ix_inbox_suspect", table_name="inbox")
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.drop_column("worker_deaths")
