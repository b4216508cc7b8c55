"""The scored month's detail beside its totals: `result_detail`.

One row per assessment and kind (the current values, the last publication), holding the engine's full output (cell matrix and
per-leaf scores, packed by services/result_detail.py) for the fingerprint it was computed from.
Nothing is carried over: the table fills as results are scored. Downgrading drops it.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "result_detail",
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("fingerprint", sa.String(200), nullable=False),
        sa.Column("computed_at", sa.DateTime(), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessment_id"], ["assessment.id"], name=op.f("fk_result_detail_assessment_id_assessment")
        ),
        sa.PrimaryKeyConstraint("assessment_id", "kind", name=op.f("pk_result_detail")),
    )


def downgrade() -> None:
    op.drop_table("result_detail")
