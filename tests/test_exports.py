"""Exported workbooks and CSV, opened again and checked cell by cell; the export-bulletin command."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from openpyxl.workbook.workbook import Workbook
from test_bulletin import MEETING_SCHEME, meeting_values

import exports.workbook
from exports.bulletin_xlsx import SHEETS, write_bulletin
from exports.csv_export import ranking_csv
from exports.safe_text import neutralise
from exports.unit_report import write_unit_report
from exports.workbook import FONT_NAME
from reports.bulletin import Bulletin, build_bulletin
from scoring import Results, Scheme, parse_scheme, score
from scoring.settlement import settle

HYPERLINK = '=HYPERLINK("http://x","y")'
NAMES = {"U1": HYPERLINK, "U2": "+1-2", "U3": "@SUM(A1)", "U4": "丁中心"}
VETO = "-重大医疗安全事故"  # scheme text can start with a trigger too
SCHEME = MEETING_SCHEME.replace("发生重大医疗安全事故", VETO) + (
    "settlement: {mode: pool, pool: 100000, weight_attribute: population, floor: 10000, cap: 40000}\n"
)
NOTES = {("2025-08", "U2", "A1"): "=1+2", ("2025-08", "U3", "V1"): "-8月12日发生事故，已上报"}
POPULATION = pd.DataFrame({"code": ["U1", "U2", "U3", "U4"], "population": [30_000, 20_000, 10_000, 40_000]})
AT = datetime(2025, 9, 3, 10, 12)
TRIGGERS = ("=", "+", "-", "@")


class Exported:
    def __init__(self) -> None:
        self.scheme: Scheme = parse_scheme(SCHEME)
        values = meeting_values(["2025-07", "2025-08"], note=NOTES)
        self.results: Results = score(self.scheme, values)
        self.bulletin: Bulletin = build_bulletin(self.results, "2025-08", NAMES)
        self.money = settle(self.scheme.settlement, self.results.units, POPULATION)
        self.data = write_bulletin(
            self.bulletin, self.results, self.scheme, NAMES, self.results.units, self.money, "张三", AT
        )
        self.wb: Workbook = openpyxl.load_workbook(io.BytesIO(self.data))


@pytest.fixture(scope="module")
def exported() -> Exported:
    return Exported()


def rows(ws, first: int = 3, last: int | None = None) -> list[list]:  # noqa: ANN001
    return [list(r) for r in ws.iter_rows(min_row=first, max_row=last or ws.max_row, values_only=True)]


def cf_rules(ws) -> dict[str, list[tuple]]:  # noqa: ANN001
    out: dict[str, list[tuple]] = {}
    for cf in ws.conditional_formatting:
        out[str(cf.sqref)] = [(r.type, r.formula, r.operator, r.text) for r in cf.rules]
    return out


def assert_print_setup(ws, title_rows: str = "$1:$2") -> None:  # noqa: ANN001
    assert ws.page_setup.orientation == "landscape"
    assert int(ws.page_setup.paperSize) == 9  # A4
    assert ws.sheet_properties.pageSetUpPr.fitToPage is True
    assert ws.page_setup.fitToWidth in (None, 1)  # 1 is the default and may be left out
    assert int(ws.page_setup.fitToHeight) == 0  # as many pages down as needed
    assert ws.print_title_rows == title_rows


def test_the_sheets(exported: Exported) -> None:
    assert exported.wb.sheetnames == ["说明", "排名", "明细", "未达标", "末位与否决", "趋势", "资金"]
    without = write_bulletin(exported.bulletin, exported.results, exported.scheme, NAMES, None, None, "张三", AT)
    assert "资金" not in openpyxl.load_workbook(io.BytesIO(without)).sheetnames


def test_about(exported: Exported) -> None:
    ws = exported.wb[SHEETS["about"]]
    assert ws["A1"].value == "社区中心月度考核 2025年8月 考核通报"
    info = {r[0]: r[1] for r in rows(ws, 3, 16)}
    assert info["考核方案"] == "社区中心月度考核" and info["方案版本"] == "1"
    assert (
        "方案编号" not in info and "方案编码" not in info and "meeting" not in {str(v) for v in info.values()}
    )  # no raw scheme key
    assert info["考核期间"] == "2025年8月（2025-08）" and info["对比期间"] == "2025年7月（2025-07）"
    assert info["末位规则"] == "总分低于 80 分；后果：月通报点名，限期整改"
    assert info["一票否决事项"] == "'" + VETO
    assert info["考核单位数"] == 4 and info["平均分"] == 84.5
    assert info["生成人"] == "张三" and info["生成时间"] == AT
    assert info["资金结算"].startswith("资金池 100,000.00 元按得分 × 服务人口的比例分配")
    assert info["通报摘要"].startswith("2025年8月共考核 4 个单位，平均 84.50 分，较上月提高 3.25 分；")
    cells = {ws.cell(r, 1).value: ws.cell(r, 2) for r in range(3, 17)}
    assert cells["生成时间"].number_format == "yyyy-mm-dd hh:mm"
    assert cells["平均分"].number_format == "0.00" and cells["考核单位数"].number_format == "0"
    assert ws["A1"].font.name == FONT_NAME and cells["考核方案"].font.name == FONT_NAME
    assert ws["A18"].value == "评分细则"
    rules = rows(ws, 19)
    assert rules[0][0] == "A1" and rules[0][1].startswith("综合 / 综合评分（直接评分，90 分）：直接评分")
    assert_print_setup(ws)


def test_ranking(exported: Exported) -> None:
    ws = exported.wb[SHEETS["ranking"]]
    assert ws["A1"].value == "社区中心月度考核 2025年8月 排名"
    assert [c.value for c in ws[2]][:10] == [
        "同类排名", "总排名", "单位编码", "单位名称", "类别", "总分", "等级", "上期总分", "较上期", "名次变化",
    ]  # fmt: skip
    cat = "全部"  # no categories given: one peer group
    assert rows(ws) == [
        [1, 1, "U1", "'" + HYPERLINK, cat, 98, "优秀", 95, 3, "—", "", "", "", "", 0, 18, "可以"],
        [2, 2, "U4", "丁中心", cat, 82, "良好", 65, 17, "↑2", "", "", "", "", 0, 2, "可以"],
        [3, 3, "U2", "'+1-2", cat, 68, "合格", 80, -12, "—", "是", "低于 80 分", "", "", 1, -12, "不得评先评优：末位（低于 80 分）"],
        [4, 4, "U3", "'@SUM(A1)", cat, 90, "不合格", 85, 5, "↓2", "", "", "是", "'" + VETO, 0, None,
         f"不得评先评优：一票否决：{VETO}"],
    ]  # fmt: skip
    formats = {c.column_letter: c.number_format for c in ws[3]}
    assert (formats["A"], formats["F"], formats["H"]) == ("0", "0.00", "0.00")
    assert formats["I"] == formats["P"] == "+0.00;-0.00;0.00"
    assert formats["D"] == "@"
    assert cf_rules(ws) == {
        "A3:Q6": [("expression", ['$M3="是"'], None, None), ("expression", ["AND(ISNUMBER($F3),$F3<80)"], None, None)],
        "G3:G6": [("cellIs", [f'"{g}"'], "equal", None) for g in ("优秀", "良好", "合格", "不合格")],
        "J3:J6": [
            ("beginsWith", ['LEFT(J3,1)="↑"'], "beginsWith", "↑"),
            ("beginsWith", ['LEFT(J3,1)="↓"'], "beginsWith", "↓"),
        ],
    }
    assert ws.freeze_panes == "E3"
    assert ws.auto_filter.ref == "A2:Q6"
    assert_print_setup(ws)


def test_no_user_text_becomes_a_formula(exported: Exported) -> None:
    seen = set()
    for ws in exported.wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{ws.title}!{cell.coordinate} holds a formula"
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(TRIGGERS), f"{ws.title}!{cell.coordinate}: {cell.value}"
                    seen.add((ws.title, cell.value))
    for name in NAMES.values():
        if name.startswith(TRIGGERS):
            where = {title for title, value in seen if value == "'" + name}
            assert where == {"排名", "明细", "趋势", "资金"} | (
                {"末位与否决"} if name in ("+1-2", "@SUM(A1)") else set()
            ) | ({"未达标"} if name == "+1-2" else set()), name


FROZEN = {"说明": "A3", "排名": "E3", "明细": "D3", "未达标": "C3", "末位与否决": "C3", "趋势": "C3", "资金": "C3"}


def test_every_sheet_freezes_its_header_and_is_set_in_a_chinese_font(exported: Exported) -> None:
    assert FONT_NAME == "Microsoft YaHei"  # 微软雅黑: has every CJK glyph the bulletin needs
    for ws in exported.wb.worksheets:
        assert ws.freeze_panes == FROZEN[ws.title], ws.title
        header = [c for c in ws[2] if c.value is not None]
        assert header and all(c.font.b and c.fill.fgColor.rgb == "FFDDEBF7" for c in header), ws.title
        fonts = {c.font.name for row in ws.iter_rows() for c in row if c.value is not None}
        assert fonts == {FONT_NAME}, (ws.title, fonts)
        assert ws.oddFooter.center.text == "第 &P 页，共 &N 页"
    # the workbook's default style too, so cells a reader types in later are Chinese-capable
    assert exported.wb._fonts[0].name == FONT_NAME


def test_number_cells_hold_numbers_and_text_cells_text(exported: Exported) -> None:
    """Scores, ranks and money are numeric cells (sortable, summable), never numbers as text."""
    checks = {"排名": ["A", "B", "F", "H", "I", "O", "P"], "明细": ["A", "D", "E", "F", "G"], "资金": ["C", "E", "F"]}
    names = {"排名": "D", "明细": "C", "资金": "B"}  # the unit names: text, whatever they look like
    for title, letters in checks.items():
        ws = exported.wb[title]
        for letter in letters:
            for row in range(3, 7):
                cell = ws[f"{letter}{row}"]
                if cell.value is not None:
                    assert cell.data_type == "n" and cell.number_format != "@", f"{title}!{cell.coordinate}"
        assert all(ws[f"{names[title]}{row}"].data_type == "s" for row in range(3, 7))


def test_detail_highlights_lost_points(exported: Exported) -> None:
    ws = exported.wb[SHEETS["detail"]]
    header = [c.value for c in ws[2]]
    assert header == ["同类排名", "单位编码", "单位名称", "总分", "失分合计", "A1 综合评分（90分）", "T1 处方合格率（10分）",
                      "V1 -重大医疗安全事故"]  # fmt: skip
    assert rows(ws) == [
        [1, "U1", "'" + HYPERLINK, 98, 2, 88, 10, None],
        [2, "U4", "丁中心", 82, 18, 72, 10, None],
        [3, "U2", "'+1-2", 68, 32, 68, 0, None],
        [4, "U3", "'@SUM(A1)", 90, 10, 80, 10, "否决"],
    ]
    lost = {
        (c.row, c.column_letter) for row in ws.iter_rows(min_row=3) for c in row if c.fill.fgColor.rgb == "FFFCE4D6"
    }
    assert lost == {(3, "F"), (4, "F"), (5, "F"), (5, "G"), (6, "F")}
    assert ws["F3"].number_format == "0.00"
    assert ws.freeze_panes == "D3" and ws.auto_filter.ref == "A2:H6"
    assert_print_setup(ws)


def test_a_workbook_too_big_for_memory_is_written_the_same(exported: Exported, monkeypatch) -> None:  # noqa: ANN001
    """Past `CONSTANT_MEMORY_CELLS` cells a workbook is streamed (strings inline): same cells, formats, fills."""
    monkeypatch.setattr(exports.workbook, "CONSTANT_MEMORY_CELLS", 0)
    e = exported
    streamed = openpyxl.load_workbook(io.BytesIO(
        write_bulletin(e.bulletin, e.results, e.scheme, NAMES, e.results.units, e.money, "张三", AT)))  # fmt: skip

    def cells(wb: Workbook) -> dict:
        return {(ws.title, c.coordinate): (c.value, c.number_format, c.fill.fgColor.rgb, c.font.b)
                for ws in wb for row in ws.iter_rows() for c in row if c.value is not None}  # fmt: skip

    assert streamed.sheetnames == e.wb.sheetnames
    assert cells(streamed) == cells(e.wb)

    def rules(wb: Workbook) -> dict:
        return {ws.title: sorted((str(cf.sqref), tuple(r.type for r in cf.rules)) for cf in ws.conditional_formatting)
                for ws in wb}  # fmt: skip

    assert rules(streamed) == rules(e.wb)
    assert any(rules(e.wb).values())  # the bulletin has conditional formats to compare


def test_unmet_targets(exported: Exported) -> None:
    ws = exported.wb[SHEETS["unmet"]]
    assert rows(ws) == [["U2", "'+1-2", "T1", "处方合格率", 90, "≥", 95, "%", 10]]
    assert ws["E3"].number_format == ws["G3"].number_format == "0.0"  # the leaf's decimals
    assert ws.auto_filter.ref == "A2:I3" and ws.freeze_panes == "C3"
    assert_print_setup(ws)


def test_red_list(exported: Exported) -> None:
    ws = exported.wb[SHEETS["red"]]
    cat = "全部"  # no categories given: one peer group
    assert rows(ws) == [
        ["U3", "'@SUM(A1)", cat, 90, "不合格", 4, "一票否决", "'" + VETO, "评为不合格，取消评先评优资格"],
        ["U2", "'+1-2", cat, 68, "合格", 3, "末位", "低于 80 分", "月通报点名，限期整改"],
    ]
    assert ws.auto_filter.ref == "A2:I4"
    assert_print_setup(ws)


def test_trend_table_and_chart(exported: Exported) -> None:
    ws = exported.wb[SHEETS["trend"]]
    assert [c.value for c in ws[2]] == ["单位编码", "单位名称", "2025年7月", "2025年8月"]
    assert rows(ws) == [
        ["U1", "'" + HYPERLINK, 95, 98],
        ["U4", "丁中心", 65, 82],
        ["U2", "'+1-2", 80, 68],
        ["U3", "'@SUM(A1)", 85, 90],
        [None, None, None, None],
        ["平均分", "", 81.25, 84.5],
        ["最高分", "", 95, 98],
        ["最低分", "", 65, 68],
        ["末位线（80 分）", "", 80, 80],
    ]
    assert ws.auto_filter.ref == "A2:D6"  # the unit rows only
    (chart,) = ws._charts
    assert chart.tagname == "lineChart"
    assert len(chart.series) == 2 + 4  # 平均分, 末位线 and each of the four units
    refs = [s.val.numRef.f for s in chart.series]
    assert refs[:2] == ["趋势!$C$8:$D$8", "趋势!$C$11:$D$11"]
    assert chart.series[0].cat.strRef.f == "趋势!$C$2:$D$2"
    assert [p.v for p in chart.series[0].cat.strRef.strCache.pt] == ["2025年7月", "2025年8月"]
    assert [p.v for p in chart.series[0].val.numRef.numCache.pt] == [81.25, 84.5]
    assert_print_setup(ws)


def test_money(exported: Exported) -> None:
    ws = exported.wb[SHEETS["money"]]
    assert [c.value for c in ws[2]] == [
        "单位编码",
        "单位名称",
        "总分",
        "等级",
        "权重",
        "金额（元）",
        "保底/封顶/否决",
        "计算依据",
    ]
    body = rows(ws, 3, 6)
    assert [r[0] for r in body] == ["U1", "U4", "U2", "U3"]
    amounts = {r[0]: r[5] for r in body}
    assert round(sum(amounts.values()), 2) == 100_000
    assert all(10_000 <= a <= 40_000 for a in amounts.values())
    assert ws["F3"].number_format == "#,##0.00"
    assert ws["A8"].value == "合计" and ws["F8"].value == 100_000
    assert ws["A9"].value == "结算规则"
    assert ws.auto_filter.ref == "A2:H6"
    assert_print_setup(ws)


def test_unit_report(exported: Exported) -> None:
    data = write_unit_report(exported.results, "U2", "2025-08", NAMES, generated_by="张三", generated_at=AT)
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["概况", "评分明细", "历史"]
    summary = {r[0]: r[1] for r in rows(wb["概况"])}
    assert summary["单位"] == "'+1-2（U2）"
    assert summary["总分"] == 68 and summary["等级"] == "合格" and summary["同类排名"] == "3 / 4"
    assert summary["末位"] == "是（低于 80 分）" and summary["较上期"] == -12 and summary["生成时间"] == AT
    tree = wb["评分明细"]
    body = rows(tree, 3, 6)
    assert [r[:7] for r in body] == [
        ["A", "综合", "", 100, "", 68, 32],
        ["A1", "综合评分", "直接评分", 90, 68, 68, 22],
        ["T1", "处方合格率", "目标值", 10, 90, 0, 10],
        ["V1", "'" + VETO, "一票否决", 0, 0, 0, 0],
    ]
    assert body[1][9] == "'=1+2"  # the assessor's note, neutralised
    assert body[2][7] == "实际 90%，目标 ≥ 95%，未达标；达标得满分，否则不得分，得 0 分"
    assert tree["G5"].fill.fgColor.rgb == "FFFCE4D6"
    assert tree.freeze_panes == "C3" and tree.auto_filter.ref == "A2:J6"
    assert rows(wb["历史"]) == [
        ["2025年7月", 80, "良好", 3, 4, None, "—", "", ""],
        ["2025年8月", 68, "合格", 3, 4, -12, "—", "是", ""],
    ]
    for ws in wb.worksheets:
        assert_print_setup(ws)
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f"
                assert not (isinstance(cell.value, str) and cell.value.startswith(TRIGGERS))


def test_unit_report_of_an_unknown_unit(exported: Exported) -> None:
    with pytest.raises(KeyError, match="没有单位「U9」在 2025年8月 的结果"):
        write_unit_report(exported.results, "U9", "2025-08", NAMES)


def test_ranking_csv(exported: Exported) -> None:
    data = ranking_csv(exported.bulletin)
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert table[0][:6] == ["同类排名", "总排名", "单位编码", "单位名称", "类别", "总分"]
    assert [r[:8] for r in table[1:]] == [
        ["1", "1", "U1", "'" + HYPERLINK, "全部", "98.00", "优秀", "3.00"],
        ["2", "2", "U4", "丁中心", "全部", "82.00", "良好", "17.00"],
        ["3", "3", "U2", "'+1-2", "全部", "68.00", "合格", "-12.00"],
        ["4", "4", "U3", "'@SUM(A1)", "全部", "90.00", "不合格", "5.00"],
    ]
    assert table[4][11:13] == ["是", "'" + VETO]
    assert b"\r\n" in data


@pytest.mark.parametrize(
    ("text", "safe"),
    [
        ("=1+2", "'=1+2"),
        ("+1-2", "'+1-2"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("＝1", "'＝1"),
        ("甲中心", "甲中心"),
        ("a=b", "a=b"),
        ("", ""),
        (None, ""),
    ],
)
def test_neutralise(text: str | None, safe: str) -> None:
    assert neutralise(text) == safe


# -- the command (last: it needs the demo database) -----------------------------------------------
@pytest.mark.parametrize("demo_database", ["sqlite"], indirect=True)
def test_export_bulletin_command(
    demo_database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:  # noqa: ANN001
    from conftest import url_of

    from manage import main

    monkeypatch.setenv("DATABASE_URL", url_of(demo_database))
    out = tmp_path / "通报.xlsx"
    code = main(
        ["export-bulletin", "--scheme", "community_monthly", "--period", "2025-08", "--out", str(out), "--by", "李四"]
    )
    assert code == 0, capsys.readouterr().err
    assert "已导出 社区卫生服务中心月度绩效考核 2025年8月 通报" in capsys.readouterr().out
    wb = openpyxl.load_workbook(out)
    # 社区 has a 监测指标 and ★核心指标 tags; no 资金 (settlement) in this scheme
    assert wb.sheetnames == ["说明", "排名", "明细", "未达标", "末位与否决", "趋势", "监测指标", "标签得分率"]
    about = {r[0]: r[1] for r in rows(wb["说明"], 3, 17)}
    assert about["生成人"] == "李四" and about["对比期间"] == "2025年7月（2025-07）"
    ranking = rows(wb["排名"])
    assert len(ranking) == 8 and ranking[-1][2] == "C07" and ranking[-1][12] == "是"
    assert [c.value for c in wb["趋势"][2]][2:] == [f"2025年{m}月" for m in range(1, 9)]
    assert not list(tmp_path.glob("*.part"))

    assert main(["export-bulletin", "--scheme", "community_monthly", "--period", "2025-8", "--out", str(out)]) == 2
    assert "期间「2025-8」格式不对" in capsys.readouterr().err
    assert main(["export-bulletin", "--scheme", "nope", "--period", "2025-08", "--out", str(out)]) == 2
    assert "方案「nope」在 2025年8月（2025-08）没有考核数据" in capsys.readouterr().err
    assert main(["export-bulletin", "--scheme", "community_monthly", "--period", "2025-08", "--out", "x.csv"]) == 2
    assert "输出文件应以 .xlsx 结尾" in capsys.readouterr().err
