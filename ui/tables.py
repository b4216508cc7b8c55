"""Table presentation: which columns a table shows, their Chinese headings and number formats."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from reports import numbers
from reports.overview import UNMET_HELP, rank_arrow
from ui.safe_table import guard_cell

FLAG_COLOR = "#c62828"


def _pill(on: pd.Series, text: str) -> list[list[str]]:
    return [[text] if flag else [] for flag in on.fillna(False).astype(bool)]


def _number_text(values: pd.Series, decimals: int, sign: str = "") -> list[str]:
    # Text, so that "no value" reads "—" (a number column would show "None"); a change is written
    # as everywhere else (reports.numbers.change: +0.55, -1.20, and 0.00 — never -0.00 — for none).
    write = numbers.change if sign == "+" else numbers.points
    return [write(v, decimals) for v in values]


def ranking_rows(units: pd.DataFrame, decimals: int) -> pd.DataFrame:
    """The ranking table's rows: displayed values rounded once here, so colours and text agree.

    Grade and flags are one-item lists: the table draws them as coloured pills (ranking_columns),
    which costs the browser nothing extra, where a pandas Styler costs ~0.7 ms a row every rerun.
    """
    out = pd.DataFrame(
        {
            "unit": units["unit"].astype(str),
            "名次": units["rank"].astype(int),
            "单位": units["name"].astype(str),
            "类别": units["category"].astype(str),
            "总分": units["total"].round(decimals),
            "较上期": _number_text(units["delta_total"], decimals, "+"),
            "名次变化": units["delta_rank"].map(rank_arrow),
            "等级": [[g] for g in units["grade"].astype(str)],
            "末位": _pill(units["bottom"], "末位"),
            "否决": _pill(units["veto"], "否决"),
            "未达标": units["unmet_targets"].astype(int),
            "距上一等级": _number_text(units["gap_next_grade"], decimals),
        }
    )
    return out.reset_index(drop=True)


def ranking_columns(colors: dict[str, str], decimals: int) -> dict:
    """Column settings of the ranking table: number formats, grade colours, red flags."""
    number = f"%.{decimals}f"

    def pills(options: list[str], color: str | list[str], **kw: object) -> object:
        return st.column_config.MultiselectColumn(options=options, color=color, width="small", **kw)

    return {
        "unit": None,  # the key travels with the row but is not shown
        "名次": st.column_config.NumberColumn(width="small", help="同类单位内的名次，并列时名次相同"),
        "总分": st.column_config.NumberColumn(format=number, help="按方案规定的小数位四舍五入"),
        "较上期": st.column_config.TextColumn(alignment="right", help="与上一期总分相比"),
        # options as the table shows the cells (ui.safe_table guards formula-like grade names too)
        "等级": pills([guard_cell(g) for g in colors], list(colors.values())),
        "末位": pills(["末位"], FLAG_COLOR, help="低于末位线或按末位规则认定，不得评先评优"),
        "否决": pills(["否决"], FLAG_COLOR, help="一票否决，不得评先评优"),
        "未达标": st.column_config.NumberColumn(help=UNMET_HELP),  # the count 总览 and 驾驶舱 show
        "距上一等级": st.column_config.TextColumn(alignment="right", help="还差多少分升到上一等级"),
    }


def meeting_rows(rows: pd.DataFrame, decimals: int) -> pd.DataFrame:
    """The meeting ranking's rows for the paged table: the change as text, grade and flags as pills."""
    out = rows.copy()
    out["较上期"] = _number_text(rows["较上期"], decimals, "+")
    out["等级"] = [[g] for g in rows["等级"].astype(str)]
    out["标记"] = [[f for f in text.split("、") if f] for text in rows["标记"]]
    return out


def meeting_columns(colors: dict[str, str], decimals: int) -> dict:
    """Column settings of the meeting ranking's paged table: the colours its small table shows."""
    return {
        "名次": st.column_config.NumberColumn(width="small"),
        "总分": st.column_config.NumberColumn(format=f"%.{decimals}f"),
        "较上期": st.column_config.TextColumn(alignment="right"),
        "等级": st.column_config.MultiselectColumn(
            options=[guard_cell(g) for g in colors], color=list(colors.values()), width="small"
        ),
        "标记": st.column_config.MultiselectColumn(options=["否决", "末位"], color=FLAG_COLOR, width="small"),
    }


CHART_BARS = 60  # a bar chart of more units than this is unreadable when projected
PAGE_ROWS = 50  # rows sent to the browser at once: what a person reads, and a bounded rerun
# Pages a chooser lists one by one; beyond, the page is typed as a number (a province's 500,000
# 整改建议 are 10,000 pages: their list alone was 430 kB on every rerun).
PAGE_CHOICES = 200


def page_count(rows: int, size: int = PAGE_ROWS) -> int:
    return max(1, -(-rows // size))


def page_label(page: int, rows: int, size: int = PAGE_ROWS) -> str:
    first, last = page * size + 1, min(rows, (page + 1) * size)
    return f"第 {page + 1} 页（第 {first}–{last} 行）"


def pager(rows: int, key: str, counted: str = "个单位") -> int:
    """The page of a long table to show (0 when it fits on one): a chooser of pages of PAGE_ROWS
    (its label counts the rows as `counted`: 「共 120 项建议」), or a page number beyond
    PAGE_CHOICES pages.

    Paging, not scrolling, bounds what a rerun sends to the browser at any size (40,000 units
    would otherwise send every row, and a pandas Styler over them fails outright)."""
    pages = page_count(rows)
    if pages == 1:
        return 0
    if pages > PAGE_CHOICES:  # a page number: a list of every page grows with the rows
        number = st.number_input(
            f"共 {rows} {counted}，每页 {PAGE_ROWS} 行，共 {pages} 页：输入页码",
            min_value=1, max_value=pages, value=1, step=1, key=f"{key}_number",
        )  # fmt: skip
        return int(number) - 1
    return st.selectbox(
        f"共 {rows} {counted}，每页 {PAGE_ROWS} 行", range(pages), format_func=lambda p: page_label(p, rows), key=key
    )


def table_height(rows: int, limit: int = 30) -> int:
    """Pixels for a table that shows up to `limit` rows without an inner scrollbar."""
    return 35 * (min(rows, limit) + 1) + 3
