"""The unit's side of the cycle: 公示 windows, objections (申诉) per item, evidence
attachments, rectification (整改) tasks and in-app messages (issue 20).

New tables only: existing data is untouched.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "attachment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_kind", sa.String(length=10), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("assessment_id", sa.Integer(), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column(
            "code", sa.String(length=64).with_variant(sa.String(length=64, collation="C"), "postgresql"), nullable=True
        ),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("mime", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("uploaded_by", sa.String(length=100), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("owner_kind IN ('item', 'objection', 'task')", name=op.f("ck_attachment_owner_kind")),
        sa.ForeignKeyConstraint(
            ["assessment_id"], ["assessment.id"], name=op.f("fk_attachment_assessment_id_assessment")
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"], name=op.f("fk_attachment_unit_id_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachment")),
    )
    op.create_index(
        op.f("ix_attachment_assessment_id_unit_id_code"),
        "attachment",
        ["assessment_id", "unit_id", "code"],
        unique=False,
    )
    op.create_index(op.f("ix_attachment_owner_kind_owner_id"), "attachment", ["owner_kind", "owner_id"], unique=False)
    op.create_table(
        "message",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("link", sa.String(length=300), nullable=False),
        sa.Column("dedup_key", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("read_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_message_account_id_account"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message")),
        sa.UniqueConstraint("account_id", "dedup_key", name=op.f("uq_message_account_id_dedup_key")),
    )
    op.create_index(op.f("ix_message_account_id_read_at"), "message", ["account_id", "read_at"], unique=False)
    op.create_index(op.f("ix_message_created_at"), "message", ["created_at"], unique=False)
    op.create_table(
        "rectification_task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column(
            "code", sa.String(length=64).with_variant(sa.String(length=64, collation="C"), "postgresql"), nullable=True
        ),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("submitted_by", sa.String(length=100), nullable=True),
        sa.Column("submitted_at", sa.DateTime(), nullable=True),
        sa.Column("submission_note", sa.Text(), nullable=False),
        sa.Column("decided_by", sa.String(length=100), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "source IN ('bottom', 'target', 'deduction', 'veto', 'other')", name=op.f("ck_rectification_task_source")
        ),
        sa.CheckConstraint(
            "status IN ('todo', 'submitted', 'accepted', 'returned')", name=op.f("ck_rectification_task_status")
        ),
        sa.ForeignKeyConstraint(
            ["assessment_id"], ["assessment.id"], name=op.f("fk_rectification_task_assessment_id_assessment")
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"], name=op.f("fk_rectification_task_unit_id_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rectification_task")),
    )
    op.create_index(op.f("ix_rectification_task_assessment_id"), "rectification_task", ["assessment_id"], unique=False)
    op.create_index(
        op.f("ix_rectification_task_unit_id_status"), "rectification_task", ["unit_id", "status"], unique=False
    )
    op.create_table(
        "publicity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("publication_id", sa.Integer(), nullable=False),
        sa.Column("working_days", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("started_by", sa.String(length=100), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("closed_by", sa.String(length=100), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessment_id"], ["assessment.id"], name=op.f("fk_publicity_assessment_id_assessment")
        ),
        sa.ForeignKeyConstraint(
            ["publication_id"], ["publication.id"], name=op.f("fk_publicity_publication_id_publication")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_publicity")),
    )
    op.create_index(op.f("ix_publicity_assessment_id"), "publicity", ["assessment_id"], unique=False)
    op.create_table(
        "objection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("publicity_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column(
            "code", sa.String(length=64).with_variant(sa.String(length=64, collation="C"), "postgresql"), nullable=False
        ),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("raised_by", sa.String(length=100), nullable=False),
        sa.Column("raised_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("reply", sa.Text(), nullable=False),
        sa.Column("decided_by", sa.String(length=100), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("new_value", sa.Float(), nullable=True),
        sa.Column("correction_submission_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("status IN ('open', 'upheld', 'corrected')", name=op.f("ck_objection_status")),
        sa.ForeignKeyConstraint(
            ["assessment_id"], ["assessment.id"], name=op.f("fk_objection_assessment_id_assessment")
        ),
        sa.ForeignKeyConstraint(
            ["correction_submission_id"],
            ["submission.id"],
            name=op.f("fk_objection_correction_submission_id_submission"),
        ),
        sa.ForeignKeyConstraint(["publicity_id"], ["publicity.id"], name=op.f("fk_objection_publicity_id_publicity")),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"], name=op.f("fk_objection_unit_id_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_objection")),
    )
    op.create_index(op.f("ix_objection_assessment_id_status"), "objection", ["assessment_id", "status"], unique=False)
    op.create_index(op.f("ix_objection_unit_id"), "objection", ["unit_id"], unique=False)


def downgrade() -> None:
    for table in ("objection", "publicity", "rectification_task", "message", "attachment"):
        op.drop_table(table)
