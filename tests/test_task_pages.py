"""The 整改任务 and 本单位整改 pages and the meeting page's 整改落实情况 under AppTest, on a fresh copy
of the demo district for each test (demo-unit is C03, below the line all year; demo-assessor has
community_monthly and the 社区卫生服务中心)."""

from __future__ import annotations

import io
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest
from test_pages import choose, signed_in_app

from services import rectification as rect
from services.permissions import Actor
from storage.db import make_engine

KEY, P = "community_monthly", "2025-12"  # C03 is 末位 in December
ADMIN = Actor(0, "cli", "系统", "admin")


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (6, 6), "blue").save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def url(_templates, tmp_path: Path) -> str:  # noqa: ANN001 - conftest's session fixture
    path = tmp_path / "assessment.db"
    shutil.copyfile(_templates.sqlite_file("demo"), path)
    return f"sqlite:///{path}"


def _app(url: str, role: str, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    return signed_in_app(url, role, monkeypatch)


def _ok(at: AppTest) -> None:
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]


def _texts(at: AppTest) -> str:
    return "\n".join(m.value for m in [*at.markdown, *at.success, *at.info, *at.warning, *at.error, *at.caption])


def _task(url: str, unit: str = "C03", **kw: object) -> rect.TaskInfo:
    engine = make_engine(url)
    try:
        args = {"scheme_key": KEY, "period": P, "by": ADMIN} | kw
        return rect.create_task(unit, "规范慢病随访", "按规范完成随访", engine=engine, **args)  # type: ignore[arg-type]
    finally:
        engine.dispose()


def test_a_manager_gives_a_suggested_task_with_one_click(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _app(url, "assessor", monkeypatch)
    choose(at, KEY, P)
    at.switch_page("pages/tasks.py").run()
    _ok(at)
    assert at.title[0].value == "整改任务"
    assert any("没有符合条件的整改任务" in i.value for i in at.info)
    give = [b for b in at.button if b.key and b.key.startswith("suggest_C03|bottom")]
    assert len(give) == 1 and give[0].label == "下达"
    give[0].click().run()
    _ok(at)
    assert any("已下达整改任务" in s.value and "已通知该单位" in s.value for s in at.success)
    again = next(b for b in at.button if b.key and b.key.startswith("suggest_C03|bottom"))
    assert again.label.startswith("已下达 #") and again.disabled  # no duplicate while it is open
    table = at.dataframe[0].value
    assert list(table["单位"]) == ["西城街道社区卫生服务中心"] and list(table["状态"]) == ["待整改"]
    assert list(table["来源"]) == ["末位"]


def test_the_form_for_other_tasks_refuses_a_missing_title_and_then_creates(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _app(url, "admin", monkeypatch)
    choose(at, KEY, P)
    at.switch_page("pages/tasks.py").run()
    _ok(at)
    at.selectbox(key="new_unit").set_value("C05")
    next(b for b in at.button if b.label == "下达整改任务").click().run()
    assert any("请填写整改任务的标题" in e.value for e in at.error)
    at.text_input(key="new_title").input("补齐家庭医生签约档案")
    next(b for b in at.button if b.label == "下达整改任务").click().run()
    _ok(at)
    assert any("补齐家庭医生签约档案" in s.value for s in at.success)
    assert list(at.dataframe[0].value["整改任务"]) == ["补齐家庭医生签约档案"]


def test_the_unit_submits_with_files_and_the_assessor_returns_then_accepts(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    task = _task(url)
    _task(url, "C05")  # another unit's task: never shown to C03
    unit = _app(url, "unit", monkeypatch)
    unit.switch_page("pages/my_tasks.py").run()
    _ok(unit)
    assert unit.title[0].value == "本单位整改"
    assert [h.value for h in unit.markdown if h.value.startswith("####")] == ["#### 规范慢病随访（待整改）"]
    assert "C05" not in _texts(unit) and "北关街道" not in _texts(unit)
    submit = next(b for b in unit.button if b.label == "提交整改材料")
    submit.click().run()
    assert any("请填写整改情况说明" in e.value for e in unit.error)
    unit.text_area(key=f"my_note_{task.id}").input("已完成随访 120 人次")
    unit.file_uploader(key=f"my_files_{task.id}").set_value(("随访.exe.pdf", b"MZ" + b"\x00" * 100, "application/pdf"))
    next(b for b in unit.button if b.label == "提交整改材料").click().run()
    assert any("不是图片" in e.value and "未保存" in e.value for e in unit.error)  # refused, nothing stored
    unit.text_area(key=f"my_note_{task.id}").input("已完成随访 120 人次")
    unit.file_uploader(key=f"my_files_{task.id}").set_value([("随访照片.png", png(), "image/png")])
    next(b for b in unit.button if b.label == "提交整改材料").click().run()
    _ok(unit)
    assert any("等待验收" in s.value for s in unit.success)
    assert any("等待考核部门验收" in i.value for i in unit.info)

    assessor = _app(url, "assessor", monkeypatch)
    assessor.query_params["task"] = str(task.id)  # as the message to the task's creator links it
    assessor.switch_page("pages/tasks.py").run()
    _ok(assessor)
    assert assessor.selectbox(key="tasks_chosen").value == task.id
    assert any("已完成随访 120 人次" in m.value for m in assessor.markdown)
    downloads = [d for d in assessor.get("download_button") if "随访照片.png" in d.proto.label]
    assert len(downloads) == 1
    next(b for b in assessor.button if b.label == "退回整改").click().run()
    assert any("退回时请写明原因" in e.value for e in assessor.error)
    assessor.text_area(key="tasks_note").input("请补充随访记录表")
    next(b for b in assessor.button if b.label == "退回整改").click().run()
    _ok(assessor)
    assert any("已退回" in s.value for s in assessor.success)

    unit.switch_page("pages/my_tasks.py").run()
    assert any("请补充随访记录表" in w.value for w in unit.warning)
    unit.text_area(key=f"my_note_{task.id}").input("已补充随访记录表")
    next(b for b in unit.button if b.label == "提交整改材料").click().run()
    _ok(unit)

    assessor.switch_page("pages/tasks.py").run()
    assessor.selectbox(key="tasks_chosen").set_value(task.id).run()
    next(b for b in assessor.button if b.label == "验收通过").click().run()
    _ok(assessor)
    assert any("已验收" in s.value for s in assessor.success)
    unit.switch_page("pages/my_tasks.py").run()
    _ok(unit)
    assert any("均已验收" in s.value for s in unit.success)
    assert "已验收的整改任务" in [h.value for h in unit.header]
    assert list(unit.dataframe[0].value["状态"]) == ["已验收"]
    assert any(m.value.startswith("**验收意见**") for m in unit.markdown)  # the accepted task's detail


def test_overdue_tasks_are_highlighted_for_managers_and_come_first_for_the_unit(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    today = rect.local_today()
    _task(url, deadline=today + timedelta(days=9))
    late = _task(url, source="other", today=today - timedelta(days=20), deadline=today - timedelta(days=2))
    admin = _app(url, "admin", monkeypatch)
    admin.switch_page("pages/tasks.py").run()
    assert not admin.exception, admin.exception
    assert any("已逾期：整改期限" in e.value for e in admin.error)  # the first task's detail
    table = admin.dataframe[0].value
    assert list(table["编号"])[0] == late.id and list(table["逾期"]) == ["逾期", ""]
    assert any("1 项逾期" in m.value for m in admin.markdown)
    admin.checkbox(key="tasks_overdue").check().run()
    assert list(admin.dataframe[0].value["编号"]) == [late.id]
    admin.checkbox(key="tasks_overdue").uncheck().run()
    admin.selectbox(key="tasks_unit").set_value("C05").run()
    assert any("没有符合条件的整改任务" in i.value for i in admin.info)

    unit = _app(url, "unit", monkeypatch)
    unit.switch_page("pages/my_tasks.py").run()
    assert not unit.exception, unit.exception
    heads = [h.value for h in unit.markdown if h.value.startswith("####")]
    assert heads[0] == "#### 规范慢病随访（待整改，已逾期）"
    assert any("1 项已逾期" in e.value for e in unit.error)
    assert any("已逾期：整改期限" in e.value for e in unit.error)


def test_the_reminder_button_sends_once(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _task(url, deadline=rect.local_today() + timedelta(days=1))
    admin = _app(url, "admin", monkeypatch)
    admin.switch_page("pages/tasks.py").run()
    reminder = next(b for b in admin.button if b.key == "tasks_remind")
    reminder.click().run()
    assert any("已发送到期提醒 1 条" in s.value for s in admin.success)
    next(b for b in admin.button if b.key == "tasks_remind").click().run()
    assert any("没有需要发送的新提醒" in s.value for s in admin.success)


def test_the_meeting_page_reports_the_completion_rate_and_overdue_units(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    today = rect.local_today()
    _task(url, today=today - timedelta(days=20), deadline=today - timedelta(days=1))
    viewer = _app(url, "viewer", monkeypatch)
    choose(viewer, KEY, "2025-12")
    viewer.switch_page("pages/meeting.py").run()
    _ok(viewer)
    assert "整改落实情况" in [h.value for h in viewer.header]
    tiles = {m.label: m.value for m in viewer.metric}
    assert tiles["已下达整改任务"] == "1" and tiles["逾期未验收"] == "1" and tiles["整改完成率"] == "0.0%"
    assert any("西城街道社区卫生服务中心（1 项）" in w.value for w in viewer.warning)
    choose(viewer, KEY, "2025-11")  # before the task's period: not counted
    viewer.switch_page("pages/meeting.py").run()
    assert not viewer.exception, viewer.exception
    assert "整改落实情况" not in [h.value for h in viewer.header]


def test_the_menu_gives_managers_整改任务_and_units_本单位整改_only() -> None:
    from ui.nav import allowed_pages

    def pages(actor: Actor) -> set[str]:
        return {path for section in allowed_pages(actor).values() for path, _, _ in section}

    unit = Actor(9, "u", "单位", "unit", unit_code="C03")
    assert "pages/my_tasks.py" in pages(unit) and "pages/tasks.py" not in pages(unit)
    for role in ("admin", "assessor"):
        assert "pages/tasks.py" in pages(Actor(9, "m", "管理", role)) and "pages/my_tasks.py" not in pages(
            Actor(9, "m", "管理", role)
        )
    assert not {"pages/tasks.py", "pages/my_tasks.py"} & pages(Actor(9, "v", "领导", "viewer"))


def test_a_unit_account_opening_the_managers_url_gets_no_task_list(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _task(url, "C05")
    unit = _app(url, "unit", monkeypatch)
    with pytest.raises(ValueError, match="pages/tasks.py"):  # not in a unit account's navigation at all
        unit.switch_page("pages/tasks.py")
    unit.switch_page("pages/my_tasks.py").run()
    assert not unit.exception, unit.exception
    assert "北关街道" not in _texts(unit) and any("没有整改任务" in i.value for i in unit.info)


def test_a_manager_finds_the_task_to_accept_first_and_its_status_in_view(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found at 1366×768: the details opened on a task still with the unit, the one waiting for
    acceptance further down the list; and 状态 / 逾期 were the table's last columns, cut off."""
    _task(url)
    waiting = _task(url, source="other")
    engine = make_engine(url)
    unit = Actor(0, "demo-unit", "演示单位", "unit", unit_code="C03", unit_name="西城街道社区卫生服务中心")
    rect.submit_task(waiting.id, "已完成随访 120 人次", [("随访.png", png())], by=unit, engine=engine)
    engine.dispose()
    at = _app(url, "assessor", monkeypatch)
    at.switch_page("pages/tasks.py").run()
    _ok(at)
    chosen = at.selectbox(key="tasks_chosen")
    assert chosen.value == waiting.id and chosen.options[0].endswith("（已提交，待验收）")
    columns = list(at.dataframe[0].value.columns)
    assert columns.index("状态") < columns.index("考核") and columns.index("逾期") < columns.index("来源")
    assert any(b.label == "验收通过" for b in at.button)
