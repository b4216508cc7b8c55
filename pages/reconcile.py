"""核对考核组: where several teams scored the same cell, their values side by side; differences
beyond the threshold and conflicts highlighted; resolve one (choose, average, 不适用) with a reason."""

from __future__ import annotations

import streamlit as st

from scoring.periods import period_name, period_type
from services.errors import ServiceError
from services.reconcile import ACTIONS, reconciliation, resolve, threshold
from ui.filters import current
from ui.guard import page_guard
from ui.safe_table import show_table
from ui.text import md_escape, md_lines
from ui.upload_choice import after_data_change

actor = page_guard()
st.title("核对考核组")
st.caption(
    f"多个考核组为同一单位同一指标评分时，系统按方案取平均。差异超过该项分值 {threshold():.0%} 的标为「差异较大」，"
    "一组填「不适用」而另一组填数值的标为「冲突」。处理须填写原因，作为一次提交记录，可撤回，并记入审计日志。"
)
notice = st.session_state.pop("reconcile_notice", None)
if notice:
    st.success(md_lines(notice))
f = current()
if f.scheme is None or f.period is None or period_type(f.period) != f.scheme.period_type:
    st.info("请在页面上方选择方案和具体期间。")
    st.stop()
try:
    found = reconciliation(f.scheme.key, f.period, by=actor)
except ServiceError as exc:
    st.error(md_lines(exc))
    st.stop()
st.subheader(f"{md_escape(f.scheme.name)} · {period_name(f.period)}")
if found.cells.empty:
    st.info("本期没有多个考核组评同一单元格的情况，无需核对。")
    st.stop()
only_open = st.toggle("只看差异较大和冲突", value=True, key="reconcile_open")
shown = found.cells[found.cells["status"].isin(["差异较大", "冲突"])] if only_open else found.cells
table = shown.rename(columns={"unit": "单位编码", "name": "单位", "code": "指标编码", "item": "指标", "spread": "差值",
                              "status": "状态"})  # fmt: skip


def _mark(row):  # noqa: ANN001, ANN202
    color = {"冲突": "background-color: #fdecea", "差异较大": "background-color: #fff4e5"}.get(row["状态"], "")
    return [color] * len(row)


show_table(table.style.apply(_mark, axis=1), hide_index=True, width="stretch")
if shown.empty:
    st.info("没有需要处理的差异或冲突。")
    st.stop()

if actor is not None and actor.can("upload"):
    st.subheader("处理一处差异")
    keys = [f"{r.unit}|{r.code}" for r in shown.itertuples()]
    labels = {
        k: f"{r.name or r.unit}（{r.unit}）· {r.code} {r.item} · {r.status}"
        for k, r in zip(keys, shown.itertuples(), strict=True)
    }
    with st.form("reconcile"):
        picked = st.selectbox("单元格", keys, format_func=labels.get, key="reconcile_cell")
        action = st.radio("处理方式", list(ACTIONS), format_func=ACTIONS.get, horizontal=True, key="reconcile_action")
        team = st.selectbox(
            "采用哪个考核组的数值（仅「采用某一考核组的数值」时需要）", found.teams,
            format_func=lambda t: t or "（未署名）", key="reconcile_team",
        )  # fmt: skip
        reason = st.text_input("原因（必填）", key="reconcile_reason")
        if st.form_submit_button("确认处理", type="primary"):
            unit, code = picked.split("|", 1)
            try:
                out = resolve(f.scheme.key, f.period, unit, code, action, reason, team=team, by=actor)
            except ServiceError as exc:
                st.error(md_lines(exc))
            else:
                after_data_change()
                st.session_state["reconcile_notice"] = f"已处理：{out.message}。结果进入本期草稿，重新发布后生效。"
                st.session_state.pop("reconcile_reason", None)
                st.rerun()
