"""Publication (审定发布) of results and the period's data deadline (issue 19).

Results that were on screens before the upgrade stay there: every assessment that has values
gets a first publication containing its standing submissions, so leadership, unit accounts, the
meeting page and exports show exactly what they showed before.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

CARRIED_BY = "系统升级"
CARRIED_NOTE = "升级前已有的结果，升级时视为已发布"


def upgrade() -> None:
    op.add_column("period", sa.Column("deadline", sa.Date(), nullable=True))
    op.create_table(
        "publication",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("scheme_version_id", sa.Integer(), nullable=False),
        sa.Column("published_by", sa.String(100), nullable=False),
        sa.Column("published_at", sa.DateTime(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("units", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["assessment_id"], ["assessment.id"], name="fk_publication_assessment_id_assessment"),
        sa.ForeignKeyConstraint(
            ["scheme_version_id"], ["scheme_version.id"], name="fk_publication_scheme_version_id_scheme_version"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_publication"),
        sa.UniqueConstraint("assessment_id", "seq", name="uq_publication_assessment_id_seq"),
    )
    op.create_table(
        "publication_submission",
        sa.Column("publication_id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["publication_id"], ["publication.id"], name="fk_publication_submission_publication_id_publication"
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"], ["submission.id"], name="fk_publication_submission_submission_id_submission"
        ),
        sa.PrimaryKeyConstraint("publication_id", "submission_id", name="pk_publication_submission"),
    )
    # Carry existing results forward as published. The JSON literal is written inline: a bound
    # string would be refused by PostgreSQL's json column.
    now = datetime.now(UTC).replace(tzinfo=None)
    op.execute(
        sa.text(
            "INSERT INTO publication (assessment_id, seq, revision, scheme_version_id, published_by, published_at,"
            " note, units) SELECT id, 1, revision, scheme_version_id, :by, :at, :note, '{}' FROM assessment"
            " WHERE scheme_version_id IS NOT NULL"
        ).bindparams(by=CARRIED_BY, at=now, note=CARRIED_NOTE)
    )
    op.execute(
        "INSERT INTO publication_submission (publication_id, submission_id)"
        " SELECT p.id, s.id FROM publication p JOIN submission s ON s.assessment_id = p.assessment_id"
        " WHERE s.status <> 'rolled_back'"
    )


def downgrade() -> None:
    op.drop_table("publication_submission")
    op.drop_table("publication")
    # Plain DROP COLUMN (SQLite ≥ 3.35): a batch copy of `period` would trip its foreign keys.
    op.drop_column("period", "deadline")
