"""申诉: a unit's objection to one item of its published result during 公示, and its outcome.

A unit account objects on one of its own input codes (a leaf, or a task of a checklist) of a
period on 公示 (services/publicity.py), with a reason and optional attachments; a refused
attachment refuses the whole objection and nothing is stored. Assessors (within their schemes and
categories) and administrators decide it:

- 维持 (upheld): a reply is required; the result stands.
- 更正 (corrected): the new value is checked like an uploaded value of that input, then imported
  as a one-row correction through `services.submissions.import_values` by the deciding account
  (its file is a small CSV record of the objection) — the normal correction path. The draft
  changes; totals, ranks and the bulletin follow once the period is 审定发布 again (four eyes as
  configured), which the reply to the unit says.

The unit is told the outcome and deciders are told of a new objection (站内消息); every step is
audited. While an objection of a period is open the period cannot be locked (services/periods.py).
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

import pandas as pd
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from reports import numbers
from reports.bulletin import OBJECTION_COLUMNS
from scoring import Scheme, fmt
from scoring.inputs import input_columns
from scoring.periods import period_name
from services import audit, messages, publicity
from services._db import local_time, read, write
from services.attachments import AttachmentInfo, listed
from services.attachments import store as store_attachment
from services.catalog import version_info
from services.errors import Conflict, InvalidInput, NotFound
from services.permissions import ROLE_PERMISSIONS, Actor, check, name_of, refusal, require_scope
from services.publicity import latest_window, window_is_open
from services.publishing import published_results, published_values_in
from services.submissions import import_values, rollback
from services.validation import normalise, value_problems
from services.values import AssessmentRef, current_values_in
from storage.models import (
    Account,
    Assessment,
    Attachment,
    Objection,
    Period,
    Publication,
    PublicationSubmission,
    Publicity,
    SchemeVersion,
    Unit,
    UnitCategory,
)
from storage.models import Scheme as SchemeRow
from storage.types import utcnow

log = logging.getLogger(__name__)

STATUS_NAMES = {"open": "待处理", "upheld": "维持原结果", "corrected": "已更正"}
MAX_REASON = 2000
MAX_ATTACHMENTS = 5
REPUBLISH_NOTE = "更正已计入本期数据，须经重新审定发布后，总分、排名和通报才随之改变。"


@dataclass(frozen=True)
class ObjectionInfo:
    id: int
    scheme_key: str
    scheme_name: str
    period: str
    unit: str
    unit_name: str
    code: str
    item_name: str
    reason: str
    raised_by: str
    raised_at: datetime
    status: str
    reply: str
    decided_by: str | None
    decided_at: datetime | None
    new_value: float | None
    correction_submission_id: int | None
    correction_published: bool  # the correction is in the publication in force
    published_value: str  # as published ('—' when the unit reported nothing for the item)
    attachments: tuple[AttachmentInfo, ...] = ()
    lost: float | None = None  # points the item lost, as published (None: not known)
    trace: str = ""
    decimals: int = 2  # the scheme's, for showing the loss

    @property
    def lost_text(self) -> str:
        return "—" if self.lost is None else points_text(self.lost, self.decimals)

    @property
    def status_name(self) -> str:
        return STATUS_NAMES[self.status]

    @property
    def item(self) -> str:
        return f"{self.code} {self.item_name}".strip()

    @property
    def outcome_text(self) -> str:
        """What the unit reads: the decision, the reply and — for a correction — when it counts."""
        if self.status == "open":
            return "待处理：考核组正在核实。"
        who = f"（{self.decided_by} 于 {local_time(self.decided_at)}）"
        if self.status == "upheld":
            return f"维持原结果{who}。答复：{self.reply}"
        when = (
            "已随重新发布生效，总分和排名已按更正后的数值计算。"
            if self.correction_published
            else "更正已计入本期数据，待重新审定发布后总分和排名随之改变。"
        )
        # The reply usually ends a sentence itself: one full stop, not 「计分。。更正…」.
        reply = self.reply.rstrip().rstrip("。.；;，,")
        return f"已更正为 {_fmt(self.new_value)}{who}。答复：{reply}。{when}"


def points_text(x: float, decimals: int) -> str:
    """Points as every page shows them: the scheme's decimals, trailing zeros kept (2.80)."""
    return numbers.points(x, decimals)


def _fmt(x: float | None) -> str:
    if x is None:
        return "—"
    return f"{x:g}"


# -- reading ---------------------------------------------------------------------------------
def _names(scheme: Scheme) -> dict[str, str]:
    out = {}
    for leaf in scheme.leaves:
        out[leaf.code] = leaf.name
        for task in getattr(leaf, "tasks", []):
            out[task.code] = f"{leaf.name} · {task.name}"
    return out


def _published_text(frame: pd.DataFrame, unit: str, code: str) -> str:
    hit = frame[(frame["unit"].astype(str) == unit) & (frame["code"].astype(str) == code)]
    if hit.empty:
        return "—"
    if bool(hit["na"].iloc[0]):
        return "不适用"
    vals = [f"{v:g}" for v in hit["value"] if pd.notna(v)]
    return "、".join(vals) if vals else "—"


def _infos(session: Session, rows: Sequence[Objection]) -> list[ObjectionInfo]:
    """Objection rows as ObjectionInfo (published value and attachments; trace added later)."""
    out: list[ObjectionInfo] = []
    cache: dict[int, tuple[str, str, str, dict[str, str], pd.DataFrame, set[int]]] = {}
    for o in rows:
        if o.assessment_id not in cache:
            a = session.get(Assessment, o.assessment_id)
            pub = session.scalars(
                select(Publication).where(Publication.assessment_id == a.id).order_by(Publication.seq.desc()).limit(1)
            ).first()
            names: dict[str, str] = {}
            frame = pd.DataFrame(columns=["unit", "code", "value", "na"])
            in_force: set[int] = set()
            if pub is not None:
                names = _names(version_info(session.get(SchemeVersion, pub.scheme_version_id)).load())
                frame = published_values_in(session, pub, a.period.label)
                in_force = set(
                    session.scalars(
                        select(PublicationSubmission.submission_id).where(
                            PublicationSubmission.publication_id == pub.id
                        )
                    )
                )
            cache[a.id] = (a.scheme.key, a.scheme.name, a.period.label, names, frame, in_force)
        key, scheme_name, period, names, frame, in_force = cache[o.assessment_id]
        unit = session.get(Unit, o.unit_id)
        files = listed(session, Attachment.owner_kind == "objection", Attachment.owner_id == o.id)
        info = ObjectionInfo(
            o.id, key, scheme_name, period, unit.code, unit.name, o.code, names.get(o.code, ""), o.reason,
            o.raised_by, o.raised_at, o.status, o.reply or "", o.decided_by, o.decided_at, o.new_value,
            o.correction_submission_id, o.correction_submission_id in in_force,
            _published_text(frame, unit.code, o.code), tuple(files),
        )  # fmt: skip
        out.append(info)
    return out


def _with_trace(infos: list[ObjectionInfo], engine: Engine | None) -> list[ObjectionInfo]:
    """Add the published loss and trace of each item (from the memoised published results)."""
    out = []
    explained: dict[tuple[str, str, str], tuple[pd.DataFrame, dict[str, str], int] | None] = {}
    for o in infos:
        key = (o.scheme_key, o.period, o.unit)
        if key not in explained:
            explained[key] = None
            try:
                r = published_results(o.scheme_key, o.period, engine=engine)
                if r is not None:
                    scheme = r.version.load()
                    leaf_of = {c.code: c.leaf_code for c in input_columns(scheme)}
                    explained[key] = (r.explain(o.unit), leaf_of, scheme.decimals)
            except Exception:  # noqa: BLE001 - the trace is a help; the queue must show without it
                log.warning("no trace for objection %s", o.id, exc_info=True)
        found = explained[key]
        lost, trace, decimals = None, "", 2
        if found is not None:
            frame, leaf_of, decimals = found  # a checklist task's trace is its checklist's
            hit = frame[frame["code"].astype(str) == leaf_of.get(o.code, o.code)]
            if len(hit):
                lost, trace = float(hit["lost"].iloc[0]), str(hit["trace"].iloc[0])
        out.append(replace(o, lost=lost, trace=trace, decimals=decimals))
    return out


def _in_scope(actor: Actor | None, scheme_key: str, category: str) -> bool:
    if actor is None or actor.role != "assessor":
        return True
    return scheme_key in actor.schemes and (not actor.categories or category in actor.categories)


def _query(session: Session, *conditions: object) -> list[tuple[Objection, str, str]]:
    """(objection, scheme key, unit category) rows: open first, then newest first."""
    rows = session.execute(
        select(Objection, SchemeRow.key, UnitCategory.name)
        .join(Assessment, Assessment.id == Objection.assessment_id)
        .join(SchemeRow, SchemeRow.id == Assessment.scheme_id)
        .join(Period, Period.id == Assessment.period_id)
        .join(Unit, Unit.id == Objection.unit_id)
        .join(UnitCategory, UnitCategory.id == Unit.category_id)
        .where(*conditions)
        .order_by((Objection.status != "open"), Objection.id.desc())
    ).all()
    return [(o, k, c) for o, k, c in rows]


def objection_queue(
    scheme_key: str | None = None,
    period: str | None = None,
    *,
    status: str | None = None,
    by: Actor | None = None,
    engine: Engine | None = None,
) -> list[ObjectionInfo]:
    """Objections for those who decide them (an assessor: within their schemes and categories),
    open first, each with the unit, the item, the published value, the points lost and the trace."""
    who = check(by, "objection.decide")
    conditions = []
    if scheme_key:
        conditions.append(SchemeRow.key == scheme_key)
    if period:
        conditions.append(Period.label == period)
    if status:
        conditions.append(Objection.status == status)

    def work(session: Session) -> list[ObjectionInfo]:
        rows = [o for o, key, cat in _query(session, *conditions) if _in_scope(who, key, cat)]
        return _infos(session, rows)

    return _with_trace(read(engine, work), engine)


def own_objections(
    scheme_key: str | None = None, *, unit: str | None = None, by: Actor | None = None, engine: Engine | None = None
) -> list[ObjectionInfo]:
    """The unit account's own objections with their outcomes, open first."""
    who = check(by, "objection.raise")
    unit = _own_unit(who, unit)
    conditions = [Unit.code == unit]
    if scheme_key:
        conditions.append(SchemeRow.key == scheme_key)
    return _with_trace(read(engine, lambda s: _infos(s, [o for o, _, _ in _query(s, *conditions)])), engine)


def objection_summary(
    scheme_key: str, period: str, *, by: Actor | None = None, engine: Engine | None = None
) -> pd.DataFrame:
    """申诉处理情况 for the bulletin and the meeting page: one row per objection of the period —
    unit, name, item, reason, status (Chinese), outcome — open first. Empty without objections."""
    check(by, "results.all")

    def work(session: Session) -> list[ObjectionInfo]:
        rows = _query(session, SchemeRow.key == scheme_key, Period.label == period)
        return _infos(session, [o for o, _, _ in rows])

    infos = read(engine, work)
    return pd.DataFrame(
        {
            "unit": [o.unit for o in infos],
            "name": [o.unit_name for o in infos],
            "item": [o.item for o in infos],
            "reason": [o.reason for o in infos],
            "status": [o.status_name for o in infos],
            "outcome": [_outcome_line(o) for o in infos],
        },
        columns=OBJECTION_COLUMNS,
    )


def _outcome_line(o: ObjectionInfo) -> str:
    if o.status == "open":
        return "正在核实"
    if o.status == "upheld":
        return f"维持：{o.reply}"
    after = "已重新发布" if o.correction_published else "待重新发布"
    return f"更正为 {_fmt(o.new_value)}（{after}）：{o.reply}"


# -- raising ---------------------------------------------------------------------------------
ITEM_COLUMNS = ["code", "item", "value", "lost", "lost_text", "trace"]


def objectable_items(
    scheme_key: str, period: str, *, unit: str | None = None, by: Actor | None = None, engine: Engine | None = None
) -> pd.DataFrame:
    """The unit's items it may object to in a published period — every input code, those that
    lost points first (largest loss first) — with the published value, the loss formatted with
    the scheme's decimals, and the trace. Empty when the unit has no published result."""
    from services.own_unit import own_unit  # it reads through the dashboard; keep imports light

    who = check(by, "objection.raise")
    unit = _own_unit(who, unit)
    mine = own_unit(scheme_key, period, unit, by=who, engine=engine)
    if mine is None or mine.explained is None:
        return pd.DataFrame(columns=ITEM_COLUMNS)
    ex = mine.explained.set_index(mine.explained["code"].astype(str))
    d = mine.scheme.decimals
    rows = []
    for c in input_columns(mine.scheme):
        if c.is_task:
            name = _names(mine.scheme).get(c.code, "")
            rows.append((c.code, f"{c.code} {name}", "—", 0.0, "—", f"属于 {c.leaf_code}，见该项的计分过程"))
            continue
        r = ex.loc[c.code]
        lost = float(r["lost"]) if pd.notna(r["lost"]) else 0.0
        value = "—" if pd.isna(r["value"]) else fmt(float(r["value"]), 4)
        rows.append((c.code, f"{c.code} {r['name']}", value, lost, points_text(lost, d), r["trace"]))
    out = pd.DataFrame(rows, columns=ITEM_COLUMNS)
    out["_order"] = range(len(out))
    out = out.sort_values(["lost", "_order"], ascending=[False, True], kind="stable")
    return out.drop(columns="_order").reset_index(drop=True)


def _own_unit(who: Actor | None, unit: str | None) -> str:
    """The unit an objection is for: a unit account's own (asking for another is refused);
    the command line names it."""
    if who is not None:
        if who.role != "unit" or not who.unit_code:
            raise refusal(who, "objection", "只有单位账户可以对本单位的考核结果提出申诉。")
        if unit and unit != who.unit_code:
            raise refusal(who, f"unit:{unit}", "单位账户只能对本单位的考核结果提出申诉。")
        return who.unit_code
    if not unit:
        raise InvalidInput("未指定单位")
    return unit


def _publishers(session: Session, who: Actor | None) -> list[int]:
    """Active accounts that can open 「审定发布」 (the roles with 'publish'), except the one correcting."""
    roles = [r for r, perms in ROLE_PERMISSIONS.items() if "publish" in perms]
    rows = session.scalars(select(Account.id).where(Account.role.in_(roles), Account.active))
    me = getattr(who, "account_id", None)
    return [a for a in rows if a != me]


def _deciders(session: Session, scheme_key: str, category: str) -> list[int]:
    """Accounts that can decide an objection of this scheme and unit category."""
    rows = session.execute(
        select(Account.id, Account.role, Account.scopes).where(Account.role.in_(("admin", "assessor")), Account.active)
    ).all()
    out = []
    for account_id, role, scopes in rows:
        if role == "admin":
            out.append(account_id)
            continue
        scopes = scopes or {}
        cats = scopes.get("categories") or []
        if scheme_key in (scopes.get("schemes") or []) and (not cats or category in cats):
            out.append(account_id)
    return out


def raise_objection(
    scheme_key: str,
    period: str,
    code: str,
    reason: str,
    attachments: Iterable[tuple[str, bytes]] = (),
    *,
    unit: str | None = None,
    actor: str = "",
    by: Actor | None = None,
    engine: Engine | None = None,
) -> ObjectionInfo:
    """Object to item `code` of the unit's published result while the period is on 公示.

    Raises Forbidden (not the unit's own), Conflict (no window open, not published, an open
    objection on the same item), InvalidInput (no reason, unknown item, a refused attachment —
    then nothing is stored).
    """
    who = check(by, "objection.raise")
    unit = _own_unit(who, unit)
    user = name_of(who, actor.strip() or "（命令行）")
    reason = (reason or "").strip()
    code = (code or "").strip()
    files = [(n, d) for n, d in attachments]
    if not reason:
        raise InvalidInput("请填写申诉理由：说明哪一项得分有误、为什么。")
    if len(reason) > MAX_REASON:
        raise InvalidInput(f"申诉理由最多 {MAX_REASON} 字，现有 {len(reason)} 字，请精简。")
    if len(files) > MAX_ATTACHMENTS:
        raise InvalidInput(f"每件申诉最多附 {MAX_ATTACHMENTS} 个文件，现有 {len(files)} 个。")
    today = publicity.local_today()  # read through the module: tests set the bureau's date

    def work(session: Session) -> ObjectionInfo:
        a = session.scalars(
            select(Assessment)
            .join(SchemeRow, Assessment.scheme_id == SchemeRow.id)
            .join(Period, Assessment.period_id == Period.id)
            .where(SchemeRow.key == scheme_key, Period.label == period)
        ).one_or_none()
        name = a.scheme.name if a is not None else scheme_key
        where = f"{period_name(period)}（{period}）「{name}」"
        pub = None
        if a is not None:
            pub = session.scalars(
                select(Publication).where(Publication.assessment_id == a.id).order_by(Publication.seq.desc()).limit(1)
            ).first()
        if a is None or pub is None:
            raise Conflict(f"{where}的考核结果尚未发布，不能申诉。")
        w = latest_window(session, a.id)
        if not window_is_open(w, today):
            raise Conflict(_closed_text(where, w, today))
        assert w is not None
        if a.period.state == "locked":
            raise Conflict(f"{where}所在期间已锁定，不能申诉。")
        row = session.execute(
            select(Unit.id, UnitCategory.name)
            .join(UnitCategory, UnitCategory.id == Unit.category_id)
            .where(Unit.code == unit)
        ).one_or_none()
        if row is None:
            raise NotFound(f"单位「{unit}」不存在")
        unit_id, category = row
        frame = published_values_in(session, pub, period)
        if pub.units and unit not in pub.units or (not pub.units and unit not in set(frame["unit"].astype(str))):
            raise Conflict(f"本单位没有{where}已发布的考核结果，不能申诉。")
        scheme = version_info(session.get(SchemeVersion, pub.scheme_version_id)).load()
        names = _names(scheme)
        if code not in {c.code for c in input_columns(scheme)}:
            raise InvalidInput(f"指标「{code}」不是{where}的评分项，请从列表中选择要申诉的指标。")
        same = session.scalar(
            select(Objection.id).where(
                Objection.publicity_id == w.id,
                Objection.unit_id == unit_id,
                Objection.code == code,
                Objection.status == "open",
            )
        )
        if same is not None:
            raise Conflict(f"本单位对指标 {code} {names.get(code, '')} 已有待处理的申诉（#{same}），请等待处理结果。")
        o = Objection(
            assessment_id=a.id, publicity_id=w.id, unit_id=unit_id, code=code, reason=reason, raised_by=user,
            raised_at=utcnow(), status="open", reply="",
        )  # fmt: skip
        session.add(o)
        session.flush()
        for file_name, data in files:  # InvalidInput here rolls the objection back with the files
            store_attachment(
                session, owner_kind="objection", owner_id=o.id, unit_id=unit_id, assessment_id=a.id, code=code,
                file_name=file_name, data=data, uploaded_by=user,
            )  # fmt: skip
        item = f"{code} {names.get(code, '')}".strip()
        audit.record(
            session, user, "objection.raise", f"objection:{o.id}", f"{unit} 对{where}指标 {item} 提出申诉",
            scheme=scheme_key, period=period, unit=unit, code=code, attachments=len(files),
        )  # fmt: skip
        messages.notify(
            session, "objection", f"新申诉：{where}", f"单位 {unit} 对指标 {item} 提出申诉，请在「公示与申诉」中处理。",
            accounts=_deciders(session, scheme_key, category), link="pages/publicity.py",
        )  # fmt: skip
        return _infos(session, [o])[0]

    return _with_trace([write(engine, work)], engine)[0]


def _closed_text(where: str, w: Publicity | None, today: object) -> str:
    if w is None:
        return f"{where}未进行公示，不能申诉。"
    if w.closed_at is not None:
        return f"{where}的公示已于 {local_time(w.closed_at)} 结束，不能再申诉。"
    if w.starts_on > today:  # type: ignore[operator]
        return f"{where}的公示将于 {w.starts_on.isoformat()} 开始，届时才能申诉。"
    return f"{where}的公示期已于 {w.ends_on.isoformat()} 结束，不能再申诉。"


# -- deciding --------------------------------------------------------------------------------
def _load_for_decision(session: Session, objection_id: int) -> tuple[Objection, str, str, str, str, str]:
    hit = session.execute(
        select(Objection, SchemeRow.key, SchemeRow.name, Period.label, Unit.code, UnitCategory.name)
        .join(Assessment, Assessment.id == Objection.assessment_id)
        .join(SchemeRow, SchemeRow.id == Assessment.scheme_id)
        .join(Period, Period.id == Assessment.period_id)
        .join(Unit, Unit.id == Objection.unit_id)
        .join(UnitCategory, UnitCategory.id == Unit.category_id)
        .where(Objection.id == objection_id)
        .execution_options(populate_existing=True)
    ).first()
    if hit is None:
        raise NotFound(f"申诉 #{objection_id} 不存在")
    return hit[0], hit[1], hit[2], hit[3], hit[4], hit[5]


def _refuse_decided(o: Objection) -> None:
    if o.status != "open":
        raise Conflict(
            f"申诉 #{o.id} 已由 {o.decided_by} 于 {local_time(o.decided_at)} 处理（{STATUS_NAMES[o.status]}），不能重复处理。"
        )


def uphold(
    objection_id: int, reply: str, *, actor: str = "", by: Actor | None = None, engine: Engine | None = None
) -> ObjectionInfo:
    """维持: the result stands; the reply (required) is what the unit reads."""
    return _decide(objection_id, "upheld", reply, None, actor, by, engine)


def correct(
    objection_id: int,
    new_value: float,
    reply: str,
    *,
    actor: str = "",
    by: Actor | None = None,
    engine: Engine | None = None,
) -> ObjectionInfo:
    """更正: import `new_value` for the item as a one-row correction (checked like an upload) by the
    deciding account; the period then needs 审定发布 again for totals and ranks to change."""
    return _decide(objection_id, "corrected", reply, new_value, actor, by, engine)


def _decide(
    objection_id: int,
    outcome: str,
    reply: str,
    new_value: float | None,
    actor: str,
    by: Actor | None,
    engine: Engine | None,
) -> ObjectionInfo:
    who = check(by, "objection.decide")
    user = name_of(who, actor.strip() or "（命令行）")
    reply = (reply or "").strip()
    if not reply:
        raise InvalidInput("请填写答复：单位将看到处理结果和理由。")
    if len(reply) > MAX_REASON:
        raise InvalidInput(f"答复最多 {MAX_REASON} 字，现有 {len(reply)} 字，请精简。")

    def look(session: Session) -> tuple[str, str, str, str, int | None, pd.DataFrame]:
        o, key, name, period, unit, category = _load_for_decision(session, objection_id)
        require_scope(who, "objection.decide", key, (category,), scheme_name=name)
        _refuse_decided(o)
        a = session.get(Assessment, o.assessment_id)
        ref = AssessmentRef(a.id, key, period, a.revision, a.scheme_version_id)
        current = current_values_in(session, ref) if a.scheme_version_id is not None else pd.DataFrame()
        return key, period, unit, o.code, a.scheme_version_id, current

    key, period, unit, code, version_id, current = read(engine, look)
    submission_id, fresh = None, False
    if outcome == "corrected":
        submission_id, fresh = _import_correction(
            objection_id, key, period, unit, code, new_value, version_id, current, user, who, engine
        )

    def work(session: Session) -> ObjectionInfo:
        o, key, name, period, unit, _category = _load_for_decision(session, objection_id)
        _refuse_decided(o)  # decided by someone else meanwhile: their decision stands
        o.status, o.reply, o.decided_by, o.decided_at = outcome, reply, user, utcnow()
        if outcome == "corrected":
            o.new_value, o.correction_submission_id = float(new_value), submission_id  # type: ignore[arg-type]
        session.flush()
        info = _infos(session, [o])[0]
        where = f"{period_name(period)}（{period}）「{name}」"
        verb = "维持原结果" if outcome == "upheld" else f"更正为 {_fmt(new_value)}（提交 #{submission_id}）"
        audit.record(
            session, user, f"objection.{'uphold' if outcome == 'upheld' else 'correct'}", f"objection:{o.id}",
            f"处理 {unit} 对{where}指标 {info.item} 的申诉 #{o.id}：{verb}；答复：{reply}",
            scheme=key, period=period, unit=unit, code=o.code, outcome=outcome, new_value=new_value,
            submission=submission_id,
        )  # fmt: skip
        messages.notify(
            session, "objection", f"申诉已处理：{where}指标 {info.item}", info.outcome_text, units=[unit],
            link="pages/unit_objections.py",
        )  # fmt: skip
        if outcome == "corrected":  # the change waits for a publisher, who must hear of it
            messages.notify(
                session, "objection", f"申诉更正待重新发布：{where}",
                f"{user} 将 {unit} 的指标 {info.item} 更正为 {_fmt(new_value)}（申诉 #{o.id}），"
                "请在「审定发布」复核后重新发布。",
                accounts=_publishers(session, who), link="pages/publish.py",
            )  # fmt: skip
        return info

    try:
        decided = write(engine, work)
    except Conflict:
        if fresh:  # decided by someone else while importing: withdraw this duplicate correction
            why = f"申诉 #{objection_id} 已由他人处理，撤回重复的更正"
            rollback(submission_id, user, why, by=who, engine=engine)  # type: ignore[arg-type]
        raise
    return _with_trace([decided], engine)[0]


def _import_correction(
    objection_id: int,
    scheme_key: str,
    period: str,
    unit: str,
    code: str,
    new_value: float | None,
    version_id: int | None,
    current: pd.DataFrame,
    user: str,
    who: Actor | None,
    engine: Engine | None,
) -> tuple[int, bool]:
    """Check the new value like an upload of that input and import it: (submission id, whether
    this call stored it)."""
    if new_value is None or pd.isna(new_value):
        raise InvalidInput("请填写更正后的数值。")
    if version_id is None:
        raise Conflict(f"{period_name(period)}（{period}）没有当前数据，无法更正。")
    # The cell's assessors as they stand in the draft: the correction replaces each of them, so the
    # combined value is the new one (one row when, as usual, one team reports the item).
    assessors = []
    if len(current):
        hit = current[(current["unit"].astype(str) == unit) & (current["code"].astype(str) == code)]
        assessors = sorted({str(x) for x in hit["assessor"]})
    assessors = assessors or [""]
    note = f"申诉 #{objection_id} 更正"
    frame = pd.DataFrame(
        {
            "unit": [unit] * len(assessors),
            "code": [code] * len(assessors),
            "assessor": assessors,
            "value": [float(new_value)] * len(assessors),
            "note": [note] * len(assessors),
        }
    )
    scheme = read(engine, lambda s: version_info(s.get(SchemeVersion, version_id)).load())
    values, problems = normalise(frame, period)
    problems += value_problems(values, scheme, period)
    if problems:
        raise InvalidInput("更正值不能使用：" + "；".join(p.message for p in problems[:3]))
    buf = io.StringIO()
    frame.to_csv(buf, index=False)
    outcome = import_values(
        period, version_id, frame, user, f"申诉{objection_id}更正.csv", buf.getvalue().encode("utf-8-sig"), note,
        by=who, engine=engine,
    )  # fmt: skip
    return outcome.submission_id, not outcome.noop
