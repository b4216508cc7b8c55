"""What real scoresheets contain is accepted, and read to the values the user meant.

Hand-made workbooks (openpyxl, the way people build them in Excel): merged header cells, blank
rows, trailing 合计/签名 rows, extra note columns, headers by code or by name with odd spacing
and full-width characters, full-width digits, percentages as text or as a format, the many ways
of writing yes/no, 不适用 where a leaf allows it; and the long layout (CSV and xlsx).
"""

from __future__ import annotations

import io
import math

import openpyxl
import pytest
from sheets_corpus import (
    GOOD,
    PERIOD,
    expected_values,
    fill_per_unit,
    fill_wide,
    good_long_rows,
    long_csv,
    make_scheme,
    make_units,
    template,
)

from sheets import read_scores
from sheets.text import clean

SCHEME = make_scheme()
UNITS = make_units()
CODES = ["A1", "A2", "A3", "B1-1", "B1-2", "B2", "B3", "B4"]


def _read(data: bytes, file_name: str = "评分.xlsx", **kw):
    parsed = read_scores(data, SCHEME, period=PERIOD, units=UNITS, file_name=file_name, **kw)
    assert parsed.ok, parsed.error_report()
    return parsed


def _cells(parsed) -> dict[tuple[str, str], object]:
    """(unit, code) → value, or '不适用'; blanks left out."""
    out = {}
    for r in parsed.values.itertuples():
        if r.na:
            out[(str(r.unit), str(r.code))] = "不适用"
        elif not math.isnan(r.value):
            out[(str(r.unit), str(r.code))] = r.value
    return out


def _expected() -> dict[tuple[str, str], object]:
    out = {}
    for r in expected_values().itertuples():
        if r.na:
            out[(r.unit, r.code)] = "不适用"
        elif r.value is not None and not math.isnan(r.value):
            out[(r.unit, r.code)] = r.value
    return out


def _save(wb: openpyxl.Workbook) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def hand_made(headers: list[list[object]], rows: list[list[object]], merges: list[str] = (), title: str = "评分表",
              formats: dict[str, str] | None = None) -> bytes:  # fmt: skip
    """A workbook as a person builds it: header rows, data rows, merged ranges, number formats."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    for r in headers + rows:
        ws.append(r)
    for rng in merges:
        first = ws[rng.split(":")[0]].value
        ws.merge_cells(rng)
        ws[rng.split(":")[0]].value = first
    for address, number_format in (formats or {}).items():
        ws[address].number_format = number_format
    return _save(wb)


def _good_row(unit: str, name: bool = False) -> list[object]:
    label = UNITS.set_index("code").loc[unit, "name"] if name else unit
    return [label] + [GOOD[unit][c] for c in CODES]


# -- the template itself --------------------------------------------------------------------------
def test_filled_wide_template_reads_every_value():
    parsed = _read(fill_wide(template()))
    assert parsed.layout == "wide"
    assert parsed.sheet_period == PERIOD and parsed.sheet_scheme == clean(SCHEME.name) and parsed.sheet_version == "1"
    assert _cells(parsed) == _expected()
    # Blank deduction/bonus/veto cells are kept as blanks (nothing happened), never as zeros.
    blank = parsed.values[(parsed.values["unit"] == "U01") & (parsed.values["code"] == "B2")]
    assert len(blank) == 1 and math.isnan(blank["value"].iloc[0]) and not blank["na"].iloc[0]


def test_filled_per_unit_template_reads_every_value():
    parsed = _read(fill_per_unit(template("per-unit")))
    assert parsed.layout == "per-unit"
    assert _cells(parsed) == _expected()


def test_locations_point_at_the_cells_read():
    parsed = _read(fill_wide(template()))
    loc = parsed.locations
    i = parsed.values.index[(parsed.values["unit"] == "U02") & (parsed.values["code"] == "A1")][0]
    wb = openpyxl.load_workbook(io.BytesIO(fill_wide(template())))
    assert wb[loc.loc[i, "sheet"]][f"{loc.loc[i, 'column']}{loc.loc[i, 'row']}"].value == GOOD["U02"]["A1"]


# -- hand-made wide sheets ----------------------------------------------------------------------------
def test_merged_headers_names_blank_rows_footer_and_note_columns():
    headers = [
        ["社区中心月度考核表", None, None, None, None, None, None, None, None, None, None],
        ["单位", "基本医疗", None, None, "公共卫生", None, None, None, None, "备注", "联系人"],
        [None, "门诊服务规范", "居民健康档案建档率（%）", "中医药服务率", "目标任务清单", None, "有效投诉", "创新工作",
         "重大医疗安全事故", None, None],
        [None, None, None, None, "传染病报告及时", "健康教育按月开展", None, None, None, None, None],
    ]  # fmt: skip
    rows = [
        [*_good_row("U01", name=True), "已复核", "张三"],
        [None] * 11,  # a blank row between units
        [*_good_row("U02", name=True), None, "李四"],
        [*_good_row("U03", name=True), "", ""],
        ["   "] + [None] * 10,  # only spaces
        [*_good_row("U04", name=True), "情况属实", "王五"],
        ["合计", 64.5, None, None, None, None, None, None, None, None, None],
        ["考核组签名：", None, None, None, None, None, "日期：2025年4月2日", None, None, None, None],
    ]
    merges = ["A1:K1", "A2:A4", "B2:D2", "E2:I2", "E3:F3", "B3:B4", "C3:C4", "D3:D4", "G3:G4", "H3:H4", "I3:I4",
              "J2:J4", "K2:K4"]  # fmt: skip
    parsed = _read(hand_made(headers, rows, merges))
    assert parsed.layout == "wide"
    assert _cells(parsed) == _expected()
    assert sorted(parsed.values["unit"].unique()) == ["U01", "U02", "U03", "U04"]


@pytest.mark.parametrize(
    "header",
    [
        ["单位编码", "A1", "A2", "A3", "B1-1", "B1-2", "B2", "B3", "B4"],
        ["单位编码", "ａ１", " A2 ", "Ａ３", "ｂ１－１", "B1 - 2", "b2", "B３", "B4"],
        ["单 位 编 码", "门诊 服务 规范", "居民健康档案建档率（%）", "中医药服务率(10分)", "传染病报告及时", "健康教育按月开展",
         "有效投诉", "创新工作", "重大医疗安全事故"],
        ["机构编码", "A1 门诊服务规范", "A2、居民健康档案建档率", "A3\n中医药服务率", "B1-1 传染病报告及时",
         "B1-2 健康教育按月开展", "B2有效投诉", "B3 创新工作", "B4：重大医疗安全事故"],
    ],
    ids=["codes", "full_width_and_case", "names_with_spaces_and_brackets", "code_then_name"],
)  # fmt: skip
def test_headers_by_code_or_name_after_normalising(header):
    rows = [_good_row(u) for u in GOOD]
    assert _cells(_read(hand_made([header], rows))) == _expected()


def test_units_by_alias_full_width_and_spaces():
    header = ["单位名称", *CODES]
    names = {"U01": "城关 社区中心", "U02": "东城社区中心\u200b", "U03": "ＷＥＳＴ".replace("ＷＥＳＴ", "西城社区中心"),
             "U04": "  南湖街道社区卫生服务中心  "}  # fmt: skip
    rows = [[names[u]] + [GOOD[u][c] for c in CODES] for u in GOOD]
    assert _cells(_read(hand_made([header], rows))) == _expected()


def test_full_width_digits_percent_text_and_percent_format():
    header = ["单位编码", *CODES]
    rows = [_good_row(u) for u in GOOD]
    rows[0][1:4] = ["１８", "65.5%", "５２．０"]  # U01: A1, A2, A3
    rows[1][2] = 0.55  # U02 A2 as 55% in a percentage-formatted cell
    rows[3][1:3] = ["19分", "７０％"]  # U04: a score with its unit, full-width percent
    parsed = _read(hand_made([header], rows, formats={"C3": "0%"}))
    assert _cells(parsed) == _expected()


def test_percent_format_with_decimals_and_builtin_formats():
    header = ["单位编码", *CODES]
    rows = [_good_row(u) for u in GOOD]
    rows[0][2] = 0.655
    rows[2][2] = 0.482
    parsed = _read(hand_made([header], rows, formats={"C2": "0.0%", "C4": "0.00%"}))
    assert _cells(parsed) == _expected()


@pytest.mark.parametrize(
    ("yes", "no"),
    [("是", "否"), ("√", "×"), ("完成", "未完成"), (1, 0), ("1", "0"), ("Y", "N"), ("已完成", "没完成"), (True, False)],
)
def test_yes_no_spellings(yes, no):
    header = ["单位编码", *CODES]
    values = {u: dict(cells) for u, cells in GOOD.items()}
    for cells in values.values():
        for code in ("B1-1", "B1-2", "B4"):
            v = cells[code]
            if v is not None:
                cells[code] = yes if v in ("是", "√", "完成", 1) else no
    rows = [[u] + [values[u][c] for c in CODES] for u in values]
    assert _cells(_read(hand_made([header], rows))) == _expected()


def test_not_applicable_where_allowed():
    header = ["单位编码", *CODES]
    rows = [_good_row(u) for u in GOOD]
    rows[0][3] = "不适用"  # U01 A3 (allow_na)
    rows[3][4:6] = ["不适用", "不适用"]  # U04: the whole checklist B1 (allow_na)
    cells = _cells(_read(hand_made([header], rows)))
    assert cells[("U01", "A3")] == "不适用"
    assert cells[("U04", "B1")] == "不适用"
    assert ("U04", "B1-1") not in cells and ("U04", "B1-2") not in cells


def test_two_assessors_may_score_the_same_unit():
    header = ["单位编码", "考核人", *CODES]
    rows = [[u, a] + [GOOD[u][c] for c in CODES] for a in ("考核一组", "考核二组") for u in GOOD]
    parsed = _read(hand_made([header], rows))
    assert sorted(parsed.values["assessor"].unique()) == ["考核一组", "考核二组"]
    assert len(parsed.values) == 2 * len(expected_values())


def test_assessor_and_period_stated_above_the_header():
    top = [["考核期间：2025年3月", None, "考核人", "考核三组"]]
    rows = [_good_row(u) for u in GOOD]
    parsed = _read(hand_made(top + [["单位编码", *CODES]], rows))
    assert parsed.sheet_period == PERIOD
    assert set(parsed.values["assessor"]) == {"考核三组"}


# -- the long layout -------------------------------------------------------------------------------------
def test_long_csv_utf8_and_gbk():
    for encoding in ("utf-8-sig", "utf-8", "gbk"):
        parsed = _read(long_csv(good_long_rows(), encoding=encoding), file_name="scores.csv")
        assert parsed.layout == "long"
        assert _cells(parsed) == _expected()


def test_long_xlsx_with_english_headers_names_and_notes():
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["unit", "criterion", "value", "assessor", "note"])
    names = UNITS.set_index("code")["name"]
    for unit, code, value, assessor in good_long_rows():
        ws.append([names[unit], code, value, assessor, "现场核查" if code == "B2" else None])
    ws.append([])
    ws.append(["合计"])
    parsed = _read(_save(wb))
    assert parsed.layout == "long"
    assert _cells(parsed) == _expected()
    notes = parsed.values.dropna(subset=["note"])
    assert set(notes["code"]) == {"B2"} and set(notes["note"]) == {"现场核查"}


@pytest.mark.parametrize(
    "rows",
    [
        [["U01", "B1", "不适用", "考核一组"]],  # the checklist's own code only, as docs/schemes.md says
        [["U01", "B1", "不适用", "考核一组"], ["U01", "B1-1", None, "考核一组"], ["U01", "B1-2", None, "考核一组"]],
    ],
    ids=["own code only", "own code and blank tasks"],
)
def test_long_file_with_na_on_a_checklists_own_code_is_one_value_not_a_duplicate(rows):
    """不适用 on B1 in a one-unit long file used to be refused as written twice by one assessor."""
    others = [["U01", "A1", 18, "考核一组"], ["U01", "A2", 65.5, "考核一组"], ["U01", "A3", 52, "考核一组"]]
    parsed = _read(long_csv(others + rows), file_name="scores.csv")
    b1 = parsed.values[parsed.values["code"] == "B1"]
    assert len(b1) == 1 and bool(b1["na"].iloc[0])
    assert not parsed.values["code"].isin(["B1-1", "B1-2"]).any()
    assert int(parsed.locations.loc[b1.index[0], "row"]) == 5  # the 不适用 cell itself (header is row 1)
