"""Periods and their state: open → published (公示) → locked, each change with who, when and why.

A locked period refuses imports and rollbacks. Unlocking needs a reason and is audited. Published
periods still accept corrections (results are open to objection while 公示 lasts), and a period
does not lock while a 公示 window of it is running or an objection of it is still open.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from scoring.periods import period_name, period_type
from services import audit
from services._db import local_time, read, write
from services.errors import Conflict, InvalidInput, PeriodLocked
from services.permissions import Actor, check, name_of
from storage.models import Assessment, Period, Publication
from storage.models import Scheme as SchemeRow
from storage.sql import for_update, insert_or_ignore
from storage.types import utcnow

STATE_NAMES = {"open": "开放", "published": "已公示", "locked": "已锁定"}


@dataclass(frozen=True)
class PeriodInfo:
    label: str
    kind: str
    state: str
    state_by: str | None = None
    state_at: datetime | None = None
    state_reason: str | None = None

    @property
    def name(self) -> str:
        return period_name(self.label)

    @property
    def state_name(self) -> str:
        return STATE_NAMES[self.state]

    @property
    def locked(self) -> bool:
        return self.state == "locked"

    @property
    def state_text(self) -> str:
        """'已锁定（张三 于 2025-04-05 10:12；原因：月通报已发布）'."""
        if self.state_by is None:
            return self.state_name
        why = f"；原因：{self.state_reason}" if self.state_reason else ""
        return f"{self.state_name}（{self.state_by} 于 {local_time(self.state_at)}{why}）"


def _info(p: Period) -> PeriodInfo:
    return PeriodInfo(p.label, p.kind, p.state, p.state_by, p.state_at, p.state_reason)


def check_label(label: str) -> str:
    kind = period_type(label)
    if kind is None:
        raise InvalidInput(f"期间「{label}」格式不对：应写作 2025-03（月）、2025-Q1（季度）或 2025（年度）")
    return kind


def previous_label(label: str) -> str:
    """The period before: 2025-01 → 2024-12, 2025-Q1 → 2024-Q4, 2025 → 2024."""
    kind = check_label(label)
    year = int(label[:4])
    if kind == "month":
        month = int(label[5:])
        return f"{year - 1}-12" if month == 1 else f"{year}-{month - 1:02d}"
    if kind == "quarter":
        q = int(label[-1])
        return f"{year - 1}-Q4" if q == 1 else f"{year}-Q{q - 1}"
    return str(year - 1)


def period_row(session: Session, label: str, *, lock: str | None = None) -> Period:
    """The period's row, created (open) if new. `lock`: 'share' while importing into it,
    'update' while changing its state (PostgreSQL row locks; SQLite has one writer anyway)."""
    kind = check_label(label)
    insert_or_ignore(
        session, Period, {"label": label, "kind": kind, "state": "open", "created_at": utcnow()}, ["label"]
    )
    stmt = select(Period).where(Period.label == label)
    if lock:
        stmt = for_update(session, stmt, Period, shared=lock == "share")
    row = session.scalars(stmt.execution_options(populate_existing=True)).one()
    return row


def refuse_if_locked(p: Period, doing: str) -> None:
    """Raise PeriodLocked, saying who locked it, when and why, if `p` is locked."""
    if p.state != "locked":
        return
    why = f"，原因：{p.state_reason}" if p.state_reason else ""
    raise PeriodLocked(
        f"{period_name(p.label)}（{p.label}）已于 {local_time(p.state_at)} 由 {p.state_by} 锁定{why}。"
        f"锁定期间不能{doing}；如确需更正，请先由管理员解锁（解锁需填写原因并留痕）。",
        p.label,
        p.state_by,
        p.state_at,
        p.state_reason,
    )


def get_period(label: str, *, engine: Engine | None = None) -> PeriodInfo:
    """The period's state; a period never written to is open."""
    kind = check_label(label)

    def work(session: Session) -> PeriodInfo:
        p = session.scalars(select(Period).where(Period.label == label)).one_or_none()
        return _info(p) if p is not None else PeriodInfo(label, kind, "open")

    return read(engine, work)


def list_periods(*, engine: Engine | None = None) -> list[PeriodInfo]:
    """Every period the database knows, newest label first."""
    return read(engine, lambda s: [_info(p) for p in s.scalars(select(Period).order_by(Period.label.desc()))])


def _change_state(
    label: str, to: str, actor: str, reason: str, engine: Engine | None, by: Actor | None = None
) -> PeriodInfo:
    actor = name_of(check(by, "periods.manage"), actor)
    reason = (reason or "").strip()
    if to in ("locked", "open") and not reason:
        raise InvalidInput(f"{'锁定' if to == 'locked' else '解锁'}期间必须填写原因")

    def work(session: Session) -> PeriodInfo:
        p = period_row(session, label, lock="update")
        if to == "open" and p.state != "locked":
            raise Conflict(f"{period_name(label)}（{label}）未锁定，无需解锁")
        if p.state == to:
            raise Conflict(f"{period_name(label)}（{label}）已经是「{STATE_NAMES[to]}」状态：{_info(p).state_text}")
        if to == "published" and p.state == "locked":
            raise Conflict(f"{period_name(label)}（{label}）已锁定：{_info(p).state_text}；如需改为公示，请先解锁")
        if to == "published":
            _refuse_unreviewed(session, p)
        if to == "locked":
            _refuse_objections_pending(session, p)
        before = p.state
        p.state, p.state_by, p.state_at, p.state_reason = to, actor, utcnow(), reason or None
        action = {"locked": "period.lock", "open": "period.unlock", "published": "period.publish"}[to]
        verb = {"locked": "锁定", "open": "解锁", "published": "公示"}[to]
        message = f"{verb}{period_name(label)}（{label}）" + (f"，原因：{reason}" if reason else "")
        audit.record(session, actor, action, f"period:{label}", message, before=before, after=to, reason=reason)
        session.flush()
        return _info(p)

    return write(engine, work)


def _refuse_unreviewed(session: Session, p: Period) -> None:
    """公示 comes after 审定发布: every scheme with data in the period must have been published."""
    published = select(Publication.assessment_id)
    rows = session.execute(
        select(SchemeRow.key)
        .join(Assessment, Assessment.scheme_id == SchemeRow.id)
        .where(Assessment.period_id == p.id, Assessment.scheme_version_id.is_not(None), Assessment.id.not_in(published))
        .order_by(SchemeRow.key)
    ).all()
    if rows:
        keys = "、".join(r[0] for r in rows)
        raise Conflict(
            f"{period_name(p.label)}（{p.label}）方案 {keys} 的考核结果尚未审定发布，不能公示：请先在「审定发布」中复核发布。"
        )


def _refuse_objections_pending(session: Session, p: Period) -> None:
    """A period locks only once its 公示 windows are over and no objection of it is open."""
    from services.publicity import lock_blockers_in  # it imports this module

    lines = lock_blockers_in(session, p.id)
    if lines:
        raise Conflict(
            f"{period_name(p.label)}（{p.label}）暂不能锁定：{'；'.join(lines)}。请在「公示与申诉」中处理完毕后再锁定。"
        )


def lock_period(
    label: str, actor: str, reason: str, *, by: Actor | None = None, engine: Engine | None = None
) -> PeriodInfo:
    """Lock the period: imports and rollbacks are refused until it is unlocked."""
    return _change_state(label, "locked", actor, reason, engine, by)


def unlock_period(
    label: str, actor: str, reason: str, *, by: Actor | None = None, engine: Engine | None = None
) -> PeriodInfo:
    """Open a locked period again. The reason is required and kept in the audit trail."""
    return _change_state(label, "open", actor, reason, engine, by)


def publish_period(
    label: str, actor: str, reason: str = "", *, by: Actor | None = None, engine: Engine | None = None
) -> PeriodInfo:
    """Mark the period's results as published (公示); corrections are still accepted."""
    return _change_state(label, "published", actor, reason, engine, by)
