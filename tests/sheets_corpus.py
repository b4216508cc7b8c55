"""A small scheme, its units, filled scoresheets, and a corpus of malformed workbooks (one defect each).

Everything is built in memory by the tests: templates with `sheets.template`, edits with
openpyxl (as a user's Excel would leave them), raw zip surgery with `zipfile` for what no
spreadsheet program writes (bombs, lying headers, entity declarations).

Each `Case` says where its error must be found (sheet, row, column), its kind, and words the
message must contain.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import struct
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field

import openpyxl
import pandas as pd
import xlsxwriter
from openpyxl.cell.cell import MergedCell

from scoring import Scheme, scheme_from_dict
from sheets.limits import DEFAULT_LIMITS, Limits
from sheets.template import build_template

PERIOD = "2025-03"
SHEET = "评分"
FIRST_DATA_ROW = 8  # Excel row of the first unit in a wide template
CODE_ROW = 7


def scheme_dict(version: str = "1") -> dict:
    return {
        "id": "sheet_test",
        "name": "社区中心月度考核（测试）",
        "version": version,
        "categories": ["社区卫生服务中心"],
        "period_type": "month",
        "total": 100,
        "bonus_cap": 5,
        "criteria": [
            {
                "code": "A",
                "name": "基本医疗",
                "items": [
                    {"code": "A1", "name": "门诊服务规范", "method": "direct", "points": 20},
                    {"code": "A2", "name": "居民健康档案建档率", "method": "target", "points": 20, "mode": "bands",
                     "target": 60, "unit": "%", "valid_min": 0, "valid_max": 100,
                     "bands": [{"threshold": 60, "points": 20}, {"threshold": 50, "points": 12}]},
                    {"code": "A3", "name": "中医药服务率", "method": "target", "points": 10, "mode": "proportional",
                     "target": 50, "unit": "%", "valid_min": 0, "valid_max": 100, "allow_na": True},
                ],
            },
            {
                "code": "B",
                "name": "公共卫生",
                "items": [
                    {"code": "B1", "name": "目标任务清单", "method": "checklist", "points": 30, "allow_na": True,
                     "tasks": [{"code": "B1-1", "name": "传染病报告及时", "points": 15},
                               {"code": "B1-2", "name": "健康教育按月开展", "points": 15}]},
                    {"code": "B2", "name": "有效投诉", "method": "deduction", "points": 20, "per_occurrence": 5},
                    {"code": "B3", "name": "创新工作", "method": "bonus", "per_occurrence": 1, "cap": 3},
                    {"code": "B4", "name": "重大医疗安全事故", "method": "veto"},
                ],
            },
        ],
    }  # fmt: skip


def make_scheme(version: str = "1") -> Scheme:
    return scheme_from_dict(scheme_dict(version))


def make_units() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "code": ["U01", "U02", "U03", "U04", "V01"],
            "name": ["城关街道社区卫生服务中心", "东城街道社区卫生服务中心", "西城街道社区卫生服务中心",
                     "南湖街道社区卫生服务中心", "柳塘镇东湖村卫生室"],
            "category": ["社区卫生服务中心"] * 4 + ["村卫生室"],
            "aliases": ["城关社区中心|城关中心", "东城社区中心", "西城社区中心", "南湖社区中心", "东湖村卫生室"],
        }
    )  # fmt: skip


SCHEME_UNITS = ["U01", "U02", "U03", "U04"]

# A complete, valid set of values: unit → code → what a user types.
GOOD: dict[str, dict[str, object]] = {
    "U01": {"A1": 18, "A2": 65.5, "A3": 52, "B1-1": "是", "B1-2": "是", "B2": None, "B3": 1, "B4": None},
    "U02": {"A1": 15.5, "A2": 55, "A3": "不适用", "B1-1": "√", "B1-2": "否", "B2": 1, "B3": None, "B4": None},
    "U03": {"A1": 12, "A2": 48.2, "A3": 30, "B1-1": "完成", "B1-2": "未完成", "B2": 2, "B3": None, "B4": "是"},
    "U04": {"A1": 19, "A2": 70, "A3": 45, "B1-1": 1, "B1-2": 0, "B2": 0, "B3": 3, "B4": "否"},
}


def expected_values() -> pd.DataFrame:
    """GOOD as the long frame `scoring.score` takes, written directly (no sheet involved)."""
    yes = {"是": 1.0, "√": 1.0, "完成": 1.0, 1: 1.0, "否": 0.0, "未完成": 0.0, 0: 0.0}
    rows = []
    for unit, cells in GOOD.items():
        for code, v in cells.items():
            if code.startswith("B1-") or code == "B4":
                value = yes.get(v) if v is not None else None
                rows.append((unit, code, value, False))
            elif v == "不适用":
                rows.append((unit, code, None, True))
            else:
                rows.append((unit, code, None if v is None else float(v), False))
    return pd.DataFrame(rows, columns=["unit", "code", "value", "na"]).assign(period=PERIOD)


def template(layout: str = "wide", scheme: Scheme | None = None, period: str = PERIOD, units=None) -> bytes:
    units = make_units().iloc[:4] if units is None else units
    return build_template(scheme or make_scheme(), period, units, layout=layout)


# -- filling templates as a user would (openpyxl) --------------------------------------------------
def _code_columns(ws) -> dict[str, int]:
    return {str(c.value): c.column for c in ws[CODE_ROW] if c.value}


def _unit_rows(ws) -> dict[str, int]:
    return {str(ws.cell(r, 1).value): r for r in range(FIRST_DATA_ROW, ws.max_row + 1) if ws.cell(r, 1).value}


def fill_wide(data: bytes, values: dict[str, dict[str, object]] | None = None,
              edit: Callable[[openpyxl.Workbook], None] | None = None) -> bytes:  # fmt: skip
    """Write `values` into a wide template by unit code and input code, then apply `edit`."""
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb[SHEET]
    cols, rows = _code_columns(ws), _unit_rows(ws)
    for unit, cells in (GOOD if values is None else values).items():
        for code, v in cells.items():
            ws.cell(rows[unit], cols[code]).value = v
    if edit:
        edit(wb)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def fill_per_unit(data: bytes, values: dict[str, dict[str, object]] | None = None,
                  edit: Callable[[openpyxl.Workbook], None] | None = None) -> bytes:  # fmt: skip
    wb = openpyxl.load_workbook(io.BytesIO(data))
    for ws in wb.worksheets:
        if ws.title in ("说明", "_meta"):
            continue
        unit = str(ws["B2"].value)
        cells = (GOOD if values is None else values).get(unit, {})
        for r in range(6, ws.max_row + 1):
            code = ws.cell(r, 1).value
            if code in cells:
                ws.cell(r, 5).value = cells[code]
    if edit:
        edit(wb)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def good_wide() -> bytes:
    return fill_wide(template())


def cell_of(code: str, unit: str) -> str:
    """The A1-style address of a unit's input cell in the wide template built by `template()`."""
    wb = openpyxl.load_workbook(io.BytesIO(template()))
    ws = wb[SHEET]
    col = _code_columns(ws)[code]
    return f"{openpyxl.utils.get_column_letter(col)}{_unit_rows(ws)[unit]}"


def set_cell(address: str, value: object, number_format: str | None = None) -> Callable[[openpyxl.Workbook], None]:
    def edit(wb: openpyxl.Workbook) -> None:
        wb[SHEET][address].value = value
        if number_format:
            wb[SHEET][address].number_format = number_format

    return edit


# -- raw packages -----------------------------------------------------------------------------------
def rezip(data: bytes, replace: dict[str, bytes] | None = None, add: dict[str, bytes] | None = None,
          compress: int = zipfile.ZIP_DEFLATED) -> bytes:  # fmt: skip
    """A copy of an xlsx package with some parts replaced or added."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compress) as z:
        for info in src.infolist():
            body = (replace or {}).get(info.filename, src.read(info.filename))
            z.writestr(info.filename, body)
        for name, body in (add or {}).items():
            z.writestr(name, body)
    return out.getvalue()


def sheet_xml(data: bytes, part: str = "xl/worksheets/sheet1.xml") -> str:
    return zipfile.ZipFile(io.BytesIO(data)).read(part).decode("utf-8")


def lie_about_size(data: bytes, part: str, declared: int) -> bytes:
    """Patch the local and central headers of `part` to declare `declared` inflated bytes."""
    buf = bytearray(data)
    z = zipfile.ZipFile(io.BytesIO(data))
    info = z.getinfo(part)
    struct.pack_into("<I", buf, info.header_offset + 22, declared)  # local header: uncompressed size
    name = part.encode()
    central = buf.find(b"PK\x01\x02", z.start_dir if hasattr(z, "start_dir") else 0)
    while central != -1:
        n = struct.unpack_from("<H", buf, central + 28)[0]
        if bytes(buf[central + 46 : central + 46 + n]) == name:
            struct.pack_into("<I", buf, central + 24, declared)
            break
        central = buf.find(b"PK\x01\x02", central + 4)
    return bytes(buf)


def xlsx_with_cells(cells: dict[tuple[int, int], object], sheet: str = "Sheet1") -> bytes:
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    ws = wb.add_worksheet(sheet)
    for (r, c), v in cells.items():
        ws.write(r, c, v)
    wb.close()
    return buf.getvalue()


def long_csv(rows: list[list[object]], header: list[str] | None = None, encoding: str = "utf-8-sig") -> bytes:
    head = header or ["单位", "指标编码", "数值", "考核人"]
    lines = [",".join(head)] + [",".join("" if v is None else str(v) for v in r) for r in rows]
    return ("\n".join(lines) + "\n").encode(encoding)


def good_long_rows(assessor: str = "考核一组") -> list[list[object]]:
    rows = []
    for unit, cells in GOOD.items():
        for code, v in cells.items():
            rows.append([unit, code, v, assessor])
    return rows


# -- the corpus ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Case:
    """One malformed upload and the error it must produce."""

    name: str
    build: Callable[[], bytes]
    kind: str
    text: str  # words the message must contain
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    file_name: str = "评分.xlsx"
    limits: Limits = field(default=DEFAULT_LIMITS)
    period: str = PERIOD


def _delete_column(code: str) -> Callable[[openpyxl.Workbook], None]:
    def edit(wb):
        ws = wb[SHEET]
        ws.delete_cols(_code_columns(ws)[code])

    return edit


def _header(code: str, text: str) -> Callable[[openpyxl.Workbook], None]:
    def edit(wb):
        ws = wb[SHEET]
        col = _code_columns(ws)[code]
        for r in range(4, CODE_ROW + 1):  # the 一级指标 merged above (row 3) stays
            if not isinstance(ws.cell(r, col), MergedCell):
                ws.cell(r, col).value = None
        ws.cell(CODE_ROW, col).value = text

    return edit


def _row(r: int, values: list[object]) -> Callable[[openpyxl.Workbook], None]:
    def edit(wb):
        ws = wb[SHEET]
        for c, v in enumerate(values, start=1):
            ws.cell(r, c).value = v

    return edit


def _copy_row(src: int, dst: int, unit: str | None = None) -> Callable[[openpyxl.Workbook], None]:
    def edit(wb):
        ws = wb[SHEET]
        for c in range(1, ws.max_column + 1):
            ws.cell(dst, c).value = ws.cell(src, c).value
        if unit:
            ws.cell(dst, 1).value = unit

    return edit


def _docx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


def _entity_bomb() -> bytes:
    data = good_wide()
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
    )
    xml = sheet_xml(data)
    body = re.sub(r"^<\?xml[^>]*\?>", "", xml)
    return rezip(data, replace={"xl/worksheets/sheet1.xml": (bomb + body).encode()})


def _ratio_bomb() -> bytes:
    data = good_wide()
    xml = sheet_xml(data)
    padded = xml.replace("</sheetData>", "</sheetData>" + " " * (8 << 20), 1)  # 8 MB of spaces
    return rezip(data, replace={"xl/worksheets/sheet1.xml": padded.encode()})


def _lying_bomb() -> bytes:
    data = good_wide()
    xml = sheet_xml(data)
    padded = xml.replace("</sheetData>", "</sheetData>" + "<!-- -->" * 40000, 1)
    data = rezip(data, replace={"xl/worksheets/sheet1.xml": padded.encode()})
    return lie_about_size(data, "xl/worksheets/sheet1.xml", 2000)


def _far_cell() -> bytes:
    data = good_wide()
    xml = sheet_xml(data)
    far = '<row r="5000"><c r="XFD5000"><v>1</v></c></row>'
    return rezip(data, replace={"xl/worksheets/sheet1.xml": xml.replace("</sheetData>", far + "</sheetData>").encode()})


def _many_rows() -> bytes:
    return xlsx_with_cells({(0, 0): "单位编码", (0, 1): "A1", (250_000, 0): "U01"})


def _cfb(extra: bytes = b"") -> bytes:
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + extra + b"\x00" * 1024


def _zip_encrypted() -> bytes:
    data = bytearray(good_wide())
    z = zipfile.ZipFile(io.BytesIO(bytes(data)))
    for info in z.infolist():  # set the 'encrypted' flag bit of every entry, local and central
        struct.pack_into("<H", data, info.header_offset + 6, info.flag_bits | 1)
    pos = bytes(data).find(b"PK\x01\x02")
    while pos != -1:
        flags = struct.unpack_from("<H", data, pos + 8)[0]
        struct.pack_into("<H", data, pos + 8, flags | 1)
        pos = bytes(data).find(b"PK\x01\x02", pos + 4)
    return bytes(data)


def _formula() -> bytes:
    return fill_wide(template(), edit=set_cell(cell_of("A1", "U02"), "=10+5"))


def _per_unit_edit(edit: Callable[[openpyxl.Workbook], None]) -> Callable[[], bytes]:
    return lambda: fill_per_unit(template("per-unit"), edit=edit)


def _per_unit_sheet(wb) -> openpyxl.worksheet.worksheet.Worksheet:
    return wb["城关街道社区卫生服务中心"]


def _per_unit_row_of(ws, code: str) -> int:
    return next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == code)


def _per_unit_drop(code: str):
    def edit(wb):
        ws = _per_unit_sheet(wb)
        ws.delete_rows(_per_unit_row_of(ws, code))

    return edit


def _per_unit_code(code: str, new: str):
    def edit(wb):
        ws = _per_unit_sheet(wb)
        ws.cell(_per_unit_row_of(ws, code), 1).value = new

    return edit


def _no_unit_column() -> bytes:
    return xlsx_with_cells({(0, 0): "序号", (0, 1): "A1", (0, 2): "A2", (1, 0): 1, (1, 1): 15, (1, 2): 60})


def _ods() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", "<office:document-content/>")
    return out.getvalue()


def billion_laughs(levels: int = 10) -> str:
    """The classic entity-expansion bomb: 10 levels of 10 references, ~3 GB if expanded."""
    ents = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, levels)
    ]
    return f'<?xml version="1.0"?><!DOCTYPE lolz [{"".join(ents)}]>'


def _laughs_in(part: str) -> Callable[[], bytes]:
    def build() -> bytes:
        data = good_wide() if part.startswith("xl/worksheets/") else template()  # openpyxl writes no sharedStrings
        xml = sheet_xml(data, part)
        body = re.sub(r"^<\?xml[^>]*\?>", "", xml)
        return rezip(data, replace={part: (billion_laughs() + body).encode()})

    return build


def zip_bomb(inflated: int = 128 << 20, declared: int | None = None) -> bytes:
    """A workbook whose sheet part inflates to `inflated` bytes (zeros after the real XML), written
    in streaming so the builder itself stays small; `declared` patches the size the headers claim."""
    data = good_wide()
    xml = sheet_xml(data).encode()
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                z.writestr(info.filename, src.read(info.filename))
                continue
            with z.open(info.filename, "w", force_zip64=True) as part:
                part.write(xml)
                chunk = b" " * (1 << 20)
                for _ in range((inflated - len(xml)) >> 20):
                    part.write(chunk)
    data = out.getvalue()
    return data if declared is None else lie_about_size(data, "xl/worksheets/sheet1.xml", declared)


def _per_unit_same_unit_twice() -> bytes:
    def edit(wb):
        copy = wb.copy_worksheet(_per_unit_sheet(wb))
        copy.title = "城关中心（复核）"

    return fill_per_unit(template("per-unit"), edit=edit)


def _c(code: str, unit: str) -> tuple[str, int]:
    """(column letter, row) of a unit's input cell."""
    m = re.fullmatch(r"([A-Z]+)(\d+)", cell_of(code, unit))
    return m.group(1), int(m.group(2))


def corpus() -> list[Case]:
    """At least 30 malformed uploads, each with one defect."""
    a1_u02, a2_u01, b2_u03 = _c("A1", "U02"), _c("A2", "U01"), _c("B2", "U03")
    t1_u01, a3_u01, a1_u01 = _c("B1-1", "U01"), _c("A3", "U01"), _c("A1", "U01")
    t2_u01 = _c("B1-2", "U01")
    wide = template()
    cases = [
        # -- the file itself
        Case("empty_file", lambda: b"", "file", "文件是空的"),
        Case("not_xlsx", lambda: "单位,指标\n".encode() * 3, "file", "不是 Excel 工作簿"),
        Case("old_xls", _cfb, "file", "旧版 Excel 格式（.xls）"),
        Case("encrypted_xlsx", lambda: _cfb("EncryptedPackage".encode("utf-16-le")), "file", "已加密"),
        Case("zip_encrypted_entries", _zip_encrypted, "file", "已加密"),
        Case(
            "html_saved_as_xls",
            lambda: b"<html><body><table><tr><td>1</td></tr></table></body></html>",
            "file",
            "网页格式",
        ),
        Case("word_document", _docx, "file", "Word"),
        Case("truncated_zip", lambda: good_wide()[:3000], "file", "已损坏"),
        Case("over_size_limit", good_wide, "file", "超过上限", limits=Limits(max_bytes=4096)),
        Case("over_row_limit", _many_rows, "file", "超过上限 200000 行", sheet="Sheet1"),
        Case("far_away_cell", _far_cell, "file", "已用区域 A1:XFD5000 过大", sheet=SHEET),
        Case("zip_bomb_ratio", _ratio_bomb, "file", "压缩比"),
        Case("zip_bomb_lying_size", _lying_bomb, "file", "实际大小超过声明"),
        Case("xml_entity_bomb", _entity_bomb, "file", "XML 实体声明"),
        Case("xml_billion_laughs_in_sheet", _laughs_in("xl/worksheets/sheet1.xml"), "file", "XML 实体声明"),
        Case("xml_billion_laughs_in_strings", _laughs_in("xl/sharedStrings.xml"), "file", "XML 实体声明"),
        Case("zip_bomb_128mb", zip_bomb, "file", "压缩比"),
        Case("zip_bomb_128mb_declared_small", lambda: zip_bomb(declared=3000), "file", "实际大小超过声明"),
        Case("ods_spreadsheet", _ods, "file", "ODS"),
        Case("too_many_parts", good_wide, "file", "包含", limits=Limits(max_entries=5)),
        # -- cells the sheet cannot give a value for
        Case(
            "formula_without_cached_value",
            _formula,
            "formula",
            "是公式，但文件中没有保存计算结果",
            SHEET,
            a1_u02[1],
            a1_u02[0],
        ),
        Case(
            "error_value",
            lambda: fill_wide(wide, edit=set_cell(cell_of("A1", "U02"), "#DIV/0!")),
            "error_value",
            "'#DIV/0!' 是公式错误值",
            SHEET,
            a1_u02[1],
            a1_u02[0],
        ),
        # -- units
        Case(
            "unknown_unit",
            lambda: fill_wide(wide, edit=_row(9, ["U99", "城关街道卫生中心"])),
            "unknown_unit",
            "单位 'U99' 不在单位清单中",
            SHEET,
            9,
            "A",
        ),
        Case(
            "unknown_unit_suggests",
            lambda: fill_wide(wide, edit=_row(8, [None, "城关社区卫生中心"])),
            "unknown_unit",
            "您是不是要找：城关街道社区卫生服务中心",
            SHEET,
            8,
            "B",
        ),
        Case(
            "duplicate_unit",
            lambda: fill_wide(wide, edit=_copy_row(8, 10, "U01")),
            "duplicate_unit",
            "单位「城关街道社区卫生服务中心」重复：第 8 行已经填写过",
            SHEET,
            10,
            "A",
        ),
        Case(
            "unit_out_of_scheme",
            lambda: fill_wide(wide, edit=_row(11, ["V01", "柳塘镇东湖村卫生室"])),
            "unit_out_of_scheme",
            "属于「村卫生室」，不在本方案适用范围",
            SHEET,
            11,
            "A",
        ),
        Case(
            "code_and_name_disagree",
            lambda: fill_wide(wide, edit=_row(8, ["U01", "东城街道社区卫生服务中心"])),
            "unit_mismatch",
            "不是同一个单位",
            SHEET,
            8,
            "B",
        ),
        Case(
            "values_without_unit",
            lambda: fill_wide(wide, edit=_row(12, [None, None, 10])),
            "unit_blank",
            "该行有数值，但没有填写单位",
            SHEET,
            12,
            "A",
        ),
        Case(
            "rows_after_total",
            lambda: fill_wide(wide, values={k: v for k, v in GOOD.items() if k != "U04"}, edit=_swap_in_total()),
            "after_footer",
            "在「合计」行之后",
            SHEET,
            12,
            "A",
        ),
        # -- columns
        Case(
            "unknown_column",
            lambda: fill_wide(wide, edit=_header("B3", "满意度调查")),
            "unknown_column",
            "表头「满意度调查」不是方案中的指标",
            SHEET,
            CODE_ROW,
            _c("B3", "U01")[0],
        ),
        Case(
            "missing_column",
            lambda: fill_wide(wide, edit=_delete_column("A2")),
            "missing_column",
            "缺少指标列「A2 居民健康档案建档率」",
            SHEET,
            CODE_ROW,
            None,
        ),
        Case(
            "duplicate_column",
            lambda: fill_wide(wide, edit=_header("B3", "A1")),
            "duplicate_column",
            "指标「门诊服务规范」的列重复",
            SHEET,
            CODE_ROW,
            _c("B3", "U01")[0],
        ),
        Case("no_unit_column", _no_unit_column, "no_unit_column", "没有找到单位列", "Sheet1", 1, None),
        # -- values
        Case(
            "not_a_number",
            lambda: fill_wide(wide, edit=set_cell(cell_of("A2", "U01"), "六十")),
            "not_number",
            "'六十' 不是数字，应为 0–100 之间的数字（百分数",
            SHEET,
            a2_u01[1],
            a2_u01[0],
        ),
        Case(
            "negative",
            lambda: fill_wide(wide, edit=set_cell(cell_of("A1", "U02"), -3)),
            "negative",
            "'-3' 是负数，应为 0–20 之间的分数",
            SHEET,
            a1_u02[1],
            a1_u02[0],
        ),
        Case(
            "out_of_range",
            lambda: fill_wide(wide, edit=set_cell(cell_of("A2", "U01"), 120)),
            "out_of_range",
            "'120' 超出范围，应为 0–100 之间的数字",
            SHEET,
            a2_u01[1],
            a2_u01[0],
        ),
        Case(
            "score_above_points",
            lambda: fill_wide(wide, edit=set_cell(cell_of("A1", "U02"), 25)),
            "out_of_range",
            "'25' 超出范围，应为 0–20 之间的分数",
            SHEET,
            a1_u02[1],
            a1_u02[0],
        ),
        Case(
            "count_not_integer",
            lambda: fill_wide(wide, edit=set_cell(cell_of("B2", "U03"), 1.5)),
            "not_integer",
            "'1.5' 不是整数，应为 0 或正整数（发生次数",
            SHEET,
            b2_u03[1],
            b2_u03[0],
        ),
        Case(
            "invalid_yes_no",
            lambda: fill_wide(wide, edit=set_cell(cell_of("B1-1", "U01"), "差不多")),
            "not_yesno",
            "'差不多' 不是「是/否」",
            SHEET,
            t1_u01[1],
            t1_u01[0],
        ),
        Case(
            "blank_required",
            lambda: fill_wide(wide, edit=set_cell(cell_of("A1", "U01"), None)),
            "blank",
            "未填写（空白不等于 0）",
            SHEET,
            a1_u01[1],
            a1_u01[0],
        ),
        Case(
            "na_not_allowed",
            lambda: fill_wide(wide, edit=set_cell(cell_of("A1", "U01"), "不适用")),
            "na_not_allowed",
            "本指标不允许填「不适用」",
            SHEET,
            a1_u01[1],
            a1_u01[0],
        ),
        Case(
            "percent_format_on_score",
            lambda: fill_wide(wide, edit=set_cell(cell_of("A1", "U01"), 0.9, "0%")),
            "percent_format",
            "设置成了百分比格式",
            SHEET,
            a1_u01[1],
            a1_u01[0],
        ),
        Case(
            "date_in_value",
            lambda: fill_wide(wide, edit=set_cell(cell_of("A1", "U01"), dt.datetime(2025, 3, 5))),
            "date",
            "被 Excel 识别成了日期",
            SHEET,
            a1_u01[1],
            a1_u01[0],
        ),
        Case(
            "logical_in_score",
            lambda: fill_wide(wide, edit=set_cell(cell_of("A1", "U01"), True)),
            "bool",
            "是逻辑值",
            SHEET,
            a1_u01[1],
            a1_u01[0],
        ),
        Case(
            "checklist_partly_na",
            lambda: fill_wide(wide, edit=set_cell(cell_of("B1-2", "U01"), "不适用")),
            "checklist_partly_na",
            "部分任务填了「不适用」",
            SHEET,
            t2_u01[1],
            t2_u01[0],
        ),
        Case(
            "percent_text_on_score",
            lambda: fill_wide(wide, edit=set_cell(cell_of("A1", "U01"), "90%")),
            "percent_text",
            "是百分数，但本指标不按百分比填写",
            SHEET,
            a1_u01[1],
            a1_u01[0],
        ),
        Case(
            "na_in_na_leaf_ok_but_text",
            lambda: fill_wide(wide, edit=set_cell(cell_of("A3", "U01"), "/")),
            "not_number",
            "'/' 不是数字",
            SHEET,
            a3_u01[1],
            a3_u01[0],
        ),
        Case(
            "huge_number",
            lambda: fill_wide(wide, edit=set_cell(cell_of("A2", "U01"), 1e300)),
            "out_of_range",
            "超出范围，应为 0–100 之间的数字",
            SHEET,
            a2_u01[1],
            a2_u01[0],
        ),
        Case(
            "full_width_negative_text",
            lambda: fill_wide(wide, edit=set_cell(cell_of("A1", "U02"), "－３")),
            "negative",
            "是负数，应为 0–20 之间的分数",
            SHEET,
            a1_u02[1],
            a1_u02[0],
        ),
        Case(
            "percent_text_above_100",
            lambda: fill_wide(wide, edit=set_cell(cell_of("A2", "U01"), "120%")),
            "out_of_range",
            "'120%' 超出范围",
            SHEET,
            a2_u01[1],
            a2_u01[0],
        ),
        Case(
            "yes_no_number_two",
            lambda: fill_wide(wide, edit=set_cell(cell_of("B4", "U04"), 2)),
            "not_yesno",
            "'2' 不是「是/否」",
            SHEET,
            _c("B4", "U04")[1],
            _c("B4", "U04")[0],
        ),
        Case(
            "unknown_unit_by_name_close",
            lambda: fill_wide(wide, edit=_row(9, [None, "东城社区卫生服务中心"])),
            "unknown_unit",
            "您是不是要找：东城街道社区卫生服务中心",
            SHEET,
            9,
            "B",
        ),
        # -- periods and schemes
        Case(
            "period_mismatch",
            lambda: fill_wide(template(period="2025-02")),
            "period_mismatch",
            "表中期间为 2025-02，与所选期间 2025-03 不一致",
            SHEET,
            2,
            "B",
        ),
        Case(
            "scheme_mismatch",
            lambda: fill_wide(wide, edit=set_cell("D2", "hospital_monthly")),
            "scheme_mismatch",
            "这是方案「hospital_monthly」的模板",
            SHEET,
            2,
            "D",
        ),
        Case(
            "old_scheme_version",
            lambda: fill_wide(template(scheme=make_scheme("0.9"))),
            "version_mismatch",
            "模板对应方案版本 0.9，当前方案版本为 1",
            SHEET,
            2,
            "F",
        ),
        # -- per-unit sheets
        Case(
            "per_unit_missing_row",
            _per_unit_edit(_per_unit_drop("A2")),
            "missing_row",
            "缺少指标「A2 居民健康档案建档率」这一行",
            "城关街道社区卫生服务中心",
            None,
            None,
        ),
        Case(
            "per_unit_unknown_code",
            _per_unit_edit(_per_unit_code("A2", "A9")),
            "unknown_code",
            "'A9' 不是方案「社区中心月度考核（测试）」中的指标编码",
            "城关街道社区卫生服务中心",
            8,
            "A",
        ),
        Case(
            "per_unit_same_unit_twice",
            _per_unit_same_unit_twice,
            "duplicate_unit",
            "重复：表「城关街道社区卫生服务中心」第 2 行已经填写过",
            "城关中心（复核）",
            2,
            "B",
        ),
        Case(
            "per_unit_bad_value",
            _per_unit_edit(
                lambda wb: _per_unit_sheet(wb).cell(_per_unit_row_of(_per_unit_sheet(wb), "A2"), 5, "六十")
            ),  # fmt: skip
            "not_number",
            "'六十' 不是数字",
            "城关街道社区卫生服务中心",
            8,
            "E",
        ),
        # -- long files
        Case(
            "long_same_cell_twice",
            lambda: long_csv(good_long_rows() + [["U01", "A1", 17, "考核一组"]]),
            "duplicate_cell",
            "单位「城关街道社区卫生服务中心」的指标「A1」重复：第 2 行已经填写过",
            "scores.csv",
            34,
            "C",
            file_name="scores.csv",
        ),
        Case(
            "long_missing_value_column",
            lambda: long_csv([["U01", "A1"]], header=["单位", "指标编码"]),
            "missing_columns",
            "缺少列：数值",
            "scores.csv",
            file_name="scores.csv",
        ),
        Case(
            "long_unknown_code",
            lambda: long_csv(good_long_rows() + [["U01", "Z9", 3, "考核一组"]]),
            "unknown_code",
            "'Z9' 不是方案「社区中心月度考核（测试）」中的指标编码",
            "scores.csv",
            34,
            "B",
            file_name="scores.csv",
        ),
        Case(
            "long_period_mismatch",
            lambda: long_csv(
                [[*r, "2025-02"] for r in good_long_rows()], header=["单位", "指标编码", "数值", "考核人", "期间"]
            ),
            "period_mismatch",
            "表中期间为 2025-02，与所选期间 2025-03 不一致",
            "scores.csv",
            2,
            "E",
            file_name="scores.csv",
        ),
        Case(
            "long_unknown_unit",
            lambda: long_csv(good_long_rows() + [["南湖中心卫生院", "A1", 15, "考核一组"]]),
            "unknown_unit",
            "单位 '南湖中心卫生院' 不在单位清单中",
            "scores.csv",
            34,
            "A",
            file_name="scores.csv",
        ),
        Case(
            "csv_unknown_encoding",
            lambda: b"\xff\xfe\xff\xfe\x81\x30" * 20,
            "file",
            "无法识别文本编码",
            file_name="scores.csv",
        ),
    ]
    return cases


def _swap_in_total():
    def edit(wb):
        ws = wb[SHEET]
        ws.cell(11, 1).value = "合计"
        ws.cell(11, 2).value = None
        for c in range(3, ws.max_column + 1):
            ws.cell(11, c).value = None
        ws.cell(12, 1).value = "U04"
        ws.cell(12, 2).value = "南湖街道社区卫生服务中心"
        cols = _code_columns(ws)
        for code, v in GOOD["U04"].items():
            ws.cell(12, cols[code]).value = v

    return edit
