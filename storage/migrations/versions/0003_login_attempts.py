"""Sign-in attempts, for throttling per client address and overall (security finding 5).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_attempt",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("outcome", sa.String(10), nullable=False),
        sa.CheckConstraint("outcome IN ('ok', 'failed')", name="ck_login_attempt_outcome"),
        sa.CheckConstraint("kind IN ('login', 'password')", name="ck_login_attempt_kind"),
        sa.PrimaryKeyConstraint("id", name="pk_login_attempt"),
    )
    op.create_index("ix_login_attempt_at", "login_attempt", ["at"])
    op.create_index("ix_login_attempt_username_source_at", "login_attempt", ["username", "source", "at"])
    op.create_index("ix_login_attempt_source_at", "login_attempt", ["source", "at"])


def downgrade() -> None:
    op.drop_table("login_attempt")
