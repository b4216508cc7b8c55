"""The 全区 Excel bulletin: every scheme of one period in one workbook.

Sheet 全区: one row per scheme (units, mean, change, highest and lowest, 末位, 一票否决, unmet
targets, objections, 整改完成率), then the red list across schemes (末位与一票否决) and who made
the workbook when. Then one sheet per scheme, named after it, holding that scheme's ranking as the
per-scheme bulletin's 排名 sheet writes it (exports/bulletin_xlsx.py). Scores carry each scheme's
own decimals.
"""

from __future__ import annotations

import re
from datetime import datetime

from exports.bulletin_xlsx import FIRST, HEADER_ROW, _write_ranking
from exports.workbook import Book, Column, local_naive, setup_page, write_header, write_rows, write_text, write_title
from reports.district import DistrictBulletin
from scoring.methods import round_half_up

SUMMARY_SHEET = "全区"
SHEET_NAME_LIMIT = 31  # Excel's limit
FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def sheet_names(names: list[str]) -> list[str]:
    """Valid, distinct sheet names for the schemes (never 全区): Excel's forbidden characters
    replaced, 31 characters at most, a number appended to repeats."""
    taken = {SUMMARY_SHEET}
    out = []
    for name in names:
        base = FORBIDDEN.sub("_", name).strip("'") or "方案"
        candidate, n = base[:SHEET_NAME_LIMIT], 2
        while candidate in taken:
            suffix = f"（{n}）"
            candidate, n = base[: SHEET_NAME_LIMIT - len(suffix)] + suffix, n + 1
        taken.add(candidate)
        out.append(candidate)
    return out


def _write_summary(book: Book, district: DistrictBulletin, generated_by: str, generated_at: datetime) -> None:
    ws = book.sheet(SUMMARY_SHEET)
    write_title(book, ws, f"{district.period_name} 全区考核通报")
    columns = [
        Column("考核方案", width=28, wrap=True),
        Column("参评数", "int", 8),
        Column("平均分", "number", 9),
        Column("较上期", "delta", 9),
        Column("最高分", "number", 9),
        Column("最低分", "number", 9),
        Column("末位", "int", 7),
        Column("一票否决", "int", 8),
        Column("未达标目标", "int", 10),
        Column("申诉", "int", 7),
        Column("整改完成率", width=10),
    ]
    write_header(book, ws, HEADER_ROW, columns)
    text = book.cell(columns[0])
    count = book.cell(columns[1])
    row = FIRST - 1
    for row, part in enumerate(district.parts, start=FIRST):
        b, d = part.bulletin, part.bulletin.decimals
        score = book.cell(Column("", "number", decimals=d))
        delta = book.cell(Column("", "delta", decimals=d))
        totals = b.ranking["total"]
        write_text(ws, row, 0, part.scheme.name, text)
        ws.write_number(row, 1, len(b.ranking), count)
        for col, value, f in (
            (2, b.headline.mean, score),
            (3, b.headline.mean_change, delta),
            (4, totals.max(), score),
            (5, totals.min(), score),
        ):
            if value is None or value != value:
                ws.write_blank(row, col, None, f)
            else:  # rounded as the pages round it, so a copied value is the shown one
                ws.write_number(row, col, round_half_up(float(value), d), f)
        for col, value in ((6, int(b.ranking["bottom"].sum())), (7, int(b.ranking["veto"].sum())),
                           (8, len(b.unmet)), (9, len(b.objections))):  # fmt: skip
            ws.write_number(row, col, value, count)
        rect = b.rectification
        write_text(ws, row, 10, rect.rate_text if rect is not None and rect.issued else "—", text)
    last_scheme_row = row

    # 红黑榜: every scheme's 末位 and vetoed units together, with their consequences
    start = last_scheme_row + 2
    write_text(ws, start, 0, "末位与一票否决（各方案合并）", book.format(bold=True, font_size=12))
    red_columns = [
        Column("考核方案", width=28, wrap=True),
        Column("单位名称", width=26),
        Column("类别", width=14),
        Column("总分", "number", 9),
        Column("等级", width=8),
        Column("同类排名", "int", 8),
        Column("类型", width=14),
        Column("原因", width=36, wrap=True),
        Column("后果", width=36, wrap=True),
    ]
    write_header(book, ws, start + 1, red_columns)
    rows = [
        (part.scheme.name, r.name, r.category, r.total, r.grade, r.rank, r.kind,
         r.reason, r.consequence)
        for part in district.parts
        for r in part.bulletin.red_list.itertuples()
    ]  # fmt: skip
    last = write_rows(book, ws, start + 2, red_columns, rows)
    # each scheme's scores with its own decimals (the column's format has two)
    decimals = [p.bulletin.decimals for p in district.parts for _ in range(len(p.bulletin.red_list))]
    for i, (row_values, d) in enumerate(zip(rows, decimals, strict=True)):
        ws.write_number(
            start + 2 + i, 3, round_half_up(float(row_values[3]), d), book.cell(Column("", "number", decimals=d))
        )
    if not rows:
        write_text(ws, start + 2, 0, "本期各方案均无末位或一票否决单位")
        last = start + 2
    by = last + 2
    write_text(ws, by, 0, "生成人", book.format(bold=True))
    write_text(ws, by, 1, generated_by)
    write_text(ws, by + 1, 0, "生成时间", book.format(bold=True))
    ws.write_datetime(by + 1, 1, local_naive(generated_at), book.format(num_format="yyyy-mm-dd hh:mm", align="left"))
    setup_page(ws, HEADER_ROW, freeze_col=1, last_row=last_scheme_row, last_col=len(columns) - 1)


def write_district_workbook(district: DistrictBulletin, generated_by: str, generated_at: datetime) -> bytes:
    """The 全区 workbook as xlsx bytes: the 全区 sheet, then each scheme's ranking."""
    units = sum(len(p.bulletin.ranking) for p in district.parts)
    book = Book(cells=units * 20)
    _write_summary(book, district, generated_by, generated_at)
    for name, part in zip(sheet_names([p.scheme.name for p in district.parts]), district.parts, strict=True):
        _write_ranking(book, part.bulletin, part.scheme, sheet=name)
    return book.close()
