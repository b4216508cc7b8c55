"""The 评分细则 workbook: every field has a home, export → import is the same scheme with the same
results, a person's edit in Excel is read back, and a wrong workbook gets located messages."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import get_args

import openpyxl
import pandas as pd
import pytest
import yaml
from pydantic import BaseModel
from scheme_factory import direct, make_scheme, scheme_dict, target
from test_docs_examples import EXAMPLES, _scheme, _values

from data.demo import SCHEME_DIR, build_demo
from scoring import load_scheme, scheme_from_dict, score
from scoring.scheme import Band, Criterion, DeductionKind, FormulaInput, Leaf, Level, PeerBand, Scheme, Task
from scoring.settlement import Settlement
from sheets.scheme_book import NotOurBook, SchemeBookError, read_scheme_book, write_scheme_book
from sheets.scheme_book import layout as L

SCHEME_FILES = sorted(Path(SCHEME_DIR).glob("*.yaml"))
LEAF_CLASSES = get_args(get_args(Leaf)[0])


def _keys(model: type[BaseModel]) -> set[str]:
    return {f.alias or name for name, f in model.model_fields.items()}


def _round_trip(scheme: Scheme) -> Scheme:
    return scheme_from_dict(read_scheme_book(write_scheme_book(scheme)))


# -- every field has a home ----------------------------------------------------------------------
def test_every_leaf_field_has_a_column_or_a_sheet() -> None:
    columns = {c.key for c in L.LEAF_COLUMNS}
    nested = {c.key.split(".")[0] for c in L.LEAF_COLUMNS if "." in c.key}
    sheets = {s.key for s in L.CHILD_SHEETS} | {"variants"}
    for cls in LEAF_CLASSES:
        homeless = _keys(cls) - columns - nested - sheets
        assert not homeless, f"{cls.__name__}: {homeless}"
        for key in nested & _keys(cls):  # stretch.target, improvement.up …
            sub = cls.model_fields[key].annotation
            sub = (
                next(a for a in get_args(sub) if isinstance(a, type) and issubclass(a, BaseModel))
                if get_args(sub)
                else sub
            )
            assert {f"{key}.{k}" for k in _keys(sub)} <= columns, key
        for sheet in L.CHILD_SHEETS:  # a list field of a method is held by the sheet for that method
            if sheet.key in _keys(cls) and cls.model_fields["method"].annotation.__args__[0] in sheet.methods:
                item = get_args(cls.model_fields[sheet.key].annotation)[0]
                assert _keys(item) == {c.key for c in sheet.columns} - {L.LEAF}, sheet.name
    for key in sheets - {"variants"}:  # each list field of each method has its sheet
        for cls in LEAF_CLASSES:
            method = cls.model_fields["method"].annotation.__args__[0]
            if key in _keys(cls):
                assert any(s.key == key and method in s.methods for s in L.CHILD_SHEETS), (cls.__name__, key)


@pytest.mark.parametrize("model", [Band, PeerBand, Level, Task, DeductionKind, FormulaInput])
def test_every_child_model_has_a_sheet(model: type[BaseModel]) -> None:
    assert any({c.key for c in s.columns} - {L.LEAF} == _keys(model) for s in L.CHILD_SHEETS)


def test_every_scheme_field_has_a_home() -> None:
    info = {c.key for c in L.INFO_ROWS}
    tables = {"criteria", "grades", "tags", "tag_rules"}
    for key in _keys(Scheme) - tables:
        if key in ("bottom", "settlement"):
            sub = Settlement if key == "settlement" else Scheme.model_fields["bottom"].annotation
            assert {f"{key}.{k}" for k in _keys(sub)} <= info, key
        else:
            assert key in info, key
    assert _keys(Criterion) - {"children", "items"} <= {c.key for c in L.CRITERIA_COLUMNS}


# -- round trip ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def demo():  # noqa: ANN201
    return build_demo()


@pytest.mark.parametrize("path", SCHEME_FILES, ids=[p.stem for p in SCHEME_FILES])
def test_demo_schemes_round_trip_to_the_same_scheme_and_results(path: Path, demo) -> None:  # noqa: ANN001
    scheme = load_scheme(path)
    again = _round_trip(scheme)
    assert again.model_dump() == scheme.model_dump()
    categories = demo.units.set_index("code")["category"]
    values = demo.values[path.stem]
    before = score(scheme, values, categories=categories, figures=demo.figures)
    after = score(again, values, categories=categories, figures=demo.figures)
    pd.testing.assert_frame_equal(before.units, after.units)
    pd.testing.assert_frame_equal(before.leaves, after.leaves)


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.name for e in EXAMPLES])
def test_document_examples_round_trip(example) -> None:  # noqa: ANN001
    scheme, _ = _scheme(example.spec)
    again = _round_trip(scheme)
    assert again.model_dump() == scheme.model_dump()
    for row in example.rows:
        values = _values(row[0], scheme)
        pd.testing.assert_frame_equal(score(scheme, values).units, score(again, values).units)


def test_settlement_variants_and_a_deeper_tree_round_trip() -> None:
    data = scheme_dict(
        direct("D1", 40),
        target("T1", 30, 1200, mode="bands", unit="m²", bands=[{"threshold": 1200, "points": 30}, {"threshold": 800, "points": 15}],
               stretch={"target": 1500, "points": 2},
               variants={"专科医院": {"target": 500, "bands": [{"threshold": 500, "points": 30}], "stretch": {"target": 700, "points": 1}},
                         "精神专科医院": {"applicable": False}}),  # fmt: skip
        categories=["综合医院", "专科医院", "精神专科医院"],
        bonus_cap=3,
        total=100,
        bottom={"threshold": None, "lowest_n": 2},
        settlement={"mode": "grade_coefficient", "base_by_category": {"综合医院": 200000.5, "专科医院": 150000},
                    "coefficients": {"优秀": 1, "良好": 0.95, "合格": 0.85, "不合格": 0.6}, "on_veto": "zero"},
    )  # fmt: skip
    data["criteria"] = [
        {"code": "A", "name": "医疗质量", "points": 70, "children": [
            {"code": "A.1", "name": "门诊", "children": [{"code": "A.1.1", "name": "规范", "items": [data["criteria"][0]["items"][0]]}]},
            {"code": "A.2", "name": "面积", "items": [data["criteria"][0]["items"][1]]}]},
        {"code": "B", "name": "其他", "items": [direct("D2", 30, description="第一行\n第二行\n")]},
    ]  # fmt: skip
    scheme = scheme_from_dict(data)
    assert _round_trip(scheme).model_dump() == scheme.model_dump()
    pool = scheme_from_dict(
        {
            **data,
            "settlement": {
                "mode": "pool",
                "pool": 1000000,
                "weight_attribute": "population",
                "floor": 20000,
                "cap": 200000,
            },
        }
    )
    assert _round_trip(pool).model_dump() == pool.model_dump()


# -- a person's edit -----------------------------------------------------------------------------
def _book(scheme: Scheme) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(write_scheme_book(scheme)))


def _save(book: openpyxl.Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _row_of(ws, code: str) -> int:  # noqa: ANN001
    return next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == code)


def _col_of(ws, header: str) -> int:  # noqa: ANN001
    return next(c for c in range(1, ws.max_column + 1) if ws.cell(1, c).value == header)


COMMUNITY = SCHEME_DIR / "community_monthly.yaml"


def test_an_edited_target_is_read_back() -> None:
    scheme = load_scheme(COMMUNITY)
    assert scheme.leaf("A2").target == 95
    book = _book(scheme)
    ws = book[L.PARAMS_SHEET]
    ws.cell(_row_of(ws, "A2"), _col_of(ws, "目标值")).value = "９０分"  # full-width, with 分
    ws.cell(_row_of(ws, "A2"), _col_of(ws, "方向")).value = "higher"  # the stored value is accepted too
    again = scheme_from_dict(read_scheme_book(_save(book)))
    assert again.leaf("A2").target == 90
    assert again.leaf("A3") == scheme.leaf("A3")


def test_a_leaf_added_in_excel_with_its_bands() -> None:
    book = _book(make_scheme(direct("D1", 90), target("T1", 10, 60)))
    ws = book[L.PARAMS_SHEET]
    ws.cell(_row_of(ws, "T1"), _col_of(ws, "分值")).value = 6
    ws.append(["T2", "建档率", "C", "目标值", 4, "分档得分", None, 60, None, "%"])
    bands = book["分档"]
    bands.append(["T2", 60, 4])
    bands.append(["T2", "５０", "2分"])
    scheme = scheme_from_dict(read_scheme_book(_save(book)))
    assert [b.points for b in scheme.leaf("T2").bands] == [4, 2]
    assert scheme.leaf("T2").mode == "bands" and scheme.leaf("T2").unit == "%"


# -- wrong workbooks ------------------------------------------------------------------------------
def _messages(data: bytes) -> list[str]:
    with pytest.raises(SchemeBookError) as info:
        read_scheme_book(data)
    return info.value.messages


def test_every_cell_problem_is_reported_with_its_place() -> None:
    book = _book(load_scheme(COMMUNITY))
    ws = book[L.PARAMS_SHEET]
    a1, a2 = _row_of(ws, "A1"), _row_of(ws, "A2")
    ws.cell(a1, _col_of(ws, "分值")).value = "十"
    ws.cell(a2, _col_of(ws, "评分方法")).value = "打分"
    book["任务"].append(["B9", "X", "新任务", 1])
    messages = _messages(_save(book))
    assert f"评分参数 第 {a1} 行「分值」: '十' 不是数字" in messages
    assert any(
        m.startswith(f"评分参数 第 {a2} 行「评分方法」: '打分' 不是可选的评分方法（可选：直接评分、目标值")
        for m in messages
    )
    n = book["任务"].max_row
    assert f"任务 第 {n} 行「所属编码」: 「评分参数」表中没有编码为 B9 的评分细则" in messages


def test_a_field_the_method_does_not_use_is_pointed_at() -> None:
    book = _book(make_scheme(direct("D1", 100)))
    ws = book[L.PARAMS_SHEET]
    ws.cell(2, _col_of(ws, "目标值")).value = 60
    assert _messages(_save(book)) == ["评分参数 第 2 行（D1）: 评分方法「直接评分」不用「目标值」，请留空"]


def test_the_schemes_own_checks_are_located_in_the_workbook() -> None:
    scheme = scheme_from_dict(
        scheme_dict(direct("D1", 20), target("T1", 80, 60), criteria=None)
        | {
            "criteria": [
                {"code": "A", "name": "居民健康管理", "points": 100, "items": [direct("D1", 20), target("T1", 80, 60)]}
            ]
        }
    )
    book = _book(scheme)
    ws = book[L.PARAMS_SHEET]
    ws.cell(_row_of(ws, "T1"), _col_of(ws, "目标值")).value = -1
    assert _messages(_save(book)) == [
        "评分参数 第 3 行（T1）「目标值」: 必须大于 0（只有越低越好的零容忍指标，目标才可以为 0）"
    ]
    book = _book(scheme)
    book[L.CRITERIA_SHEET].cell(2, _col_of(book[L.CRITERIA_SHEET], "分值")).value = 18
    book[L.GRADES_SHEET].cell(2, 2).value = 120
    assert _messages(_save(book)) == [
        "指标 第 2 行（A）「分值」: 各细则合计 100 分，方案中写 18 分",
        "等级 第 2 行「下限（分）」: 等级「优秀」的下限 120 分高于方案总分 100 分",
    ]


def test_missing_sheet_and_column() -> None:
    book = _book(make_scheme(direct("D1", 100)))
    del book[L.CRITERIA_SHEET]
    book[L.PARAMS_SHEET].delete_cols(_col_of(book[L.PARAMS_SHEET], "评分方法"))
    assert _messages(_save(book)) == ["缺少工作表「指标」", "评分参数: 缺少「评分方法」列"]


def test_files_that_cannot_be_read() -> None:
    assert _messages(b"not a workbook at all") == [
        "不是 Excel 工作簿（.xlsx）。请在 Excel 或 WPS 中「另存为」Excel 工作簿（.xlsx）后再上传"
    ]
    from sheets_corpus import _cfb  # an encrypted xlsx is an OLE container with an EncryptedPackage

    encrypted = _messages(_cfb("EncryptedPackage".encode("utf-16-le")))
    assert encrypted == [
        "文件已加密（设置了打开密码）。请在 Excel 中取消密码（文件 → 信息 → 保护工作簿 → 用密码进行加密，清空密码）后另存再上传"
    ]
    broken = write_scheme_book(make_scheme(direct("D1", 100)))[:3000]
    assert _messages(broken)[0].startswith("文件已损坏")


def test_a_table_that_is_not_ours_goes_to_the_draft_importer() -> None:
    other = openpyxl.Workbook()
    other.active.append(["一级指标", "二级指标", "分值"])
    with pytest.raises(NotOurBook):
        read_scheme_book(_save(other))
    docx = io.BytesIO()
    with zipfile.ZipFile(docx, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    with pytest.raises(NotOurBook):
        read_scheme_book(docx.getvalue())


# -- the printed table ---------------------------------------------------------------------------
def test_the_print_sheet_is_the_published_table() -> None:
    scheme = load_scheme(COMMUNITY)
    ws = _book(scheme)[L.PRINT_SHEET]
    assert [ws.cell(3, c).value for c in range(1, 8)] == [
        "一级指标",
        "二级指标",
        "编码",
        "评分细则",
        "分值",
        "评分标准",
        "考核方法",
    ]
    assert ws.cell(4, 1).value == "基本医疗服务（30分）"
    merged = {str(m) for m in ws.merged_cells.ranges}
    assert "A4:B6" in merged  # no 二级指标: the 一级 cell spans its three rows and both columns
    assert ws.cell(5, 4).value == "处方合格率" and ws.cell(5, 5).value == 10 and ws.cell(5, 7).value == "目标值"
    assert ws.cell(5, 6).value.startswith("目标 ≥ 95%，起评值到目标值之间按线性得分（起评值 80%）\n抽查处方合格率")
    labels = [ws.cell(r, 1).value for r in range(1, ws.max_row + 1)]
    assert "基本医疗服务 小计" in labels and labels[-1] == "合计"
    assert ws.cell(ws.max_row, 5).value == 100
    assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9
    assert (
        ws.print_title_rows == "$3:$3" and ws.page_setup.fitToHeight == 0 and ws.sheet_properties.pageSetUpPr.fitToPage
    )


# -- the worked example of docs/schemes.md -------------------------------------------------------
DOC = Path(__file__).resolve().parents[1] / "docs" / "schemes.md"


def _doc_section() -> str:
    text = DOC.read_text(encoding="utf-8")
    return text[text.index("## 用 Excel 编写方案") :]


def _doc_tables(section: str) -> list[list[list[str]]]:
    tables, rows = [], []
    for line in section.splitlines() + [""]:
        if line.startswith("|"):
            if not set(line) <= set("|-"):
                rows.append([c.strip() for c in line.strip("|").split("|")])
        elif rows:
            tables.append(rows)
            rows = []
    return tables


def test_the_documented_workbook_rows_read_as_the_documented_leaf() -> None:
    section = _doc_section()
    (params, bands) = _doc_tables(section)
    shown = yaml.safe_load(re.search(r"```yaml\n(.*?)```", section, re.S).group(1))[0]
    base = scheme_from_dict(
        scheme_dict(direct("D1", 90))
        | {"criteria": [{"code": "B", "name": "基本公共卫生服务", "items": [direct("D1", 90)]}]}
    )
    book = _book(base)
    info = book[L.INFO_SHEET]
    info.cell(next(r for r in range(2, info.max_row + 1) if info.cell(r, 1).value == "总分"), 2).value = 100
    ws = book[L.PARAMS_SHEET]
    row = ws.max_row + 1
    for header, value in zip(params[0], params[1]):
        ws.cell(row, _col_of(ws, header)).value = value
    for values in bands[1:]:
        book["分档"].append(values)
    scheme = scheme_from_dict(read_scheme_book(_save(book)))
    assert (
        scheme.leaf("B1").model_dump() == scheme_from_dict(scheme_dict(direct("D1", 90), shown)).leaf("B1").model_dump()
    )
    # and the error the section quotes, on the demo scheme it names
    book = _book(load_scheme(COMMUNITY))
    book[L.CRITERIA_SHEET].cell(3, _col_of(book[L.CRITERIA_SHEET], "分值")).value = 46
    quoted = re.search(r"`(指标 第 3 行.*?)`", section).group(1)
    assert _messages(_save(book)) == [quoted]


def test_the_print_sheet_merges_each_level_of_the_tree() -> None:
    ws = _book(load_scheme(SCHEME_DIR / "hospital_monthly.yaml"))[L.PRINT_SHEET]
    merged = {str(m) for m in ws.merged_cells.ranges}
    assert {"A4:A7", "B4:B5", "B6:B7", "A8:D8"} <= merged  # 一级 over 4 rows, two 二级 of 2, the 小计 row
    assert (ws["A4"].value, ws["B4"].value, ws["B6"].value) == (
        "医疗质量与安全（40分）",
        "感染与合理用药（20分）",
        "医疗质量管理（20分）",
    )
    assert (ws["A8"].value, ws["E8"].value) == ("医疗质量与安全 小计", 40)


def test_the_workbook_carries_the_glossary_and_reads_back_without_it() -> None:
    scheme = load_scheme(SCHEME_DIR / "village_monthly.yaml")
    book = _book(scheme)
    assert book.sheetnames[:2] == [L.PRINT_SHEET, "指标释义"]  # the two sheets a team prints
    glossary = book["指标释义"]
    text = [str(c.value) for row in glossary.iter_rows() for c in row if c.value is not None]
    assert all(any(leaf.name in t for t in text) for leaf in scheme.leaves)  # every leaf explained
    assert any("÷" in t for t in text)  # the computed indicators' formulas in words
    assert scheme_from_dict(read_scheme_book(_save(book))).model_dump() == scheme.model_dump()
