"""The current values of each assessment in one columnar row: `value_snapshot`.

One row per assessment, holding its current values packed by services/value_snapshot.py (a
zstd-compressed Arrow stream) for the assessment revision they are of. Readers use it only while
that revision is the assessment's; otherwise they read `submission_value` as before. Nothing
needs carrying over: imports and rollbacks write it, and `python manage.py results warm` fills it
for the assessments an older release left without one. Downgrading drops it.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "value_snapshot",
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("computed_at", sa.DateTime(), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessment_id"], ["assessment.id"], name=op.f("fk_value_snapshot_assessment_id_assessment")
        ),
        sa.PrimaryKeyConstraint("assessment_id", name=op.f("pk_value_snapshot")),
    )


def downgrade() -> None:
    op.drop_table("value_snapshot")
