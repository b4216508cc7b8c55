"""指标释义: each indicator of a scheme version with its definition, formula, data source, unit,
rule and points, and the same table as an A4 print-ready workbook for inspections."""

from __future__ import annotations

import streamlit as st

from exports.glossary_xlsx import glossary_workbook
from reports.glossary import glossary_rows
from services.catalog import scheme_versions
from ui.downloads import download_button
from ui.guard import page_guard
from ui.safe_table import show_table

TITLE = "指标释义"
INTRO = "每个评分细则的定义、计算公式、数据来源、单位、评分标准和分值，可下载打印，供考核组现场核查时对照。"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

page_guard()
st.title(TITLE)
st.caption(INTRO)
versions = scheme_versions()
if not versions:
    st.info("尚未登记任何考核方案。")
    st.stop()
names = {v.scheme_key: v.name for v in versions}
key = st.selectbox("考核方案", list(names), format_func=lambda k: names[k], key="glossary_scheme")
mine = {v.version: v for v in versions if v.scheme_key == key}
# newest first; one chooser per scheme, so a version chosen for one scheme is not carried to another
shown = st.selectbox("版本", list(mine)[::-1], format_func=lambda v: f"版本 {v}", key=f"glossary_version_{key}")
chosen = mine[shown]
scheme = chosen.load()
show_table(glossary_rows(scheme), hide_index=True)
download_button(
    "下载指标释义（Excel，A4 打印）",
    lambda by: glossary_workbook(scheme),
    permission="schemes.read",
    what=f"glossary:{key}:{chosen.version}",
    file_name=f"{scheme.name}_{chosen.version}_指标释义.xlsx",
    mime=XLSX,
    key="glossary_download",
)
