"""The 年度数据 tab of 单位管理: one year's figures per unit, edited in a table, saved audited."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from services._db import local_today
from services.errors import ServiceError
from services.permissions import Actor
from services.unit_figures import edited_figures, figure_name_problem, figure_names, set_figures, year_table
from ui.safe_table import edit_table
from ui.text import md_escape, md_lines

ADDED = "figure_names_added"  # names added on this page that no unit has a value for yet


def figures_editor(units: pd.DataFrame, years: list[int], actor: Actor | None, done: Callable[[str], None]) -> None:
    """Choose a year, edit its figures, save them; add a figure name (a new column)."""
    this_year = local_today().year
    choices = sorted(set(years) | {this_year - 1, this_year, this_year + 1}, reverse=True)
    # the newest year that has figures (this year's are often entered months later), else this year
    shown = max((y for y in years if y <= this_year), default=this_year)
    year = st.selectbox("年份", choices, index=choices.index(shown), format_func=lambda y: f"{y}年", key="fig_year")
    added = st.session_state.setdefault(ADDED, [])
    names = list(dict.fromkeys(figure_names() + added))
    if not names:
        st.info("还没有年度数据项。请先在下方新增数据项名称（如 常住人口）。")
    elif units.empty:
        st.info("还没有单位。")
    else:
        before = year_table(units, year, names)
        after = edit_table(before, disabled=["编码", "名称"], hide_index=True, key=f"fig_table_{year}")
        if st.button("保存年度数据", type="primary", key="fig_save"):
            changes = edited_figures(before, after, year)
            if changes.empty:
                st.info("没有修改。")
            else:
                try:
                    done(f"{year}年：" + set_figures(changes, by=actor).message)
                except ServiceError as exc:
                    st.error(md_lines(exc))
    with st.form("fig_new_name", clear_on_submit=True):
        name = st.text_input("新增数据项名称（如 常住人口、65岁以上人口）").strip()
        if st.form_submit_button("新增数据项"):
            why = figure_name_problem(name) or ("已有同名数据项" if name in names + ["编码", "名称"] else None)
            if why is not None:
                st.error(md_escape(why))
            else:
                added.append(name)
                done(f"已新增数据项「{name}」，请填写各单位的数值后保存")
