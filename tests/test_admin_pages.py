"""The administration pages and the account page, driven through AppTest as the demo admin."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest
from test_pages import app, demo_url  # noqa: F401 - fixtures

from exports.csv_export import text_table_csv
from services.audit import audit_log
from services.catalog import list_units, scheme_versions

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def widget(elements, label: str):  # noqa: ANN001, ANN201
    return next(w for w in elements if w.label == label)


def press(at: AppTest, label: str) -> AppTest:
    widget(at.button, label).click().run()
    assert not at.exception, at.exception
    return at


def test_admin_creates_an_assessor_with_assigned_schemes(app: AppTest) -> None:  # noqa: F811
    app.switch_page("pages/admin_accounts.py").run()
    widget(app.text_input, "用户名（字母、数字、_ . @ -）").input("zhang.san")
    widget(app.text_input, "姓名").input("张三")
    widget(app.selectbox, "角色").set_value("assessor")
    widget(app.multiselect, "负责方案（仅考核员）").set_value(["township_annual"])
    widget(app.text_input, "初始密码（至少 10 位）").input("short")
    press(app, "新建")
    assert any("至少需要 10 个字符" in e.value for e in app.error)
    widget(app.text_input, "初始密码（至少 10 位）").input("a-long-password")
    press(app, "新建")
    assert any("已新建账户 zhang.san（考核员）" in s.value for s in app.success)
    table = app.dataframe[0].value
    row = table[table["用户名"] == "zhang.san"].iloc[0]
    assert row["角色"] == "考核员" and row["负责方案"] == "乡镇卫生院年度综合目标考核"  # its name, never its key
    log = audit_log(action="account.create")
    assert log["actor"].iloc[0] == "演示管理员（demo-admin）"


def test_admin_renames_and_deactivates_a_unit(app: AppTest) -> None:  # noqa: F811
    app.switch_page("pages/admin_units.py").run()
    widget(app.selectbox, "单位").set_value("C05")
    app.run()
    widget(app.text_input, "名称").input("<b>改名后的中心</b>")
    press(app, "保存")
    assert any("更新 1 个" in s.value for s in app.success)
    assert list_units().set_index("code").loc["C05", "name"] == "<b>改名后的中心</b>"  # stored as typed, shown as text
    app.selectbox(key="unit_active").set_value("C05").run()
    press(app, "停用")
    assert not bool(list_units().set_index("code").loc["C05", "active"])
    assert audit_log(action="unit.deactivate")["actor"].iloc[0] == "演示管理员（demo-admin）"


def test_a_scheme_draft_shows_located_errors_then_previews_and_saves(app: AppTest) -> None:  # noqa: F811
    app.switch_page("pages/admin_schemes.py").run()
    app.selectbox(key="scheme_pick").set_value("community_monthly").run()
    area = app.text_area[0]  # the YAML expert view
    source = area.value
    area.input(source.replace("points: ", "points: x", 1)).run()
    press(app, "采用此 YAML")
    assert any("处问题，不能保存" in e.value for e in app.error)
    assert app.code and app.code[0].value.strip()  # the located problems
    area = app.text_area[0]
    new = source.replace("version: '2025.2'", "version: '2025.9'")
    assert new != source
    area.input(new).run()
    press(app, "采用此 YAML")
    assert any("校验通过" in s.value for s in app.success)
    assert any("未保存" in c.value for c in app.caption)  # the preview on the latest period
    assert any(len(d.value) == 8 and "总分" in d.value.columns for d in app.dataframe)  # the eight centres
    app.text_input(key="scheme_note").input("版本号改为 2025.9")
    press(app, "保存为新版本")
    assert any("新版本 2025.9" in s.value for s in app.success)
    assert [v.version for v in scheme_versions("community_monthly")][-1] == "2025.9"


def test_audit_log_lists_logins_and_filters_by_action(app: AppTest) -> None:  # noqa: F811
    app.switch_page("pages/admin_audit.py").run()
    table = app.dataframe[0].value
    assert "登录成功" in set(table["操作"])
    app.multiselect(key="audit_actions").set_value(["login.ok"]).run()
    table = app.dataframe[0].value
    assert set(table["操作"]) == {"登录成功"} and len(table) >= 1


def test_locking_a_period_needs_a_reason_and_is_recorded(app: AppTest) -> None:  # noqa: F811
    app.switch_page("pages/admin_periods.py").run()
    widget(app.selectbox, "期间").set_value("2025-08")
    widget(app.radio, "操作").set_value("锁定")
    press(app, "执行")
    assert any("必须填写原因" in e.value for e in app.error)
    widget(app.text_input, "原因（锁定、解锁必填）").input("月通报已发布")
    press(app, "执行")
    assert any("已锁定" in s.value for s in app.success)
    assert audit_log(action="period.lock")["message"].iloc[0].endswith("原因：月通报已发布")


@pytest.mark.parametrize("login_role", ["viewer"])
def test_changing_ones_own_password(app: AppTest) -> None:  # noqa: F811
    app.switch_page("pages/my_account.py").run()
    widget(app.text_input, "原密码").input("wrong-one-entirely")
    widget(app.text_input, "新密码（至少 10 位）").input("another-password")
    widget(app.text_input, "再次输入新密码").input("another-password")
    press(app, "修改密码")
    assert any("原密码不正确" in e.value for e in app.error)
    widget(app.text_input, "原密码").input("demo-password")
    widget(app.text_input, "新密码（至少 10 位）").input("another-password")
    widget(app.text_input, "再次输入新密码").input("another-password")
    press(app, "修改密码")
    assert any("密码已修改" in s.value for s in app.success)
    assert audit_log(action="account.password")["actor"].iloc[0] == "演示领导（demo-viewer）"


def register_xlsx(rows: list[list[object]]) -> bytes:
    buffer = io.BytesIO()
    pd.DataFrame(rows[1:], columns=rows[0]).to_excel(buffer, index=False)
    return buffer.getvalue()


def test_a_unit_register_with_bad_cells_is_refused_with_rows_then_a_good_one_lands(app: AppTest) -> None:  # noqa: F811
    before = list_units()
    app.switch_page("pages/admin_units.py").run()
    uploader = app.file_uploader(key="units_file")
    header = ["编码", "名称", "类别", "人口", "启用", "别名"]
    bad = register_xlsx(
        [
            header,
            ["N01", "新建卫生室", "社区卫生服务中心", "六十", "是", ""],
            ["N02", "另一个", "社区卫生服务中心", 800, "也许", ""],
        ]
    )
    uploader.set_value(("单位.xlsx", bad, XLSX)).run()
    assert not app.exception, app.exception
    message = app.error[0].value
    assert "第 2 行「人口」: '六十' 不是非负整数" in message and "第 3 行「启用」: '也许' 应为 是 或 否" in message
    assert not any(b.key == "units_import" for b in app.button)
    pd.testing.assert_frame_equal(list_units(), before)

    good = register_xlsx([header, ["N01", "新建卫生室", "社区卫生服务中心", 1200, "是", "新室|卫生室N01"]])
    app.file_uploader(key="units_file").set_value(("单位.xlsx", good, XLSX)).run()
    assert not app.error, [e.value for e in app.error]
    app.button(key="units_import").click().run()
    assert not app.exception, app.exception
    row = list_units().set_index("code").loc["N01"]
    assert row["name"] == "新建卫生室" and row["population"] == 1200 and bool(row["active"])
    assert "新室" in row["aliases"]


def test_the_audit_log_exports_what_is_shown_with_formulas_neutralised(app: AppTest) -> None:  # noqa: F811
    app.switch_page("pages/admin_audit.py").run()
    assert app.get("download_button")[0].proto.label == "导出 CSV"
    shown = app.dataframe[0].value
    shown.loc[0, "内容"] = '=HYPERLINK("http://x")'  # what a hostile file name could put in a message
    rows = pd.read_csv(io.BytesIO(text_table_csv(shown)), encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert list(rows.columns) == ["时间", "操作人", "操作", "对象", "内容"] and len(rows) == len(shown)
    assert rows.loc[0, "内容"] == '\'=HYPERLINK("http://x")'
    assert rows.loc[1:, "操作人"].tolist() == shown.loc[1:, "操作人"].astype(str).tolist()


def test_a_new_account_starts_as_the_least_privileged_role(app: AppTest) -> None:  # noqa: F811
    """issue 21: a form sent without choosing a role makes a read-only 领导 account, never an administrator."""
    app.switch_page("pages/admin_accounts.py").run()
    assert widget(app.selectbox, "角色").value == "viewer"
    assert widget(app.multiselect, "负责方案（仅考核员）").placeholder == "请选择负责的方案（非考核员不用选）"
    widget(app.text_input, "用户名（字母、数字、_ . @ -）").input("li.si")
    widget(app.text_input, "姓名").input("李四")
    widget(app.text_input, "初始密码（至少 10 位）").input("a-long-password")
    press(app, "新建")
    assert any("已新建账户 li.si（领导）" in s.value for s in app.success), [e.value for e in app.error]


def test_a_scheme_that_rounds_coarsely_is_shown_with_warnings_and_can_still_be_saved(app: AppTest) -> None:  # noqa: F811
    app.switch_page("pages/admin_schemes.py").run()
    app.selectbox(key="scheme_pick").set_value("hospital_monthly").run()
    assert any("校验通过" in s.value for s in app.success)
    assert any("请核对以下 3 处（可以保存）" in w.value for w in app.warning)
    assert "7.95% 四舍五入为 8%" in app.code[0].value
    assert widget(app.button, "保存为新版本")  # a warning does not stop the save
