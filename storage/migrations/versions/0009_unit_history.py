"""Each unit's totals, ranks and grades over the periods: `unit_history`, `leaf_history` and
their stamps.

One row per assessment, kind (the current values, the last publication) and unit, and one per
assessment, kind and leaf (that leaf's points for every unit, packed), written with the stored
results (services/history_rows.py), and one stamp per assessment and kind saying which
fingerprint the rows are for. Nothing is carried over: the rows are derived from stored results,
and `python manage.py results warm` (or the first look at a unit's history) writes them.
Downgrading drops the three tables.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "unit_history_stamp",
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("fingerprint", sa.String(200), nullable=False),
        sa.Column("computed_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessment_id"], ["assessment.id"], name=op.f("fk_unit_history_stamp_assessment_id_assessment")
        ),
        sa.PrimaryKeyConstraint("assessment_id", "kind", name=op.f("pk_unit_history_stamp")),
    )
    op.create_table(
        "unit_history",
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("unit", sa.String(64).with_variant(sa.String(64, collation="C"), "postgresql"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("total", sa.Float(), nullable=True),
        sa.Column("rank", sa.Integer(), nullable=True),
        sa.Column("group_size", sa.Integer(), nullable=True),
        sa.Column("grade", sa.String(50), nullable=True),
        sa.Column("veto", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessment_id"], ["assessment.id"], name=op.f("fk_unit_history_assessment_id_assessment")
        ),
        sa.PrimaryKeyConstraint("assessment_id", "kind", "unit", name=op.f("pk_unit_history")),
    )
    op.create_index("ix_unit_history_unit_kind", "unit_history", ["unit", "kind"], unique=False)
    op.create_table(
        "leaf_history",
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("leaf", sa.String(64).with_variant(sa.String(64, collation="C"), "postgresql"), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessment_id"], ["assessment.id"], name=op.f("fk_leaf_history_assessment_id_assessment")
        ),
        sa.PrimaryKeyConstraint("assessment_id", "kind", "leaf", name=op.f("pk_leaf_history")),
    )


def downgrade() -> None:
    op.drop_table("leaf_history")
    op.drop_index("ix_unit_history_unit_kind", table_name="unit_history")
    op.drop_table("unit_history")
    op.drop_table("unit_history_stamp")
