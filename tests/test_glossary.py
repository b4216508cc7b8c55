"""指标释义: the table per leaf (reports/glossary.py), its A4 sheet (exports/glossary_xlsx.py) and
the page (pages/glossary.py) under AppTest."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from streamlit.testing.v1 import AppTest
from test_pages import app, demo_url  # noqa: F401 - fixtures

from exports.glossary_xlsx import glossary_workbook, write_glossary_sheet
from reports.glossary import GLOSSARY_COLUMNS, glossary_rows
from scoring import load_scheme
from scoring.explain import rule_text

SCHEMES = sorted((Path(__file__).resolve().parents[1] / "data" / "schemes").glob("*.yaml"))


@pytest.mark.parametrize("path", SCHEMES, ids=[p.stem for p in SCHEMES])
def test_every_leaf_of_every_shipped_scheme_is_explained(path: Path) -> None:
    scheme = load_scheme(path)
    table = glossary_rows(scheme)
    assert list(table.columns) == GLOSSARY_COLUMNS
    assert list(table["编码"]) == [leaf.code for leaf in scheme.leaves]
    assert list(table["评分标准"]) == [rule_text(leaf) for leaf in scheme.leaves]  # the template's wording
    assert table["一级指标"].ne("").all() and table["数据来源"].ne("").all()


def test_the_village_schemes_computed_indicators_in_words() -> None:
    table = glossary_rows(load_scheme(SCHEMES[[p.stem for p in SCHEMES].index("village_monthly")])).set_index("编码")
    a1, a3, b3, m1 = (table.loc[c] for c in ("A1", "A3", "B3", "M1"))
    assert a1["计算公式"] == "建档人数（人） ÷ 常住人口（人） × 100"
    assert a1["数据来源"] == "建档人数：考核表填报；常住人口：单位登记数据"
    assert (a1["单位"], a1["分值"], a1["标签"], a1["指标名称"]) == ("%", "20", "核心指标", "★居民电子健康档案建档率")
    assert a1["评分标准"] == "目标 ≥ 90%，每差一定幅度扣分（每差 1 个百分点 扣 1 分）"
    assert a3["计算公式"] == "规范管理人数（人） ÷ 在管高血压患者人数（人） × 100"
    assert a3["数据来源"] == "规范管理人数：考核表填报；在管高血压患者人数：考核表填报"
    assert (b3["计算公式"], b3["数据来源"]) == ("", "考核表填报")
    assert (m1["分值"], m1["单位"]) == ("不计分", "人次")


def test_a_data_source_tag_is_named_as_the_source() -> None:
    from scheme_factory import direct, make_scheme

    leaf = direct("D1", 100) | {"tags": ["数据来源：国家基本公卫系统", "国家监测"]}
    row = glossary_rows(make_scheme(leaf)).iloc[0]
    assert (row["数据来源"], row["标签"]) == ("考核表填报；国家基本公卫系统", "国家监测")


def test_the_workbook_is_an_a4_table_with_its_header_on_every_page() -> None:
    scheme = load_scheme(SCHEMES[[p.stem for p in SCHEMES].index("village_monthly")])
    book = openpyxl.load_workbook(io.BytesIO(glossary_workbook(scheme)))
    sheet = book["指标释义"]
    assert sheet["A1"].value == "村卫生室月度考核 指标释义"
    assert [c.value for c in sheet[3]] == GLOSSARY_COLUMNS
    assert [sheet.cell(r, 1).value for r in range(4, sheet.max_row + 1)] == [leaf.code for leaf in scheme.leaves]
    assert sheet.cell(4, 5).value == "建档人数（人） ÷ 常住人口（人） × 100"
    assert (sheet.page_setup.paperSize, sheet.page_setup.orientation) == (9, "landscape")
    assert sheet.print_title_rows == "$3:$3" and sheet.sheet_properties.pageSetUpPr.fitToPage


def test_the_sheet_can_be_added_to_another_workbook() -> None:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    book.add_worksheet("评分细则")
    write_glossary_sheet(book, load_scheme(SCHEMES[0]), name="释义")
    book.close()
    assert openpyxl.load_workbook(io.BytesIO(buffer.getvalue())).sheetnames == ["评分细则", "释义"]


@pytest.mark.parametrize("login_role", ["admin", "unit"])
def test_the_page_shows_the_chosen_version_and_offers_the_download(app: AppTest, login_role: str) -> None:  # noqa: F811
    app.switch_page("pages/glossary.py").run()
    assert not app.exception, app.exception
    assert app.title[0].value == "指标释义"
    app.selectbox(key="glossary_scheme").set_value("village_monthly").run()
    table = app.dataframe[0].value
    assert list(table.columns) == GLOSSARY_COLUMNS
    row = table.set_index("编码").loc["A1"]
    assert row["计算公式"] == "建档人数（人） ÷ 常住人口（人） × 100"
    assert any(b.proto.label == "下载指标释义（Excel，A4 打印）" for b in app.get("download_button"))
