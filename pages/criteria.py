"""指标分析: where the system loses points, score rates per unit and leaf, target attainment."""

from __future__ import annotations

import streamlit as st

from reports.criteria import leaf_catalogue, lost_by_leaf, score_rate_matrix, target_attainment
from ui.charts import distribution, lost_points_bars, score_heatmap
from ui.safe_table import csv_button, show_table
from ui.view import caption, current_view

view, units = current_view()
scheme = view.scheme
st.title("指标分析")
caption(view)

st.subheader("各类别得分分布")
st.plotly_chart(distribution(units, scheme.bottom.threshold), config={"displayModeBar": False})

if view.detail is None:
    st.info(f"{view.title}为多个月的平均分；指标层面的分析请选择具体月份。")
    st.stop()

leaves = view.detail.leaves
leaves = leaves[leaves["unit"].astype(str).isin(units["unit"])]
names = dict(zip(units["unit"], units["name"], strict=True))
catalogue = leaf_catalogue(scheme)

st.subheader("失分最多的指标")
lost = lost_by_leaf(leaves, scheme)
left, right = st.columns([3, 2])
left.plotly_chart(lost_points_bars(lost), config={"displayModeBar": False})
lost_table = lost.rename(
    columns={
        "leaf": "编码",
        "leaf_name": "指标",
        "lost": "失分合计",
        "units_losing": "失分单位数",
        "units": "参评单位数",
    }
)[["编码", "指标", "失分合计", "失分单位数", "参评单位数"]]
show_table(
    lost_table,
    where=right,
    hide_index=True,
    column_config={"失分合计": st.column_config.NumberColumn(format="%.2f")},
)
csv_button(lost_table, "criteria_lost", f"{scheme.name}_{view.title}_失分指标.csv", key="lost_csv", where=right)

st.subheader("各单位各指标得分率")
matrix = score_rate_matrix(leaves, scheme)
st.plotly_chart(
    score_heatmap(matrix, dict(zip(catalogue["leaf"], catalogue["leaf_name"], strict=True)), names),
    config={"displayModeBar": False},
)

st.subheader("目标达成情况")
attain = target_attainment(leaves, scheme)
attain_table = attain.rename(
    columns={"leaf": "编码", "leaf_name": "指标", "met": "达标单位数", "units": "参评单位数", "rate": "达标率"}
)[["编码", "指标", "达标单位数", "参评单位数", "达标率"]]
show_table(
    attain_table,
    hide_index=True,
    column_config={"达标率": st.column_config.ProgressColumn(format="percent", min_value=0, max_value=1)},
)
csv_button(attain_table, "criteria_targets", f"{scheme.name}_{view.title}_目标达成.csv", key="attain_csv")
