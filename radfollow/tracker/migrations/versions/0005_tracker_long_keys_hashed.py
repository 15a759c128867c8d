"""tracker values over 64 characters keyed on their hash

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01

From this revision the tracker keys an MSH-10 control id, an MSH-4 sending
facility or a PID-3 assigning authority over 64 characters on its first 23
characters, ``#`` and 40 hex digits of its SHA-256
(radfollow.tracker.keys.control_key). SQLite does not enforce column widths,
so rows stored before it may hold such values whole; they are rewritten to
their key, so that the next report of the same patient finds its row and a
resend of the same message is still a duplicate. PostgreSQL refused such
values, so it has none to rewrite. No schema change.
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_WIDTH = 64
_HASH_CHARS = 40
#: (table, column) pairs keyed by control_key.
_COLUMNS = (
    ("messages", "control_id"),
    ("messages", "sending_facility"),
    ("studies", "control_id"),
    ("patients", "assigning_authority"),
)


def _key(value: str) -> str:
    # The same value as radfollow.tracker.keys.control_key (a migration keeps its
    # own copy: it must not change when the application code does).
    digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{value[: _WIDTH - _HASH_CHARS - 1]}#{digest[:_HASH_CHARS]}"


def upgrade() -> None:
    bind = op.get_bind()
    for table_name, column in _COLUMNS:
        table = sa.table(table_name, sa.column("id", sa.Integer), sa.column(column, sa.String))
        value = table.c[column]
        rows = bind.execute(
            sa.select(table.c.id, value).where(sa.func.length(value) > _WIDTH)
        ).all()
        for row_id, long_value in rows:
            bind.execute(
                table.update().where(table.c.id == row_id).values({column: _key(long_value)})
            )


def downgrade() -> None:
    """Nothing to undo that can be undone: the whole values are not kept."""
