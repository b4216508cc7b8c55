"""The 指标释义 sheet, print-ready on A4: one row per indicator with its definition, formula, data
source, unit, rule and points (reports/glossary.py). `write_glossary_sheet` takes an open xlsxwriter
Workbook so the 评分细则 workbook export can carry the same sheet; `glossary_workbook` is the sheet
on its own, as the 指标释义 page downloads it."""

from __future__ import annotations

import io

import xlsxwriter
from xlsxwriter.workbook import Workbook

from exports.safe_text import neutralise
from exports.workbook import A4, BORDER_COLOR, FONT_NAME, HEADER_FILL
from reports.glossary import GLOSSARY_COLUMNS, glossary_rows
from scoring.scheme import Scheme

# Column widths in characters, chosen so the ten columns fill an A4 landscape page at 100 %.
WIDTHS = {
    "编码": 6,
    "一级指标": 10,
    "指标名称": 14,
    "指标定义": 30,
    "计算公式": 20,
    "数据来源": 14,
    "单位": 6,
    "评分标准": 28,
    "分值": 7,
    "标签": 8,
}


def write_glossary_sheet(workbook: Workbook, scheme: Scheme, name: str = "指标释义") -> None:
    """Add the 指标释义 sheet of `scheme` to `workbook`: a title, the table with wrapped text and
    borders, the header repeated on every printed page, A4 landscape fitted to the page width."""
    sheet = workbook.add_worksheet(name)
    base = {"font_name": FONT_NAME, "font_size": 10, "valign": "top", "text_wrap": True}
    cell = workbook.add_format(base | {"border": 1, "border_color": BORDER_COLOR})
    header = workbook.add_format(
        base | {"bold": True, "bg_color": HEADER_FILL, "border": 1, "border_color": BORDER_COLOR, "align": "center"}
    )
    title = workbook.add_format({"font_name": FONT_NAME, "font_size": 14, "bold": True, "align": "center"})
    note = workbook.add_format({"font_name": FONT_NAME, "font_size": 9, "align": "center"})
    last = len(GLOSSARY_COLUMNS) - 1
    sheet.merge_range(0, 0, 0, last, neutralise(f"{scheme.name} 指标释义"), title)
    sheet.merge_range(1, 0, 1, last, neutralise(f"版本 {scheme.version}"), note)
    for col, column in enumerate(GLOSSARY_COLUMNS):
        sheet.set_column(col, col, WIDTHS[column])
        sheet.write_string(2, col, column, header)
    table = glossary_rows(scheme)
    for r, row in enumerate(table.itertuples(index=False), start=3):
        for col, value in enumerate(row):
            sheet.write_string(r, col, neutralise(value), cell)
    sheet.set_paper(A4)
    sheet.set_landscape()
    sheet.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    sheet.repeat_rows(2)
    sheet.fit_to_pages(1, 0)  # one page wide, as many pages long as it takes
    sheet.center_horizontally()
    sheet.set_footer("&C第 &P 页，共 &N 页")
    sheet.freeze_panes(3, 0)


def glossary_workbook(scheme: Scheme) -> bytes:
    """The 指标释义 sheet alone, as an .xlsx file's bytes."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    write_glossary_sheet(workbook, scheme)
    workbook.close()
    return buffer.getvalue()
