"""期间管理: lock and unlock periods (every change needs a reason and is audited), the data
deadline. 公示 — a window per scheme in which units may object — starts on 公示与申诉, which also
marks the period 公示; a lock waits until every window has ended and every objection is decided."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from scoring.periods import period_name
from services.errors import ServiceError
from services.periods import list_periods, lock_period, unlock_period
from services.progress import set_deadline
from ui.guard import page_guard
from ui.safe_table import show_table
from ui.text import md_lines

actor = page_guard()
st.title("期间管理")
st.caption(
    "锁定的期间不再接受导入和撤回；解锁须填写原因。公示期间仍可更正。所有操作记入审计日志。"
    "公示（含单位申诉期）按方案在「公示与申诉」中发起；公示结束、申诉处理完毕后方可锁定。"
)
st.page_link("pages/publicity.py", label="去「公示与申诉」发起公示", icon=":material/gavel:")

periods = list_periods()
if not periods:
    st.info("尚无期间。")
    st.stop()
show_table(
    pd.DataFrame({"期间": [period_name(p.label) for p in periods], "编号": [p.label for p in periods],
                  "状态": [p.state_text for p in periods]}),
    hide_index=True,
)  # fmt: skip

notice = st.session_state.pop("periods_notice", None)
if notice:
    st.success(md_lines(notice))
by_label = {p.label: p for p in periods}
with st.form("period_state"):
    label = st.selectbox("期间", list(by_label), format_func=lambda p: f"{period_name(p)}（{by_label[p].state_name}）")
    action = st.radio("操作", ["锁定", "解锁"], horizontal=True)
    reason = st.text_input("原因（锁定、解锁必填）")
    if st.form_submit_button("执行", type="primary"):
        change = {"锁定": lock_period, "解锁": unlock_period}[action]
        try:
            info = change(label, "", reason, by=actor)
        except ServiceError as exc:
            st.error(md_lines(exc))
        else:
            st.session_state["periods_notice"] = f"{info.name}：{info.state_text}"
            st.rerun()

st.subheader("填报截止日期")
st.caption("填报进度页按此日期提示逾期；留空表示不设截止日期。")
with st.form("period_deadline"):
    d_label = st.selectbox("期间", list(by_label), format_func=period_name, key="deadline_period")
    due = st.date_input("截止日期", value=None, key="deadline_date", format="YYYY-MM-DD")
    if st.form_submit_button("保存截止日期"):
        try:
            set_deadline(d_label, due, by=actor)
        except ServiceError as exc:
            st.error(str(exc))
        else:
            shown = f"{due:%Y-%m-%d}" if due else "不设"
            st.session_state["periods_notice"] = f"{period_name(d_label)}：填报截止日期已设为 {shown}"
            st.rerun()
