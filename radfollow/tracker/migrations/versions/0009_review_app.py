"""the review app: users, sessions, assignment and verified extractions

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01

Issue 15. New tables: ``users`` (local accounts of the review app, argon2id
hashes, a role, sign-in throttling), ``web_sessions`` (signed-in browsers,
keyed by the SHA-256 of the cookie token, with the session's CSRF token) and
``verifications`` (a person's verdict on an extraction, kept as a labelled
example). ``recommendations`` gain ``assignee`` (a user name), indexed with
``due_end`` for "my worklist", and ``status`` / ``status_volatile``: the status
at the last refresh (radfollow.tracker.statuses), so that the app's counts and
pages of one status are index lookups; NULL until the first refresh, which
computes them all. Rows stored before keep working.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from radfollow.tracker.schema import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

#: Counts per status of one radiologist, ordering provider or site.
STATUS_INDEXES = (
    ("ix_recs_interpreter_status", "interpreter"),
    ("ix_recs_provider_status", "ordering_provider"),
    ("ix_recs_facility_status", "facility"),
)


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("last_login_at", UTCDateTime(), nullable=True),
    )
    op.create_table(
        "web_sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("last_seen_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_web_sessions_user_id", "web_sessions", ["user_id"])
    op.create_table(
        "verifications",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "recommendation_id", sa.Integer(), sa.ForeignKey("recommendations.id"), nullable=False
        ),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("verdict", sa.String(24), nullable=False),
        sa.Column("modality", sa.String(16), nullable=True),
        sa.Column("interval_min", sa.Float(), nullable=True),
        sa.Column("interval_max", sa.Float(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("extracted", sa.JSON(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_verifications_rec", "verifications", ["recommendation_id"])
    with op.batch_alter_table("recommendations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("assignee", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("status", sa.String(length=16), nullable=True))
        batch_op.add_column(
            sa.Column("status_volatile", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.create_index("ix_recs_assignee_due", ["assignee", "status", "due_end"])
        batch_op.drop_index("ix_recs_reported_at")
        batch_op.create_index("ix_recs_reported_at", ["reported_at", "status"])
        batch_op.create_index("ix_recs_status_volatile", ["status_volatile"])
        batch_op.create_index("ix_recs_status_due", ["status", "due_end", "id"])
        batch_op.create_index("ix_recs_due_end_id", ["due_end", "id"])
        for name, column in STATUS_INDEXES:
            batch_op.create_index(name, [column, "status"])


def downgrade() -> None:
    with op.batch_alter_table("recommendations", schema=None) as batch_op:
        batch_op.drop_index("ix_recs_status_volatile")
        batch_op.drop_index("ix_recs_reported_at")
        batch_op.create_index("ix_recs_reported_at", ["reported_at"])
        for name, _ in STATUS_INDEXES:
            batch_op.drop_index(name)
        batch_op.drop_index("ix_recs_due_end_id")
        batch_op.drop_index("ix_recs_status_due")
        batch_op.drop_index("ix_recs_assignee_due")
        batch_op.drop_column("status_volatile")
        batch_op.drop_column("status")
        batch_op.drop_column("assignee")
    op.drop_table("verifications")
    op.drop_table("web_sessions")
    op.drop_table("users")
