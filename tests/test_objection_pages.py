"""The 公示与申诉 page and the unit's 申诉 page (issue 20) under AppTest, on a private copy of the
demo district (whose months are all published): a unit objects to one of its items, an
administrator corrects it, the unit reads the outcome; the lock waits for the window."""

from __future__ import annotations

import json
import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from test_pages import choose, signed_in_app

from services.objections import objection_queue, own_objections, raise_objection, uphold
from services.periods import lock_period
from services.publicity import current_publicity, start_publicity
from services.rectification import create_task
from storage.db import make_engine

KEY, P = "community_monthly", "2025-12"


@pytest.fixture
def url(_templates, tmp_path: Path) -> str:  # noqa: ANN001 - conftest's session fixture
    path = tmp_path / "assessment.db"
    shutil.copyfile(_templates.sqlite_file("demo"), path)
    return f"sqlite:///{path}"


def _app(url: str, role: str, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    return signed_in_app(url, role, monkeypatch)


def texts(at: AppTest) -> str:
    parts = [e.value for kind in (at.info, at.success, at.error, at.warning, at.caption, at.markdown) for e in kind]
    return "\n".join(str(p) for p in parts)


def test_without_publicity_the_unit_is_told_and_the_admin_may_start_it(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    unit = _app(url, "unit", monkeypatch)
    unit.switch_page("pages/unit_objections.py").run()
    assert not unit.exception, unit.exception
    assert "当前没有进行中的公示" in texts(unit) and "本单位尚未提出申诉" in texts(unit)

    admin = _app(url, "admin", monkeypatch)
    choose(admin, KEY, P)
    admin.switch_page("pages/publicity.py").run()
    assert not admin.exception, admin.exception
    assert "本期尚未公示" in texts(admin)
    next(b for b in admin.button if b.label == "发起公示").click().run()
    assert not admin.exception, admin.exception
    assert "已发起公示" in texts(admin) and "公示中" in texts(admin)
    engine = make_engine(url)
    assert current_publicity(KEY, P, engine=engine) is not None
    lock = next(b for b in admin.button if b.label == "锁定期间")
    assert lock.disabled and "公示尚未结束" in texts(admin)
    engine.dispose()


def test_a_unit_objects_an_admin_corrects_and_the_unit_reads_the_outcome(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_engine(url)
    start_publicity(KEY, P, engine=engine)

    unit = _app(url, "unit", monkeypatch)
    unit.switch_page("pages/unit_objections.py").run()
    assert not unit.exception, unit.exception
    shown = unit.dataframe[0].value
    assert {"指标", "已发布数值", "失分", "计分过程"} <= set(shown.columns) and len(shown)
    assert any("A1 门诊服务规范" in x for x in shown["指标"])
    unit.selectbox(key="unit_obj_code").set_value("A1")
    next(b for b in unit.button if b.label == "提交申诉").click().run()
    assert "请填写申诉理由" in texts(unit)  # nothing raised without a reason
    unit.text_area(key="unit_obj_reason").input("门诊服务规范现场检查漏看了整改台账")
    next(b for b in unit.button if b.label == "提交申诉").click().run()
    assert not unit.exception, unit.exception
    assert "已提交" in texts(unit)
    mine = own_objections(unit="C03", engine=engine)
    assert len(mine) == 1 and mine[0].code == "A1" and mine[0].status == "open"
    assert "待处理：考核组正在核实。" in [i.value for i in unit.info]

    admin = _app(url, "admin", monkeypatch)
    choose(admin, KEY, P)
    admin.switch_page("pages/publicity.py").run()
    assert not admin.exception, admin.exception
    oid = mine[0].id
    assert "待处理 1 件" in texts(admin)
    admin.radio(key=f"obj_choice_{oid}").set_value("更正数值")
    admin.number_input(key=f"obj_value_{oid}").set_value(10)
    admin.text_area(key=f"obj_reply_{oid}").input("经复核台账，门诊服务规范应得满分")
    next(b for b in admin.button if b.label == "提交处理结果").click().run()
    assert not admin.exception, admin.exception
    assert "请到「审定发布」复核后重新发布" in texts(admin)
    done = objection_queue(KEY, P, engine=engine)[0]
    assert done.status == "corrected" and done.new_value == 10

    unit.run()
    outcome = [s.value for s in unit.success if "已更正为 10" in s.value]
    assert len(outcome) == 1 and "待重新审定发布" in outcome[0]

    admin.switch_page("pages/meeting.py").run()  # the meeting lists objections and outcomes
    assert not admin.exception, admin.exception
    assert any(h.value == "申诉处理情况" for h in admin.header)
    assert "共收到申诉 1 件：已更正 1 件" in texts(admin)
    listed = next(d.value for d in admin.dataframe if "申诉指标" in d.value.columns)
    assert list(listed["状态"]) == ["已更正"] and "A1" in listed["申诉指标"].iloc[0]
    engine.dispose()


def test_an_assessor_outside_the_scheme_sees_no_objections(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = make_engine(url)
    start_publicity(KEY, P, engine=engine)
    assessor = _app(url, "assessor", monkeypatch)
    choose(assessor, KEY, P)
    assessor.switch_page("pages/publicity.py").run()
    assert not assessor.exception, assessor.exception
    assert "公示中" in texts(assessor) and "本期没有申诉" in texts(assessor)
    assert not any(b.label in ("发起公示", "锁定期间") for b in assessor.button)  # administrators only
    engine.dispose()


def test_the_units_result_page_lists_its_objections_and_open_tasks_first(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_engine(url)
    start_publicity(KEY, P, engine=engine)
    raise_objection(KEY, P, "A1", "门诊服务规范现场检查漏看了整改台账", unit="C03", engine=engine)
    create_task("C03", "门诊处方点评不到位", deadline=date.today() + timedelta(days=3), engine=engine)
    create_task("C02", "另一单位的整改任务", deadline=date.today() + timedelta(days=3), engine=engine)

    unit = _app(url, "unit", monkeypatch)
    unit.switch_page("pages/my_unit.py").run()
    assert not unit.exception, unit.exception
    unit.selectbox(key="own_scheme").set_value(KEY).run()
    unit.selectbox(key=f"own_period_{KEY}_month").set_value(P).run()
    assert unit.warning[1].value == "本单位有 1 项整改任务未完成。"  # first on the page (after the demo notice)
    shown = texts(unit)
    assert "本单位申诉" in [h.value for h in unit.subheader] and "A1 门诊服务规范 · 待处理" in shown
    tasks = next(d.value for d in unit.dataframe if "整改任务" in d.value.columns)
    assert list(tasks["整改任务"]) == ["门诊处方点评不到位"]  # never another unit's task


def _png() -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buf, "PNG")
    return buf.getvalue()


def test_the_files_of_one_objection_are_not_sent_again_with_the_next(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Found in the browser: after 「提交申诉」 the uploader kept the photo, and the unit's next
    objection on another item carried it again without the unit choosing it."""
    engine = make_engine(url)
    start_publicity(KEY, P, engine=engine)
    unit = _app(url, "unit", monkeypatch)
    unit.switch_page("pages/unit_objections.py").run()
    unit.selectbox(key="unit_obj_code").set_value("A1")
    unit.text_area(key="unit_obj_reason").input("门诊服务规范现场检查漏看了整改台账")
    unit.get("file_uploader")[0].set_value(("记录.png", _png(), "image/png"))
    next(b for b in unit.button if b.label == "提交申诉").click().run()
    assert not unit.exception, unit.exception
    assert "已提交" in texts(unit)

    unit.selectbox(key="unit_obj_code").set_value("A2")
    unit.text_area(key="unit_obj_reason").input("处方点评抽查的处方号有误")
    next(b for b in unit.button if b.label == "提交申诉").click().run()
    assert not unit.exception, unit.exception
    by_code = {o.code: o for o in own_objections(unit="C03", engine=engine)}
    assert [a.file_name for a in by_code["A1"].attachments] == ["记录.png"]
    assert by_code["A2"].attachments == ()
    engine.dispose()


def test_an_assessor_who_corrects_is_not_sent_to_a_page_it_cannot_open(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only administrators open 「审定发布」: the assessor's confirmation says who republishes."""
    engine = make_engine(url)
    start_publicity(KEY, P, engine=engine)
    o = raise_objection(KEY, P, "A1", "门诊服务规范现场检查漏看了整改台账", unit="C03", engine=engine)
    assessor = _app(url, "assessor", monkeypatch)
    choose(assessor, KEY, P)
    assessor.switch_page("pages/publicity.py").run()
    assessor.radio(key=f"obj_choice_{o.id}").set_value("更正数值")
    assessor.number_input(key=f"obj_value_{o.id}").set_value(10)
    assessor.text_area(key=f"obj_reply_{o.id}").input("经复核台账，门诊服务规范应得满分")
    next(b for b in assessor.button if b.label == "提交处理结果").click().run()
    assert not assessor.exception, assessor.exception
    shown = texts(assessor)
    assert "已更正为 10" in shown and "须由管理员在「审定发布」复核后重新发布" in shown
    assert "请到「审定发布」" not in shown
    engine.dispose()


def test_the_decided_table_shows_the_outcome_before_the_reason(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Found at 1366×768: with the reason before it, 答复与说明 was scrolled out of the table."""
    engine = make_engine(url)
    start_publicity(KEY, P, engine=engine)
    o = raise_objection(KEY, P, "A1", "门诊服务规范现场检查漏看了整改台账", unit="C03", engine=engine)
    uphold(o.id, "现场检查记录属实，维持原结果", engine=engine)
    admin = _app(url, "admin", monkeypatch)
    choose(admin, KEY, P)
    admin.switch_page("pages/publicity.py").run()
    assert not admin.exception, admin.exception
    table = next(d for d in admin.dataframe if "答复与说明" in d.value.columns)
    assert list(table.value.columns) == ["编号", "单位", "指标", "结果", "答复与说明", "理由"]
    assert json.loads(table.proto.columns)["答复与说明"]["width"] == "large"
    assert "现场检查记录属实" in table.value["答复与说明"].iloc[0]
    engine.dispose()


def test_the_units_result_page_names_each_objections_status_once(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Found in the browser: 「维持原结果：维持原结果（…）」 and 「待处理：待处理：…」."""
    engine = make_engine(url)
    start_publicity(KEY, P, engine=engine)
    kept = raise_objection(KEY, P, "A1", "门诊服务规范现场检查漏看了整改台账", unit="C03", engine=engine)
    uphold(kept.id, "现场检查记录属实", engine=engine)
    raise_objection(KEY, P, "A2", "处方点评抽查的处方号有误", unit="C03", engine=engine)
    unit = _app(url, "unit", monkeypatch)
    unit.switch_page("pages/my_unit.py").run()
    unit.selectbox(key="own_scheme").set_value(KEY).run()
    unit.selectbox(key=f"own_period_{KEY}_month").set_value(P).run()
    assert not unit.exception, unit.exception
    lines = [e.value for e in [*unit.success, *unit.info] if e.value.startswith("申诉 #")]
    assert len(lines) == 2
    assert all(line.count("维持原结果") <= 1 and line.count("待处理") <= 1 for line in lines), lines
    assert any("· 维持原结果（" in line for line in lines) and any("· 待处理：" in line for line in lines)


def test_a_locked_period_offers_no_publicity_to_start(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Found in the browser: after the lock the page still offered 「发起公示」, which could only fail."""
    engine = make_engine(url)
    lock_period(P, "管理员", "公示结束，申诉已处理完毕", engine=engine)
    engine.dispose()
    admin = _app(url, "admin", monkeypatch)
    choose(admin, KEY, P)
    admin.switch_page("pages/publicity.py").run()
    assert not admin.exception, admin.exception
    assert not any(b.label == "发起公示" for b in admin.button)
    assert "2025年12月已锁定，不能再发起公示。" in texts(admin)
