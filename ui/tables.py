"""Table presentation: which columns a table shows, their Chinese headings and number formats."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from reports.overview import rank_arrow


def _flag(on: pd.Series, text: str) -> pd.Series:
    return on.map({True: text, False: ""}).fillna("")


def ranking_rows(units: pd.DataFrame, decimals: int) -> pd.DataFrame:
    """The ranking table's rows: displayed values rounded once here, so colours and text agree."""
    out = pd.DataFrame(
        {
            "unit": units["unit"].astype(str),
            "名次": units["rank"].astype(int),
            "单位": units["name"].astype(str),
            "类别": units["category"].astype(str),
            "总分": units["total"].round(decimals),
            "较上期": units["delta_total"].round(decimals),
            "名次变化": units["delta_rank"].map(rank_arrow),
            "等级": units["grade"].astype(str),
            "末位": _flag(units["bottom"], "末位"),
            "否决": _flag(units["veto"], "否决"),
            "未达标": units["unmet_targets"].astype(int),
            "距上一等级": units["gap_next_grade"].round(decimals),
        }
    )
    return out.reset_index(drop=True)


def ranking_columns() -> dict:
    return {
        "unit": None,  # the key travels with the row but is not shown
        "名次": st.column_config.NumberColumn(width="small", help="同类单位内的名次，并列时名次相同"),
        "总分": st.column_config.NumberColumn(help="按方案规定的小数位四舍五入"),
        "较上期": st.column_config.NumberColumn(help="与上一期总分相比"),
        "未达标": st.column_config.NumberColumn(help="未达到目标值的指标数"),
        "距上一等级": st.column_config.NumberColumn(help="还差多少分升到上一等级"),
    }


def style_grades(frame: pd.DataFrame, colors: dict[str, str], decimals: int):
    """Colour the grade and flag cells; the colours follow the same rounded values shown."""

    def grade_cell(value: str) -> str:
        color = colors.get(value)
        return f"color: white; background-color: {color}" if color else ""

    def flag_cell(value: str) -> str:
        return "color: #c62828; font-weight: bold" if value else ""

    # Formats live here, not in column_config, so that missing values read "—" rather than None.
    numbers = {c: f"{{:.{decimals}f}}" for c in ("总分", "距上一等级")} | {"较上期": f"{{:+.{decimals}f}}"}
    return (
        frame.style.map(grade_cell, subset=["等级"]).map(flag_cell, subset=["末位", "否决"]).format(numbers, na_rep="—")
    )


CHART_BARS = 60  # a bar chart of more units than this is unreadable when projected
PAGE_ROWS = 50  # rows sent to the browser at once: styling costs ~0.5 ms a row on every rerun


def page_count(rows: int, size: int = PAGE_ROWS) -> int:
    return max(1, -(-rows // size))


def page_label(page: int, rows: int, size: int = PAGE_ROWS) -> str:
    first, last = page * size + 1, min(rows, (page + 1) * size)
    return f"第 {page + 1} 页（第 {first}–{last} 行）"


def table_height(rows: int, limit: int = 30) -> int:
    """Pixels for a table that shows up to `limit` rows without an inner scrollbar."""
    return 35 * (min(rows, limit) + 1) + 3
