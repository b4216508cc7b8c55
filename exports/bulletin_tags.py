"""The bulletin workbook's 标签得分率 sheet: units × tags, each rate as a percentage, and what the
scheme's tag rules did to each unit. Written only when the scheme has tags (reports.tags)."""

from __future__ import annotations

import pandas as pd

from exports.workbook import Book, Column, setup_page, write_header, write_text, write_title
from reports import numbers
from reports.bulletin import Bulletin

TAG_SHEET = "标签得分率"


def write_tag_rates(book: Book, bulletin: Bulletin, title: str, header_row: int = 1) -> None:
    """One row per unit in ranking order. A rate is a number with a percent format of as many
    decimals as its text has (55.0%, 59.95% below a 60% line), so the cell reads as the unit's
    各标签得分 table; 「—」 where none of the unit's leaves with the tag apply."""
    rates, rules = bulletin.tag_rates, bulletin.tag_rules
    labels = list(dict.fromkeys(rates["label"]))
    ws = book.sheet(TAG_SHEET)
    write_title(book, ws, title)
    columns = [
        Column("单位编码", width=10),
        Column("单位名称", width=26),
        *(Column(f"{label}得分率", "percent", width=12, decimals=1) for label in labels),
        Column("标签规则", width=48, wrap=True),
    ]
    write_header(book, ws, header_row, columns)
    order = list(rules["unit"])
    shown = rates.pivot(index="unit", columns="label", values="shown").reindex(index=order, columns=labels)
    places = rates.pivot(index="unit", columns="label", values="decimals").reindex(index=order, columns=labels)
    text = book.cell(columns[0])
    none = book.cell(Column("", "percent"), align="right")
    rule_format = book.cell(columns[-1])
    row = header_row
    data = zip(order, rules["name"], rules["consequence"], shown.to_numpy(float), places.to_numpy(), strict=True)
    for row, (unit, name, consequence, values, decimals) in enumerate(data, start=header_row + 1):
        write_text(ws, row, 0, unit, text)
        write_text(ws, row, 1, name, text)
        for c, (value, d) in enumerate(zip(values, decimals, strict=True), start=2):
            if pd.isna(value):
                write_text(ws, row, c, numbers.NONE, none)
            else:
                ws.write_number(row, c, float(value) / 100, book.cell(Column("", "percent", decimals=int(d))))
        write_text(ws, row, len(columns) - 1, consequence, rule_format)
    setup_page(ws, header_row, freeze_col=2, last_row=row, last_col=len(columns) - 1)
