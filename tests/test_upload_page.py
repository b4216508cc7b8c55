"""The 上传评分表 and 提交记录 pages under AppTest (which supports st.file_uploader in 1.67):
upload → errors or preview → confirm → result; locked periods; rollback with a reason."""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest
from test_pages import APP, DEMO_USER, _as_a_running_server, login

from services.periods import lock_period
from services.results import results
from services.submissions import history
from services.uploads import make_template, version_for
from storage.db import make_engine

KEY, PERIOD = "community_monthly", "2025-08"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def engine(_templates, tmp_path: Path) -> Iterator[Engine]:
    """A private copy of the demo database: these tests write to it."""
    path = tmp_path / "assessment.db"
    shutil.copyfile(_templates.sqlite_file("demo"), path)
    eng = make_engine(f"sqlite:///{path}")
    yield eng
    eng.dispose()


@pytest.fixture
def role() -> str:
    return "admin"


@pytest.fixture
def at(engine: Engine, monkeypatch: pytest.MonkeyPatch, role: str) -> AppTest:
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("ASSESS_SEED_DEMO", "1")  # demo mode: the demo accounts exist
    _as_a_running_server(monkeypatch)
    app = AppTest.from_file(APP, default_timeout=90)
    app.run()
    login(app, DEMO_USER[role])
    app.switch_page("pages/upload.py").run()
    assert not app.exception, app.exception
    app.selectbox(key="entry_scheme").set_value(KEY).run()
    app.selectbox(key=f"entry_period_{KEY}").set_value(PERIOD).run()
    assert not app.exception, app.exception
    return app


def _sheet(engine: Engine, edit: dict[tuple[str, str], object]) -> bytes:
    """What a user downloads (the prefilled wide template of 考核一组), with cells changed."""
    version = version_for(KEY, PERIOD, engine=engine)
    data = make_template(version.id, PERIOD, "wide", assessor="考核一组", prefill=True, engine=engine)
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb["评分"]
    rows = {ws.cell(r, 1).value: r for r in range(8, ws.max_row + 1)}
    cols = {ws.cell(7, c).value: c for c in range(1, ws.max_column + 1)}
    for (unit, code), value in edit.items():
        ws.cell(rows[unit], cols[code]).value = value
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _upload(at: AppTest, name: str, data: bytes) -> AppTest:
    at.text_input(key="up_assessor").input("考核一组").run()
    uploader = next(u for u in at.file_uploader if u.key.startswith("up_file_"))
    uploader.set_value((name, data, XLSX)).run()
    assert not at.exception, at.exception
    return at


def _button(at: AppTest, label: str):  # noqa: ANN202
    return next(b for b in at.button if b.label == label)


def test_upload_preview_confirm_and_the_ranking_follows(at: AppTest, engine: Engine) -> None:
    before = results(KEY, PERIOD, engine=engine).units.set_index("unit")["total"]
    _upload(at, "8月更正.xlsx", _sheet(engine, {("C08", "A1"): 2}))
    assert [s.value for s in at.subheader][-2:] == ["3. 预览：导入后会发生什么", "4. 确认导入"]
    tiles = {m.label: m.value for m in at.metric}
    assert (tiles["涉及单位"], tiles["修改单元格"], tiles["新增单元格"]) == ("8", "1", "0")
    changes, effect = at.dataframe[0].value, at.dataframe[1].value
    assert changes[["单位", "指标编码", "原值", "新值", "变化"]].values.tolist() == [
        ["新华街道社区卫生服务中心", "A1", "8.5", "2", "修改"]
    ]
    row = effect[effect["单位"] == "新华街道社区卫生服务中心"].iloc[0]
    assert row["原总分"] == pytest.approx(before["C08"]) and row["状态"] == "总分变化"
    # the change as 排名 writes it: signed, the scheme's two decimals (-6.50, not -6.5)
    assert row["变化"] == f"{row['新总分'] - row['原总分']:+.2f}" and row["变化"].startswith("-")
    formats = {k: v.get("type_config", {}).get("format") for k, v in json.loads(at.dataframe[1].proto.columns).items()}
    assert formats["原总分"] == formats["新总分"] == "%.2f"

    assert len(history(KEY, PERIOD, engine=engine)) == 1  # nothing stored before confirming
    at.text_input(key="up_note").input("8月更正")  # inside the form: sent with the button
    _button(at, "确认导入").click().run()
    assert not at.exception, at.exception
    assert any("已导入" in s.value and "复核发布后领导和单位才能看到" in s.value for s in at.success)
    assert at.file_uploader[0].key == "up_file_1"  # an empty uploader for the next file
    latest = history(KEY, PERIOD, engine=engine).iloc[0]
    assert (latest["submitted_by"], latest["note"]) == ("演示管理员（demo-admin）", "8月更正")
    after = results(KEY, PERIOD, engine=engine).units.set_index("unit")["total"]
    assert after["C08"] == pytest.approx(row["新总分"])

    at.switch_page("pages/ranking.py").run()  # its choosers are at the top of the page
    at.selectbox(key="f_scheme").set_value(KEY).run()
    period_key = next(w.key for w in at.selectbox if w.key and w.key.startswith(f"f_period_{KEY}_"))
    at.selectbox(key=period_key).set_value(PERIOD).run()
    ranking = at.dataframe[0].value.set_index("单位")
    assert ranking.loc["新华街道社区卫生服务中心", "总分"] == pytest.approx(round(after["C08"], 2))


def test_bad_file_lists_located_errors_and_offers_an_annotated_copy(at: AppTest, engine: Engine) -> None:
    _upload(at, "错.xlsx", _sheet(engine, {("C02", "A2"): "九十"}))
    assert any("1 处错误" in e.value and "没有导入任何数据" in e.value for e in at.error)
    errors = at.dataframe[0].value
    assert errors[["工作表", "行", "列", "表头", "单元格内容"]].values.tolist() == [
        ["评分", 9, "D", "处方合格率", "九十"]
    ]
    assert "不是数字" in errors["问题"].iloc[0]
    assert not [b for b in at.button if b.label == "确认导入"]
    labels = [w.proto.label for w in at.get("download_button")]
    assert "下载标注了错误的工作簿（错误单元格标红并附批注）" in labels
    assert len(history(KEY, PERIOD, engine=engine)) == 1


def test_locked_period_is_explained_and_cannot_be_confirmed(at: AppTest, engine: Engine) -> None:
    lock_period(PERIOD, "管理员", "8月通报已发布", engine=engine)
    at.run()
    assert any("8月通报已发布" in w.value and "不能导入" in w.value for w in at.warning)
    _upload(at, "8月更正.xlsx", _sheet(engine, {("C08", "A1"): 2}))
    assert any("锁定" in e.value for e in at.error)
    assert not [b for b in at.button if b.label == "确认导入"]


def test_submissions_page_rolls_back_with_a_reason(at: AppTest, engine: Engine) -> None:
    at.switch_page("pages/submissions.py").run()
    at.selectbox(key="entry_scheme").set_value(KEY).run()
    at.selectbox(key=f"sub_period_{KEY}").set_value(PERIOD).run()
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    assert table["期间"].tolist() == [PERIOD] and table["状态"].tolist() == ["有效"]
    target = int(history(KEY, PERIOD, engine=engine)["id"].iloc[0])
    assert at.selectbox(key="sub_target_0").value is None  # nothing preselected
    at.selectbox(key="sub_target_0").set_value(target).run()
    assert any("撤下" in w.value and "已发布的考核结果不受影响" in w.value for w in at.warning)  # what changes

    _button(at, "确认撤回").click().run()
    assert any("撤回原因" in e.value for e in at.error)
    at.text_input(key="sub_reason_0").input("考核组录入错误")
    _button(at, "确认撤回").click().run()
    assert any("请先勾选" in e.value for e in at.error)  # no withdrawal without confirming
    assert history(KEY, PERIOD, engine=engine)["status"].tolist() == ["active"]

    at.checkbox(key="sub_confirm_0").check()
    _button(at, "确认撤回").click().run()
    assert not at.exception, at.exception
    assert any(f"已撤回提交 #{target}" in s.value for s in at.success)
    assert at.dataframe[0].value["状态"].tolist() == ["已撤回"]
    row = history(KEY, PERIOD, engine=engine).iloc[0]
    assert (row["rolled_back_by"], row["rollback_reason"]) == ("演示管理员（demo-admin）", "考核组录入错误")
    assert results(KEY, PERIOD, engine=engine) is None  # the only submission of August is gone


@pytest.mark.parametrize("role", ["assessor"])
def test_an_assessor_uploads_only_for_their_schemes(at: AppTest, engine: Engine) -> None:
    assert at.selectbox(key="entry_scheme").options == ["社区卫生服务中心月度绩效考核（月度）"]
    _upload(at, "8月更正.xlsx", _sheet(engine, {("C08", "A1"): 2}))
    _button(at, "确认导入").click().run()
    assert any("已导入" in s.value for s in at.success)
    assert history(KEY, PERIOD, engine=engine).iloc[0]["submitted_by"] == "演示考核员（demo-assessor）"
