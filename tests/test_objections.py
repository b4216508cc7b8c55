"""申诉 (issue 20): a unit objects to one of its own items during 公示, with attachments; deciders
uphold or correct; the correction goes through the normal import and republish path; the unit
sees the outcome; everything audited and the period lock waits — on SQLite and PostgreSQL."""

from __future__ import annotations

import io
from datetime import date

import pytest
from conftest import SmallDb
from PIL import Image
from sqlalchemy import func, select

from services import publicity
from services.accounts import create_account
from services.attachments import fetch
from services.audit import audit_log
from services.errors import Conflict, Forbidden, InvalidInput
from services.objections import correct, objection_queue, objection_summary, own_objections, raise_objection, uphold
from services.periods import lock_period
from services.permissions import Actor
from services.publicity import end_publicity, start_publicity
from services.publishing import publish, published_results
from services.results import results
from storage.db import reading
from storage.models import Account, Attachment, Message, Objection, Submission

P = "2025-03"
FULL = {"U1": {"D1": 40, "D2": 20, "K1": 1}, "U2": {"D1": 45, "D2": 20, "K1": 1}, "U3": {"D1": 30, "D2": 20, "K1": 0}}
ADMIN = Actor(1, "admin", "管理员甲", "admin")
ADMIN2 = Actor(2, "admin2", "管理员乙", "admin")
ASSESSOR = Actor(3, "kp", "考核员", "assessor", schemes=("t",))
OTHER_ASSESSOR = Actor(4, "kp2", "考核员乙", "assessor", schemes=("t",), categories=("其他类",))
U1 = Actor(10, "dw1", "甲中心填报员", "unit", unit_code="U1", unit_name="甲中心", unit_category="测试类")
U2 = Actor(11, "dw2", "乙中心填报员", "unit", unit_code="U2", unit_name="乙中心", unit_category="测试类")
MONDAY = date(2026, 12, 7)


def png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buf, format="PNG")
    return buf.getvalue()


@pytest.fixture
def on_publicity(small: SmallDb, monkeypatch: pytest.MonkeyPatch) -> SmallDb:
    """Published, on 公示 since Monday 2026-12-07 (5 working days), with accounts to notify."""
    monkeypatch.setattr(publicity, "local_today", lambda: MONDAY)
    create_account("dw1", "甲中心填报员", "unit", "secret-pass-123", unit_code="U1", engine=small.engine)
    create_account("kp", "考核员", "assessor", "secret-pass-123", schemes=["t"], engine=small.engine)
    create_account(
        "kp2", "考核员乙", "assessor", "secret-pass-123", schemes=["t"], categories=["其他类"], engine=small.engine
    )
    small.put(P, FULL)
    publish("t", P, by=ADMIN2, engine=small.engine)
    start_publicity("t", P, by=ADMIN, engine=small.engine)
    return small


def count(small: SmallDb, model: type) -> int:
    with reading(small.engine) as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def test_a_unit_objects_to_its_own_item_with_an_attachment(on_publicity: SmallDb) -> None:
    db = on_publicity
    o = raise_objection("t", P, "D1", "现场检查漏记了一次随访", [("随访记录.png", png())], by=U1, engine=db.engine)
    assert (o.unit, o.code, o.status, o.status_name) == ("U1", "D1", "open", "待处理")
    assert o.published_value == "40" and o.item == "D1 直接评分一" and o.raised_by == U1.label
    assert len(o.attachments) == 1 and o.attachments[0].mime == "image/png"
    info, data = fetch(o.attachments[0].id, by=U1, engine=db.engine)
    assert data == png() and info.owner_kind == "objection"
    with pytest.raises(Forbidden):
        fetch(o.attachments[0].id, by=U2, engine=db.engine)  # another unit never reads it
    mine = own_objections(by=U1, engine=db.engine)
    assert [m.id for m in mine] == [o.id] and mine[0].lost == pytest.approx(10) and mine[0].trace
    assert own_objections(by=U2, engine=db.engine) == []
    with reading(db.engine) as s:  # told: the assessor of the scheme, not one of another category
        told = s.scalars(select(Message.account_id).where(Message.kind == "objection")).all()
        names = {s.get(Account, i).username for i in told}
    assert names == {"kp"}
    assert len(audit_log(action="objection.raise", engine=db.engine)) == 1
    with pytest.raises(Conflict, match="已有待处理的申诉"):
        raise_objection("t", P, "D1", "再说一次", by=U1, engine=db.engine)


def test_a_unit_cannot_object_for_another_unit_or_without_a_reason(on_publicity: SmallDb) -> None:
    db = on_publicity
    with pytest.raises(Forbidden, match="只能对本单位"):
        raise_objection("t", P, "D1", "替乙中心申诉", unit="U2", by=U1, engine=db.engine)
    with pytest.raises(Forbidden):
        raise_objection("t", P, "D1", "管理员不能申诉", by=ADMIN, engine=db.engine)
    with pytest.raises(InvalidInput, match="申诉理由"):
        raise_objection("t", P, "D1", "   ", by=U1, engine=db.engine)
    with pytest.raises(InvalidInput, match="不是.*评分项"):
        raise_objection("t", P, "ZZ", "没有这个指标", by=U1, engine=db.engine)
    u4 = Actor(12, "dw4", "丁中心", "unit", unit_code="U4", unit_name="丁中心", unit_category="测试类")
    with pytest.raises(Conflict, match="没有.*已发布的考核结果"):
        raise_objection("t", P, "D1", "本单位不在结果中", by=u4, engine=db.engine)
    assert count(db, Objection) == 0


def test_objections_only_during_an_open_window_of_a_published_period(
    on_publicity: SmallDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = on_publicity
    db.put("2025-04", FULL)  # never published
    with pytest.raises(Conflict, match="尚未发布，不能申诉"):
        raise_objection("t", "2025-04", "D1", "理由", by=U1, engine=db.engine)
    monkeypatch.setattr(publicity, "local_today", lambda: date(2026, 12, 14))
    with pytest.raises(Conflict, match="公示期已于 2026-12-11 结束"):
        raise_objection("t", P, "D1", "晚了", by=U1, engine=db.engine)
    monkeypatch.setattr(publicity, "local_today", lambda: MONDAY)
    end_publicity("t", P, "提前结束", by=ADMIN, engine=db.engine)
    with pytest.raises(Conflict, match="公示已于 .* 结束"):
        raise_objection("t", P, "D1", "结束后", by=U1, engine=db.engine)
    assert count(db, Objection) == 0


def test_a_refused_attachment_refuses_the_whole_objection(on_publicity: SmallDb) -> None:
    db = on_publicity
    files = [("好的.png", png()), ("病毒.pdf", b"MZ\x90\x00 not a pdf at all")]
    with pytest.raises(InvalidInput, match="病毒.pdf"):
        raise_objection("t", P, "D1", "附件有问题", files, by=U1, engine=db.engine)
    assert count(db, Objection) == 0 and count(db, Attachment) == 0
    assert len(audit_log(action="objection.raise", engine=db.engine)) == 0


def test_uphold_needs_a_reply_and_tells_the_unit(on_publicity: SmallDb) -> None:
    db = on_publicity
    o = raise_objection("t", P, "K1", "扣分有误", by=U1, engine=db.engine)
    with pytest.raises(InvalidInput, match="请填写答复"):
        uphold(o.id, "", by=ASSESSOR, engine=db.engine)
    with pytest.raises(Forbidden):
        uphold(o.id, "不归我管", by=OTHER_ASSESSOR, engine=db.engine)
    with pytest.raises(Forbidden):
        uphold(o.id, "单位自己处理", by=U1, engine=db.engine)
    assert objection_queue(by=OTHER_ASSESSOR, engine=db.engine) == []
    queue = objection_queue(by=ASSESSOR, engine=db.engine)
    assert [q.id for q in queue] == [o.id] and queue[0].unit_name == "甲中心" and queue[0].lost == pytest.approx(5)
    done = uphold(o.id, "督查记录显示确有一次违规", by=ASSESSOR, engine=db.engine)
    assert done.status == "upheld" and "维持原结果" in done.outcome_text and "督查记录" in done.outcome_text
    with pytest.raises(Conflict, match="已由 考核员（kp） .* 处理"):
        correct(o.id, 0, "改主意", by=ADMIN, engine=db.engine)
    with reading(db.engine) as s:
        told = s.scalars(select(Message).where(Message.kind == "objection", Message.title.contains("申诉已处理"))).all()
    assert len(told) == 1 and "督查记录" in told[0].body  # the unit account dw1
    assert own_objections(by=U1, engine=db.engine)[0].status_name == "维持原结果"


def test_a_correction_changes_the_draft_and_after_publishing_totals_and_ranks(
    on_publicity: SmallDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = on_publicity
    before = published_results("t", P, engine=db.engine)
    ranks = dict(zip(before.units["unit"].astype(str), before.units["rank"], strict=True))
    assert ranks["U1"] > ranks["U2"]
    o = raise_objection("t", P, "D1", "D1 应为 50 分", by=U1, engine=db.engine)
    with pytest.raises(InvalidInput, match="超出范围"):
        correct(o.id, 80, "改为 80", by=ASSESSOR, engine=db.engine)  # D1 is out of 50
    assert count(db, Submission) == 1
    done = correct(o.id, 50, "核实后更正", by=ASSESSOR, engine=db.engine)
    assert done.status == "corrected" and done.new_value == 50 and not done.correction_published
    assert "待重新审定发布" in done.outcome_text
    with reading(db.engine) as s:
        sub = s.get(Submission, done.correction_submission_id)
        assert sub.submitted_by == ASSESSOR.label and sub.row_count == 1 and "申诉" in sub.file_name
    assert db.current(P)[("U1", "D1", "")] == 50
    # leadership still sees what was published …
    assert published_results("t", P, engine=db.engine).units.set_index("unit")["total"]["U1"] == pytest.approx(
        before.units.set_index("unit")["total"]["U1"]
    )
    publish("t", P, by=ADMIN2, engine=db.engine)  # … until 审定发布 again
    after = published_results("t", P, engine=db.engine).units.set_index("unit")
    assert after["total"]["U1"] == pytest.approx(before.units.set_index("unit")["total"]["U1"] + 10)
    assert after["rank"]["U1"] < ranks["U1"]
    mine = own_objections(by=U1, engine=db.engine)[0]
    assert mine.correction_published and "已随重新发布生效" in mine.outcome_text
    summary = objection_summary("t", P, engine=db.engine)
    assert list(summary["status"]) == ["已更正"] and "更正为 50（已重新发布）" in summary["outcome"].iloc[0]
    assert len(audit_log(action="objection.correct", engine=db.engine)) == 1
    monkeypatch.setattr(publicity, "local_today", lambda: date(2026, 12, 14))
    assert lock_period(P, "", "公示结束", by=ADMIN, engine=db.engine).locked


def test_the_period_does_not_lock_while_an_objection_is_open(
    on_publicity: SmallDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = on_publicity
    o = raise_objection("t", P, "D2", "理由", by=U1, engine=db.engine)
    monkeypatch.setattr(publicity, "local_today", lambda: date(2026, 12, 14))  # the window is over
    with pytest.raises(Conflict, match="「测试方案」有 1 件申诉待处理"):
        lock_period(P, "", "月底", by=ADMIN, engine=db.engine)
    uphold(o.id, "维持", by=ADMIN, engine=db.engine)
    assert lock_period(P, "", "月底", by=ADMIN, engine=db.engine).locked
    assert results("t", P, engine=db.engine) is not None


def test_the_unit_sees_its_items_largest_loss_first_and_only_its_own(on_publicity: SmallDb) -> None:
    from services.objections import objectable_items

    db = on_publicity
    items = objectable_items("t", P, by=U1, engine=db.engine)
    assert list(items["code"]) == ["D1", "D2", "K1"]  # lost 10, 10, 5
    assert list(items["lost_text"]) == ["10.00", "10.00", "5.00"] and list(items["value"]) == ["40", "20", "1"]
    assert items["trace"].str.len().min() > 0
    with pytest.raises(Forbidden):
        objectable_items("t", P, unit="U2", by=U1, engine=db.engine)
    o = raise_objection("t", P, "K1", "扣分有误", by=U1, engine=db.engine)
    assert o.lost_text == "5.00" and own_objections(by=U1, engine=db.engine)[0].trace == o.trace != ""


def test_the_bulletin_lists_objections_and_outcomes(on_publicity: SmallDb) -> None:
    import openpyxl

    from services.meeting import bulletin_workbook

    db = on_publicity
    a = raise_objection("t", P, "D1", "D1 应为满分", by=U1, engine=db.engine)
    b = raise_objection("t", P, "K1", "扣分有误", by=U1, engine=db.engine)
    uphold(b.id, "督查记录在案", by=ADMIN, engine=db.engine)
    summary = objection_summary("t", P, engine=db.engine)
    assert list(summary["status"]) == ["待处理", "维持原结果"] and list(summary["name"]) == ["甲中心", "甲中心"]
    correct(a.id, 50, "核实更正", by=ADMIN, engine=db.engine)
    bulletin, data = bulletin_workbook("t", P, engine=db.engine)
    assert len(bulletin.objections) == 2
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book["申诉处理情况"]
    cells = [[c for c in row if c is not None] for row in sheet.iter_rows(values_only=True)]
    row = next(r for r in cells if "D1 直接评分一" in r)
    assert row[:5] == ["U1", "甲中心", "D1 直接评分一", "D1 应为满分", "已更正"]
    assert "更正为 50（待重新发布）" in row[5] and any("督查记录在案" in str(r) for r in cells)
    about = "\n".join(str(c) for row in book["说明"].iter_rows(values_only=True) for c in row if c)
    assert "共收到申诉 2 件：维持原结果 1 件，已更正 1 件" in about


def test_a_correction_racing_another_decision_is_withdrawn(
    on_publicity: SmallDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    from services import objections, submissions

    db = on_publicity
    o = raise_objection("t", P, "D1", "理由", by=U1, engine=db.engine)

    def import_then_someone_else_decides(*args: object, **kwargs: object) -> object:
        out = submissions.import_values(*args, **kwargs)
        uphold(o.id, "另一位考核员已维持", by=ADMIN2, engine=db.engine)
        return out

    monkeypatch.setattr(objections, "import_values", import_then_someone_else_decides)
    with pytest.raises(Conflict, match="不能重复处理"):
        correct(o.id, 50, "更正", by=ADMIN, engine=db.engine)
    assert db.current(P)[("U1", "D1", "")] == 40  # the duplicate correction was withdrawn
    assert own_objections(by=U1, engine=db.engine)[0].status == "upheld"


def test_a_correction_tells_the_publishers_and_an_uphold_does_not(on_publicity: SmallDb) -> None:
    """An assessor's correction waits for 审定发布, which only an administrator can open: the
    administrators are told (not the assessor who corrected)."""
    db = on_publicity
    admin = create_account("gly", "管理员丙", "admin", "secret-pass-123", engine=db.engine)
    kept = raise_objection("t", P, "K1", "扣分有误", by=U1, engine=db.engine)
    uphold(kept.id, "督查记录属实", by=ASSESSOR, engine=db.engine)
    changed = raise_objection("t", P, "D1", "D1 应为 50 分", by=U1, engine=db.engine)
    correct(changed.id, 50, "核实后更正", by=ASSESSOR, engine=db.engine)
    with reading(db.engine) as s:
        told = s.scalars(select(Message).where(Message.title.contains("待重新发布"))).all()
        kp = s.scalar(select(Account.id).where(Account.username == "kp"))
    assert {m.account_id for m in told} == {admin.account_id} and kp != admin.account_id
    assert "D1" in told[0].body and "50" in told[0].body and told[0].link == "pages/publish.py"


def test_a_reply_ending_its_own_sentence_is_not_followed_by_a_second_full_stop(on_publicity: SmallDb) -> None:
    db = on_publicity
    o = raise_objection("t", P, "D1", "D1 应为 50 分", by=U1, engine=db.engine)
    done = correct(o.id, 50, "经核实，按更正后的数值计分。", by=ASSESSOR, engine=db.engine)
    assert "答复：经核实，按更正后的数值计分。更正已计入本期数据" in done.outcome_text
    assert "。。" not in done.outcome_text
