"""整改 tasks (issue 20, part 3): suggestions from a published period, creation, the unit's
submission with evidence, acceptance and return, overdue, reminders sent once, the bulletin's
整改落实情况 — on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest
from conftest import SMALL_SCHEME, SMALL_UNITS, url_of
from openpyxl import load_workbook
from PIL import Image
from sqlalchemy import Engine, func, select

from reports.bulletin import RectificationSummary, summary_text
from services import rectification as rect
from services.accounts import create_account
from services.catalog import register_scheme, upsert_units
from services.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.permissions import Actor
from services.publishing import publish
from services.submissions import import_values
from storage.db import reading
from storage.models import Attachment, AuditEntry, Message, RectificationTask

ROOT = Path(__file__).resolve().parents[1]
P = "2025-08"
TODAY = date(2025, 9, 10)
SCHEME = """\
id: r
name: 整改测试方案
version: "1"
period_type: month
categories: [测试类, 其他类]
bottom: {threshold: 60, consequence: 约谈主要负责人}
criteria:
  - code: C
    name: 指标
    items:
      - {code: D1, name: 服务质量, method: direct, points: 50}
      - {code: T1, name: 建档率, method: target, points: 30, mode: all_or_nothing, target: 90, unit: "%"}
      - {code: K1, name: 投诉扣分, method: deduction, points: 20, per_occurrence: 5}
      - {code: V1, name: 重大医疗事故, method: veto}
"""
VALUES = {
    "U1": {"D1": 50, "T1": 95, "K1": 0, "V1": 0},  # full marks
    "U2": {"D1": 20, "T1": 80, "K1": 2, "V1": 0},  # 30: bottom, target unmet, 2 deductions
    "U3": {"D1": 45, "T1": 92, "K1": 1, "V1": 1},  # vetoed, 1 deduction
    "U4": {"D1": 48, "T1": 91, "K1": 0, "V1": 0},
    "X1": {"D1": 40, "T1": 91, "K1": 0, "V1": 0},  # another category
}
PASSWORD = "Zq7-long-enough-2026"


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(out, format="PNG")
    return out.getvalue()


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\nxref\n0 2\ntrailer<< /Root 1 0 R >>\nstartxref\n9\n%%EOF\n"


def zip_bomb() -> bytes:
    """A 'Word document' whose text inflates a thousandfold."""
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", b"<w:document>" + b"\x00" * 20_000_000 + b"</w:document>")
    return out.getvalue()


class World:
    def __init__(self, engine: Engine):
        self.engine = engine
        upsert_units(SMALL_UNITS, "测试员", engine=engine)
        version = register_scheme(SCHEME, "测试员", engine=engine).version
        register_scheme(SMALL_SCHEME, "测试员", engine=engine)  # another scheme, for another assessor
        rows = [(u, c, float(v)) for u, codes in VALUES.items() for c, v in codes.items()]
        frame = pd.DataFrame(rows, columns=["unit", "code", "value"]).assign(na=False, assessor="", note="")
        import_values(P, version.id, frame, "录入员", "考核表.csv", b"x", engine=engine)
        publish("r", P, "复核员", engine=engine)
        make = lambda *a, **k: create_account(*a, PASSWORD, engine=engine, **k)  # noqa: E731
        self.admin = make("admin1", "管理员甲", "admin")
        self.assessor = make("kp1", "考核员甲", "assessor", schemes=["r"], categories=["测试类"])
        self.other_assessor = make("kp2", "考核员乙", "assessor", schemes=["t"])
        self.u1 = make("u1", "甲中心账户", "unit", unit_code="U1")
        self.u2 = make("u2", "乙中心账户", "unit", unit_code="U2")
        self.u3 = make("u3", "丙中心账户", "unit", unit_code="U3")

    def messages(self, actor: Actor) -> list[Message]:
        with reading(self.engine) as s:
            return list(s.scalars(select(Message).where(Message.account_id == actor.account_id).order_by(Message.id)))

    def count(self, model: type, *where: object) -> int:
        with reading(self.engine) as s:
            return s.scalar(select(func.count()).select_from(model).where(*where)) or 0

    def task(self, unit: str = "U2", **kw: object) -> rect.TaskInfo:
        args = {"deadline": TODAY + timedelta(days=15), "source": "other", "today": TODAY, "by": self.admin}
        return rect.create_task(unit, "规范处方书写", "逐项对照整改", engine=self.engine, **(args | kw))  # type: ignore[arg-type]


@pytest.fixture
def world(database: Engine) -> World:
    return World(database)


def test_suggestions_list_bottom_vetoed_unmet_targets_and_deductions_one_click_each(world: World) -> None:
    found = rect.suggestions("r", P, by=world.admin, engine=world.engine)
    keys = {(s.unit, s.source, s.code) for s in found}
    assert keys == {
        ("U2", "bottom", None),
        ("U3", "veto", "V1"),
        ("U2", "target", "T1"),
        ("U2", "deduction", "K1"),
        ("U3", "deduction", "K1"),
    }
    assert [s.source for s in found][:2] == ["bottom", "veto"]  # 末位 and 否决 first
    bottom = next(s for s in found if s.source == "bottom")
    assert "列入末位" in bottom.detail and "约谈主要负责人" in bottom.detail and bottom.name == "乙中心"
    target = next(s for s in found if s.source == "target")
    assert "实际 80" in target.detail and "目标 ≥ 90" in target.detail
    assert all(s.existing is None for s in found)

    task = rect.create_from_suggestion("r", P, bottom, today=TODAY, by=world.admin, engine=world.engine)
    assert task.deadline == TODAY + timedelta(days=rect.DEFAULT_DAYS)  # default: local today + 15 days
    assert (task.status, task.source, task.scheme_key, task.period) == ("todo", "bottom", "r", P)
    again = rect.suggestions("r", P, by=world.admin, engine=world.engine)
    assert next(s for s in again if s.source == "bottom").existing == task.id
    with pytest.raises(Conflict, match="已有一项同样的整改任务"):  # no duplicate while one is open
        rect.create_from_suggestion("r", P, bottom, today=TODAY, by=world.admin, engine=world.engine)
    assert world.count(RectificationTask) == 1
    # the unit is told, the step audited
    assert [m.title for m in world.messages(world.u2)] == [f"新的整改任务：{bottom.title}"]
    assert (
        world.messages(world.u2)[0].link == "pages/my_tasks.py" and "2025-09-25 前" in world.messages(world.u2)[0].body
    )
    with reading(world.engine) as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "task.create")).one()
    assert entry.target == f"rectification_task:{task.id}" and entry.actor == world.admin.label


def test_suggestions_are_made_once_per_publication_and_scope(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    made = []
    real = rect._suggest
    monkeypatch.setattr(rect, "_suggest", lambda *a: made.append(a[2]) or real(*a))
    first = rect.suggestions("r", P, by=world.admin, engine=world.engine)
    assert rect.suggestions("r", P, by=world.admin, engine=world.engine) == first and made == [()]
    scoped = rect.suggestions("r", P, by=world.assessor, engine=world.engine)  # another scope: its own list
    assert len(made) == 2 and {s.unit for s in scoped} <= {s.unit for s in first}
    bottom = next(s for s in first if s.source == "bottom")
    task = rect.create_from_suggestion("r", P, bottom, today=TODAY, by=world.admin, engine=world.engine)
    again = rect.suggestions("r", P, by=world.admin, engine=world.engine)  # a new task: no new suggestions
    assert len(made) == 2 and next(s for s in again if s.source == "bottom").existing == task.id


def test_suggestions_read_as_a_list_in_order_each_spelled_when_read(world: World) -> None:
    found = rect.suggestions("r", P, by=world.admin, engine=world.engine)
    listed = list(found)
    # 末位, then 否决, 未达标, 扣分; within each by unit, then item code
    assert [(s.source, s.unit, s.code) for s in listed] == [
        ("bottom", "U2", None),
        ("veto", "U3", "V1"),
        ("target", "U2", "T1"),
        ("deduction", "U2", "K1"),
        ("deduction", "U3", "K1"),
    ]
    assert len(found) == 5 and found[1:3] == listed[1:3] and found[-1] == listed[4] and found[::2] == listed[::2]
    with pytest.raises(IndexError):
        found[5]
    deduction = found[4]
    assert deduction.detail == "整改测试方案 2025年8月「投诉扣分」扣 5.00 分。请针对扣分问题逐项整改。"
    assert deduction.title == "扣分整改：投诉扣分" and deduction.name and deduction.category == "测试类"


def test_an_assessor_sees_suggestions_and_creates_tasks_only_within_their_scope(world: World) -> None:
    found = rect.suggestions("r", P, by=world.assessor, engine=world.engine)
    assert {s.unit for s in found} == {"U2", "U3"}
    with pytest.raises(Forbidden):
        rect.suggestions("r", P, by=world.other_assessor, engine=world.engine)
    with pytest.raises(Forbidden, match="其他类"):  # X1 is outside the assessor's categories
        world.task("X1", scheme_key="r", period=P, by=world.assessor)
    with pytest.raises(Forbidden, match="须关联所负责的考核方案"):
        world.task("U1", by=world.assessor)
    with pytest.raises(Forbidden):
        world.task("U1", by=world.u1)
    assert world.count(RectificationTask) == 0
    mine = world.task("U1", scheme_key="r", period=P, by=world.assessor)
    unscoped = world.task("U4")  # an administrator's task without a scheme
    listed = {t.id for t in rect.task_list(today=TODAY, by=world.assessor, engine=world.engine)}
    assert listed == {mine.id}
    assert {t.id for t in rect.task_list(today=TODAY, by=world.admin, engine=world.engine)} == {mine.id, unscoped.id}
    with pytest.raises(Forbidden):
        rect.task_detail(unscoped.id, by=world.assessor, engine=world.engine)


def test_bad_input_is_refused_in_chinese_and_changes_nothing(world: World) -> None:
    with pytest.raises(InvalidInput, match="已经过去"):
        world.task(deadline=TODAY - timedelta(days=1))
    with pytest.raises(InvalidInput, match="标题"):
        rect.create_task("U2", "  ", today=TODAY, by=world.admin, engine=world.engine)
    with pytest.raises(NotFound, match="单位编码「U9」不存在"):
        world.task("U9")
    with pytest.raises(InvalidInput, match="须指明来自哪个考核方案"):
        world.task(source="deduction")
    with pytest.raises(InvalidInput, match="没有编码为 D1 的扣分项"):
        world.task(source="deduction", scheme_key="r", period=P, code="D1")
    with pytest.raises(NotFound, match="没有考核数据"):
        world.task(source="bottom", scheme_key="r", period="2025-07")
    with pytest.raises(InvalidInput, match="已停用"):
        world.task("Z9")
    assert world.count(RectificationTask) == 0
    today_is_fine = world.task(deadline=TODAY)
    assert today_is_fine.deadline == TODAY and not today_is_fine.overdue


def test_a_task_from_creation_to_acceptance_with_a_return_in_between(world: World) -> None:
    task = world.task("U2", source="deduction", scheme_key="r", period=P, code="K1")
    with pytest.raises(Conflict, match="尚未提交整改材料"):  # nothing to accept yet
        rect.accept_task(task.id, by=world.admin, engine=world.engine)
    with pytest.raises(InvalidInput, match="整改情况说明"):
        rect.submit_task(task.id, " ", by=world.u2, engine=world.engine)
    done = rect.submit_task(
        task.id, "已开展处方点评", [("整改照片.png", png()), ("制度.pdf", PDF)], today=TODAY, by=world.u2,
        engine=world.engine,
    )  # fmt: skip
    assert done.status == "submitted" and done.submission_note == "已开展处方点评"
    assert done.submitted_by == world.u2.label
    with pytest.raises(Conflict, match="正在等待验收"):
        rect.submit_task(task.id, "再交一次", by=world.u2, engine=world.engine)
    assert [m.title for m in world.messages(world.admin)] == ["整改材料待验收：规范处方书写"]  # the creator
    assert world.messages(world.admin)[0].link == f"pages/tasks.py?task={task.id}"

    with pytest.raises(InvalidInput, match="退回时请写明原因"):
        rect.return_task(task.id, "", by=world.admin, engine=world.engine)
    back = rect.return_task(task.id, "照片不清晰，请补充处方点评记录", by=world.assessor, engine=world.engine)
    assert back.status == "returned" and back.decided_by == world.assessor.label
    assert world.messages(world.u2)[-1].title == "整改任务被退回：规范处方书写"
    assert "照片不清晰" in world.messages(world.u2)[-1].body

    again = rect.submit_task(task.id, "补充了点评记录", [("记录.pdf", PDF)], by=world.u2, engine=world.engine)
    assert again.status == "submitted"
    ok = rect.accept_task(task.id, "整改到位", by=world.assessor, engine=world.engine)
    assert ok.status == "accepted" and ok.status_name == "已验收" and not ok.overdue
    assert world.messages(world.u2)[-1].title == "整改任务已验收：规范处方书写"
    for step in (rect.accept_task, rect.return_task):
        with pytest.raises(Conflict, match="已验收"):
            step(task.id, "再来", by=world.admin, engine=world.engine)
    with pytest.raises(Conflict, match="已验收，不能再提交"):
        rect.submit_task(task.id, "再交", by=world.u2, engine=world.engine)

    detail = rect.task_detail(task.id, by=world.u2, engine=world.engine)
    assert [f.file_name for f in detail.files] == ["整改照片.png", "制度.pdf", "记录.pdf"]
    assert {f.mime for f in detail.files} == {"image/png", "application/pdf"}
    assert list(detail.history["action"]) == [
        "下达整改任务", "提交整改材料", "退回整改任务", "提交整改材料", "验收整改任务",
    ]  # fmt: skip
    assert rect.task_file(task.id, detail.files[1].id, by=world.assessor, engine=world.engine) == PDF
    # a manager now may create the same task again: the earlier one is closed
    assert world.task("U2", source="deduction", scheme_key="r", period=P, code="K1").id != task.id


def test_a_unit_reads_and_submits_only_its_own_tasks(world: World) -> None:
    theirs = world.task("U2")
    mine = world.task("U1")
    assert [t.id for t in rect.my_tasks(today=TODAY, by=world.u1, engine=world.engine)] == [mine.id]
    with pytest.raises(Forbidden, match="只能查看和提交本单位"):
        rect.task_detail(theirs.id, by=world.u1, engine=world.engine)
    with pytest.raises(Forbidden, match="只能查看和提交本单位"):
        rect.submit_task(theirs.id, "代交", [("a.png", png())], by=world.u1, engine=world.engine)
    with pytest.raises(Forbidden):
        rect.task_list(by=world.u1, engine=world.engine)
    with pytest.raises(Forbidden):  # deciding is for managers
        rect.accept_task(theirs.id, by=world.u2, engine=world.engine)
    assert world.count(Attachment) == 0
    rect.submit_task(theirs.id, "已整改", [("a.png", png())], by=world.u2, engine=world.engine)
    file_id = rect.task_detail(theirs.id, by=world.u2, engine=world.engine).files[0].id
    with pytest.raises(Forbidden):
        rect.task_file(theirs.id, file_id, by=world.u1, engine=world.engine)
    with pytest.raises(NotFound):  # an attachment of another task, asked for through my task
        rect.task_file(mine.id, file_id, by=world.u1, engine=world.engine)
    with reading(world.engine) as s:
        assert s.get(RectificationTask, mine.id).status == "todo"


@pytest.mark.parametrize(
    ("name", "data", "said"),
    [
        ("说明.pdf", b"MZ\x90\x00" + b"\x00" * 200, "不是图片"),
        ("空.png", b"", "是空的"),
        ("截断.pdf", b"%PDF-1.4\n" + b"x" * 300, "不是完整的 PDF"),
        ("整改报告.docx", zip_bomb(), "疑似压缩炸弹"),
    ],
)
def test_a_refused_attachment_refuses_the_submission_and_nothing_is_stored(
    world: World, name: str, data: bytes, said: str
) -> None:
    task = world.task("U2")
    with pytest.raises(InvalidInput, match=said):
        rect.submit_task(task.id, "已整改", [("好的.png", png()), (name, data)], by=world.u2, engine=world.engine)
    assert world.count(Attachment) == 0
    assert rect.task_detail(task.id, by=world.u2, engine=world.engine).task.status == "todo"
    assert not [m for m in world.messages(world.admin) if "待验收" in m.title]


def test_overdue_tasks_are_flagged_and_the_unit_sees_open_tasks_first(world: World) -> None:
    late = world.task("U2", deadline=TODAY + timedelta(days=1))
    todo = world.task("U2", deadline=TODAY + timedelta(days=10))
    waiting = world.task("U2", deadline=TODAY + timedelta(days=5))
    accepted = world.task("U2", deadline=TODAY + timedelta(days=3))
    rect.submit_task(waiting.id, "已整改", by=world.u2, engine=world.engine)
    rect.submit_task(accepted.id, "已整改", by=world.u2, engine=world.engine)
    rect.accept_task(accepted.id, by=world.admin, engine=world.engine)
    later = TODAY + timedelta(days=4)  # late's deadline has passed; accepted's too, but it is accepted
    order = rect.my_tasks(today=later, by=world.u2, engine=world.engine)
    assert [t.id for t in order] == [late.id, todo.id, waiting.id, accepted.id]
    assert [t.overdue for t in order] == [True, False, False, False]
    listed = rect.task_list(overdue_only=True, today=later, by=world.admin, engine=world.engine)
    assert [t.id for t in listed] == [late.id]
    everything = rect.task_list(today=later, by=world.admin, engine=world.engine)
    assert everything[0].id == late.id and everything[-1].id == accepted.id
    assert {t.id for t in rect.task_list(status=["submitted"], today=later, by=world.admin, engine=world.engine)} == {
        waiting.id
    }


def test_reminders_are_sent_once_for_due_soon_and_once_for_overdue(world: World) -> None:
    world.task("U2", deadline=TODAY + timedelta(days=2))
    far = world.task("U1", deadline=TODAY + timedelta(days=10))
    submitted = world.task("U3", deadline=TODAY + timedelta(days=1))
    rect.submit_task(submitted.id, "已整改", by=world.u3, engine=world.engine)
    before = {a.username: len(world.messages(a)) for a in (world.u1, world.u2, world.u3)}

    assert rect.send_reminders(today=TODAY, engine=world.engine) == 1  # soon only
    assert rect.send_reminders(today=TODAY, engine=world.engine) == 0  # once
    reminder = world.messages(world.u2)[-1]
    assert reminder.kind == "reminder" and reminder.title == "整改任务即将到期：规范处方书写"
    assert "2 天后" in reminder.body
    assert len(world.messages(world.u1)) == before["u1"] and len(world.messages(world.u3)) == before["u3"]

    overdue_day = TODAY + timedelta(days=3)
    assert rect.send_reminders(today=overdue_day, engine=world.engine) == 1  # soon is now overdue
    assert world.messages(world.u2)[-1].title == "整改任务已逾期：规范处方书写"
    assert rect.send_reminders(today=overdue_day + timedelta(days=1), engine=world.engine) == 0
    assert rect.send_reminders(today=far.deadline - timedelta(days=3), engine=world.engine) == 1  # far, due soon
    with pytest.raises(Forbidden):
        rect.send_reminders(by=world.u1, engine=world.engine)
    assert (
        rect.send_reminders(today=far.deadline + timedelta(days=1), by=world.other_assessor, engine=world.engine) == 0
    )
    assert world.count(AuditEntry, AuditEntry.action == "task.remind") == 3


def test_the_command_line_sends_reminders_and_says_how_many(world: World) -> None:
    world.task("U2", deadline=rect.local_today() + timedelta(days=1), today=rect.local_today())
    env = {"DATABASE_URL": url_of(world.engine), "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
    run = lambda: subprocess.run(  # noqa: E731
        [sys.executable, "manage.py", "tasks", "remind"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    first, second = run(), run()
    assert first.returncode == 0, first.stderr
    assert "已发送整改任务提醒 1 条" in first.stdout
    assert "已发送整改任务提醒 0 条" in second.stdout
    bad = subprocess.run(
        [sys.executable, "manage.py", "tasks", "remind", "--date", "明天"], cwd=ROOT, env=env, capture_output=True,
        text=True, timeout=120,
    )  # fmt: skip
    assert bad.returncode == 2 and "格式不对" in bad.stderr and "Traceback" not in bad.stderr


def test_the_bulletin_reports_the_completion_rate_and_overdue_units(world: World) -> None:
    of_r = {"scheme_key": "r", "period": P}
    accepted = world.task("U1", deadline=TODAY + timedelta(days=20), **of_r)  # accepted early: counts as done
    world.task("U2", deadline=TODAY + timedelta(days=1), **of_r)  # overdue below
    world.task("U3", deadline=TODAY + timedelta(days=30), **of_r)  # within its deadline: counts neither way
    rect.submit_task(accepted.id, "已整改", by=world.u1, engine=world.engine)
    rect.accept_task(accepted.id, by=world.admin, engine=world.engine)
    world.task("U4")  # no scheme: not this scheme's bulletin
    later = TODAY + timedelta(days=5)
    summary = rect.rectification_summary("r", P, today=later, engine=world.engine)
    assert (summary.issued, summary.accepted, summary.overdue, summary.due, summary.in_progress) == (3, 1, 1, 2, 1)
    assert summary.rate == 0.5 and summary.rate_text == "50.0%"
    assert summary.overdue_units == [("乙中心", 1)] and summary.overdue_tasks[0][1] == "规范处方书写"
    assert "整改完成率 50.0%" in summary.sentence and "乙中心" in summary.sentence
    assert rect.rectification_summary("r", "2025-07", today=later, engine=world.engine).issued == 0  # before
    assert rect.rectification_summary("r", "2025-Q3", today=later, engine=world.engine).issued == 3  # roll-up
    with pytest.raises(Forbidden):
        rect.rectification_summary("r", P, by=world.u1, engine=world.engine)

    from services.meeting import bulletin_workbook

    bulletin, data = bulletin_workbook("r", P, "测试员", engine=world.engine)
    assert bulletin.rectification is not None and "整改完成率" in summary_text(bulletin)
    book = load_workbook(io.BytesIO(data))
    sheet = book["整改落实"]
    cells = [[c.value for c in row] for row in sheet.iter_rows()]
    flat = [v for row in cells for v in row if v is not None]
    assert "整改完成率" in flat and "逾期未验收的整改任务" in flat and "规范处方书写" in flat


def test_the_summary_without_tasks_due_says_so() -> None:
    none_due = RectificationSummary(TODAY, issued=2, accepted=0, submitted=1, overdue=0)
    assert none_due.rate is None and none_due.rate_text == "—" and none_due.overdue_text == "无"
    assert none_due.sentence == "截至 2025-09-10，共下达整改任务 2 项，已验收 0 项。"
    assert RectificationSummary(TODAY, 0, 0, 0, 0).sentence == ""


def test_two_managers_giving_the_same_task_at_once_make_one(world: World) -> None:
    import threading

    found = next(s for s in rect.suggestions("r", P, by=world.admin, engine=world.engine) if s.source == "bottom")
    start = threading.Barrier(2)
    outcomes: list[object] = []

    def give(actor: Actor) -> None:
        start.wait()
        try:
            outcomes.append(rect.create_from_suggestion("r", P, found, today=TODAY, by=actor, engine=world.engine))
        except Conflict as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=give, args=(a,)) for a in (world.admin, world.assessor)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sorted(type(o).__name__ for o in outcomes) == ["Conflict", "TaskInfo"]
    assert world.count(RectificationTask) == 1


def test_a_title_of_the_longest_length_still_reaches_the_unit(world: World) -> None:
    long = "整" * rect.TITLE_MAX
    task = rect.create_task("U2", long, today=TODAY, by=world.admin, engine=world.engine)
    assert task.title == long
    title = world.messages(world.u2)[-1].title
    assert len(title) == 200 and title.startswith("新的整改任务：整") and title.endswith("…")
    with pytest.raises(InvalidInput, match="最多 200 个字"):
        rect.create_task("U2", long + "改", today=TODAY, by=world.admin, engine=world.engine)


def test_suggestions_give_points_to_the_schemes_decimals(world: World) -> None:
    """Found in the browser: 「失 4 分」「扣 1 分」 where every other page shows 4.00 and 1.00."""
    found = rect.suggestions("r", P, by=world.admin, engine=world.engine)
    d = 2  # the test scheme's decimals
    for s in found:
        if s.source in ("target", "deduction"):
            shown = re.search(r"[失扣] ([0-9.]+) 分", s.detail)
            assert shown and len(shown.group(1).split(".")[1]) == d, s.detail
    bottom = next(s for s in found if s.source == "bottom")
    total = re.search(r"总分 ([0-9.]+) 分", bottom.detail)
    assert total and len(total.group(1).split(".")[1]) == d, bottom.detail
