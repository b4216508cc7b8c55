"""整改 tasks: a bottom-ranked or vetoed unit, an unmet target or a deduction becomes a task for the
unit, with a deadline, the unit's evidence of rectification and the assessor's acceptance.

Status: 待整改 (todo) → 已提交 (submitted) → 已验收 (accepted), or 退回 (returned) and then
submitted again. Who may do what:
- `tasks.manage` (administrators; assessors within their schemes and unit categories) create tasks,
  accept or return them, list them and send reminders. A task without a scheme (「其他」 with no
  period) is for administrators only: an assessor's tasks always belong to one of their schemes.
- `tasks.own` (unit accounts) read and submit only their own unit's tasks.

Dates are the bureau's local dates (services/_db.DISPLAY_TZ). A task is **overdue** (逾期) when its
deadline has passed (deadline < local today) and it is not accepted.

**整改完成率** (the bulletin's 「整改落实情况」, `rectification_summary`): of the tasks arising from
the scheme's results of the period and the periods before it, 已验收 ÷ 应完成, where 应完成 is
已验收 + 逾期未验收 — the tasks whose deadline has passed or that are already accepted. Tasks still
within their deadline and not yet accepted count neither way. The figure is as of the day the
bulletin is made (截至 that date), since tasks change after the period.

Reminders (`send_reminders`, `python manage.py tasks remind`): a task still to be done (待整改 or
退回) that is due within REMIND_DAYS days, or overdue, gets one message each (a dedup_key per task,
kind of reminder and deadline), however often reminders are run.

Every step is audited (target `rectification_task:<id>`) and notified in the same transaction: the
unit on creation, return and acceptance; the creator on submission.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

import pandas as pd
from sqlalchemy import Engine, Select, select
from sqlalchemy.orm import Session

from reports.bulletin import Bulletin, RectificationSummary
from scoring.periods import period_name, period_type
from services import audit
from services._db import engine_or_default, local_time, local_today, read, scheme_name_lookup, write
from services.attachments import AttachmentInfo, listed, store
from services.catalog import version_info
from services.errors import Conflict, InvalidInput, NotFound
from services.memo import Memo
from services.messages import notify
from services.permissions import Actor, acting, check, name_of, refusal, require, require_scope
from services.task_suggestions import SOURCE_NAMES, Suggestion, Suggestions
from services.task_suggestions import suggest as _suggest
from storage.models import (
    Account,
    Assessment,
    Attachment,
    AuditEntry,
    Period,
    Publication,
    RectificationTask,
    SchemeVersion,
    Unit,
    UnitCategory,
)
from storage.models import Scheme as SchemeRow
from storage.sql import for_update
from storage.types import utcnow

STATUS_NAMES = {"todo": "待整改", "submitted": "已提交", "accepted": "已验收", "returned": "退回"}
OPEN = ("todo", "submitted", "returned")
TO_DO = ("todo", "returned")  # the unit has to act
DEFAULT_DAYS = 15  # a suggested task's default deadline: local today + 15 days
REMIND_DAYS = 3  # a reminder when the deadline is this many days away or fewer
MAX_FILES = 10
TITLE_MAX = 200
# leaf methods a source names (a task on an item must name an item of that kind)
SOURCE_METHOD = {"target": "target", "deduction": "deduction", "veto": "veto"}
LINK = {"unit": "pages/my_tasks.py", "manager": "pages/tasks.py"}  # the page a message leads to


def _headline(text: str) -> str:
    """A message title fits its column (200 characters), however long the task's title."""
    return text if len(text) <= 200 else text[:199] + "…"


@dataclass(frozen=True)
class TaskInfo:
    id: int
    unit: str
    unit_name: str
    category: str
    scheme_key: str | None
    scheme_name: str | None
    period: str | None
    source: str
    code: str | None
    title: str
    detail: str
    deadline: date
    status: str
    created_by: str
    created_at: datetime
    submitted_by: str | None
    submitted_at: datetime | None
    submission_note: str
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str
    overdue: bool

    @property
    def status_name(self) -> str:
        return STATUS_NAMES[self.status]

    @property
    def source_name(self) -> str:
        return SOURCE_NAMES[self.source]

    @property
    def is_open(self) -> bool:
        return self.status != "accepted"

    @property
    def where(self) -> str:
        """「社区卫生服务中心月度考核」2025年8月, or '' for a task without a scheme."""
        if self.scheme_key is None or self.period is None:
            return ""
        return f"「{self.scheme_name}」{period_name(self.period)}"

    @property
    def label(self) -> str:
        """How messages and refusals name the task: 「title」（unit name）."""
        return f"整改任务「{self.title}」（{self.unit_name}）"


def _query() -> Select:
    return (
        select(RectificationTask, Unit.code, Unit.name, UnitCategory.name, SchemeRow.key, SchemeRow.name, Period.label)
        .join(Unit, Unit.id == RectificationTask.unit_id)
        .join(UnitCategory, UnitCategory.id == Unit.category_id)
        .outerjoin(Assessment, Assessment.id == RectificationTask.assessment_id)
        .outerjoin(SchemeRow, SchemeRow.id == Assessment.scheme_id)
        .outerjoin(Period, Period.id == Assessment.period_id)
    )


def _info(row: tuple, today: date) -> TaskInfo:
    t, unit, name, category, scheme_key, scheme_name, period = row
    return TaskInfo(
        t.id, unit, name, category, scheme_key, scheme_name, period, t.source, t.code, t.title, t.detail or "",
        t.deadline, t.status, t.created_by, t.created_at, t.submitted_by, t.submitted_at, t.submission_note or "",
        t.decided_by, t.decided_at, t.decision_note or "", t.status != "accepted" and t.deadline < today,
    )  # fmt: skip


def _one(session: Session, task_id: int, today: date, *, lock: bool = False) -> TaskInfo:
    stmt = _query().where(RectificationTask.id == task_id)
    if lock:
        stmt = for_update(session, stmt, RectificationTask)
    row = session.execute(stmt.execution_options(populate_existing=True)).first()
    if row is None:
        raise NotFound(f"整改任务 {task_id} 不存在（可能已被删除），请刷新页面。")
    return _info(tuple(row), today)


# -- who may see and act on a task ---------------------------------------------------------------
def _may_manage(actor: Actor | None, task: TaskInfo) -> None:
    """tasks.manage, and for an assessor the task's scheme and the unit's category."""
    if actor is None:
        return
    actor.require("tasks.manage")
    if actor.role == "assessor" and task.scheme_key is None:
        raise refusal(actor, f"rectification_task:{task.id}", "未关联考核方案的整改任务只能由管理员处理。")
    if task.scheme_key is not None:
        require_scope(actor, "tasks.manage", task.scheme_key, [task.category], scheme_name=task.scheme_name)


def _may_read(actor: Actor | None, task: TaskInfo) -> None:
    """A unit account its own unit's tasks; a manager the tasks within their scope."""
    if actor is not None and actor.role == "unit":
        actor.require("tasks.own")
        if task.unit != actor.unit_code:
            raise refusal(actor, f"rectification_task:{task.id}", "单位账户只能查看和提交本单位的整改任务。")
        return
    _may_manage(actor, task)


def _in_scope(actor: Actor | None, task: TaskInfo) -> bool:
    if actor is None or actor.role == "admin":
        return True
    if actor.role != "assessor" or task.scheme_key is None or task.scheme_key not in actor.schemes:
        return False
    return not actor.categories or task.category in actor.categories


# -- creating ------------------------------------------------------------------------------------
def _clean_deadline(deadline: date | None, today: date) -> date:
    if deadline is None:
        return today + timedelta(days=DEFAULT_DAYS)
    if not isinstance(deadline, date):
        raise InvalidInput("整改期限不是有效的日期，请重新选择。")
    if isinstance(deadline, datetime):
        deadline = deadline.date()
    if deadline < today:
        raise InvalidInput(f"整改期限 {deadline:%Y-%m-%d} 已经过去，请选择今天（{today:%Y-%m-%d}）或以后的日期。")
    return deadline


def _assessment(session: Session, scheme_key: str, period: str) -> tuple[Assessment, str]:
    a = session.execute(
        select(Assessment)
        .join(SchemeRow, SchemeRow.id == Assessment.scheme_id)
        .join(Period, Period.id == Assessment.period_id)
        .where(SchemeRow.key == scheme_key, Period.label == period)
    ).scalar_one_or_none()
    name = session.scalar(select(SchemeRow.name).where(SchemeRow.key == scheme_key)) or scheme_key
    if a is None or a.scheme_version_id is None:
        raise NotFound(f"「{name}」在 {period_name(period)}（{period}）没有考核数据，不能据此下达整改任务。")
    return a, name


def _check_code(session: Session, a: Assessment, scheme_name: str, source: str, code: str | None) -> str | None:
    """The item a task on a target, deduction or veto names: a leaf of that kind in the scheme."""
    if source == "bottom":
        return None  # 末位 is about the unit's total, not one item
    if source not in SOURCE_METHOD:
        return code or None
    if not code:
        raise InvalidInput(f"「{SOURCE_NAMES[source]}」类整改任务须指明是哪一项指标。")
    scheme = version_info(session.get(SchemeVersion, a.scheme_version_id)).load()
    leaf = next((leaf for leaf in scheme.leaves if leaf.code == code), None)
    if leaf is None or leaf.method != SOURCE_METHOD[source]:
        raise InvalidInput(f"「{scheme_name}」没有编码为 {code} 的{SOURCE_NAMES[source]}，请从整改建议中选择。")
    return code


def _open_duplicate(
    session: Session, unit_id: int, assessment_id: int | None, source: str, code: str | None
) -> int | None:
    if source == "other":
        return None  # 其他: what it is about is free text; the same unit may have several
    return session.scalar(
        select(RectificationTask.id).where(
            RectificationTask.unit_id == unit_id,
            RectificationTask.assessment_id == assessment_id,
            RectificationTask.source == source,
            RectificationTask.code.is_(None) if code is None else RectificationTask.code == code,
            RectificationTask.status != "accepted",
        )
    )


def create_task(
    unit: str,
    title: str,
    detail: str = "",
    deadline: date | None = None,
    *,
    source: str = "other",
    scheme_key: str | None = None,
    period: str | None = None,
    code: str | None = None,
    user: str = "",
    today: date | None = None,
    by: Actor | None = None,
    engine: Engine | None = None,
) -> TaskInfo:
    """Give `unit` a 整改 task; the unit's accounts are told. Deadline: not before local today
    (default today + 15 days). A task from a result (末位, 一票否决, 未达标指标, 扣分项) names the
    scheme and period (and the item), and is refused while the same one is still open.

    Raises InvalidInput, NotFound, Conflict (an open duplicate), Forbidden.
    """
    actor = check(by, "tasks.manage")
    today = today or local_today()
    title = " ".join((title or "").split())
    detail = (detail or "").strip()
    if source not in SOURCE_NAMES:
        raise InvalidInput("整改任务的来源不正确，请从末位、一票否决、未达标指标、扣分项或其他中选择。")
    if not title:
        raise InvalidInput("请填写整改任务的标题（要整改什么）。")
    if len(title) > TITLE_MAX:
        raise InvalidInput(f"整改任务的标题最多 {TITLE_MAX} 个字，请精简后写入「具体要求」。")
    deadline = _clean_deadline(deadline, today)
    if (scheme_key is None) != (period is None):
        raise InvalidInput("请同时选择考核方案和期间，或都不选。")
    if source != "other" and scheme_key is None:
        raise InvalidInput(f"「{SOURCE_NAMES[source]}」类整改任务须指明来自哪个考核方案的哪一期结果。")
    if period is not None and period_type(period) is None:
        raise InvalidInput(f"期间「{period}」格式不对：应写作 2025-08（月）、2025-Q3（季度）或 2025（年度）。")
    if actor is not None and actor.role == "assessor" and scheme_key is None:
        raise refusal(actor, f"unit:{unit}", "考核员下达的整改任务须关联所负责的考核方案和期间。")
    who = name_of(actor, user.strip() or "系统（命令行）")

    def work(session: Session) -> TaskInfo:
        # Lock the unit (PostgreSQL): two managers creating the same task one after the other
        # see each other's, so there is never an open duplicate.
        u = session.scalars(for_update(session, select(Unit).where(Unit.code == unit), Unit)).one_or_none()
        if u is None:
            raise NotFound(f"单位编码「{unit}」不存在，请从列表中选择单位。")
        if not u.active:
            raise InvalidInput(f"单位「{u.name}」已停用，不能下达整改任务。")
        assessment_id, item = None, code or None
        if scheme_key is not None and period is not None:
            require_scope(
                actor,
                "tasks.manage",
                scheme_key,
                [u.category.name],
                scheme_name=scheme_name_lookup(scheme_key, session=session),
            )
            a, scheme_name = _assessment(session, scheme_key, period)
            if (
                source != "other"
                and session.scalar(select(Publication.id).where(Publication.assessment_id == a.id)) is None
            ):
                raise InvalidInput(
                    f"「{scheme_name}」{period_name(period)}的考核结果尚未发布，发布后才能据此下达整改任务。"
                )
            item = _check_code(session, a, scheme_name, source, code)
            assessment_id = a.id
        twin = _open_duplicate(session, u.id, assessment_id, source, item)
        if twin is not None:
            raise Conflict(f"{u.name}已有一项同样的整改任务（编号 {twin}）尚未验收，不能重复下达。可在任务列表中查看。")
        row = RectificationTask(
            unit_id=u.id, assessment_id=assessment_id, source=source, code=item, title=title, detail=detail,
            deadline=deadline, status="todo", created_by=who, created_at=utcnow(),
        )  # fmt: skip
        session.add(row)
        session.flush()
        task = _one(session, row.id, today)
        message = f"下达{task.label}，整改期限 {deadline:%Y-%m-%d}"
        audit.record(
            session, who, "task.create", f"rectification_task:{row.id}", message, unit=unit, source=source,
            code=item, scheme=scheme_key, period=period, deadline=deadline.isoformat(),
        )  # fmt: skip
        notify(
            session, "task", _headline(f"新的整改任务：{title}"),
            f"{task.where + '，' if task.where else ''}请在 {deadline:%Y-%m-%d} 前完成整改并提交整改材料。"
            + (f"\n具体要求：{detail}" if detail else ""),
            units=[unit], link=LINK["unit"],
        )  # fmt: skip
        return task

    return write(engine, work)


# -- suggestions from a published period -----------------------------------------------------------
def suggestions(scheme_key: str, period: str, *, by: Actor | None = None, engine: Engine | None = None) -> Suggestions:
    """Tasks the published results of the period suggest, for the units within the actor's scope:
    末位 units, vetoed units (one per veto item), unmet targets and deductions (one per unit and
    item), in list order, each spelled when read (a province's are hundreds of thousands). NotFound
    while the period is not published."""
    from services.publishing import NOT_PUBLISHED, published_results

    actor = check(by, "tasks.manage")
    require_scope(actor, "tasks.manage", scheme_key, (), scheme_name=scheme_name_lookup(scheme_key, engine=engine))
    found = published_results(scheme_key, period, engine=engine)
    if found is None:
        raise NotFound(f"{period_name(period)}（{period}）：{NOT_PUBLISHED}，发布后才有整改建议。")
    scope = tuple(actor.categories) if actor is not None and actor.role == "assessor" and actor.categories else ()
    url = engine_or_default(engine).url.render_as_string(hide_password=True)
    key = (url, scheme_key, period, scope)
    hit = _suggested.get(key)
    if hit is not None and hit[0] == found.key:
        out = hit[1]
    else:
        out = _suggest(found, period, scope)
        _suggested.put(key, (found.key, out))
    open_now = _open_keys(scheme_key, period, engine)
    return out.with_existing(open_now) if open_now else out


# The suggestions of a publication, per process and scope, keyed on the results' key (scores and
# names): the page draws them on every rerun, and a province's are hundreds of thousands.
_suggested: Memo[tuple[str, Suggestions]] = Memo(8)


def _open_keys(scheme_key: str, period: str, engine: Engine | None) -> dict[tuple[str, str, str | None], int]:
    def work(session: Session) -> dict[tuple[str, str, str | None], int]:
        rows = session.execute(
            select(Unit.code, RectificationTask.source, RectificationTask.code, RectificationTask.id)
            .join(Unit, Unit.id == RectificationTask.unit_id)
            .join(Assessment, Assessment.id == RectificationTask.assessment_id)
            .join(SchemeRow, SchemeRow.id == Assessment.scheme_id)
            .join(Period, Period.id == Assessment.period_id)
            .where(SchemeRow.key == scheme_key, Period.label == period, RectificationTask.status != "accepted")
        )
        return {(u, s, c): i for u, s, c, i in rows}

    return read(engine, work)


def create_from_suggestion(
    scheme_key: str,
    period: str,
    suggestion: Suggestion,
    deadline: date | None = None,
    *,
    today: date | None = None,
    by: Actor | None = None,
    engine: Engine | None = None,
) -> TaskInfo:
    """One click: the suggested task, deadline default local today + 15 days."""
    return create_task(
        suggestion.unit, suggestion.title, suggestion.detail, deadline, source=suggestion.source,
        scheme_key=scheme_key, period=period, code=suggestion.code, today=today, by=by, engine=engine,
    )  # fmt: skip


# -- the unit submits ----------------------------------------------------------------------------
def submit_task(
    task_id: int,
    note: str,
    files: Sequence[tuple[str, bytes]] = (),
    *,
    today: date | None = None,
    by: Actor | None = None,
    engine: Engine | None = None,
) -> TaskInfo:
    """The unit reports its rectification: a note (required) and evidence files. A file that is
    refused (type, size, a bomb) refuses the whole submission: nothing is stored."""
    actor = check(by, "tasks.own")
    today = today or local_today()
    note = (note or "").strip()
    if not note:
        raise InvalidInput("请填写整改情况说明（做了哪些整改、取得什么效果）后再提交。")
    if len(files) > MAX_FILES:
        raise InvalidInput(f"一次最多上传 {MAX_FILES} 个文件，现有 {len(files)} 个，未提交。")
    who = name_of(actor, "系统（命令行）")

    def work(session: Session) -> TaskInfo:
        task = _one(session, task_id, today, lock=True)
        _may_read(actor, task)
        if task.status == "submitted":
            raise Conflict(f"{task.label}已提交，正在等待验收，不能重复提交。")
        if task.status == "accepted":
            raise Conflict(f"{task.label}已验收，不能再提交。")
        row = session.get(RectificationTask, task_id)
        assert row is not None
        for name, data in files:
            store(
                session, owner_kind="task", owner_id=task_id, unit_id=row.unit_id, assessment_id=row.assessment_id,
                code=row.code, file_name=name, data=data, uploaded_by=who,
            )  # fmt: skip
        row.status, row.submitted_by, row.submitted_at, row.submission_note = "submitted", who, utcnow(), note
        session.flush()
        late = "（已逾期）" if task.deadline < today else ""
        audit.record(
            session, who, "task.submit", f"rectification_task:{task_id}",
            f"提交{task.label}的整改材料{late}（附件 {len(files)} 个）：{note}", files=[n for n, _ in files],
        )  # fmt: skip
        creator = _creator(session, task.created_by)
        notify(
            session, "task", _headline(f"整改材料待验收：{task.title}"),
            f"{task.unit_name}已提交整改材料{late}（附件 {len(files)} 个）。说明：{note}",
            accounts=creator, link=f"{LINK['manager']}?task={task_id}",
        )  # fmt: skip
        return _one(session, task_id, today)

    return write(engine, work)


def _creator(session: Session, label: str) -> list[int]:
    """The account that created the task (its label ends in （username））; administrators when it
    is gone or the task was created on the command line."""
    m = re.search(r"（([^（）]+)）$", label or "")
    if m:
        found = session.scalar(select(Account.id).where(Account.username == m.group(1), Account.active))
        if found is not None:
            return [found]
    return list(session.scalars(select(Account.id).where(Account.role == "admin", Account.active)))


# -- the assessor decides ------------------------------------------------------------------------
def _decide(
    task_id: int, accept: bool, note: str, by: Actor | None, engine: Engine | None, today: date | None
) -> TaskInfo:
    actor = check(by, "tasks.manage")
    today = today or local_today()
    note = (note or "").strip()
    if not accept and not note:
        raise InvalidInput("退回时请写明原因和还需整改的内容，单位会看到这段说明。")
    who = name_of(actor, "系统（命令行）")

    def work(session: Session) -> TaskInfo:
        task = _one(session, task_id, today, lock=True)
        _may_manage(actor, task)
        doing = "验收" if accept else "退回"
        if task.status in TO_DO:
            raise Conflict(f"{task.label}尚未提交整改材料（{task.status_name}），不能{doing}。")
        if task.status == "accepted":
            raise Conflict(f"{task.label}已验收，不能再{doing}。")
        row = session.get(RectificationTask, task_id)
        assert row is not None
        row.status = "accepted" if accept else "returned"
        row.decided_by, row.decided_at, row.decision_note = who, utcnow(), note
        session.flush()
        audit.record(
            session, who, "task.accept" if accept else "task.return", f"rectification_task:{task_id}",
            f"{doing}{task.label}" + (f"：{note}" if note else ""),
        )  # fmt: skip
        if accept:
            title, body = (
                _headline(f"整改任务已验收：{task.title}"),
                "您单位提交的整改材料已通过验收。" + (f"意见：{note}" if note else ""),
            )
        else:
            title = _headline(f"整改任务被退回：{task.title}")
            body = f"退回原因：{note}\n请按要求继续整改，在 {task.deadline:%Y-%m-%d} 前重新提交。"
        notify(session, "task", title, body, units=[task.unit], link=LINK["unit"])
        return _one(session, task_id, today)

    return write(engine, work)


def accept_task(
    task_id: int, note: str = "", *, today: date | None = None, by: Actor | None = None, engine: Engine | None = None
) -> TaskInfo:
    """已验收: the unit's rectification is accepted (only a submitted task)."""
    return _decide(task_id, True, note, by, engine, today)


def return_task(
    task_id: int, note: str, *, today: date | None = None, by: Actor | None = None, engine: Engine | None = None
) -> TaskInfo:
    """退回 with a note (required): the unit must rectify further and submit again."""
    return _decide(task_id, False, note, by, engine, today)


# -- reading -------------------------------------------------------------------------------------
def task_list(
    *,
    scheme_key: str | None = None,
    period: str | None = None,
    status: Iterable[str] = (),
    unit: str | None = None,
    overdue_only: bool = False,
    today: date | None = None,
    by: Actor | None = None,
    engine: Engine | None = None,
) -> list[TaskInfo]:
    """The tasks within the manager's scope, filtered; overdue first, then by deadline."""
    actor = check(by, "tasks.manage")
    today = today or local_today()
    wanted = [s for s in status if s in STATUS_NAMES]

    def work(session: Session) -> list[TaskInfo]:
        stmt = _query()
        if scheme_key:
            stmt = stmt.where(SchemeRow.key == scheme_key)
        if period:
            stmt = stmt.where(Period.label == period)
        if wanted:
            stmt = stmt.where(RectificationTask.status.in_(wanted))
        if unit:
            stmt = stmt.where(Unit.code == unit)
        if overdue_only:
            stmt = stmt.where(RectificationTask.status != "accepted", RectificationTask.deadline < today)
        if actor is not None and actor.role == "assessor":
            stmt = stmt.where(SchemeRow.key.in_(actor.schemes or ("",)))
            if actor.categories:
                stmt = stmt.where(UnitCategory.name.in_(actor.categories))
        rows = session.execute(stmt.order_by(RectificationTask.id.desc())).all()
        return [_info(tuple(r), today) for r in rows]

    tasks = [t for t in read(engine, work) if _in_scope(actor, t)]
    return sorted(tasks, key=lambda t: (not t.overdue, not t.is_open, t.deadline, -t.id))


def my_tasks(*, today: date | None = None, by: Actor | None = None, engine: Engine | None = None) -> list[TaskInfo]:
    """The signed-in unit's tasks, open first: overdue, 待整改 / 退回, 已提交, then 已验收 (newest
    first). Only unit accounts have tasks of their own."""
    actor = check(by, "tasks.own")
    today = today or local_today()
    if actor is None or not actor.unit_code:
        raise InvalidInput("只有单位账户有本单位的整改任务。")

    def work(session: Session) -> list[TaskInfo]:
        rows = session.execute(_query().where(Unit.code == actor.unit_code)).all()
        return [_info(tuple(r), today) for r in rows]

    tasks = read(engine, work)
    open_first = sorted(
        (t for t in tasks if t.is_open),
        key=lambda t: (0 if t.overdue else 1 if t.status in TO_DO else 2, t.deadline, t.id),
    )
    done = sorted((t for t in tasks if not t.is_open), key=lambda t: t.decided_at or t.created_at, reverse=True)
    return open_first + done


@dataclass(frozen=True)
class TaskDetail:
    task: TaskInfo
    files: list[AttachmentInfo]  # the unit's evidence, oldest first
    history: pd.DataFrame = field(default_factory=pd.DataFrame)  # time, actor, what


def task_detail(
    task_id: int, *, today: date | None = None, by: Actor | None = None, engine: Engine | None = None
) -> TaskDetail:
    """One task with the unit's evidence and its history (from the audit trail)."""
    actor = acting(by)
    today = today or local_today()

    def work(session: Session) -> TaskDetail:
        task = _one(session, task_id, today)
        _may_read(actor, task)
        files = listed(session, Attachment.owner_kind == "task", Attachment.owner_id == task_id)
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.target == f"rectification_task:{task_id}").order_by(AuditEntry.id)
        ).all()
        history = pd.DataFrame(
            {
                "time": [local_time(e.at) for e in entries],
                "actor": [e.actor for e in entries],
                "action": [audit.ACTIONS.get(e.action, "操作") for e in entries],
                "message": [e.message for e in entries],
            }
        )
        return TaskDetail(task, files, history)

    return read(engine, work)


def task_file(task_id: int, attachment_id: int, *, by: Actor | None = None, engine: Engine | None = None) -> bytes:
    """One evidence file of a task, for whoever may read the task; the download is audited."""
    actor = acting(by)
    today = local_today()

    def work(session: Session) -> tuple[str, bytes]:
        task = _one(session, task_id, today)
        _may_read(actor, task)
        row = session.scalars(
            select(Attachment).where(
                Attachment.id == attachment_id, Attachment.owner_kind == "task", Attachment.owner_id == task_id
            )
        ).one_or_none()
        if row is None:
            raise NotFound(f"该整改任务没有编号为 {attachment_id} 的附件，请刷新页面。")
        return row.file_name, row.data

    name, data = read(engine, work)
    audit.record_download(actor, f"rectification_task:{task_id}", f"下载整改材料 {name}", engine=engine)
    return data


# -- the bulletin's 「整改落实情况」 ------------------------------------------------------------------
def _last_native(period: str, native: str) -> str:
    """The last native period label within `period` (a roll-up of a monthly scheme: its last month)."""
    kind = period_type(period)
    if kind == native or kind is None:
        return period
    year = period[:4]
    if kind == "quarter":
        return f"{year}-{int(period[-1]) * 3:02d}" if native == "month" else period
    return f"{year}-12" if native == "month" else f"{year}-Q4" if native == "quarter" else period


def rectification_summary(
    scheme_key: str,
    period: str,
    *,
    today: date | None = None,
    by: Actor | None = None,
    engine: Engine | None = None,
) -> RectificationSummary:
    """整改落实情况 for the bulletin of `period`: the tasks from the scheme's results of this
    period and the ones before it, as of local today (see the module docstring)."""
    require("results.all", by)
    today = today or local_today()

    def work(session: Session) -> list[TaskInfo]:
        native = session.scalar(select(SchemeRow.period_type).where(SchemeRow.key == scheme_key)) or "month"
        last = _last_native(period, native)
        rows = session.execute(
            _query().where(SchemeRow.key == scheme_key, Period.label <= last, Period.kind == native)
        ).all()
        return [_info(tuple(r), today) for r in rows]

    tasks = read(engine, work)
    overdue = [t for t in tasks if t.overdue]
    counts: dict[str, int] = {}
    for t in sorted(overdue, key=lambda t: (t.deadline, t.unit)):
        counts[t.unit_name] = counts.get(t.unit_name, 0) + 1
    return RectificationSummary(
        as_of=today,
        issued=len(tasks),
        accepted=sum(t.status == "accepted" for t in tasks),
        submitted=sum(t.status == "submitted" for t in tasks),
        overdue=len(overdue),
        overdue_units=sorted(counts.items(), key=lambda kv: -kv[1]),
        overdue_tasks=[
            (t.unit_name, t.title, t.deadline, t.status_name)
            for t in sorted(overdue, key=lambda t: (t.deadline, t.unit))
        ],
    )


# -- reminders -----------------------------------------------------------------------------------
def send_reminders(*, today: date | None = None, by: Actor | None = None, engine: Engine | None = None) -> int:
    """Tell units of their tasks due within REMIND_DAYS days and of overdue ones, once each
    (idempotent: run it daily, or as often as you like). Returns how many messages were sent.
    A manager sends them for the tasks within their scope; the command line for all."""
    actor = check(by, "tasks.manage")
    today = today or local_today()
    soon = today + timedelta(days=REMIND_DAYS)
    who = name_of(actor, "系统（命令行）")

    def work(session: Session) -> int:
        rows = session.execute(
            _query().where(
                RectificationTask.status.in_(TO_DO),
                RectificationTask.deadline <= soon,  # overdue ones too
            )
        ).all()
        sent = 0
        for task in (_info(tuple(r), today) for r in rows):
            if not _in_scope(actor, task):
                continue
            if task.overdue:
                key, title = (
                    f"task:{task.id}:overdue:{task.deadline:%Y%m%d}",
                    _headline(f"整改任务已逾期：{task.title}"),
                )
                body = f"整改期限 {task.deadline:%Y-%m-%d} 已过，请尽快完成整改并提交整改材料。"
            else:
                days = (task.deadline - today).days
                when = "今天" if days == 0 else f"{days} 天后（{task.deadline:%Y-%m-%d}）"
                key, title = f"task:{task.id}:due:{task.deadline:%Y%m%d}", _headline(f"整改任务即将到期：{task.title}")
                body = f"整改期限为{when}，请按时完成整改并提交整改材料。"
            sent += notify(session, "reminder", title, body, units=[task.unit], link=LINK["unit"], dedup_key=key)
        if sent:
            audit.record(session, who, "task.remind", "rectification_tasks", f"发送整改到期提醒 {sent} 条", sent=sent)
        return sent

    return write(engine, work)


def with_rectification(bulletin: Bulletin, *, by: Actor | None = None, engine: Engine | None = None) -> Bulletin:
    """`bulletin` with its 整改落实情况 as of today."""
    summary = rectification_summary(bulletin.scheme_id, bulletin.period, by=by, engine=engine)
    return replace(bulletin, rectification=summary)


def assignable_units(*, by: Actor | None = None, engine: Engine | None = None) -> pd.DataFrame:
    """Active units a manager may give a task to: code, name, category (an assessor: the unit
    categories assigned to them, when any are)."""
    actor = check(by, "tasks.manage")

    def work(session: Session) -> list[tuple[str, str, str]]:
        stmt = (
            select(Unit.code, Unit.name, UnitCategory.name)
            .join(UnitCategory, UnitCategory.id == Unit.category_id)
            .where(Unit.active)
            .order_by(UnitCategory.sort_order, Unit.code)
        )
        if actor is not None and actor.role == "assessor" and actor.categories:
            stmt = stmt.where(UnitCategory.name.in_(actor.categories))
        return [tuple(r) for r in session.execute(stmt)]

    return pd.DataFrame(read(engine, work), columns=["code", "name", "category"])
