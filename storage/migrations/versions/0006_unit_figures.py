"""Per-unit figures kept per year (常住人口, 65岁以上人口 …) in `unit_figure`.

Existing data is carried forward: each unit's `population` becomes the figure 「服务人口」 of the
year the migration runs in (the bureau's local year, Asia/Shanghai unless ASSESS_TIMEZONE says
otherwise) — the register never said which year its population was for, and the current year is
the one the next assessments read. The old `unit.population` column is kept, so nothing that
reads it breaks.

Revision ID: 0006
Revises: 0005
Create Date: 2027-01-10
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

POPULATION_FIGURE = "服务人口"  # the register's 人口 / 服务人口 column (services/unit_figures.py)
CARRIED_BY = "系统升级"


def carried_year() -> int:
    """The year a unit's population is carried into: this year in the bureau's time zone."""
    return datetime.now(ZoneInfo(os.environ.get("ASSESS_TIMEZONE", "Asia/Shanghai"))).year


def upgrade() -> None:
    op.create_table(
        "unit_figure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"], name=op.f("fk_unit_figure_unit_id_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unit_figure")),
        sa.UniqueConstraint("unit_id", "year", "name", name=op.f("uq_unit_figure_unit_id_year_name")),
    )
    op.create_index(op.f("ix_unit_figure_year"), "unit_figure", ["year"], unique=False)
    now = datetime.now(UTC).replace(tzinfo=None)
    op.execute(
        sa.text(
            "INSERT INTO unit_figure (unit_id, year, name, value, updated_at, updated_by)"
            " SELECT id, :year, :name, population, :at, :by FROM unit WHERE population IS NOT NULL"
        ).bindparams(year=carried_year(), name=POPULATION_FIGURE, at=now, by=CARRIED_BY)
    )


def downgrade() -> None:
    op.drop_table("unit_figure")
