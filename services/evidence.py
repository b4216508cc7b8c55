"""证明材料 on the items of a unit's result: what assessors attach to a deduction, a veto or any
item, and what the drill-down, the unit's page and the objection page show beside the trace.

Evidence belongs to (scheme, period, unit, item code): an `Attachment` with owner_kind 'item'.
The code is an input code of the scheme version the period uses (the latest version while the
period has no values yet): a leaf, or a task of a checklist. Attaching and removing need
`evidence.attach` and, for an assessor, the scheme and the unit's category; both are refused
once the period is locked and are audited. Files are checked by content (services/attachments.py).

「无书面材料不得分」: a leaf marked `evidence_required` earns nothing without evidence. The
import (services/submissions.import_values) and the upload check (services/uploads.check_upload)
refuse a value that would earn points on such a leaf when the unit has no evidence on it for the
period (`evidenced_items` + services/validation.evidence_missing); and the last file behind such
a value cannot be removed.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from scoring import Scheme
from scoring.inputs import input_columns
from scoring.periods import period_name
from services import audit
from services._db import read, scheme_name_lookup, write
from services.attachments import AttachmentInfo, listed, store
from services.catalog import SchemeVersionInfo, version_info
from services.errors import Conflict, InvalidInput, NotFound
from services.periods import check_label, period_row, refuse_if_locked
from services.permissions import Actor, acting, check, name_of, require_scope, require_unit
from services.validation import MAX_PROBLEMS, evidence_missing, evidence_problem_text
from services.values import current_values_in, find_assessment
from sheets.model import CellError, ParsedUpload
from storage.models import Assessment, Attachment, Period, SchemeVersion, Unit, UnitCategory
from storage.models import Scheme as SchemeRow
from storage.sql import insert_or_ignore
from storage.types import utcnow

MAX_NOTE = 500


@dataclass(frozen=True)
class EvidenceItem:
    """An item evidence can be attached to: an input code of the scheme version in use."""

    code: str
    name: str  # 'B1 组织管理 · 健康档案建档率' (a checklist task: its leaf · its own name)
    method: str
    required: bool  # 「无书面材料不得分」

    @property
    def label(self) -> str:
        return f"{self.name}（需书面材料）" if self.required else self.name


def version_in_use(session: Session, scheme_key: str, period: str) -> SchemeVersionInfo:
    """The version the period's values use; the latest while it has none (what an import would use)."""
    ref = find_assessment(session, scheme_key, period)
    if ref is not None and ref.scheme_version_id is not None:
        return version_info(session.get(SchemeVersion, ref.scheme_version_id))
    latest = session.scalars(
        select(SchemeVersion)
        .join(SchemeRow, SchemeRow.id == SchemeVersion.scheme_id)
        .where(SchemeRow.key == scheme_key)
        .order_by(SchemeVersion.id.desc())
        .limit(1)
    ).first()
    if latest is None:
        raise NotFound(f"方案 {scheme_key} 尚未登记")
    return version_info(latest)


def items_of(scheme: Scheme) -> list[EvidenceItem]:
    """Every input code of `scheme` in scheme order, with a readable name."""
    leaves = {leaf.code: leaf for leaf in scheme.leaves}
    out = []
    for col in input_columns(scheme):
        leaf = leaves[col.leaf_code]
        if col.is_task:
            task = next(t for t in leaf.tasks if t.code == col.code)  # type: ignore[union-attr]
            name = f"{col.code} {leaf.name} · {task.name}"
        else:
            name = f"{col.code} {leaf.name}"
        out.append(EvidenceItem(col.code, name, col.method, leaf.evidence_required))
    return out


def evidence_items(scheme_key: str, period: str, *, engine: Engine | None = None) -> list[EvidenceItem]:
    """The items of the scheme version the period uses, for choosing where evidence goes."""
    check_label(period)
    version = read(engine, lambda s: version_in_use(s, scheme_key, period))
    return items_of(version.load())


def evidenced_items(session: Session, assessment_id: int) -> set[tuple[str, str]]:
    """(unit code, item code) pairs that have evidence in the assessment."""
    rows = session.execute(
        select(Unit.code, Attachment.code)
        .join(Unit, Unit.id == Attachment.unit_id)
        .where(Attachment.owner_kind == "item", Attachment.assessment_id == assessment_id)
        .distinct()
    ).all()
    return {(u, c) for u, c in rows if c}


def _unit_row(session: Session, unit: str, scheme: Scheme) -> tuple[int, str]:
    row = session.execute(
        select(Unit.id, UnitCategory.name, Unit.active)
        .join(UnitCategory, Unit.category_id == UnitCategory.id)
        .where(Unit.code == unit)
    ).first()
    if row is None:
        raise InvalidInput(f"单位编码「{unit}」不在单位清单中，未保存。")
    unit_id, category, active = row
    if not active:
        raise InvalidInput(f"单位「{unit}」已停用，未保存。")
    if scheme.categories and category not in scheme.categories:
        raise InvalidInput(
            f"单位「{unit}」的类别「{category}」不在方案「{scheme.name}」的适用范围（{'、'.join(scheme.categories)}）内，未保存。"
        )
    return unit_id, category


def _assessment_id(session: Session, scheme_key: str, p: Period) -> int:
    """The assessment of (scheme, period), created if new (evidence may come before the values)."""
    scheme_id = session.scalar(select(SchemeRow.id).where(SchemeRow.key == scheme_key))
    insert_or_ignore(
        session,
        Assessment,
        {"scheme_id": scheme_id, "period_id": p.id, "revision": 0, "updated_at": utcnow()},
        ["scheme_id", "period_id"],
    )
    return session.scalar(select(Assessment.id).where(Assessment.scheme_id == scheme_id, Assessment.period_id == p.id))


def attach_evidence(
    scheme_key: str,
    period: str,
    unit: str,
    code: str,
    file_name: str,
    data: bytes,
    note: str = "",
    *,
    user: str = "",
    by: Actor | None = None,
    engine: Engine | None = None,
) -> AttachmentInfo:
    """Keep one file as evidence on the unit's item in the period.

    Raises InvalidInput (unknown item or unit, unit outside the scheme, the file refused — nothing
    stored), PeriodLocked, Forbidden (no evidence.attach, or an assessor outside scope), NotFound.
    """
    who = check(by, "evidence.attach")
    require_scope(who, "evidence.attach", scheme_key, (), scheme_name=scheme_name_lookup(scheme_key, engine=engine))
    kind = check_label(period)
    unit, code, note = unit.strip(), code.strip(), note.strip()
    if len(note) > MAX_NOTE:
        raise InvalidInput(f"说明最多 {MAX_NOTE} 个字（现有 {len(note)} 个），未保存。")
    user = name_of(who, user.strip() or "（命令行）")

    def work(session: Session) -> AttachmentInfo:
        version = version_in_use(session, scheme_key, period)
        scheme = version.load()
        if kind != scheme.period_type:
            names = {"month": "月度", "quarter": "季度", "year": "年度"}
            raise InvalidInput(
                f"方案「{version.name}」按{names[scheme.period_type]}考核，不能为{names[kind]}期间 {period} 上传证明材料。"
            )
        items = {i.code: i for i in items_of(scheme)}
        if code not in items:
            raise InvalidInput(
                f"指标编码「{code}」不在方案「{version.name}」（版本 {version.version}）中，"
                f"不能为单位「{unit}」{period_name(period)}上传证明材料。"
            )
        p = period_row(session, period, lock="share")
        refuse_if_locked(p, "上传证明材料")
        unit_id, category = _unit_row(session, unit, scheme)
        require_scope(who, "evidence.attach", scheme_key, (category,), scheme_name=version.name)
        assessment_id = _assessment_id(session, scheme_key, p)
        row = store(
            session, owner_kind="item", unit_id=unit_id, file_name=file_name, data=data, uploaded_by=user,
            assessment_id=assessment_id, code=code, note=note,
        )  # fmt: skip
        message = f"为单位「{unit}」{period_name(period)}（{period}）指标「{items[code].name}」上传证明材料「{row.file_name}」"
        audit.record(
            session, user, "evidence.attach", f"attachment:{row.id}", message,
            scheme=scheme_key, period=period, unit=unit, code=code, file_name=row.file_name, mime=row.mime,
            size=row.size, sha256=row.sha256, note=note,
        )  # fmt: skip
        return listed(session, Attachment.id == row.id)[0]

    return write(engine, work)


def remove_evidence(
    attachment_id: int, reason: str, *, user: str = "", by: Actor | None = None, engine: Engine | None = None
) -> str:
    """Remove one piece of item evidence, with a reason (audited, with the file's hash).

    Raises InvalidInput (no reason), NotFound, PeriodLocked, Forbidden, Conflict (it is the last
    evidence behind a current value that earns points on an evidence_required item). Returns the
    message."""
    who = check(by, "evidence.attach")
    reason = reason.strip()
    if not reason:
        raise InvalidInput("请填写删除原因（会记入审计日志），未删除。")
    user = name_of(who, user.strip() or "（命令行）")

    def work(session: Session) -> str:
        hit = session.execute(
            select(Attachment, Unit.code, UnitCategory.name, SchemeRow.key, Period.label)
            .join(Unit, Unit.id == Attachment.unit_id)
            .join(UnitCategory, Unit.category_id == UnitCategory.id)
            .join(Assessment, Assessment.id == Attachment.assessment_id)
            .join(SchemeRow, SchemeRow.id == Assessment.scheme_id)
            .join(Period, Period.id == Assessment.period_id)
            .where(Attachment.id == attachment_id, Attachment.owner_kind == "item")
        ).first()
        if hit is None:
            raise NotFound(f"证明材料 {attachment_id} 不存在（可能已被删除）。")
        a, unit, category, scheme_key, period = hit
        require_scope(
            who, "evidence.attach", scheme_key, (category,), scheme_name=scheme_name_lookup(scheme_key, session=session)
        )
        refuse_if_locked(period_row(session, period, lock="share"), "删除证明材料")
        message = f"删除单位「{unit}」{period_name(period)}（{period}）指标 {a.code} 的证明材料「{a.file_name}」，原因：{reason}"
        audit.record(
            session, user, "evidence.remove", f"attachment:{a.id}", message,
            scheme=scheme_key, period=period, unit=unit, code=a.code, file_name=a.file_name, sha256=a.sha256,
            uploaded_by=a.uploaded_by, reason=reason,
        )  # fmt: skip
        session.execute(delete(Attachment).where(Attachment.id == a.id))
        _refuse_if_unsupported(session, scheme_key, period, unit)  # rolls the deletion back
        return f"已删除证明材料「{a.file_name}」（单位「{unit}」，指标 {a.code}）。"

    return write(engine, work)


def _refuse_if_unsupported(session: Session, scheme_key: str, period: str, unit: str) -> None:
    """Conflict if a current value of `unit` would now earn points on an evidence_required item
    without any evidence: removing the last file must not undo 「无书面材料不得分」."""
    ref = find_assessment(session, scheme_key, period)
    if ref is None or ref.scheme_version_id is None:
        return
    scheme = version_in_use(session, scheme_key, period).load()
    if not any(leaf.evidence_required for leaf in scheme.leaves):
        return
    values = current_values_in(session, ref)
    values = values[values["unit"].astype(str) == unit].reset_index(drop=True)
    rows = evidence_missing(values, scheme, evidenced_items(session, ref.id))
    if len(rows):
        code = str(values["code"].iloc[rows[0]])
        item = {i.code: i.name for i in items_of(scheme)}.get(code, code)
        raise Conflict(
            f"未删除：指标「{item}」要求书面材料（无书面材料不得分），单位「{unit}」{period_name(period)}（{period}）"
            "的当前数值在计分，这是它仅有的证明材料。请先上传正确的材料再删除，或先更正该数值。"
        )


def period_evidence(
    scheme_key: str,
    period: str,
    *,
    unit: str | None = None,
    by: Actor | None = None,
    engine: Engine | None = None,
) -> list[AttachmentInfo]:
    """The item evidence of a scheme's period (one unit's, if given), for the 证明材料 page. An
    assessor sees the units of their categories only."""
    who = check(by, "evidence.attach")
    require_scope(who, "evidence.attach", scheme_key, (), scheme_name=scheme_name_lookup(scheme_key, engine=engine))

    def work(session: Session) -> list[AttachmentInfo]:
        ref = find_assessment(session, scheme_key, period)
        if ref is None:
            return []
        conditions = [Attachment.owner_kind == "item", Attachment.assessment_id == ref.id]
        if unit:
            conditions.append(Attachment.unit_id == select(Unit.id).where(Unit.code == unit).scalar_subquery())
        if who is not None and who.role == "assessor" and who.categories:
            in_scope = (
                select(Unit.id)
                .join(UnitCategory, Unit.category_id == UnitCategory.id)
                .where(UnitCategory.name.in_(who.categories))
            )
            conditions.append(Attachment.unit_id.in_(in_scope))
        return listed(session, *conditions)

    return read(engine, work)


def item_evidence(
    scheme_key: str, period: str, unit: str, *, by: Actor | None = None, engine: Engine | None = None
) -> list[AttachmentInfo]:
    """Every piece of evidence on the unit's items in the period (`code` says which item)."""
    require_unit(acting(by), unit)

    def work(session: Session) -> list[AttachmentInfo]:
        ref = find_assessment(session, scheme_key, period)
        if ref is None:
            return []
        unit_id = select(Unit.id).where(Unit.code == unit).scalar_subquery()
        return listed(
            session,
            Attachment.owner_kind == "item",
            Attachment.assessment_id == ref.id,
            Attachment.unit_id == unit_id,
        )

    return read(engine, work)


def evidenced(scheme_key: str, period: str, *, engine: Engine | None = None) -> set[tuple[str, str]]:
    """`evidenced_items` of the scheme's period (empty before anything is attached)."""

    def work(session: Session) -> set[tuple[str, str]]:
        ref = find_assessment(session, scheme_key, period)
        return set() if ref is None else evidenced_items(session, ref.id)

    return read(engine, work)


def evidence_cell_errors(
    scheme: Scheme, scheme_key: str, period: str, parsed: ParsedUpload, *, engine: Engine | None = None
) -> list[CellError]:
    """The upload check's side of 「无书面材料不得分」: each cell that would earn points on an
    evidence_required item without evidence, located in the uploaded workbook."""
    values = parsed.values
    if not any(leaf.evidence_required for leaf in scheme.leaves) or len(values) == 0:
        return []
    rows = evidence_missing(values, scheme, evidenced(scheme_key, period, engine=engine))
    errors = []
    for i in rows[:MAX_PROBLEMS]:
        loc = parsed.locations.iloc[i] if len(parsed.locations) > i else None
        unit, code = str(values["unit"].iloc[i]), str(values["code"].iloc[i])
        errors.append(
            CellError(
                sheet=None if loc is None else str(loc["sheet"]),
                row=None if loc is None else int(loc["row"]),
                column=None if loc is None else str(loc["column"]),
                header=code,
                value=f"{float(values['value'].iloc[i]):g}",
                problem=f"单位「{unit}」：{evidence_problem_text(scheme, code)}",
                expected="先上传证明材料，或填 0",
                suggestion="在「证明材料」页为该单位的这一指标上传书面材料后，再重新上传本表",
                kind="evidence_missing",
                unit=unit,
                code=code,
            )
        )
    return errors
