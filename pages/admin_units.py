"""单位管理: add, edit, deactivate units, their aliases, and import a register from Excel."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from services.catalog import list_categories, list_units, set_unit_active, upsert_units
from services.errors import ServiceError
from services.unit_figures import figure_years, figures_wide, import_register
from services.unit_register import read_unit_register
from ui.figures_editor import figures_editor
from ui.guard import page_guard
from ui.safe_table import csv_button, show_table
from ui.tables import PAGE_ROWS, pager
from ui.text import md_escape, md_lines
from ui.unit_picker import pick_unit

actor = page_guard()
st.title("单位管理")

units = list_units()
register = units.assign(active=units["active"].map({True: "启用", False: "停用"}))[
    ["code", "name", "category", "parent", "population", "aliases", "active"]
].rename(
    columns={
        "code": "编码",
        "name": "名称",
        "category": "类别",
        "parent": "上级",
        "population": "人口",
        "aliases": "别名（| 分隔）",
        "active": "状态",
    }
)
# The register with its figures (「常住人口（2025）」 columns), as the import reads it back.
register = register.merge(figures_wide().rename(columns={"code": "编码"}), on="编码", how="left")
# Pages of rows: 40,000 units in one table are 4 MB on every visit (issue 23); the CSV has them all.
page = pager(len(register), "units_page_no")
show_table(register.iloc[page * PAGE_ROWS : (page + 1) * PAGE_ROWS], hide_index=True)
csv_button(register, "units", "单位清单.csv", key="units_csv")


def done(message: str) -> None:
    st.session_state["units_notice"] = message
    st.rerun()


notice = st.session_state.pop("units_notice", None)
if notice:
    st.success(md_lines(notice))

names = dict(zip(units["code"], units["name"], strict=True))
categories = list_categories()
edit_tab, new_tab, active_tab, import_tab, figures_tab = st.tabs(
    ["修改单位", "新增单位", "停用 / 启用", "从 Excel 导入", "年度数据"]
)

with edit_tab:
    code = pick_unit("单位", names, "unit_edit", format_func=lambda c: f"{names[c]}（{c}）") if names else None
    if code is not None:
        row = units.set_index("code").loc[code]
        with st.form("edit_unit"):
            name = st.text_input("名称", row["name"])
            category = st.selectbox("类别", categories, categories.index(row["category"]))
            parent = st.text_input("上级单位编码（可空）", row["parent"])
            aliases = st.text_input("别名（用 | 分隔）", row["aliases"])
            population = st.number_input(
                "服务人口（可空）", min_value=0, value=None if pd.isna(row["population"]) else int(row["population"])
            )
            if st.form_submit_button("保存", type="primary"):
                frame = pd.DataFrame(
                    [{"code": code, "name": name, "category": category, "parent": parent, "aliases": aliases,
                      "population": population}]
                )  # fmt: skip
                try:
                    done(upsert_units(frame, by=actor).message)
                except ServiceError as exc:
                    st.error(md_lines(exc))

with new_tab, st.form("new_unit", clear_on_submit=True):
    c = st.columns(3)
    code = c[0].text_input("编码")
    name = c[1].text_input("名称")
    category = c[2].text_input("类别（已有：" + md_escape("、".join(categories)) + "）")
    parent = st.text_input("上级单位编码（可空）")
    aliases = st.text_input("别名（用 | 分隔）")
    if st.form_submit_button("新增", type="primary"):
        if code.strip() in names:
            st.error(f"编码 {md_escape(code.strip())} 已存在；修改请用“修改单位”")
        else:
            frame = pd.DataFrame(
                [{"code": code, "name": name, "category": category, "parent": parent, "aliases": aliases}]
            )
            try:
                done(upsert_units(frame, by=actor).message)
            except ServiceError as exc:
                st.error(md_lines(exc))

with active_tab:
    code = pick_unit("单位", names, "unit_active", format_func=lambda c: f"{names[c]}（{c}）") if names else None
    if code is not None:
        active = bool(units.set_index("code").loc[code, "active"])
        st.caption("停用的单位保留历史数据，但不再接受新的评分数据。")
        if st.button("停用" if active else "启用", key="toggle_active"):
            try:
                set_unit_active(code, not active, by=actor)
            except ServiceError as exc:
                st.error(md_lines(exc))
            else:
                done(f"已{'停用' if active else '启用'} {names[code]}")

with import_tab:
    st.caption(
        "第一行为列名：编码、名称、类别（必填），上级、人口、别名（| 分隔）、启用（可选）；"
        "年度数据写作「常住人口（2025）」这样的列（名称加年份）。全部正确才会导入。"
    )
    # Any file is taken: the reader says in Chinese what it is and how to save it (Streamlit's own
    # refusal of a type is English).
    uploaded = st.file_uploader("单位清单（.xlsx 或 .csv）", type=None, key="units_file")
    if uploaded is not None:
        try:
            frame = read_unit_register(uploaded.name, uploaded.getvalue())
        except ServiceError as exc:
            st.error(md_lines(exc))
            st.stop()
        show_table(frame, hide_index=True)
        if st.button("导入以上单位", type="primary", key="units_import"):
            try:
                done(import_register(frame, by=actor).message)
            except ServiceError as exc:
                st.error(md_lines(exc))

with figures_tab:
    st.caption("每个单位每年的常住人口等数据，供方案按人口等计算比率；空白表示没有该数据。")
    figures_editor(units, figure_years(), actor, done)
