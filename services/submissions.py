"""Submissions: importing values, superseding, rolling back, and their history.

Semantics (issue 3):
- A submission covers a set of cells (unit × code × assessor) of one assessment (scheme ×
  period). It supersedes earlier values only for the cells it covers.
- A cell's current value is the one from the latest submission that has not been rolled back.
  Rolling a submission back therefore restores exactly what it had superseded.
- One import is one transaction: it lands whole or not at all. Importing values identical to
  an active, untouched submission is a no-op and says so.
- A locked period refuses imports and rollbacks, saying who locked it, when and why.
- All current values of an assessment use one scheme version: the period is scored with the
  version its submissions used. Changing version means rolling those submissions back first.

Imports and rollbacks of one assessment are serialised by a row lock on the assessment
(PostgreSQL) or SQLite's single writer; imports into different assessments run in parallel on
PostgreSQL.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from scoring import Problem
from scoring.periods import period_name
from services import audit
from services._db import local_time, read, write
from services.catalog import get_version
from services.errors import Conflict, ImportRefused, InvalidInput, NotFound
from services.evidence import evidenced_items
from services.file_names import safe_file_name
from services.periods import check_label, period_row, refuse_if_locked
from services.permissions import Actor, check, name_of, require, require_scope
from services.results import refresh_stored
from services.validation import content_hash, evidence_problems, normalise, value_problems
from services.values import current_values, values_as_of  # noqa: F401 - part of this module's API
from services.withdrawal import require_withdraw
from storage.bulk import floats_or_none, insert_values
from storage.models import Assessment, Period, SchemeVersion, Submission, SubmissionValue, Unit, UnitCategory
from storage.models import Scheme as SchemeRow
from storage.sql import for_update, insert_or_ignore
from storage.types import utcnow

STATUS_NAMES = {"active": "有效", "partial": "部分被覆盖", "superseded": "已被覆盖", "rolled_back": "已撤回"}


@dataclass(frozen=True)
class ImportOutcome:
    submission_id: int  # the new submission, or for a no-op the identical one already stored
    noop: bool
    rows: int
    superseded: int  # earlier current values this import replaced
    period: str
    scheme_key: str
    version: str

    @property
    def message(self) -> str:
        where = f"{period_name(self.period)}（{self.period}）{self.scheme_key} v{self.version}"
        if self.noop:
            return f"数据与已有的提交 #{self.submission_id} 完全相同，未重复导入（{where}）"
        also = f"，覆盖了 {self.superseded} 个单元格的原有数值" if self.superseded else ""
        return f"已导入 {self.rows} 个数值，提交编号 #{self.submission_id}（{where}）{also}"


@dataclass(frozen=True)
class RollbackOutcome:
    submission_id: int
    withdrawn: int  # values of the submission that were current until now
    restored: int  # earlier values that are current again
    period: str
    scheme_key: str

    @property
    def message(self) -> str:
        text_ = f"已撤回提交 #{self.submission_id}（{period_name(self.period)} {self.scheme_key}）"
        if self.withdrawn == 0:
            return text_ + "；它的数值已全部被后续提交覆盖，当前数据不变"
        return text_ + f"：撤下 {self.withdrawn} 个当前数值，恢复了 {self.restored} 个此前的数值"


# -- importing -------------------------------------------------------------------------------
def import_values(
    period: str,
    scheme_version: int,
    frame: pd.DataFrame,
    user: str,
    file_name: str,
    file_bytes: bytes,
    note: str = "",
    *,
    by: Actor | None = None,
    engine: Engine | None = None,
) -> ImportOutcome:
    """Store `frame` (long: unit code, code, value[, na, assessor, note, period]) as one submission.

    Raises ImportRefused (every problem located), PeriodLocked, Conflict (another scheme
    version is in use for this period), NotFound (no such version).
    """
    who = check(by, "upload")
    file_name = safe_file_name(file_name)  # a stored name can never point outside a directory
    version = get_version(scheme_version, engine=engine)
    require_scope(who, "upload", version.scheme_key, (), scheme_name=version.name)
    scheme = version.load()
    kind = check_label(period)
    if kind != scheme.period_type:
        names = {"month": "月度", "quarter": "季度", "year": "年度"}
        raise InvalidInput(
            f"方案「{scheme.name}」按{names[scheme.period_type]}考核，不能导入到{names[kind]}期间 {period}"
        )
    values, problems = normalise(frame, period)
    if len(values):
        problems += value_problems(values, scheme, period)
    if problems:
        raise ImportRefused(f"文件 {file_name} 有 {len(problems)} 处问题，未导入任何数据：", problems)
    content = content_hash(values)
    file_sha = hashlib.sha256(file_bytes).hexdigest()
    user = name_of(who, user.strip() or "（未署名）")

    def work(session: Session) -> ImportOutcome:
        p = period_row(session, period, lock="share")
        refuse_if_locked(p, "导入数据")
        if who is not None:
            require_scope(
                who,
                "upload",
                version.scheme_key,
                _categories(session, set(values["unit"].astype(str))),
                scheme_name=version.name,
            )
        a = _assessment_row(session, version.scheme_key, p)
        if a.scheme_version_id is not None and a.scheme_version_id != version.id:
            raise _version_conflict(session, a, version.version, period)
        missing = evidence_problems(values, scheme, period, evidenced_items(session, a.id))  # 无书面材料不得分
        if missing:
            raise ImportRefused(f"文件 {file_name} 有 {len(missing)} 处缺少书面材料，未导入任何数据：", missing)
        same = session.scalar(
            select(Submission.id).where(
                Submission.assessment_id == a.id,
                Submission.scheme_version_id == version.id,
                Submission.content_sha256 == content,
                Submission.status == "active",
                Submission.current_rows == Submission.row_count,
            )
        )
        if same is not None:
            return ImportOutcome(same, True, len(values), 0, period, version.scheme_key, version.version)
        unit_ids = _unit_ids(session, values, set(scheme.categories), period, file_name)
        sub = Submission(
            assessment_id=a.id,
            scheme_version_id=version.id,
            submitted_by=user,
            submitted_at=utcnow(),
            file_name=file_name,
            file_sha256=file_sha,
            file_bytes=file_bytes,
            content_sha256=content,
            row_count=len(values),
            current_rows=len(values),
            status="active",
            note=note,
        )
        session.add(sub)
        session.flush()
        n = len(values)
        notes = values["note"].to_numpy(dtype=object)
        insert_values(
            session,
            {
                "submission_id": [sub.id] * n,
                "assessment_id": [a.id] * n,
                "unit_id": unit_ids.tolist(),
                "code": values["code"].tolist(),
                "assessor": values["assessor"].tolist(),
                "value": floats_or_none(values["value"].to_numpy(dtype=float)),
                "na": values["na"].tolist(),
                "note": np.where(notes == "", None, notes).tolist(),
                "current": [True] * n,
            },
        )
        superseded = _supersede(session, a.id, sub.id) if a.scheme_version_id is not None else 0
        a.scheme_version_id = version.id
        a.revision += 1
        a.updated_at = utcnow()
        refresh_stored(session, version.scheme_key, period)  # the new revision lands with its results
        outcome = ImportOutcome(sub.id, False, n, superseded, period, version.scheme_key, version.version)
        audit.record(
            session, user, "submission.import", f"submission:{sub.id}", outcome.message,
            period=period, scheme=version.scheme_key, version=version.version, rows=n, superseded=superseded,
            file_name=file_name, file_sha256=file_sha,
        )  # fmt: skip
        return outcome

    return write(engine, work)


def _assessment_row(session: Session, scheme_key: str, period: Period) -> Assessment:
    """The assessment of (scheme, period), created if new and locked for this transaction."""
    scheme_id = session.scalar(select(SchemeRow.id).where(SchemeRow.key == scheme_key))
    insert_or_ignore(
        session,
        Assessment,
        {"scheme_id": scheme_id, "period_id": period.id, "revision": 0, "updated_at": utcnow()},
        ["scheme_id", "period_id"],
    )
    stmt = select(Assessment).where(Assessment.scheme_id == scheme_id, Assessment.period_id == period.id)
    return session.scalars(for_update(session, stmt, Assessment).execution_options(populate_existing=True)).one()


def _version_conflict(session: Session, a: Assessment, new_version: str, period: str) -> Conflict:
    old = session.get(SchemeVersion, a.scheme_version_id)
    ids = session.scalars(
        select(Submission.id)
        .where(Submission.assessment_id == a.id, Submission.status == "active")
        .order_by(Submission.id)
    ).all()
    listed = "、".join(f"#{i}" for i in ids[:10]) + (f" 等 {len(ids)} 个" if len(ids) > 10 else "")
    return Conflict(
        f"{period_name(period)}（{period}）已按方案 {old.scheme.key} 版本 {old.version} 导入了数据（有效提交：{listed}），"
        f"不能再按版本 {new_version} 导入：同一期间的数据必须使用同一个方案版本计分。"
        f"如确需改用新版本，请先撤回这些提交，再按新版本重新导入该期间的全部数据。"
    )


def _unit_ids(session: Session, values: pd.DataFrame, categories: set[str], period: str, file_name: str) -> np.ndarray:
    """Unit ids for the frame's unit codes; refuses unknown, inactive and out-of-scope units."""
    rows = session.execute(
        select(Unit.code, Unit.id, Unit.active, UnitCategory.name).join(
            UnitCategory, Unit.category_id == UnitCategory.id
        )
    ).all()
    known = pd.DataFrame(rows, columns=["code", "id", "active", "category"]).set_index("code")
    codes = pd.Index(pd.unique(values["unit"]))
    at = known.index.get_indexer(codes)
    problems = [f"单位编码「{c}」不在单位清单中" for c in codes[at < 0]]
    found = known.iloc[at[at >= 0]]
    problems += [f"单位「{c}」已停用" for c in found.index[~found["active"].to_numpy(dtype=bool)]]
    if categories:
        outside = found[found["active"].to_numpy(dtype=bool) & ~found["category"].isin(categories).to_numpy()]
        scope = "、".join(sorted(categories))
        problems += [f"单位「{c}」的类别「{k}」不在方案适用范围（{scope}）内" for c, k in outside["category"].items()]
    if problems:
        raise ImportRefused(
            f"文件 {file_name} 有 {len(problems)} 处单位问题，未导入任何数据：",
            [Problem(p, period=period) for p in problems],
        )
    return known["id"].to_numpy(dtype=np.int64)[known.index.get_indexer(values["unit"])]


_SUPERSEDE = text(
    """
    UPDATE submission_value SET current = false
    WHERE id IN (
        SELECT o.id FROM submission_value n
        JOIN submission_value o
          ON o.assessment_id = n.assessment_id AND o.unit_id = n.unit_id
         AND o.code = n.code AND o.assessor = n.assessor
        WHERE n.submission_id = :s AND o.current AND o.submission_id <> :s
    )
    """
)
_RECOUNT = text(
    """
    UPDATE submission SET current_rows = (
        SELECT count(*) FROM submission_value v WHERE v.submission_id = submission.id AND v.current
    )
    WHERE assessment_id = :a AND status <> 'rolled_back' AND id <> :s
    """
)
_RESTATUS = text(
    """
    UPDATE submission SET status = CASE WHEN current_rows > 0 THEN 'active' ELSE 'superseded' END
    WHERE assessment_id = :a AND status <> 'rolled_back'
    """
)


def _supersede(session: Session, assessment_id: int, submission_id: int) -> int:
    """Earlier current values of the cells the new submission covers stop being current."""
    replaced = session.execute(_SUPERSEDE, {"s": submission_id}).rowcount
    if replaced:
        session.execute(_RECOUNT, {"a": assessment_id, "s": submission_id})
        session.execute(_RESTATUS, {"a": assessment_id})
    return replaced


# -- rolling back ----------------------------------------------------------------------------
# Per cell of the submission that is current: the latest earlier value whose submission stands.
_RESTORE = text(
    """
    UPDATE submission_value SET current = true
    WHERE id IN (
        SELECT (
            SELECT p.id FROM submission_value p JOIN submission ps ON ps.id = p.submission_id
            WHERE p.assessment_id = c.assessment_id AND p.unit_id = c.unit_id
              AND p.code = c.code AND p.assessor = c.assessor
              AND p.submission_id < c.submission_id AND ps.status <> 'rolled_back'
            ORDER BY p.submission_id DESC LIMIT 1
        )
        FROM submission_value c WHERE c.submission_id = :s AND c.current
    )
    """
)
_WITHDRAW = text("UPDATE submission_value SET current = false WHERE submission_id = :s AND current")


def rollback(
    submission_id: int, user: str, reason: str = "", *, by: Actor | None = None, engine: Engine | None = None
) -> RollbackOutcome:
    """Withdraw a submission: its current values go, the values it superseded come back."""
    who = check(by, "rollback")
    user = name_of(who, user.strip() or "（未署名）")

    def work(session: Session) -> RollbackOutcome:
        sub = session.get(Submission, submission_id)
        if sub is None:
            raise NotFound(f"没有编号为 #{submission_id} 的提交")
        label = sub.assessment.period.label
        if who is not None:
            units = set(
                session.scalars(
                    select(Unit.code)
                    .join(SubmissionValue, SubmissionValue.unit_id == Unit.id)
                    .where(SubmissionValue.submission_id == sub.id)
                    .distinct()
                )
            )
            require_scope(
                who,
                "rollback",
                sub.assessment.scheme.key,
                _categories(session, units),
                scheme_name=sub.assessment.scheme.name,
            )
        require_withdraw(who, sub.id, sub.submitted_by)  # issue 19: an assessor withdraws only their own
        p = period_row(session, label, lock="share")
        refuse_if_locked(p, "撤回提交")
        a = _assessment_row(session, sub.assessment.scheme.key, p)
        session.refresh(sub)
        if sub.status == "rolled_back":
            raise Conflict(
                f"提交 #{submission_id} 已于 {local_time(sub.rolled_back_at)} 由 {sub.rolled_back_by} 撤回，不能重复撤回"
            )
        restored = session.execute(_RESTORE, {"s": sub.id}).rowcount
        withdrawn = session.execute(_WITHDRAW, {"s": sub.id}).rowcount
        sub.status, sub.current_rows = "rolled_back", 0
        sub.rolled_back_by, sub.rolled_back_at, sub.rollback_reason = user, utcnow(), reason.strip() or None
        session.flush()
        session.execute(_RECOUNT, {"a": a.id, "s": sub.id})
        session.execute(_RESTATUS, {"a": a.id})
        remaining = session.scalar(
            select(func.count())
            .select_from(Submission)
            .where(Submission.assessment_id == a.id, Submission.current_rows > 0)
        )
        if not remaining:
            a.scheme_version_id = None
        a.revision += 1
        a.updated_at = utcnow()
        refresh_stored(session, a.scheme.key, label)
        outcome = RollbackOutcome(sub.id, withdrawn, restored, label, a.scheme.key)
        audit.record(
            session, user, "submission.rollback", f"submission:{sub.id}",
            outcome.message + (f"，原因：{reason.strip()}" if reason.strip() else ""),
            withdrawn=withdrawn, restored=restored, reason=reason.strip(),
        )  # fmt: skip
        return outcome

    return write(engine, work)


def _categories(session: Session, unit_codes: set[str]) -> set[str]:
    """The categories of these units (for an assessor's scope check)."""
    rows = session.execute(select(Unit.code, UnitCategory.name).join(UnitCategory, Unit.category_id == UnitCategory.id))
    return {category for code, category in rows if code in unit_codes}


# -- history ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class SubmissionInfo:
    id: int
    period: str
    scheme_key: str
    version: str
    scheme_version_id: int
    submitted_by: str
    submitted_at: datetime
    file_name: str
    file_sha256: str
    row_count: int
    current_rows: int
    status: str
    note: str
    rolled_back_by: str | None
    rolled_back_at: datetime | None
    rollback_reason: str | None

    @property
    def status_name(self) -> str:
        if self.status == "active" and self.current_rows < self.row_count:
            return STATUS_NAMES["partial"]
        return STATUS_NAMES[self.status]


def _submission_info(s: Submission) -> SubmissionInfo:
    return SubmissionInfo(
        id=s.id,
        period=s.assessment.period.label,
        scheme_key=s.assessment.scheme.key,
        version=s.scheme_version.version,
        scheme_version_id=s.scheme_version_id,
        submitted_by=s.submitted_by,
        submitted_at=s.submitted_at,
        file_name=s.file_name,
        file_sha256=s.file_sha256,
        row_count=s.row_count,
        current_rows=s.current_rows,
        status=s.status,
        note=s.note,
        rolled_back_by=s.rolled_back_by,
        rolled_back_at=s.rolled_back_at,
        rollback_reason=s.rollback_reason,
    )


def get_submission(submission_id: int, *, engine: Engine | None = None) -> SubmissionInfo:
    require("submissions.read")

    def work(session: Session) -> SubmissionInfo:
        s = session.get(Submission, submission_id)
        if s is None:
            raise NotFound(f"没有编号为 #{submission_id} 的提交")
        return _submission_info(s)

    return read(engine, work)


def submission_file(submission_id: int, *, by: Actor | None = None, engine: Engine | None = None) -> tuple[str, bytes]:
    """The original file name and bytes, exactly as uploaded; the download is audited."""
    who = require("submissions.read", by)

    def work(session: Session) -> tuple[str, bytes]:
        row = session.execute(
            select(Submission.file_name, Submission.file_bytes).where(Submission.id == submission_id)
        ).one_or_none()
        if row is None:
            raise NotFound(f"没有编号为 #{submission_id} 的提交")
        return row[0], bytes(row[1])

    name, data = read(engine, work)
    audit.record_download(
        who, f"submission:{submission_id}", f"下载提交 #{submission_id} 的原始文件 {name}", engine=engine
    )
    return name, data


def history(
    scheme_key: str | None = None, period: str | None = None, *, limit: int = 500, engine: Engine | None = None
) -> pd.DataFrame:
    """Submissions, newest first: id, period, scheme, version, submitted_by, submitted_at (aware
    UTC), time (display text), file_name, rows, current_rows, status, status_name, note,
    rolled_back_by, rolled_back_at, rollback_reason."""
    require("submissions.read")

    def work(session: Session) -> list[SubmissionInfo]:
        stmt = (
            select(Submission)
            .join(Assessment, Submission.assessment_id == Assessment.id)
            .order_by(Submission.id.desc())
            .limit(limit)
        )
        if scheme_key:
            stmt = stmt.join(SchemeRow, Assessment.scheme_id == SchemeRow.id).where(SchemeRow.key == scheme_key)
        if period:
            stmt = stmt.join(Period, Assessment.period_id == Period.id).where(Period.label == period)
        return [_submission_info(s) for s in session.scalars(stmt)]

    infos = read(engine, work)
    return pd.DataFrame(
        {
            "id": [i.id for i in infos],
            "period": [i.period for i in infos],
            "scheme": [i.scheme_key for i in infos],
            "version": [i.version for i in infos],
            "submitted_by": [i.submitted_by for i in infos],
            "submitted_at": [i.submitted_at for i in infos],
            "time": [local_time(i.submitted_at) for i in infos],
            "file_name": [i.file_name for i in infos],
            "rows": [i.row_count for i in infos],
            "current_rows": [i.current_rows for i in infos],
            "status": [i.status for i in infos],
            "status_name": [i.status_name for i in infos],
            "note": [i.note for i in infos],
            "rolled_back_by": [i.rolled_back_by for i in infos],
            "rolled_back_at": [i.rolled_back_at for i in infos],
            "rollback_reason": [i.rollback_reason for i in infos],
        }
    )
