"""单位详情: where one unit earned and lost its points, its targets, history and peers."""

from __future__ import annotations

import streamlit as st

from reports.overview import peer_position
from reports.unit import dimension_subtotals, item_row, lost_codes, lost_points, target_rows
from services.dashboard import unit_history
from services.evidence import item_evidence, items_of
from ui.charts import trend_lines
from ui.downloads import unit_report_button
from ui.evidence import show_evidence
from ui.item_view import show_item
from ui.monitor import show_unit_monitors
from ui.safe_table import show_table
from ui.unit_picker import pick_unit
from ui.unit_tables import dimension_columns, lost_columns, tag_table, unit_consequences, unit_tiles
from ui.url_state import write_url
from ui.view import caption, current_view

view, units = current_view(with_groups=False)
scheme = view.scheme
st.title("单位详情")
caption(view)

names = dict(zip(units["unit"], units["name"], strict=True))
wanted = st.session_state.get("unit")
unit = pick_unit("单位", names, "detail_unit", wanted)
if unit is None:
    st.stop()
if unit != wanted:
    st.session_state.pop("item", None)  # another unit: the item opened for the last one is closed
st.session_state["unit"] = unit
write_url(unit=unit)
row = units[units["unit"] == unit].iloc[0]
d = scheme.decimals
if scheme.monitoring_only:  # nothing scored: no tiles, totals or ranks, only the values
    show_unit_monitors(view, unit, only=True)
    st.stop()

peer = peer_position(units, unit)
unit_tiles(row, d, peer["median"], peer["best"])

unit_consequences(row, scheme)

if view.detail is None:
    st.info(f"{view.title}为 {len(view.months)} 个月的平均分；逐项失分请选择具体月份查看。")
else:
    unit_report_button(scheme.id, view.period, view.title, unit, names[unit])
    explained = view.detail.explain(unit)
    st.subheader("各维度得分")
    show_table(
        dimension_subtotals(explained),
        hide_index=True,
        column_config=dimension_columns(d),
    )
    tag_table(explained, d)
    st.subheader("失分明细（按失分从多到少）")
    lost = lost_points(explained)
    if lost.empty:
        st.success("本期各项均未失分。")
    else:
        codes = lost_codes(explained)
        opened = st.session_state.get("item")

        def _open_item() -> None:  # a row chosen (or unchosen) in the table: that item opens below
            rows = st.session_state["lost_table"].selection.rows
            st.session_state["item"] = codes[rows[0]] if rows and rows[0] < len(codes) else None

        show_table(
            lost,
            hide_index=True,
            column_config=lost_columns(d),
            on_select=_open_item,
            selection_mode="single-row",
            # An item opened by a link is ticked in the table, as if it had been clicked.
            selection_default={"selection": {"rows": [codes.index(opened)]}} if opened in codes else None,
            key="lost_table",
        )
        st.caption("点击表格中的行，查看该指标的计分过程、证明材料和各单位的情况。")
    item = item_row(explained, st.session_state.get("item"))
    write_url(item=None if item is None else str(item["code"]))
    if item is not None:
        show_item(item, scheme, view.period, unit, d)
    targets = target_rows(explained)
    if not targets.empty:
        st.subheader("目标完成情况")
        show_table(targets, hide_index=True)
    if scheme.monitor_leaves:
        show_unit_monitors(view, unit, only=False)
    notes = view.detail.notes
    notes = notes[notes["unit"].astype(str) == unit]
    if len(notes):
        st.subheader("考核组备注")
        show_table(
            notes.rename(columns={"code": "指标", "assessor": "考核人", "note": "备注"})[["指标", "考核人", "备注"]],
            hide_index=True,
        )
    evidence = item_evidence(scheme.id, view.period, unit)
    st.subheader("证明材料")
    if evidence:
        show_evidence(evidence, {i.code: i.name for i in items_of(scheme)}, key="unit_evidence")
    else:
        st.caption("本期没有为该单位上传证明材料。")

st.subheader("历次得分与名次")
hist = unit_history(view.scheme.id, unit)
if len(hist) > 1:
    left, right = st.columns(2)
    left.plotly_chart(trend_lines(hist, "total", scheme.bottom.threshold), config={"displayModeBar": False})
    right.plotly_chart(trend_lines(hist, "rank"), config={"displayModeBar": False})
else:
    st.caption("仅有一期数据，暂无趋势。")
