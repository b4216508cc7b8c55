"""Uploads that were read, but not as their authors meant (audit findings 13–15).

A long .xlsx with the documented Chinese headers, formulas whose stored result was never
calculated, fractions in percentage columns, rows after the 合计 row, UTF-16 text, Strict Open
XML and .xlsb packages, sheets whose row tags run far past their data, and a label merged with
the cell of its value. Every workbook is built here (openpyxl, xlsxwriter, or XML in a zip).
"""

from __future__ import annotations

import io
import re
import zipfile

import openpyxl
import pandas as pd
import pytest
import xlsxwriter
from sheets_corpus import (
    GOOD,
    PERIOD,
    SHEET,
    cell_of,
    fill_per_unit,
    fill_wide,
    good_long_rows,
    good_wide,
    long_csv,
    make_scheme,
    make_units,
    rezip,
    set_cell,
    sheet_xml,
    template,
)

from sheets import Limits, read_scores

LONG_HEADER = ["单位", "指标编码", "数值", "考核人"]
# openpyxl writes an empty result as <v/> with its own writer and <v></v> when lxml is present.
NO_RESULT = r"<v\s*/>|<v>\s*</v>"


def _read(data: bytes, file_name: str = "评分.xlsx", **kw):
    return read_scores(data, make_scheme(), period=PERIOD, units=make_units(), file_name=file_name, **kw)


def _cells(parsed) -> dict[tuple[str, str], float | str | None]:
    """(unit, code) → the value read; '不适用' or None (blank) where there is no number."""
    v = parsed.values
    return {
        (str(u), str(c)): "不适用" if na else (None if pd.isna(x) else x)
        for u, c, x, na in zip(v["unit"], v["code"], v["value"], v["na"], strict=True)
    }


def _long_xlsx(rows: list[list[object]], header: list[str] = LONG_HEADER) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(header)
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# -- 13. a long .xlsx with 单位 / 指标编码 / 数值 -------------------------------------------------------
@pytest.mark.parametrize(
    "header", [LONG_HEADER, ["单位", "指标编码", "数值"], ["单位编码", "指标编码", "数值", "备注"]]
)
def test_long_xlsx_with_the_documented_chinese_headers_reads_as_its_csv(header):
    rows = [r[: len(header)] if header[-1] != "备注" else [*r[:3], ""] for r in good_long_rows()]
    from_xlsx = _read(_long_xlsx(rows, header))
    from_csv = _read(long_csv(rows, header=header), "评分.csv")
    assert from_xlsx.errors == [] and from_csv.errors == []
    assert from_xlsx.layout == from_csv.layout == "long"
    assert _cells(from_xlsx) == _cells(from_csv)
    assert _cells(from_xlsx)[("U01", "A2")] == 65.5


def test_per_unit_template_still_reads_as_per_unit():
    parsed = _read(fill_per_unit(template("per-unit")))
    assert parsed.errors == [] and parsed.layout == "per-unit"


# -- 14. formulas whose stored result cannot be trusted ---------------------------------------------
def _xlsxwriter_long(formula_for: dict[tuple[str, str], tuple[str, float | None]]) -> bytes:
    """A long sheet written by xlsxwriter; `formula_for[(unit, code)]` = (formula, stored result or None)."""
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    ws = wb.add_worksheet("数据")
    ws.write_row(0, 0, LONG_HEADER)
    for i, (unit, code, value, assessor) in enumerate(good_long_rows(), start=1):
        ws.write_row(i, 0, [unit, code])
        ws.write(i, 3, assessor)
        if (unit, code) in formula_for:
            formula, result = formula_for[(unit, code)]
            if result is None:
                ws.write_formula(i, 2, formula)  # xlsxwriter stores <v>0</v>
            else:
                ws.write_formula(i, 2, formula, None, result)
        elif value is not None:
            ws.write(i, 2, value)
    wb.close()
    return buf.getvalue()


def _row_of(unit: str, code: str) -> int:
    return 2 + next(i for i, r in enumerate(good_long_rows()) if r[0] == unit and r[1] == code)


def _as_excel_saved(data: bytes) -> bytes:
    """The package as Excel leaves it after calculating: a calculation chain, no fullCalcOnLoad."""
    z = zipfile.ZipFile(io.BytesIO(data))
    book = z.read("xl/workbook.xml").decode().replace(' fullCalcOnLoad="1"', "")
    chain = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<calcChain xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><c r="C3" i="1"/></calcChain>'
    )
    return rezip(data, replace={"xl/workbook.xml": book.encode()}, add={"xl/calcChain.xml": chain})


def test_generator_formulas_stored_as_zero_get_a_located_message():
    data = _xlsxwriter_long({("U01", "A2"): ("=60+5.5", None), ("U03", "A2"): ("=40+8.2", None)})
    assert (
        "<v>0</v>" in sheet_xml(data)
        and 'fullCalcOnLoad="1"' in zipfile.ZipFile(io.BytesIO(data)).read("xl/workbook.xml").decode()
    )
    parsed = _read(data)
    untrusted = [e for e in parsed.errors if e.kind == "formula_untrusted"]
    assert [(e.sheet, e.row, e.column) for e in untrusted] == [
        ("数据", _row_of("U01", "A2"), "C"),
        ("数据", _row_of("U03", "A2"), "C"),
    ]
    text = str(untrusted[0])
    assert f"第 {_row_of('U01', 'A2')} 行 C 列「居民健康档案建档率」" in text
    assert "公式" in text and "没有可信的计算结果" in text and "Excel" in text and "数值" in text
    assert ("U01", "A2") not in _cells(parsed) and ("U03", "A2") not in _cells(parsed)  # no zero read


def test_generator_formula_in_a_wide_template_stored_as_zero():
    address = cell_of("A2", "U01")
    data = fill_wide(template(), edit=set_cell(address, "=60+5.5"))
    xml = sheet_xml(data)
    assert re.search(rf'<c r="{address}"[^>]*><f>60\+5.5</f>(?:{NO_RESULT})', xml)
    data = rezip(data, replace={"xl/worksheets/sheet1.xml": re.sub(rf"<f>60\+5.5</f>(?:{NO_RESULT})",
                                                                   "<f>60+5.5</f><v>0</v>", xml).encode()})  # fmt: skip
    parsed = _read(data)
    assert [(e.kind, e.sheet, e.row, e.column) for e in parsed.errors] == [
        ("formula_untrusted", SHEET, int(address[1:]), address[0])
    ]


def test_generator_formula_in_a_per_unit_sheet_stored_as_zero():
    def edit(wb):
        ws = wb.worksheets[0]
        row = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "A2")
        ws.cell(row, 5).value = "=60+5.5"

    data = fill_per_unit(template("per-unit"), edit=edit)
    xml = sheet_xml(data)
    data = rezip(data, replace={"xl/worksheets/sheet1.xml": re.sub(rf"<f>60\+5.5</f>(?:{NO_RESULT})",
                                                                   "<f>60+5.5</f><v>0</v>", xml).encode()})  # fmt: skip
    parsed = _read(data)
    assert [(e.kind, e.column, e.code) for e in parsed.errors] == [("formula_untrusted", "E", "A2")]


def test_formulas_without_any_stored_result_are_still_refused():
    data = fill_wide(template(), edit=set_cell(cell_of("A1", "U02"), "=10+5"))  # openpyxl: no result
    assert [e.kind for e in _read(data).errors] == ["formula"]


def test_generator_formula_with_the_result_it_computed_is_read():
    parsed = _read(_xlsxwriter_long({("U01", "A2"): ("=60+5.5", 65.5)}))
    assert parsed.errors == []
    assert _cells(parsed)[("U01", "A2")] == 65.5


@pytest.mark.parametrize("result", [65.5, 0])
def test_formulas_calculated_by_excel_are_read_even_when_zero(result):
    data = _as_excel_saved(_xlsxwriter_long({("U01", "A2"): ("=60+5.5" if result else "=60-60", result)}))
    parsed = _read(data)
    assert parsed.errors == []
    assert _cells(parsed)[("U01", "A2")] == result


def test_formulas_saved_by_libreoffice_are_trusted():
    data = _xlsxwriter_long({("U01", "A2"): ("=60-60", 0)})
    z = zipfile.ZipFile(io.BytesIO(data))
    book = z.read("xl/workbook.xml").decode().replace(' fullCalcOnLoad="1"', "")
    app = re.sub(r"<Application>[^<]*</Application>", "<Application>LibreOffice/7.6.4.1$Linux_X86_64</Application>",
                 z.read("docProps/app.xml").decode())  # fmt: skip
    parsed = _read(rezip(data, replace={"xl/workbook.xml": book.encode(), "docProps/app.xml": app.encode()}))
    assert parsed.errors == [] and _cells(parsed)[("U01", "A2")] == 0


# -- 15. fractions in percentage columns: a warning, not a refusal ---------------------------------
def test_fraction_in_a_percentage_column_is_a_located_warning():
    rows = good_long_rows()
    rows[_row_of("U01", "A2") - 2][2] = 0.6  # A2: target 60 (%)
    parsed = _read(long_csv(rows), "评分.csv")
    assert parsed.errors == []
    assert _cells(parsed)[("U01", "A2")] == 0.6  # read as written: the user decides
    assert [(w.kind, w.row, w.column, w.code) for w in parsed.warnings] == [
        ("percent_fraction", _row_of("U01", "A2"), "C", "A2")
    ]
    assert "0.6' 可能是 60%" in str(parsed.warnings[0]) and "改填 60" in str(parsed.warnings[0])


def test_fraction_typed_with_a_percent_sign_or_format_or_small_target_is_not_warned():
    rows = good_long_rows()
    rows[_row_of("U01", "A2") - 2][2] = "0.6%"
    parsed = _read(long_csv(rows), "评分.csv")
    assert parsed.errors == [] and parsed.warnings == []
    # 60% typed into a cell formatted as a percentage is stored 0.6 and read as 60: no warning.
    data = fill_wide(template(), edit=set_cell(cell_of("A2", "U01"), 0.6, "0%"))
    parsed = _read(data)
    assert parsed.errors == [] and parsed.warnings == [] and _cells(parsed)[("U01", "A2")] == 60
    # A fraction well within reach of the target (≥ a tenth of it) is a plausible value.
    scheme = make_scheme()
    rows = good_long_rows()
    rows[_row_of("U01", "A3") - 2][2] = 0.6  # A3: target 50 → warned
    warned = read_scores(long_csv(rows), scheme, period=PERIOD, units=make_units(), file_name="x.csv").warnings
    assert [w.code for w in warned] == ["A3"]


def test_fraction_warning_in_a_wide_template():
    address = cell_of("A2", "U03")
    parsed = _read(fill_wide(template(), edit=set_cell(address, 0.482)))
    assert parsed.errors == []
    assert [(w.sheet, w.row, w.column) for w in parsed.warnings] == [(SHEET, int(address[1:]), address[0])]
    assert "48.2%" in str(parsed.warnings[0])


# -- 15. rows after the 合计 row -----------------------------------------------------------------------
def _after_total(wb) -> None:
    ws = wb[SHEET]
    ws.cell(12, 1).value = "合计"
    ws.cell(13, 3).value = 10  # values, no unit
    ws.cell(13, 4).value = 55


def test_values_without_a_unit_after_the_total_row_are_reported_at_their_row():
    parsed = _read(fill_wide(template(), edit=_after_total))
    assert [(e.kind, e.sheet, e.row, e.column) for e in parsed.errors] == [("after_footer", SHEET, 13, "A")]
    assert "合计" in str(parsed.errors[0]) and "没有填写单位" in str(parsed.errors[0])


def test_blank_rows_after_the_total_row_stay_ignored():
    def edit(wb):
        wb[SHEET].cell(12, 1).value = "合计"
        wb[SHEET].cell(14, 1).value = "制表人：张三"

    parsed = _read(fill_wide(template(), edit=edit))
    assert parsed.errors == [] and len(parsed.values)


def test_long_rows_after_the_total_row_are_reported():
    rows = good_long_rows()
    tail = rows[-3:]
    tail[0] = ["", *tail[0][1:]]
    data = long_csv([*rows[:-3], ["合计", "", "", ""], *tail])
    parsed = _read(data, "评分.csv")
    reported = [(e.kind, e.row) for e in parsed.errors]
    firsts = len(rows) - 3 + 3  # header, rows before, the 合计 row
    expected = [("after_footer", firsts + i) for i, r in enumerate(tail) if r[2] is not None]
    assert reported == expected
    assert "没有填写单位" in str(parsed.errors[0])


# -- 15. UTF-16 text -------------------------------------------------------------------------------
@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_csv_reads_as_utf8(encoding):
    want = _cells(_read(long_csv(good_long_rows()), "评分.csv"))
    parsed = _read(long_csv(good_long_rows(), encoding=encoding), "评分.csv")
    assert parsed.errors == [] and _cells(parsed) == want


def test_excel_unicode_text_tab_separated():
    text = "\t".join(LONG_HEADER) + "\n" + "\n".join("\t".join("" if v is None else str(v) for v in r)
                                                     for r in good_long_rows())  # fmt: skip
    parsed = _read(text.encode("utf-16"), "评分.txt")
    assert parsed.errors == [] and _cells(parsed)[("U02", "A1")] == 15.5


def test_broken_utf16_is_refused_clearly():
    parsed = _read(b"\xff\xfe" + "单位,指标编码".encode("utf-16-le") + b"\x00\xd8", "评分.csv")
    assert [e.kind for e in parsed.errors] == ["file"]
    assert "UTF-16" in str(parsed.errors[0]) and "另存为" in str(parsed.errors[0])


# -- 15. packages in other formats -------------------------------------------------------------------
def _strict(data: bytes) -> bytes:
    z = zipfile.ZipFile(io.BytesIO(data))
    out = {}
    for name in z.namelist():
        body = z.read(name)
        body = body.replace(b"http://schemas.openxmlformats.org/spreadsheetml/2006/main",
                            b"http://purl.oclc.org/ooxml/spreadsheetml/main")  # fmt: skip
        body = body.replace(b"http://schemas.openxmlformats.org/officeDocument/2006/relationships",
                            b"http://purl.oclc.org/ooxml/officeDocument/relationships")  # fmt: skip
        out[name] = body
    return rezip(data, replace=out)


def test_strict_open_xml_is_named():
    parsed = _read(_strict(good_wide()))
    assert len(parsed.errors) == 1
    text = str(parsed.errors[0])
    assert "Strict Open XML" in text and "Excel 工作簿" in text and "没有找到评分表" not in text


def test_xlsb_is_refused_in_chinese():
    data = good_wide()
    z = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as w:
        w.writestr("[Content_Types].xml", z.read("[Content_Types].xml").replace(b"workbook.xml", b"workbook.bin"))
        w.writestr("_rels/.rels", z.read("_rels/.rels").replace(b"workbook.xml", b"workbook.bin"))
        w.writestr("xl/workbook.bin", b"\x83\x01\x00\x80\x01\x00")
        w.writestr("xl/_rels/workbook.bin.rels", z.read("xl/_rels/workbook.xml.rels"))
        w.writestr("xl/worksheets/sheet1.bin", b"\x81\x01\x00")
    parsed = _read(out.getvalue(), "评分.xlsb")
    assert len(parsed.errors) == 1
    text = str(parsed.errors[0])
    assert ".xlsb" in text and "另存为" in text and "损坏" not in text


# -- 15. row tags far past the data (Gnumeric) ----------------------------------------------------------
def _with_empty_tail(data: bytes, last: int) -> bytes:
    """The sheet as Gnumeric writes it: a dimension and a (formatted, empty) row down to `last`."""
    xml = sheet_xml(data)
    xml = re.sub(r'<dimension ref="[^"]*"\s*/>', f'<dimension ref="A1:C{last}"/>', xml)
    tail = f'<row r="{last - 1}" s="1" customFormat="1"/><row r="{last}"><c r="C{last}" s="1"/></row>'
    return rezip(
        data, replace={"xl/worksheets/sheet1.xml": xml.replace("</sheetData>", tail + "</sheetData>").encode()}
    )


def test_empty_row_tags_down_to_the_last_row_do_not_count():
    rows = good_long_rows()[:2]
    parsed = _read(_with_empty_tail(_long_xlsx(rows), 1_048_576))
    assert parsed.errors == [] and parsed.layout == "long"
    assert _cells(parsed)[("U01", "A1")] == 18


def test_rows_really_used_are_counted_truthfully():
    rows = good_long_rows()[:2]
    wb = openpyxl.load_workbook(io.BytesIO(_long_xlsx(rows)))
    wb.active.cell(1500, 1).value = "U02"
    out = io.BytesIO()
    wb.save(out)
    parsed = _read(_with_empty_tail(out.getvalue(), 1_048_576), limits=Limits(max_rows=1000))
    assert len(parsed.errors) == 1
    text = str(parsed.errors[0])
    assert "1500 行" in text and "1048576" not in text


# -- 15. a label merged with its value's cell ---------------------------------------------------------
def test_period_label_merged_with_its_value_names_the_merge():
    parsed = _read(fill_wide(template(), edit=lambda wb: wb[SHEET].merge_cells("A2:B2")))
    assert [(e.kind, e.sheet, e.row, e.column) for e in parsed.errors] == [("statement_merged", SHEET, 2, "A")]
    text = str(parsed.errors[0])
    assert "A2:B2" in text and "合并" in text and "B2" in text and "无法识别期间" not in text


def test_merged_label_with_the_value_right_of_the_merge_is_read():
    def edit(wb):
        ws = wb[SHEET]
        ws.insert_cols(2)  # 考核期间 | (new) | 2025-03 | 方案 …
        ws.merge_cells("A2:B2")

    wb = openpyxl.load_workbook(io.BytesIO(good_wide()))
    edit(wb)
    assert wb[SHEET]["C2"].value == PERIOD
    out = io.BytesIO()
    wb.save(out)
    parsed = _read(out.getvalue())
    assert not [e for e in parsed.errors if e.kind.startswith(("statement", "period"))]
    assert parsed.sheet_period == PERIOD


def test_period_left_blank_beside_the_next_label_is_not_read_as_that_label():
    def edit(wb):
        wb[SHEET]["B2"].value = None  # 考核期间 | （空） | 方案 | sheet_test

    parsed = _read(fill_wide(template(), edit=edit))
    assert not any("'方案'" in str(e) for e in parsed.errors)
    assert parsed.errors == []  # the hidden _meta sheet still states the period


def test_good_values_are_unchanged():
    want = {(u, c): v for u, cells in GOOD.items() for c, v in cells.items()}
    got = _cells(_read(good_wide()))
    assert got[("U01", "A2")] == want[("U01", "A2")] and got[("U01", "B2")] is None


@pytest.mark.parametrize("raw", [float("inf"), float("-inf"), 1.7976931348623155e308, float("nan")])
def test_a_cell_beyond_any_score_is_shown_not_crashed_on(raw: float) -> None:
    # The fuzz test found a cell value that made the message text itself raise (int() of inf).
    from sheets.cells import display

    assert display(raw) == str(raw)


def test_an_unexpected_reader_failure_names_no_python_internals() -> None:
    from sheets import messages as msg

    assert msg.FILE_INTERNAL.isascii() is False and "{" not in msg.FILE_INTERNAL
