"""审定发布: review the period's draft and publish it — what leadership, unit accounts, the meeting
page and exports will show. Refused (with every reason listed) while data is unscorable, to the
uploader where four eyes are required, and when nothing changed; what a republication changes is
shown before it is confirmed."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from scoring.periods import period_name, period_type
from services.errors import ServiceError
from services.publishing import publication, publications, publish, publish_preview
from ui.filters import current
from ui.guard import page_guard
from ui.safe_table import show_table
from ui.text import md_escape, md_lines

actor = page_guard()
st.title("审定发布")
st.caption(
    "导入的数据先进入本期草稿；复核无误后在此发布。领导、单位账户、月度通报和导出只显示已发布的结果，"
    "更正或撤回后须重新发布才会生效。发布记入审计日志。"
)
f = current()
if f.scheme is None or f.period is None:
    st.info("尚无评分数据，请先上传评分表。")
    st.stop()
if period_type(f.period) != f.scheme.period_type:
    st.info("季度、年度汇总由已发布的各月结果得出，无需单独发布；请在页面上方选择具体月份。")
    st.stop()
key, label = f.scheme.key, f.period
st.subheader(f"{md_escape(f.scheme.name)} · {period_name(label)}")
notice = st.session_state.pop("publish_notice", None)
if notice:
    st.success(md_lines(notice))
current_pub = publication(key, label)
st.text(f"当前状态：{current_pub.text}" if current_pub else "当前状态：本期考核结果尚未发布（仅有草稿）")
try:
    preview = publish_preview(key, label, by=actor)
except ServiceError as exc:
    st.error(md_lines(exc))
    st.stop()

if preview.up_to_date:
    st.info("本期草稿与已发布的结果一致，无需重新发布。有更正或撤回后，这里会列出变化供复核。")
for line in preview.blockers:
    if not preview.up_to_date or "无需重新发布" not in line:
        st.error(md_escape(line))
if preview.problems:
    st.error(f"有 {len(preview.problems)} 处数据无法计分，补充或更正后才能发布：")
    show_table(pd.DataFrame({"问题（位置：说明）": preview.problems}), hide_index=True, width="stretch")

if preview.previous is not None and not preview.problems:
    if len(preview.changes):
        st.markdown(f"**与上次发布相比，{len(preview.changes)} 个单位的总分或排名将改变：**")
        shown = preview.changes.rename(
            columns={"unit": "单位编码", "name": "单位", "before_total": "原总分", "after_total": "新总分",
                     "before_rank": "原排名", "after_rank": "新排名", "change": "变化"}
        )  # fmt: skip
        show_table(shown, hide_index=True, width="stretch")
    else:
        st.info("与上次发布相比，没有单位的总分或排名改变。")
elif not preview.problems:
    st.info(f"首次发布：将发布 {preview.units} 个单位的结果。")

st.markdown("**将发布的提交：**")
subs = preview.submissions.assign(new=preview.submissions["new"].map({True: "新增", False: "已发布过"}))
show_table(
    subs.rename(
        columns={"id": "提交编号", "submitted_by": "提交人", "time": "时间", "file_name": "文件", "new": "状态"}
    ),
    hide_index=True,
    width="stretch",
)

with st.form("publish"):
    note = st.text_input("发布说明（可选）", key="publish_note")
    confirmed = st.checkbox("我已复核以上数据和变化，确认发布", key="publish_confirm")
    clicked = st.form_submit_button("确认发布", type="primary", disabled=not preview.can_publish)
if clicked:
    if not confirmed:
        st.error("请先勾选「我已复核以上数据和变化，确认发布」。")
    else:
        try:
            out = publish(key, label, note=note, expected_revision=preview.revision, by=actor)
        except ServiceError as exc:
            st.error(md_lines(exc))
        else:
            st.session_state["publish_notice"] = out.message
            for k in ("publish_note", "publish_confirm"):
                st.session_state.pop(k, None)
            st.rerun()

past = publications(key, label)
if len(past):
    st.markdown("**发布记录**")
    show_table(
        past.rename(columns={"seq": "第几次", "published_by": "发布人", "time": "时间", "submissions": "包含的提交",
                             "note": "说明"}),
        hide_index=True,
        width="stretch",
    )  # fmt: skip
