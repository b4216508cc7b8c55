"""公示: a published period's results are put before the units for a window of working days, during
which a unit may object (申诉) to an item of its own result (services/objections.py).

A window belongs to an assessment (scheme × period) and starts on its publication in force; a
republication during 公示 (after a correction) keeps the window — objections refer to the window,
not to one publication. The window's state is read from the bureau's local date: 未开始 before
`starts_on`, 公示中 until `ends_on` inclusive, 已结束 after it or once ended early (with a reason).
`ends_on` counts the scheme's `objection_days` working days (services/workdays.py).

Starting a window also marks the period 公示 (state 'published') when the period is still open
and every scheme with data in it is published (the same rule as services/periods.publish_period).
Every step is audited; the units of the publication are told (站内消息, kind 'publicity').
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from scoring.periods import period_name
from services import audit, messages
from services._db import local_time, local_today, read, scheme_name_lookup, write
from services.catalog import version_info
from services.errors import Conflict, InvalidInput, NotFound
from services.periods import _refuse_unreviewed, period_row, refuse_if_locked
from services.permissions import Actor, acting, check, name_of, require_scope, require_unit
from services.workdays import add_workdays
from storage.models import Assessment, Objection, Period, Publication, Publicity, SchemeVersion, Unit, UnitCategory
from storage.models import Scheme as SchemeRow
from storage.types import utcnow

STATE_NAMES = {"pending": "未开始", "open": "公示中", "ended": "已结束"}


@dataclass(frozen=True)
class PublicityInfo:
    id: int
    scheme_key: str
    scheme_name: str
    period: str
    publication_seq: int  # the publication the window was started on
    working_days: int
    starts_on: date
    ends_on: date
    started_by: str
    started_at: datetime
    closed_by: str | None
    closed_at: datetime | None
    note: str

    def state(self, today: date | None = None) -> str:
        """'pending', 'open' or 'ended' on `today` (default: the bureau's today)."""
        today = today or local_today()
        if self.closed_at is not None or today > self.ends_on:
            return "ended"
        return "pending" if today < self.starts_on else "open"

    def is_open(self, today: date | None = None) -> bool:
        return self.state(today) == "open"

    def state_name(self, today: date | None = None) -> str:
        return STATE_NAMES[self.state(today)]

    @property
    def window_text(self) -> str:
        """'2026-12-07 至 2026-12-11（5 个工作日）'."""
        return f"{self.starts_on.isoformat()} 至 {self.ends_on.isoformat()}（{self.working_days} 个工作日）"

    def text(self, today: date | None = None) -> str:
        """'公示中：2026-12-07 至 2026-12-11（5 个工作日），张三（zhangsan） 于 … 发起'."""
        out = f"{self.state_name(today)}：{self.window_text}，{self.started_by} 于 {local_time(self.started_at)} 发起"
        if self.closed_at is not None:
            out += f"；{self.closed_by} 于 {local_time(self.closed_at)} 提前结束"
        return out + (f"；{self.note}" if self.note else "")


def _info(session: Session, w: Publicity) -> PublicityInfo:
    a = session.get(Assessment, w.assessment_id)
    seq = session.scalar(select(Publication.seq).where(Publication.id == w.publication_id)) or 0
    return PublicityInfo(
        w.id, a.scheme.key, a.scheme.name, a.period.label, seq, w.working_days, w.starts_on, w.ends_on,
        w.started_by, w.started_at, w.closed_by, w.closed_at, w.note or "",
    )  # fmt: skip


def _where(scheme_name: str, period: str) -> str:
    return f"{period_name(period)}（{period}）「{scheme_name}」"


def _assessment(session: Session, scheme_key: str, period: str) -> Assessment | None:
    return session.scalars(
        select(Assessment)
        .join(SchemeRow, Assessment.scheme_id == SchemeRow.id)
        .join(Period, Assessment.period_id == Period.id)
        .where(SchemeRow.key == scheme_key, Period.label == period)
    ).one_or_none()


def latest_window(session: Session, assessment_id: int) -> Publicity | None:
    """The assessment's newest 公示 window (in the caller's transaction)."""
    return session.scalars(
        select(Publicity).where(Publicity.assessment_id == assessment_id).order_by(Publicity.id.desc()).limit(1)
    ).first()


def window_is_open(w: Publicity | None, today: date | None = None) -> bool:
    today = today or local_today()
    return w is not None and w.closed_at is None and w.starts_on <= today <= w.ends_on


def unfinished_windows(session: Session, period_id: int, today: date | None = None) -> list[tuple[str, Publicity]]:
    """(scheme name, window) of every window of the period not yet over (未开始 or 公示中)."""
    today = today or local_today()
    rows = session.execute(
        select(SchemeRow.name, Publicity)
        .join(Assessment, Assessment.id == Publicity.assessment_id)
        .join(SchemeRow, SchemeRow.id == Assessment.scheme_id)
        .where(Assessment.period_id == period_id, Publicity.closed_at.is_(None), Publicity.ends_on >= today)
        .order_by(SchemeRow.name, Publicity.id)
    ).all()
    return [(name, w) for name, w in rows]


def open_objection_counts(session: Session, period_id: int) -> list[tuple[str, int]]:
    """(scheme name, open objections) of the period, in the caller's transaction."""
    rows = session.execute(
        select(SchemeRow.name, func.count(Objection.id))
        .join(Assessment, Assessment.id == Objection.assessment_id)
        .join(SchemeRow, SchemeRow.id == Assessment.scheme_id)
        .where(Assessment.period_id == period_id, Objection.status == "open")
        .group_by(SchemeRow.name)
        .order_by(SchemeRow.name)
    ).all()
    return [(n, int(c)) for n, c in rows]


def lock_blockers_in(session: Session, period_id: int) -> list[str]:
    """Why the period cannot lock yet: windows still running, objections still open ([] if none)."""
    lines = [
        f"「{name}」公示尚未结束（至 {w.ends_on.isoformat()}）" for name, w in unfinished_windows(session, period_id)
    ]
    lines += [f"「{name}」有 {n} 件申诉待处理" for name, n in open_objection_counts(session, period_id)]
    return lines


def lock_blockers(period: str, *, by: Actor | None = None, engine: Engine | None = None) -> list[str]:
    """`lock_blockers_in` for a page: what must end before the period can be locked."""
    check(by, "periods.manage")

    def work(session: Session) -> list[str]:
        p = session.scalars(select(Period).where(Period.label == period)).one_or_none()
        return [] if p is None else lock_blockers_in(session, p.id)

    return read(engine, work)


def scheme_units(session: Session, pub: Publication, categories: tuple[str, ...]) -> list[str]:
    """The unit codes of a publication's results (or, for one carried over without them, the
    active units of the scheme's categories)."""
    if pub.units:
        return sorted(str(u) for u in pub.units)
    return list(
        session.scalars(
            select(Unit.code)
            .join(UnitCategory, UnitCategory.id == Unit.category_id)
            .where(UnitCategory.name.in_(categories), Unit.active)
            .order_by(Unit.code)
        )
    )


def start_publicity(
    scheme_key: str,
    period: str,
    note: str = "",
    *,
    starts_on: date | None = None,
    actor: str = "",
    by: Actor | None = None,
    engine: Engine | None = None,
) -> PublicityInfo:
    """Put the publication in force of (scheme, period) on 公示 for the scheme's `objection_days`
    working days from `starts_on` (default: today; never a past day).

    Raises Forbidden, NotFound (no data), Conflict (not published; a window still running), PeriodLocked.
    """
    who = check(by, "publicity.manage")
    require_scope(who, "publicity.manage", scheme_key, (), scheme_name=scheme_name_lookup(scheme_key, engine=engine))
    user = name_of(who, actor.strip() or "（命令行）")
    today = local_today()
    first = starts_on or today
    if first < today:
        raise InvalidInput(f"公示开始日期 {first.isoformat()} 已过，请选择今天或以后的日期。")

    def work(session: Session) -> PublicityInfo:
        p = period_row(session, period, lock="update")
        refuse_if_locked(p, "发起公示")
        a = _assessment(session, scheme_key, period)
        if a is None or a.scheme_version_id is None:
            name = scheme_name_lookup(scheme_key, session=session)() or scheme_key
            raise NotFound(f"{period_name(period)}（{period}）方案「{name}」没有任何数据，不能公示。")
        where = _where(a.scheme.name, period)
        pub = session.scalars(
            select(Publication).where(Publication.assessment_id == a.id).order_by(Publication.seq.desc()).limit(1)
        ).first()
        if pub is None:
            raise Conflict(f"{where}的考核结果尚未审定发布，不能公示：请先在「审定发布」中复核发布。")
        running = latest_window(session, a.id)
        if running is not None and running.closed_at is None and running.ends_on >= today:
            info = _info(session, running)
            raise Conflict(f"{where}已在公示：{info.text(today)}。如需重新公示，请先结束当前公示。")
        version = version_info(session.get(SchemeVersion, pub.scheme_version_id))
        days = version.load().objection_days
        w = Publicity(
            assessment_id=a.id, publication_id=pub.id, working_days=days, starts_on=first,
            ends_on=add_workdays(first, days), started_by=user, started_at=utcnow(), note=note.strip(),
        )  # fmt: skip
        session.add(w)
        session.flush()
        info = _info(session, w)
        message = f"发起{where}的公示：{info.window_text}，依据第 {pub.seq} 次发布"
        audit.record(
            session, user, "publicity.start", f"publicity:{w.id}", message, scheme=scheme_key, period=period,
            publication=pub.seq, starts_on=first.isoformat(), ends_on=w.ends_on.isoformat(), working_days=days,
        )  # fmt: skip
        _mark_period_published(session, p, user)
        messages.notify(
            session, "publicity", f"{where}考核结果公示",
            f"公示期 {info.window_text}。公示期内如对本单位某项得分有异议，可在「申诉」页面提出申诉并附证明材料。",
            units=scheme_units(session, pub, version.categories), link="pages/unit_objections.py",
        )  # fmt: skip
        return info

    return write(engine, work)


def _mark_period_published(session: Session, p: Period, user: str) -> None:
    """An open period becomes 公示 once every scheme with data in it is published (else it stays
    open: another scheme still has to be reviewed first)."""
    if p.state != "open":
        return
    try:
        _refuse_unreviewed(session, p)
    except Conflict:
        return
    before = p.state
    p.state, p.state_by, p.state_at, p.state_reason = "published", user, utcnow(), "发起公示"
    audit.record(
        session, user, "period.publish", f"period:{p.label}", f"公示{period_name(p.label)}（{p.label}）",
        before=before, after="published", reason="发起公示",
    )  # fmt: skip


def end_publicity(
    scheme_key: str,
    period: str,
    reason: str,
    *,
    actor: str = "",
    by: Actor | None = None,
    engine: Engine | None = None,
) -> PublicityInfo:
    """End the running (or not yet started) window early; the reason is required and audited.
    Objections already raised stay open until decided."""
    who = check(by, "publicity.manage")
    require_scope(who, "publicity.manage", scheme_key, (), scheme_name=scheme_name_lookup(scheme_key, engine=engine))
    user = name_of(who, actor.strip() or "（命令行）")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("提前结束公示必须填写原因。")
    today = local_today()

    def work(session: Session) -> PublicityInfo:
        a = _assessment(session, scheme_key, period)
        w = latest_window(session, a.id) if a is not None else None
        name = a.scheme.name if a is not None else scheme_key
        if w is None or w.closed_at is not None or w.ends_on < today:
            raise Conflict(f"{_where(name, period)}当前没有进行中的公示，无需结束。")
        w.closed_by, w.closed_at = user, utcnow()
        w.note = "；".join(x for x in (w.note, f"提前结束原因：{reason}") if x)
        session.flush()
        info = _info(session, w)
        audit.record(
            session, user, "publicity.end", f"publicity:{w.id}", f"提前结束{_where(name, period)}的公示，原因：{reason}",
            scheme=scheme_key, period=period, reason=reason,
        )  # fmt: skip
        return info

    return write(engine, work)


def current_publicity(
    scheme_key: str, period: str, *, by: Actor | None = None, engine: Engine | None = None
) -> PublicityInfo | None:
    """The newest window of (scheme, period), whatever its state (None: never put on 公示).

    Open to everyone signed in: that a period is on 公示 is public by nature."""
    acting(by)  # in the web server, refuses a call made outside a signed-in page run

    def work(session: Session) -> PublicityInfo | None:
        a = _assessment(session, scheme_key, period)
        w = latest_window(session, a.id) if a is not None else None
        return None if w is None else _info(session, w)

    return read(engine, work)


def open_windows(
    *, unit: str | None = None, by: Actor | None = None, engine: Engine | None = None
) -> list[PublicityInfo]:
    """Every window that is 公示中 today, newest first; with `unit`, only those whose publication
    includes that unit (what a unit account may object to; a unit account: only its own)."""
    who = acting(by)
    if unit is not None:
        require_unit(who, unit)
    today = local_today()

    def work(session: Session) -> list[PublicityInfo]:
        rows = session.scalars(
            select(Publicity)
            .where(Publicity.closed_at.is_(None), Publicity.starts_on <= today, Publicity.ends_on >= today)
            .order_by(Publicity.id.desc())
        ).all()
        out = []
        for w in rows:
            if unit is not None:
                pub = session.scalars(
                    select(Publication)
                    .where(Publication.assessment_id == w.assessment_id)
                    .order_by(Publication.seq.desc())
                    .limit(1)
                ).first()
                if pub is None or (pub.units and unit not in pub.units):
                    continue
            out.append(_info(session, w))
        return out

    return read(engine, work)
