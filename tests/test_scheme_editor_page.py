"""方案管理's form editor under AppTest, as the demo admin: change a target, see the diff and the
units it moves, save a new version with a note; create a scheme from a copy and find it listed."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest
from test_admin_pages import press, widget
from test_pages import app, demo_url  # noqa: F401 - fixtures

from services.audit import audit_log
from services.catalog import latest_version, list_schemes, scheme_versions


def _by_key_end(elements, end: str):  # noqa: ANN001, ANN202
    return next(w for w in elements if w.key and w.key.endswith(end))


def test_changing_a_target_shows_the_diff_and_saves_a_new_version_with_a_note(app: AppTest) -> None:  # noqa: F811
    app.switch_page("pages/admin_schemes.py").run()
    app.selectbox(key="scheme_pick").set_value("community_monthly").run()
    assert widget(app.text_input, "版本").value == "2025.2"  # the next version, offered
    _by_key_end(app.selectbox, "_leaf_pick").set_value(4).run()  # B2, proportional to 95
    target = _by_key_end(app.number_input, "_target")
    assert target.label == "目标值" and target.value == 95
    target.set_value(99.0).run()
    assert not app.exception, app.exception
    assert any("校验通过" in s.value and "版本 2025.2" in s.value for s in app.success)
    diff = next(c.value for c in app.code if "修改评分细则" in c.value)
    assert "方案版本：2025.1 → 2025.2" in diff
    assert "修改评分细则 B2 " in diff and "目标值：95 → 99" in diff
    moved = next(d.value for d in app.dataframe if "新总分" in d.value.columns)
    assert len(moved) >= 1 and (moved["新总分"] < moved["原总分"]).all()  # a higher bar, lower totals
    assert any("总分或名次变化的单位" in m.value for m in app.markdown)

    press(app, "保存为新版本")  # without a note: refused
    assert any("请填写版本说明" in e.value for e in app.error)
    assert [v.version for v in scheme_versions("community_monthly")][-1] == "2025.1"
    app.text_input(key="scheme_note").input("B2 目标值提高到 99%")
    press(app, "保存为新版本")
    assert any("新版本 2025.2" in s.value for s in app.success)
    stored = latest_version("community_monthly")
    assert stored.version == "2025.2" and stored.note == "B2 目标值提高到 99%"
    assert stored.load().leaf("B2").target == 99
    entry = audit_log(action="scheme.register").iloc[0]
    assert "版本 2025.2" in entry["message"] and "B2 目标值提高到 99%" in str(entry["detail"])


def test_a_version_already_registered_is_refused(app: AppTest) -> None:  # noqa: F811
    app.switch_page("pages/admin_schemes.py").run()
    app.selectbox(key="scheme_pick").set_value("community_monthly").run()
    before = len(scheme_versions("community_monthly"))
    widget(app.text_input, "版本").input("2025.1").run()
    app.text_input(key="scheme_note").input("同一版本号")
    press(app, "保存为新版本")
    assert any("版本 2025.1 已登记过，请改为新的版本号（建议 2025." in e.value for e in app.error)
    assert len(scheme_versions("community_monthly")) == before


def test_a_new_scheme_from_a_copy_is_saved_and_listed(app: AppTest) -> None:  # noqa: F811
    app.switch_page("pages/admin_schemes.py").run()
    app.radio(key="scheme_start").set_value("新建方案（复制已有方案）").run()
    app.selectbox(key="scheme_copy_from").set_value("township_annual").run()
    assert app.text_input(key="scheme_new_key_township_annual").value == "township_annual_copy"
    app.text_input(key="scheme_new_key_township_annual").input("township_2026").run()
    app.text_input(key="scheme_new_name_township_annual").input("乡镇卫生院2026年度考核").run()
    assert any("这是一个新方案" in i.value for i in app.info)
    assert any("校验通过：乡镇卫生院2026年度考核" in s.value for s in app.success)
    app.text_input(key="scheme_note").input("按 2025 年方案复制")
    press(app, "保存为新版本")
    assert any("已登记方案「乡镇卫生院2026年度考核」的新版本 2026.1" in s.value for s in app.success)
    assert "township_2026" in {v.scheme_key for v in list_schemes()}
    listed = app.dataframe[0].value
    assert "乡镇卫生院2026年度考核" in set(listed["名称"])


def test_a_blank_scheme_with_a_taken_key_is_refused(app: AppTest) -> None:  # noqa: F811
    app.switch_page("pages/admin_schemes.py").run()
    app.radio(key="scheme_start").set_value("新建空白方案").run()
    app.text_input(key="scheme_blank_key").input("township_annual").run()
    assert any("已被其他方案使用" in e.value for e in app.error)
    app.text_input(key="scheme_note").input("空白")
    press(app, "保存为新版本")
    assert any("已被其他方案使用" in e.value for e in app.error)
    assert [v.version for v in scheme_versions("township_annual")] == ["2025.1"]


def test_the_schemes_own_options_are_edited_by_their_chinese_names(app: AppTest) -> None:  # noqa: F811
    app.switch_page("pages/admin_schemes.py").run()
    app.selectbox(key="scheme_pick").set_value("community_monthly").run()
    missing = widget(app.selectbox, "缺项处理")
    assert missing.value == "error" and missing.format_func("zero") == "按 0 分"
    combine = widget(app.selectbox, "多人评分合并方式")
    assert combine.value == "trimmed_mean"  # as the stored scheme writes it
    missing.set_value("zero").run()
    widget(app.selectbox, "多人评分合并方式").set_value("mean").run()
    widget(app.number_input, "申诉期（工作日）").set_value(7).run()
    assert not app.exception, app.exception
    assert any("校验通过" in s.value for s in app.success)
    diff = next(c.value for c in app.code if "方案版本" in c.value)
    assert "缺项处理：提示错误 → 按 0 分" in diff and "多人评分合并方式：去掉最高最低后平均 → 平均" in diff
    app.text_input(key="scheme_note").input("空白按 0 分，各考核组平均，申诉期 7 个工作日")
    press(app, "保存为新版本")
    stored = latest_version("community_monthly").load()
    assert (stored.missing, stored.combine, stored.objection_days, stored.decimals) == ("zero", "mean", 7, 2)
