"""inbox claims are leases: lease_until and heartbeat_at

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02

Issue 18: several listeners on one database. A worker's claim on a
``processing`` row holds until ``lease_until`` (database time); the worker
renews it while it holds the row (``heartbeat_at``, its last renewal). A row
whose lease ran out, its holder dead, is claimed again by any listener's
worker. ``ix_inbox_lease`` serves that claim. Rows left ``processing`` by an
earlier version have no lease and count as expired.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from radfollow.tracker.schema import UTCDateTime

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lease_until", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("heartbeat_at", UTCDateTime(), nullable=True))
    op.create_index("ix_inbox_lease", "inbox", ["status", "lease_until"])


def downgrade() -> None:
    op.drop_index("ix_inbox_lease", table_name="inbox")
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.drop_column("heartbeat_at")
        batch_op.drop_column("lease_until")
