"""Initial schema: units, schemes and versions, periods, assessments, submissions, cache, audit.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def Code(length: int) -> sa.String:  # noqa: N802 - byte-wise text, as storage.types.Code
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "unit_category",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("sort_order", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_unit_category"),
        sa.UniqueConstraint("name", name="uq_unit_category_name"),
    )
    op.create_table(
        "unit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("aliases", sa.JSON(), nullable=False),
        sa.Column("population", sa.Integer(), nullable=True),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["category_id"], ["unit_category.id"], name="fk_unit_category_id_unit_category"),
        sa.ForeignKeyConstraint(["parent_id"], ["unit.id"], name="fk_unit_parent_id_unit"),
        sa.PrimaryKeyConstraint("id", name="pk_unit"),
        sa.UniqueConstraint("code", name="uq_unit_code"),
    )
    op.create_index("ix_unit_category_id", "unit", ["category_id"])
    op.create_index("ix_unit_parent_id", "unit", ["parent_id"])

    op.create_table(
        "scheme",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(100), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("period_type", sa.String(10), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_scheme"),
        sa.UniqueConstraint("key", name="uq_scheme_key"),
    )
    op.create_table(
        "scheme_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scheme_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(50), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["scheme_id"], ["scheme.id"], name="fk_scheme_version_scheme_id_scheme"),
        sa.PrimaryKeyConstraint("id", name="pk_scheme_version"),
        sa.UniqueConstraint("scheme_id", "version", name="uq_scheme_version_scheme_id_version"),
        sa.UniqueConstraint("sha256", name="uq_scheme_version_sha256"),
    )
    op.create_table(
        "period",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(10), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("state", sa.String(10), server_default="open", nullable=False),
        sa.Column("state_by", sa.String(100), nullable=True),
        sa.Column("state_at", sa.DateTime(), nullable=True),
        sa.Column("state_reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("state IN ('open', 'published', 'locked')", name="ck_period_state"),
        sa.PrimaryKeyConstraint("id", name="pk_period"),
        sa.UniqueConstraint("label", name="uq_period_label"),
    )
    op.create_table(
        "assessment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scheme_id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("scheme_version_id", sa.Integer(), nullable=True),
        sa.Column("revision", sa.Integer(), server_default="0", nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["period_id"], ["period.id"], name="fk_assessment_period_id_period"),
        sa.ForeignKeyConstraint(["scheme_id"], ["scheme.id"], name="fk_assessment_scheme_id_scheme"),
        sa.ForeignKeyConstraint(
            ["scheme_version_id"], ["scheme_version.id"], name="fk_assessment_scheme_version_id_scheme_version"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_assessment"),
        sa.UniqueConstraint("scheme_id", "period_id", name="uq_assessment_scheme_id_period_id"),
    )
    op.create_index("ix_assessment_period_id", "assessment", ["period_id"])

    op.create_table(
        "submission",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("scheme_version_id", sa.Integer(), nullable=False),
        sa.Column("submitted_by", sa.String(100), nullable=False),
        sa.Column("submitted_at", sa.DateTime(), nullable=False),
        sa.Column("file_name", sa.String(255), nullable=False),
        sa.Column("file_sha256", sa.String(64), nullable=False),
        sa.Column("file_bytes", sa.LargeBinary(), nullable=False),
        sa.Column("content_sha256", sa.String(64), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("current_rows", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("rolled_back_by", sa.String(100), nullable=True),
        sa.Column("rolled_back_at", sa.DateTime(), nullable=True),
        sa.Column("rollback_reason", sa.Text(), nullable=True),
        sa.CheckConstraint("status IN ('active', 'superseded', 'rolled_back')", name="ck_submission_status"),
        sa.ForeignKeyConstraint(["assessment_id"], ["assessment.id"], name="fk_submission_assessment_id_assessment"),
        sa.ForeignKeyConstraint(
            ["scheme_version_id"], ["scheme_version.id"], name="fk_submission_scheme_version_id_scheme_version"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_submission"),
    )
    op.create_index("ix_submission_assessment_id_status", "submission", ["assessment_id", "status"])
    op.create_index("ix_submission_scheme_version_id", "submission", ["scheme_version_id"])

    op.create_table(
        "submission_value",
        sa.Column("id", BigId, nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("code", Code(64), nullable=False),
        sa.Column("assessor", Code(100), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("na", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("current", sa.Boolean(), nullable=False),
        # No foreign keys: see storage.models.SubmissionValue.
        sa.PrimaryKeyConstraint("id", name="pk_submission_value"),
    )
    op.create_index(
        "ix_submission_value_cell",
        "submission_value",
        ["assessment_id", "unit_id", "code", "assessor", "submission_id"],
    )
    op.create_index("ix_submission_value_submission", "submission_value", ["submission_id", "current"])
    op.create_index(
        "ix_submission_value_current",
        "submission_value",
        ["assessment_id"],
        sqlite_where=sa.text("current"),
        postgresql_where=sa.text("current"),
    )

    op.create_table(
        "result_cache",
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(200), nullable=False),
        sa.Column("computed_at", sa.DateTime(), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["assessment_id"], ["assessment.id"], name="fk_result_cache_assessment_id_assessment"),
        sa.PrimaryKeyConstraint("assessment_id", name="pk_result_cache"),
    )
    op.create_table(
        "counter",
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_counter"),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", BigId, nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("action", sa.String(50), nullable=False),
        sa.Column("target", sa.String(200), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_action", "audit_log", ["action"])
    op.create_index("ix_audit_log_at", "audit_log", ["at"])


def downgrade() -> None:
    for table in (
        "audit_log",
        "counter",
        "result_cache",
        "submission_value",
        "submission",
        "assessment",
        "period",
        "scheme_version",
        "scheme",
        "unit",
        "unit_category",
    ):
        op.drop_table(table)
