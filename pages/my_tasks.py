"""本单位整改 (unit accounts): the unit's own 整改 tasks, open ones first (overdue, 待整改 and 退回,
then 已提交), each submitted with a note and evidence files; accepted tasks below as history."""

from __future__ import annotations

import streamlit as st

from services.attachments import ACCEPTED_TEXT, max_bytes
from services.errors import ServiceError
from services.rectification import MAX_FILES, TO_DO, my_tasks, submit_task, task_detail
from ui.guard import page_guard
from ui.safe_table import show_table
from ui.task_view import show_task, status_text, task_table
from ui.text import md_escape, md_lines

actor = page_guard()
st.title("本单位整改")
st.caption(
    "考核结果中的末位、一票否决、未达标和扣分项可能被下达为整改任务。请在整改期限前填写整改情况、上传整改材料"
    f"（{ACCEPTED_TEXT}，每个不超过 {max_bytes() / 1024 / 1024:.0f} MB）并提交，由考核部门验收。"
)
notice = st.session_state.pop("my_tasks_notice", None)
if notice:
    st.success(md_lines(notice))
try:
    tasks = my_tasks(by=actor)
except ServiceError as exc:
    st.error(md_lines(exc))
    st.stop()

open_tasks = [t for t in tasks if t.is_open]
closed = [t for t in tasks if not t.is_open]
late = sum(t.overdue for t in open_tasks)
if not tasks:
    st.info("本单位目前没有整改任务。")
elif not open_tasks:
    st.success("本单位的整改任务均已验收。")
else:
    todo = sum(t.status in TO_DO for t in open_tasks)
    summary = f"待办整改任务 {len(open_tasks)} 项（待提交 {todo} 项）"
    (st.error if late else st.info)(summary + (f"，其中 {late} 项已逾期，请尽快完成。" if late else "。"))

for t in open_tasks:
    with st.container(border=True):
        st.markdown(f"#### {md_escape(t.title)}（{status_text(t)}）")
        if t.status == "returned":
            st.warning(f"已退回，请按退回原因继续整改后重新提交：{md_escape(t.decision_note)}")
        detail = task_detail(t.id, by=actor)
        show_task(detail, permission="tasks.own", key=f"my_{t.id}")
        if t.status in TO_DO:
            with st.form(f"my_task_{t.id}"):
                note = st.text_area("整改情况说明（必填：做了哪些整改、取得什么效果）", key=f"my_note_{t.id}")
                files = st.file_uploader(
                    f"整改材料（可多选，最多 {MAX_FILES} 个）", accept_multiple_files=True, key=f"my_files_{t.id}"
                )
                sent = st.form_submit_button("提交整改材料", type="primary")
            if sent:
                try:
                    done = submit_task(t.id, note, [(f.name, f.getvalue()) for f in files or []], by=actor)
                except ServiceError as exc:
                    st.error(md_lines(exc))
                else:
                    st.session_state.pop(f"my_note_{t.id}", None)
                    st.session_state["my_tasks_notice"] = f"已提交{done.label}的整改材料，等待验收。"
                    st.rerun()
        else:
            st.info("已提交，等待考核部门验收。")

if closed:
    st.header("已验收的整改任务")
    show_table(task_table(closed, with_unit=False), hide_index=True, width="stretch")
    by_id = {t.id: t for t in closed}
    chosen = st.selectbox(
        "查看已验收任务的详情", list(by_id), format_func=lambda i: f"#{i} {by_id[i].title}", key="my_closed"
    )
    with st.container(border=True):
        show_task(task_detail(chosen, by=actor), permission="tasks.own", key="my_closed")
