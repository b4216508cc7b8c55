"""Generators of 评分细则表 that look like published ones (Word and Excel), for the draft import.

Each table is rows of cell texts plus merged ranges ((row0, col0), (row1, col1)), inclusive, in
table rows (the header is row 0). Text is written only in a merge's first cell, as Word and Excel
keep it."""

from __future__ import annotations

import io

from docx import Document
from openpyxl import Workbook

Merge = tuple[tuple[int, int], tuple[int, int]]


def docx_bytes(rows: list[list[str]], merges: list[Merge] = (), title: str = "", note: str = "") -> bytes:
    doc = Document()
    if title:
        doc.add_paragraph(title)
    doc.add_paragraph("附件：评分细则表")
    table = doc.add_table(rows=len(rows), cols=len(rows[0]))
    for r, line in enumerate(rows):
        for c, text in enumerate(line):
            table.cell(r, c).text = text
    for (r0, c0), (r1, c1) in merges:
        for r in range(r0, r1 + 1):
            for c in range(c0, c1 + 1):
                if (r, c) != (r0, c0):
                    table.cell(r, c).text = ""
        table.cell(r0, c0).merge(table.cell(r1, c1))
    if note:
        doc.add_paragraph(note)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def xlsx_bytes(rows: list[list[object]], merges: list[Merge] = (), title: str = "", note: str = "") -> bytes:
    """The table under an optional title row (so table row r is Excel row r + 2 with a title)."""
    book = Workbook()
    sheet = book.active
    sheet.title = "评分细则"
    offset = 1 if title else 0
    if title:
        sheet.cell(1, 1, title)
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(rows[0]))
    for r, line in enumerate(rows):
        for c, value in enumerate(line):
            if value != "":
                sheet.cell(r + 1 + offset, c + 1, value)
    for (r0, c0), (r1, c1) in merges:
        for r in range(r0, r1 + 1):
            for c in range(c0, c1 + 1):
                if (r, c) != (r0, c0):
                    sheet.cell(r + 1 + offset, c + 1).value = None
        sheet.merge_cells(start_row=r0 + 1 + offset, start_column=c0 + 1, end_row=r1 + 1 + offset, end_column=c1 + 1)
    if note:
        sheet.cell(len(rows) + 2 + offset, 1, note)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# A county's 社区卫生服务中心 table: merged 一级指标 cells, 「分」 after numbers, full-width digits,
# ★ marks, a 合计 row and a note paragraph under the table. Two levels.
COMMUNITY_ROWS = [
    ["一级指标", "二级指标", "分值", "评分标准", "考核方法"],
    ["基本医疗（30分）", "★门诊处方合格率", "10分", "≥95%得10分，≥90%得6分，≥80%得3分，低于80%不得分", "抽查处方50张"],
    ["", "院感管理", "１０", "每发现一处不符合要求扣1分，扣完为止", "现场检查"],
    ["", "医疗质量", "10.0", "考核组现场检查病历书写、首诊负责等制度落实情况酌情评分", "查阅资料"],
    [
        "基本公共卫生服务（40分）",
        "★高血压患者规范管理率",
        "15分",
        "规范管理率达到60%得满分，未达到按比例得分",
        "系统抽查",
    ],
    ["", "健康教育", "5", "有年度健康教育计划得2分，有工作总结得3分", "查阅资料"],
    ["", "传染病报告", "10分", "按时完成网络直报得1分，否则不得分", "系统核查"],
    ["", "预防接种", "10", "每漏种一人次扣0.5分，每迟报一次扣1分", "抽查"],
    ["综合管理", "安全生产", "", "发生重大安全生产责任事故的，一票否决", "查阅资料"],
    ["", "创新工作", "", "每获市级以上表彰一次加1分，最高加3分", "查阅资料"],
    ["", "群众满意度", "30分", "满意度调查，按满意率得分", "第三方调查"],
    ["合计", "", "100", "", ""],
]
COMMUNITY_MERGES: list[Merge] = [((1, 0), (3, 0)), ((4, 0), (7, 0)), ((8, 0), (10, 0)), ((11, 0), (11, 1))]
COMMUNITY_NOTE = "注：1. 本细则由区卫生健康局负责解释。2. 带★的为核心指标。"

# A 3-level table numbered 「一、」「（一）」「1.」 with 小计 rows per 一级指标.
NUMBERED_ROWS = [
    ["一级指标", "二级指标", "三级指标", "分值", "评分标准"],
    ["一、公共卫生服务", "（一）健康档案", "1.建档率", "6", "≥ 90% 得 6 分，≥ 80% 得 4 分"],
    ["", "", "2.档案使用率", "4", "达到60%得4分"],
    ["", "（二）慢病管理", "1.随访完成率", "10", "每少随访一人扣0.5分，扣完为止"],
    ["", "小计", "", "20", ""],
    ["二、综合管理", "（一）制度建设", "1.制度上墙", "5", "有制度得5分"],
    ["", "", "2.培训", "5", "每季度培训一次，少一次扣1分"],
    ["", "小计", "", "12", ""],
    ["合计", "", "", "30", ""],
]
NUMBERED_MERGES: list[Merge] = [
    ((1, 0), (4, 0)),
    ((1, 1), (2, 1)),
    ((4, 1), (4, 2)),
    ((5, 0), (7, 0)),
    ((5, 1), (6, 1)),
    ((7, 1), (7, 2)),
    ((8, 0), (8, 2)),
]
