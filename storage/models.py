"""The database schema as typed SQLAlchemy models.

The schema is created and changed only by the Alembic migrations in `storage/migrations/`;
these models describe it for queries (a test checks the two agree on both databases).

The central idea: an *assessment* is one scheme assessed for one period. Submissions to it carry
values for cells (unit × input code × assessor). Every value ever submitted is kept; the flag
`current` marks, per cell, the value of the latest submission that has not been rolled back.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from storage.types import BigId, Code, UTCDateTime, utcnow

# Constraint names are fixed so migrations can refer to them on both databases.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

PERIOD_STATES = ("open", "published", "locked")
SUBMISSION_STATES = ("active", "superseded", "rolled_back")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON(), list[str]: JSON()}


class UnitCategory(Base):
    """A peer group (类别): 乡镇卫生院, 社区卫生服务中心, 职工 … Ranks are computed within one."""

    __tablename__ = "unit_category"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    sort_order: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Unit(Base):
    """An assessed unit: an institution, a department or a member of staff."""

    __tablename__ = "unit"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    category_id: Mapped[int] = mapped_column(ForeignKey("unit_category.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True, server_default=text("true"))
    # Other names the unit goes by in uploaded sheets (区人医 for 清河区人民医院).
    aliases: Mapped[list[str]] = mapped_column(default=list)
    population: Mapped[int | None] = mapped_column(Integer)
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    category: Mapped[UnitCategory] = relationship(lazy="joined", innerjoin=True)
    parent: Mapped[Unit | None] = relationship(remote_side=[id])


class Scheme(Base):
    """A scheme (考核方案) by its id in the YAML (`community_monthly`); its content is in versions."""

    __tablename__ = "scheme"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    period_type: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    versions: Mapped[list[SchemeVersion]] = relationship(back_populates="scheme", order_by="SchemeVersion.id")


class SchemeVersion(Base):
    """The YAML source of one version, byte for byte, and its hash.

    Once a submission or result refers to it, it never changes (services/catalog.py enforces it).
    """

    __tablename__ = "scheme_version"
    __table_args__ = (UniqueConstraint("scheme_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scheme_id: Mapped[int] = mapped_column(ForeignKey("scheme.id"))
    version: Mapped[str] = mapped_column(String(50))
    name: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    source: Mapped[str] = mapped_column(Text)
    categories: Mapped[list[str]] = mapped_column(default=list)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    note: Mapped[str] = mapped_column(Text, default="")

    scheme: Mapped[Scheme] = relationship(back_populates="versions", lazy="joined", innerjoin=True)


class Period(Base):
    """An assessment period ('2025-03', '2025-Q1', '2025') and whether it still accepts data."""

    __tablename__ = "period"
    __table_args__ = (CheckConstraint("state IN ('open', 'published', 'locked')", name="state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(10), unique=True)
    kind: Mapped[str] = mapped_column(String(10))
    state: Mapped[str] = mapped_column(String(10), default="open", server_default="open")
    state_by: Mapped[str | None] = mapped_column(String(100))
    state_at: Mapped[datetime | None]
    state_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When the assessment teams' data is due (填报截止日期, bureau time); NULL: none set.
    deadline: Mapped[date | None] = mapped_column(Date)


class Assessment(Base):
    """One scheme assessed for one period. `revision` counts every change to its current values.

    Imports and rollbacks of one assessment are serialised by locking this row, and its revision
    is part of the results cache's fingerprint.
    """

    __tablename__ = "assessment"
    __table_args__ = (UniqueConstraint("scheme_id", "period_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scheme_id: Mapped[int] = mapped_column(ForeignKey("scheme.id"))
    period_id: Mapped[int] = mapped_column(ForeignKey("period.id"), index=True)
    # The version the current values use; NULL while there are none.
    scheme_version_id: Mapped[int | None] = mapped_column(ForeignKey("scheme_version.id"))
    revision: Mapped[int] = mapped_column(default=0, server_default="0")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    scheme: Mapped[Scheme] = relationship(lazy="joined", innerjoin=True)
    period: Mapped[Period] = relationship(lazy="joined", innerjoin=True)


class Submission(Base):
    """One upload: who, when, the original file and what became of it."""

    __tablename__ = "submission"
    __table_args__ = (
        CheckConstraint("status IN ('active', 'superseded', 'rolled_back')", name="status"),
        Index(None, "assessment_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id"))
    scheme_version_id: Mapped[int] = mapped_column(ForeignKey("scheme_version.id"), index=True)
    submitted_by: Mapped[str] = mapped_column(String(100))
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    file_name: Mapped[str] = mapped_column(String(255))
    file_sha256: Mapped[str] = mapped_column(String(64))
    file_bytes: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    # Hash of the values as stored (sorted, normalised): an identical re-import has the same one.
    content_sha256: Mapped[str] = mapped_column(String(64))
    row_count: Mapped[int]
    current_rows: Mapped[int]
    status: Mapped[str] = mapped_column(String(12), default="active")
    note: Mapped[str] = mapped_column(Text, default="")
    rolled_back_by: Mapped[str | None] = mapped_column(String(100))
    rolled_back_at: Mapped[datetime | None]
    rollback_reason: Mapped[str | None] = mapped_column(Text)

    assessment: Mapped[Assessment] = relationship(lazy="joined", innerjoin=True)
    scheme_version: Mapped[SchemeVersion] = relationship(lazy="joined", innerjoin=True)


class SubmissionValue(Base):
    """One cell's value as a submission gave it. Rows are never updated except `current`.

    No foreign keys, on purpose: on PostgreSQL their per-row checks made loading a million values
    seven times slower than the COPY itself. Every id written here was read or created in the
    same transaction (units are deactivated, never deleted), and `storage.integrity.check` looks
    for orphans.
    """

    __tablename__ = "submission_value"
    __table_args__ = (
        # A cell's history, newest last: supersede, rollback and "as of" look cells up here.
        Index("ix_submission_value_cell", "assessment_id", "unit_id", "code", "assessor", "submission_id"),
        Index("ix_submission_value_submission", "submission_id", "current"),
        # Current values of an assessment: what every results page reads.
        Index(
            "ix_submission_value_current",
            "assessment_id",
            sqlite_where=text("current"),
            postgresql_where=text("current"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    submission_id: Mapped[int]
    assessment_id: Mapped[int]
    unit_id: Mapped[int]
    code: Mapped[str] = mapped_column(Code(64))
    assessor: Mapped[str] = mapped_column(Code(100), default="")
    value: Mapped[float | None] = mapped_column(Float)
    na: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str | None] = mapped_column(Text)
    current: Mapped[bool] = mapped_column(Boolean)


class Publication(Base):
    """One 审定发布 of an assessment: the results leadership, unit accounts, the meeting page and
    exports see, until the next publication of the same assessment replaces it.

    The published values are those of the submissions listed in `publication_submission` (latest
    per cell among them), so later imports and rollbacks never change what was published.
    `units` keeps the published totals and ranks, to show what a republication changes.
    """

    __tablename__ = "publication"
    __table_args__ = (UniqueConstraint("assessment_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id"))
    seq: Mapped[int]  # 1, 2, … per assessment: the highest is in force
    revision: Mapped[int]  # the assessment's revision that was published
    scheme_version_id: Mapped[int] = mapped_column(ForeignKey("scheme_version.id"))
    published_by: Mapped[str] = mapped_column(String(100))
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    note: Mapped[str] = mapped_column(Text, default="")
    # {unit code: [total, rank]} as published (empty for publications carried over by the upgrade).
    # Deferred: 1.5 MB of JSON at 40,000 units, read only by the few steps that compare with it,
    # not by every lookup of the publication in force.
    units: Mapped[dict[str, Any]] = mapped_column(default=dict, deferred=True)


class PublicationSubmission(Base):
    """The submissions a publication contains (every one standing when it was published)."""

    __tablename__ = "publication_submission"

    publication_id: Mapped[int] = mapped_column(ForeignKey("publication.id"), primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id"), primary_key=True)


class ResultCache(Base):
    """The scored units table of an assessment, valid while `fingerprint` still matches."""

    __tablename__ = "result_cache"

    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id"), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(200))
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
    payload: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)


class ResultDetail(Base):
    """The engine's full output for an assessment (services/result_detail.py packs it), valid
    while `fingerprint` still matches: leaf-level pages rebuild their Results from it instead of
    reading every value back and scoring again."""

    __tablename__ = "result_detail"

    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id"), primary_key=True)
    # 'current' (the working values, as drafts and the command line see them) or 'published'
    # (the last publication, as leadership sees it): both are read, so both are kept.
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(200))
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
    payload: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)


class ValueSnapshot(Base):
    """An assessment's current values in one packed row (services/value_snapshot.py), valid while
    `revision` is still the assessment's: the pages that read a whole month of values unpack it
    instead of selecting every value row. Written with the values' change, in its transaction."""

    __tablename__ = "value_snapshot"

    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id"), primary_key=True)
    revision: Mapped[int]  # the assessment's revision the values are of
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
    payload: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)


class UnitHistoryStamp(Base):
    """Which fingerprint the `unit_history` rows of an assessment and kind were written for: the
    rows count only while it matches (an import, a rollback or a publication moves it)."""

    __tablename__ = "unit_history_stamp"

    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)  # 'current' or 'published'
    fingerprint: Mapped[str] = mapped_column(String(200))
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)


class UnitHistory(Base):
    """One unit's total, rank and grade in one assessment, per kind (services/unit_history.py):
    a unit's trend over the periods is one indexed query instead of every period's results."""

    __tablename__ = "unit_history"
    __table_args__ = (Index("ix_unit_history_unit_kind", "unit", "kind"),)

    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    unit: Mapped[str] = mapped_column(Code(64), primary_key=True)  # the unit's code, as in results
    position: Mapped[int]  # the row's place in the period's results (the charts keep that order)
    total: Mapped[float | None] = mapped_column(Float)
    rank: Mapped[int | None]
    group_size: Mapped[int | None]
    grade: Mapped[str | None] = mapped_column(String(50))
    veto: Mapped[bool] = mapped_column(Boolean)


class LeafHistory(Base):
    """One leaf's points, value and whether it was met, for every unit of an assessment, per kind
    (services/history_rows.py packs it): an item's trend reads one small payload per period
    instead of every period's whole detail. Counts while the `unit_history_stamp` matches."""

    __tablename__ = "leaf_history"

    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    leaf: Mapped[str] = mapped_column(Code(64), primary_key=True)
    payload: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)


class Counter(Base):
    """Named change counters, e.g. 'catalog' (units and categories) for the results fingerprint."""

    __tablename__ = "counter"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[int] = mapped_column(default=0)


class AuditEntry(Base):
    """Who did what, when: written in the same transaction as the change it records."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(50), index=True)
    target: Mapped[str] = mapped_column(String(200))
    message: Mapped[str] = mapped_column(Text)
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


ROLES = ("admin", "assessor", "viewer", "unit")


class Account(Base):
    """A local sign-in account. Passwords are argon2 hashes (services/accounts.py).

    `scopes` limits an assessor: {"schemes": [scheme keys], "categories": [category names]}.
    A unit account belongs to one unit (`unit_id`) and sees only that unit.
    """

    __tablename__ = "account"
    __table_args__ = (CheckConstraint("role IN ('admin', 'assessor', 'viewer', 'unit')", name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(10))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), index=True)
    scopes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True, server_default=text("true"))
    # Made by the demo bootstrap; refused at sign-in unless the app runs in demo mode.
    is_demo: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    # No longer used: sign-in failures and locks live in `login_attempt` (per user name and client
    # address, so an attacker cannot lock an account for everyone). Kept so older code reading them
    # still works; `authenticate` neither reads nor writes them.
    failed_logins: Mapped[int] = mapped_column(default=0, server_default="0")
    locked_until: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]
    password_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    unit: Mapped[Unit | None] = relationship(lazy="selectin")  # a nested join here made SQLite scan every unit


class AccountSession(Base):
    """A signed-in browser. The cookie holds a random token; only its sha256 is stored here.

    `ticket_sha256` is a one-time, short-lived ticket the login page hands the browser to
    exchange for the HttpOnly cookie (so the session token itself never appears in a URL).
    """

    __tablename__ = "account_session"

    token_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    ticket_sha256: Mapped[str | None] = mapped_column(String(64), unique=True)
    ticket_expires_at: Mapped[datetime | None]
    source: Mapped[str] = mapped_column(String(200), default="")

    account: Mapped[Account] = relationship(lazy="joined", innerjoin=True)


class LoginAttempt(Base):
    """One sign-in attempt (or one check of the old password in 修改密码), for throttling.

    `username` is the name as typed (attacker-controlled, never shown as an account); `source` is
    the client address (ui/client.py). `outcome`: 'ok' or 'failed' (wrong password, unknown name,
    account off); attempts refused by the throttle are audited, not stored here.
    `kind`: 'login' or 'password' (the old-password check). Rows older than 30 days are deleted.
    In the database, not in memory, so that every replica behind the proxy counts the same.
    """

    __tablename__ = "login_attempt"
    __table_args__ = (
        CheckConstraint("outcome IN ('ok', 'failed')", name="outcome"),
        CheckConstraint("kind IN ('login', 'password')", name="kind"),
        Index(None, "username", "source", "at"),
        Index(None, "source", "at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    kind: Mapped[str] = mapped_column(String(10))
    username: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(10))


# --- The unit's side of the cycle: 公示, 申诉, 证明材料, 整改, 站内消息 (migration 0005) ---

OBJECTION_STATES = ("open", "upheld", "corrected")
TASK_STATES = ("todo", "submitted", "accepted", "returned")


class Publicity(Base):
    """A 公示 window on one publication of an assessment: units may object until `ends_on`.

    `ends_on` is the last day objections are accepted (bureau time), counted in working days
    from `starts_on`. `closed_at` is set when the window is ended (early or after `ends_on`).
    """

    __tablename__ = "publicity"

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id"), index=True)
    publication_id: Mapped[int] = mapped_column(ForeignKey("publication.id"))
    working_days: Mapped[int]
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    started_by: Mapped[str] = mapped_column(String(100))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_by: Mapped[str | None] = mapped_column(String(100))
    closed_at: Mapped[datetime | None]
    note: Mapped[str] = mapped_column(Text, default="")


class Objection(Base):
    """A unit's 申诉 on one item (`code`) of its published result, and its outcome.

    `status`: open → upheld (维持, with a reply) or corrected (更正: `new_value` was imported as a
    correction submission, `correction_submission_id`, which a republication then publishes).
    """

    __tablename__ = "objection"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'upheld', 'corrected')", name="status"),
        Index(None, "assessment_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id"))
    publicity_id: Mapped[int] = mapped_column(ForeignKey("publicity.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    code: Mapped[str] = mapped_column(Code(64))
    reason: Mapped[str] = mapped_column(Text)
    raised_by: Mapped[str] = mapped_column(String(100))
    raised_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(10), default="open")
    reply: Mapped[str] = mapped_column(Text, default="")
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[datetime | None]
    new_value: Mapped[float | None] = mapped_column(Float)
    correction_submission_id: Mapped[int | None] = mapped_column(ForeignKey("submission.id"))


class Attachment(Base):
    """A file kept as evidence: for an item (`owner_kind` 'item': assessment, unit, code), an
    objection ('objection') or a rectification task ('task'), `owner_id` naming the latter two.

    The type is what the content is (`mime`, checked on upload), not what the name says.
    """

    __tablename__ = "attachment"
    __table_args__ = (
        CheckConstraint("owner_kind IN ('item', 'objection', 'task')", name="owner_kind"),
        Index(None, "owner_kind", "owner_id"),
        Index(None, "assessment_id", "unit_id", "code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_kind: Mapped[str] = mapped_column(String(10))
    owner_id: Mapped[int | None]
    assessment_id: Mapped[int | None] = mapped_column(ForeignKey("assessment.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    code: Mapped[str | None] = mapped_column(Code(64))
    file_name: Mapped[str] = mapped_column(String(255))
    mime: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    note: Mapped[str] = mapped_column(Text, default="")
    uploaded_by: Mapped[str] = mapped_column(String(100))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)


class RectificationTask(Base):
    """A 整改 task for one unit: what, by when, and where it stands.

    `source`: 'bottom' (末位), 'target' (未达标指标 `code`), 'deduction' (扣分项 `code`), 'other'.
    `status`: todo (待整改) → submitted (已提交) → accepted (已验收) or returned (退回, then
    submitted again).
    """

    __tablename__ = "rectification_task"
    __table_args__ = (
        CheckConstraint("status IN ('todo', 'submitted', 'accepted', 'returned')", name="status"),
        CheckConstraint("source IN ('bottom', 'target', 'deduction', 'veto', 'other')", name="source"),
        Index(None, "unit_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    assessment_id: Mapped[int | None] = mapped_column(ForeignKey("assessment.id"), index=True)
    source: Mapped[str] = mapped_column(String(10))
    code: Mapped[str | None] = mapped_column(Code(64))
    title: Mapped[str] = mapped_column(String(200))
    detail: Mapped[str] = mapped_column(Text, default="")
    deadline: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="todo")
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_by: Mapped[str | None] = mapped_column(String(100))
    submitted_at: Mapped[datetime | None]
    submission_note: Mapped[str] = mapped_column(Text, default="")
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str] = mapped_column(Text, default="")


class Message(Base):
    """An in-app message (站内消息) to one account. `dedup_key` stops a reminder being sent twice."""

    __tablename__ = "message"
    __table_args__ = (UniqueConstraint("account_id", "dedup_key"), Index(None, "account_id", "read_at"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str] = mapped_column(String(300), default="")
    dedup_key: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    read_at: Mapped[datetime | None]


class UnitFigure(Base):
    """A figure of a unit for one year (常住人口, 65岁以上人口, 应管理高血压人数 …), named in Chinese.

    Computed indicators divide by these (建档人数 ÷ 常住人口); a figure changes every year, so each
    year keeps its own value and an assessment reads the figure of its period's year.
    """

    __tablename__ = "unit_figure"
    __table_args__ = (UniqueConstraint("unit_id", "year", "name"), Index(None, "year"))

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    year: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(100))
    value: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by: Mapped[str] = mapped_column(String(100))
