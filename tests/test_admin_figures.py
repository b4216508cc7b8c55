"""单位管理 → 年度数据 and the register's figure columns, driven through AppTest as the demo admin."""

from __future__ import annotations

import io

import pandas as pd
from streamlit.testing.v1 import AppTest
from test_pages import app, demo_url  # noqa: F401 - fixtures

from services._db import local_today
from services.audit import audit_log
from services.unit_figures import edited_figures, figures_frame, set_figures, year_table

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def register_xlsx(rows: list[list[object]]) -> bytes:
    buffer = io.BytesIO()
    pd.DataFrame(rows[1:], columns=rows[0]).to_excel(buffer, index=False)
    return buffer.getvalue()


def ok(at: AppTest) -> AppTest:
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    return at


def test_a_register_with_a_bad_figure_cell_is_refused_then_a_good_one_lands(app: AppTest) -> None:  # noqa: F811
    before = figures_frame()
    app.switch_page("pages/admin_units.py").run()
    header = ["编码", "名称", "类别", "常住人口（2025）", "65岁以上人口(2025年)"]
    bad = register_xlsx(
        [header, ["C01", "甲", "社区卫生服务中心", 30000, 4000], ["C02", "乙", "社区卫生服务中心", "三千", -1]]
    )
    app.file_uploader(key="units_file").set_value(("单位.xlsx", bad, XLSX)).run()
    assert not app.exception, app.exception
    message = app.error[0].value
    assert "第 3 行「常住人口（2025）」: '三千' 不是数字" in message
    assert "第 3 行「65岁以上人口（2025）」: '-1' 不能小于 0" in message
    assert not any(b.key == "units_import" for b in app.button)
    pd.testing.assert_frame_equal(figures_frame(), before)

    good = register_xlsx([header, ["C01", "甲中心", "社区卫生服务中心", 30000, 4000.5]])
    app.file_uploader(key="units_file").set_value(("单位.xlsx", good, XLSX)).run()
    ok(app).button(key="units_import").click().run()
    ok(app)
    assert any("写入 2 个年度数据" in s.value for s in app.success)
    got = figures_frame([2025]).query("unit == 'C01'")
    assert sorted(zip(got["name"], got["value"], strict=True)) == [("65岁以上人口", 4000.5), ("常住人口", 30000.0)]
    shown = app.dataframe[0].value.set_index("编码")  # the register table carries the figure columns
    assert shown.loc["C01", "常住人口（2025）"] == 30000.0


def test_a_figure_name_is_added_and_a_years_figures_are_shown_for_editing(app: AppTest) -> None:  # noqa: F811
    year = local_today().year
    set_figures(pd.DataFrame([("C03", year, "常住人口", 12345.0)], columns=["unit", "year", "name", "value"]), "测试")
    app.switch_page("pages/admin_units.py").run()
    ok(app)
    assert app.selectbox(key="fig_year").value == year
    app.text_input[-1].input("应管理高血压人数")
    next(b for b in app.button if b.label == "新增数据项").click().run()
    ok(app)
    assert any("已新增数据项「应管理高血压人数」" in s.value for s in app.success)
    table = next(d.value for d in app.dataframe if "应管理高血压人数" in d.value.columns).set_index("编码")
    assert table.loc["C03", "常住人口"] == 12345.0 and pd.isna(table.loc["C03", "应管理高血压人数"])
    assert pd.isna(table.loc["C01", "常住人口"])  # no figure that year: blank, never zero
    app.button(key="fig_save").click().run()
    assert any("没有修改" in i.value for i in app.info)

    app.text_input[-1].input("常住人口")  # the same name again
    next(b for b in app.button if b.label == "新增数据项").click().run()
    assert any("已有同名数据项" in e.value for e in app.error)

    app.selectbox(key="fig_year").set_value(year - 1).run()
    table = next(d.value for d in ok(app).dataframe if "应管理高血压人数" in d.value.columns).set_index("编码")
    assert pd.isna(table.loc["C03", "常住人口"])  # another year keeps its own figures


def test_edits_in_the_table_become_audited_figure_writes(app: AppTest) -> None:  # noqa: F811
    """What the page sends to the service when cells are edited (the editor itself is Streamlit's)."""
    units = pd.DataFrame({"code": ["C01", "C02", "C03"], "name": ["甲", "乙", "丙"]})
    set_figures(
        pd.DataFrame(
            [("C01", 2030, "常住人口", 100.0), ("C02", 2030, "常住人口", 200.0)],
            columns=["unit", "year", "name", "value"],
        ),
        "测试",
    )
    before = year_table(units, 2030, ["常住人口", "老年人口"])
    assert before["常住人口"].tolist()[:2] == [100.0, 200.0] and before["老年人口"].isna().all()
    after = before.copy()
    after.loc[0, "常住人口"] = 100.0  # the same: not sent
    after.loc[1, "常住人口"] = None  # cleared: removed
    after.loc[2, "老年人口"] = 0.0  # a zero is a figure
    changes = edited_figures(before, after, 2030)
    assert list(changes.itertuples(index=False, name=None)) == [
        ("C02", 2030, "常住人口", None),
        ("C03", 2030, "老年人口", 0.0),
    ]
    outcome = set_figures(changes, "测试")
    assert (outcome.written, outcome.removed) == (1, 1)
    assert list(figures_frame([2030]).itertuples(index=False, name=None)) == [
        ("C01", 2030, "常住人口", 100.0),
        ("C03", 2030, "老年人口", 0.0),
    ]
    assert audit_log(action="figures.set").iloc[0]["target"] == "figures:2030"


def test_the_tab_opens_on_the_newest_year_that_has_figures(app: AppTest) -> None:  # noqa: F811
    """This year's figures are often entered months later: the tab shows last year's, not an empty table."""
    years = [y for y in figures_frame()["year"].unique() if y <= local_today().year]
    app.switch_page("pages/admin_units.py").run()
    ok(app)
    assert years and app.selectbox(key="fig_year").value == max(years)
