"""本单位结果 (unit accounts): the signed-in unit's own score, rank, lost points and history.

The unit is the account's, never a page parameter: session state and query parameters are
ignored, and the service refuses any other unit.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from reports.unit import dimension_subtotals, lost_points, target_rows
from scoring.periods import period_name
from services.catalog import list_schemes
from services.dashboard import KIND_NAMES
from services.own_unit import ResultsIncomplete, own_schemes, own_unit
from ui.charts import trend_lines
from ui.guard import page_guard
from ui.safe_table import show_table
from ui.text import md_escape

actor = page_guard()
st.title("本单位结果")
st.text(f"{actor.unit_name}（{actor.unit_code}）")
choices = own_schemes(by=actor)
if not choices:
    st.info("尚无考核本单位的方案数据。")
    st.stop()
c = st.columns(3)
names = {v.scheme_key: v.name for v in list_schemes()}
key = c[0].selectbox("考核方案", list(choices), format_func=lambda k: names.get(k, k), key="own_scheme")
kind = c[1].segmented_control(
    "期间类型", list(choices[key]), format_func=KIND_NAMES.get, default=next(iter(choices[key])), key=f"own_kind_{key}"
) or next(iter(choices[key]))
period = c[2].selectbox("期间", choices[key][kind], format_func=period_name, key=f"own_period_{key}_{kind}")
try:
    mine = own_unit(key, period, by=actor)
except ResultsIncomplete as exc:  # says nothing of other units (the scoring error would)
    st.info(str(exc), icon=":material/hourglass_empty:")
    st.stop()
if mine is None:
    st.info(f"{period_name(period)}：本期考核结果尚未发布。")
    st.stop()
if mine.row is None:
    st.info(f"本单位在 {period_name(period)} 没有考核结果。")
    st.stop()
row, scheme, d = mine.row, mine.scheme, mine.scheme.decimals
st.caption(md_escape(f"{scheme.name} · 版本 {scheme.version} · {mine.title}"))

c = st.columns(3)
c[0].metric(
    "总分",
    f"{row['total']:.{d}f}",
    None if pd.isna(row.get("delta_total")) else f"{row['delta_total']:+.{d}f}",
    border=True,
)
c[1].metric("同类名次", f"{int(row['rank'])} / {int(row['group_size'])}", border=True)
c[2].metric("等级", md_escape(row["grade"]), border=True)
if row["veto"]:
    st.error(f"一票否决：{md_escape(row['veto_reason'])}。本期评为{md_escape(scheme.lowest_grade)}，不得评先评优。")
if row["bottom"]:
    st.warning(f"末位：{md_escape(row['bottom_reason'])}")
if not pd.isna(row.get("gap_next_grade")):
    st.caption(f"距上一等级还差 {row['gap_next_grade']:.{d}f} 分。")

if mine.explained is None:
    st.info(f"{mine.title}为多个月的平均分；逐项失分请选择具体月份查看。")
else:
    st.subheader("各维度得分")
    show_table(dimension_subtotals(mine.explained), hide_index=True)
    st.subheader("失分明细（按失分从多到少）")
    lost = lost_points(mine.explained)
    if lost.empty:
        st.success("本期各项均未失分。")
    else:
        show_table(lost, hide_index=True, column_config={"计分过程": st.column_config.TextColumn(width="large")})
    targets = target_rows(mine.explained)
    if not targets.empty:
        st.subheader("目标完成情况")
        show_table(targets, hide_index=True)
    if len(mine.notes):
        st.subheader("考核组备注")
        show_table(
            mine.notes.rename(columns={"code": "指标", "assessor": "考核人", "note": "备注"})[
                ["指标", "考核人", "备注"]
            ],
            hide_index=True,
        )

st.subheader("历次得分与名次")
if len(mine.history) > 1:
    left, right = st.columns(2)
    left.plotly_chart(trend_lines(mine.history, "total", scheme.bottom.threshold), config={"displayModeBar": False})
    right.plotly_chart(trend_lines(mine.history, "rank"), config={"displayModeBar": False})
else:
    st.caption("仅有一期数据，暂无趋势。")
