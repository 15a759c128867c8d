"""inbox duplicates found on a hash of the whole control id

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01

``inbox.control_id`` holds 64 characters: two distinct messages whose MSH-10
share the first 64 were taken for duplicates. ``message_key`` is the SHA-256
(hex) of the whole sending facility and control id; duplicates are found on
it. Rows stored before this revision get the key of their stored (possibly
cut) values: a resend of such a message with an id over 64 characters is
stored again rather than taken for a duplicate.
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_BATCH = 1000


def _key(facility: str, control_id: str) -> str:
    # The same value as radfollow.listener.store.message_key (a migration keeps
    # its own copy: it must not change when the application code does).
    return hashlib.sha256(f"{facility}\x1f{control_id}".encode()).hexdigest()


def upgrade() -> None:
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("message_key", sa.String(length=64), nullable=True))
    inbox = sa.table(
        "inbox",
        sa.column("id", sa.Integer),
        sa.column("sending_facility", sa.String),
        sa.column("control_id", sa.String),
        sa.column("message_key", sa.String),
    )
    conn = op.get_bind()
    last = 0
    while True:
        rows = conn.execute(
            sa.select(inbox.c.id, inbox.c.sending_facility, inbox.c.control_id)
            .where(inbox.c.id > last)
            .order_by(inbox.c.id)
            .limit(_BATCH)
        ).all()
        if not rows:
            break
        for row_id, facility, control_id in rows:
            conn.execute(
                inbox.update()
                .where(inbox.c.id == row_id)
                .values(message_key=_key(facility or "", control_id or ""))
            )
        last = rows[-1][0]
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.drop_index("ix_inbox_sender_control")
        batch_op.create_index("ix_inbox_message_key", ["message_key"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.drop_index("ix_inbox_message_key")
        batch_op.create_index(
            "ix_inbox_sender_control", ["sending_facility", "control_id"], unique=False
        )
        batch_op.drop_column("message_key")
