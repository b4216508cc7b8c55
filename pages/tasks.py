"""整改任务 (managers): tasks the published results suggest (末位, 一票否决, 未达标, 扣分) given
with one click, other tasks by a form, the list with overdue tasks highlighted, and one task with
the unit's evidence to accept or return. Assessors see and act within their schemes and categories."""

from __future__ import annotations

from datetime import timedelta

import streamlit as st

from scoring.periods import period_name, period_type
from services.errors import ServiceError
from services.rectification import (
    DEFAULT_DAYS,
    REMIND_DAYS,
    STATUS_NAMES,
    accept_task,
    assignable_units,
    create_from_suggestion,
    create_task,
    local_today,
    return_task,
    send_reminders,
    suggestions,
    task_detail,
    task_list,
)
from ui.filters import current
from ui.guard import page_guard
from ui.safe_table import show_table
from ui.tables import PAGE_ROWS, pager
from ui.task_view import show_task, status_text, task_table
from ui.text import md_escape, md_lines
from ui.unit_picker import pick_unit

actor = page_guard()
st.title("整改任务")
st.caption(
    "末位、一票否决、未达标指标和扣分项可下达为整改任务：单位在期限内提交整改情况和材料，由考核员或管理员验收或退回。"
    "整改期限已过仍未验收的任务标为「逾期」。每一步记入审计日志，并以站内消息通知单位。"
)
notice = st.session_state.pop("tasks_notice", None)
if notice:
    st.success(md_lines(notice))
today = local_today()
f = current()


def _done(message: str) -> None:
    st.session_state["tasks_notice"] = message
    st.rerun()


listing, suggested, other = st.tabs(["任务列表", "整改建议", "下达其他任务"])

# -- the list and one task -----------------------------------------------------------------------
with listing:
    everyone = assignable_units(by=actor)
    unit_names = dict(zip(everyone["code"].tolist(), everyone["name"].tolist(), strict=True))
    left, unit_box, middle, right = st.columns([2, 2, 1, 1], vertical_alignment="bottom")
    wanted = left.multiselect(
        "状态", list(STATUS_NAMES), format_func=STATUS_NAMES.get, placeholder="全部状态", key="tasks_status"
    )
    only_unit = pick_unit("单位", unit_names, "tasks_unit", where=unit_box, none_label="全部单位")
    late_only = middle.checkbox("只看逾期", key="tasks_overdue")
    this_scheme = right.checkbox("只看所选方案", key="tasks_this_scheme", disabled=f.scheme is None)
    tasks = task_list(
        scheme_key=f.scheme.key if this_scheme and f.scheme is not None else None,
        status=wanted,
        unit=only_unit,
        overdue_only=late_only,
        by=actor,
    )
    late = sum(t.overdue for t in tasks)
    if not tasks:
        st.info("没有符合条件的整改任务。可在「整改建议」中根据已发布的考核结果下达。")
    else:
        st.markdown(f"共 {len(tasks)} 项" + (f"，其中 **{late} 项逾期**（标红）" if late else ""))
        show_table(task_table(tasks), hide_index=True, width="stretch")
    if st.button(
        f"发送到期提醒（{REMIND_DAYS} 天内到期和已逾期）", key="tasks_remind", icon=":material/notifications:"
    ):
        try:
            sent = send_reminders(by=actor)
        except ServiceError as exc:
            st.error(md_lines(exc))
        else:
            _done(f"已发送到期提醒 {sent} 条（每项提醒只发一次）。" if sent else "没有需要发送的新提醒。")

    if tasks:
        st.subheader("任务详情")
        # Those waiting for acceptance first: they are what a manager opens this page to do.
        by_id = {t.id: t for t in sorted(tasks, key=lambda t: t.status != "submitted")}
        asked = st.query_params.get("task", "")  # a message's link: pages/tasks.py?task=<id>
        if asked != st.session_state.get("_tasks_asked"):
            st.session_state["_tasks_asked"] = asked
            if asked.isdigit() and int(asked) in by_id:
                st.session_state["tasks_chosen"] = int(asked)
        chosen = st.selectbox(
            "选择任务",
            list(by_id),
            format_func=lambda i: f"#{i} {by_id[i].unit_name} · {by_id[i].title}（{status_text(by_id[i])}）",
            key="tasks_chosen",
        )
        try:
            detail = task_detail(chosen, by=actor)
        except ServiceError as exc:
            st.error(md_lines(exc))
            detail = None
        if detail is not None:
            with st.container(border=True):
                st.markdown(f"#### {md_escape(detail.task.title)}")
                show_task(detail, permission="tasks.manage", key="tasks")
                if detail.task.status == "submitted":
                    with st.form("tasks_decide"):
                        note = st.text_area("验收意见或退回原因（退回时必填，单位可见）", key="tasks_note")
                        yes, no = st.columns(2)
                        accept = yes.form_submit_button("验收通过", type="primary")
                        back = no.form_submit_button("退回整改")
                    if accept or back:
                        try:
                            done = (accept_task if accept else return_task)(chosen, note, by=actor)
                        except ServiceError as exc:
                            st.error(md_lines(exc))
                        else:
                            st.session_state.pop("tasks_note", None)
                            _done(f"已{'验收' if accept else '退回'}{done.label}，已通知该单位。")

# -- suggestions from the published period -------------------------------------------------------
with suggested:
    if f.scheme is None or f.period is None:
        st.info("尚无考核数据。结果发布后，这里会列出可下达的整改任务。")
    elif period_type(f.period) != f.scheme.period_type:
        st.info("整改建议按具体考核期生成，请在页面上方选择具体的月份（或方案的考核期）。")
    else:
        st.markdown(
            f"**{md_escape(f.scheme.name)} · {period_name(f.period)}** 已发布结果中的末位、一票否决、未达标和扣分项："
        )
        try:
            found = suggestions(f.scheme.key, f.period, by=actor)
        except ServiceError as exc:
            st.info(md_lines(exc))
            found = None
        if found is not None:
            deadline = st.date_input(
                "整改期限",
                value=today + timedelta(days=DEFAULT_DAYS),
                min_value=today,
                format="YYYY-MM-DD",
                key="suggest_deadline",
                help=f"默认为今天起 {DEFAULT_DAYS} 天",
            )
            if not found:
                st.success("本期没有末位、一票否决、未达标或扣分的单位，无需下达整改任务。")
            # Pages of suggestions: a row and a button each, 500 units made 5.5 MB and 100 s (issue 23).
            page = pager(len(found), "suggest_page_no", "项建议")
            for s in found[page * PAGE_ROWS : (page + 1) * PAGE_ROWS]:
                with st.container(border=True):
                    text, button = st.columns([5, 1], vertical_alignment="center")
                    text.markdown(
                        f"**{md_escape(s.name)}** · {s.source_name}：{md_escape(s.title)}  \n{md_escape(s.detail)}"
                    )
                    if s.existing is not None:
                        button.button(f"已下达 #{s.existing}", key=f"suggest_{s.key}", disabled=True)
                    elif button.button("下达", key=f"suggest_{s.key}", type="primary"):
                        try:
                            done = create_from_suggestion(f.scheme.key, f.period, s, deadline, by=actor)
                        except ServiceError as exc:
                            st.error(md_lines(exc))
                        else:
                            _done(f"已下达{done.label}，整改期限 {done.deadline:%Y-%m-%d}，已通知该单位。")

# -- any other task ------------------------------------------------------------------------------
with other:
    units = everyone
    if units.empty:
        st.info("没有可下达整改任务的单位。")
    else:
        names = dict(
            zip(units["code"].tolist(), (units["name"] + "（" + units["category"] + "）").tolist(), strict=True)
        )
        link_required = actor is not None and actor.role == "assessor"
        unit = pick_unit("单位", names, "new_unit")  # outside the form: its search box reruns at once
        with st.form("tasks_new"):
            title = st.text_input("整改任务（要整改什么）", max_chars=200, key="new_title")
            detail_text = st.text_area("具体要求（可选）", key="new_detail")
            deadline = st.date_input(
                "整改期限", value=today + timedelta(days=DEFAULT_DAYS), min_value=today, format="YYYY-MM-DD",
                key="new_deadline",
            )  # fmt: skip
            linked = st.checkbox(
                f"关联所选考核：{f.scheme.name} · {period_name(f.period)}" if f.scheme and f.period else "关联所选考核",
                value=link_required,
                disabled=link_required or f.scheme is None,
                help="考核员下达的任务须关联所负责的方案" if link_required else "关联后计入该方案通报的整改完成率",
                key="new_linked",
            )
            create = st.form_submit_button("下达整改任务", type="primary")
        if create:
            scheme_key = f.scheme.key if (linked or link_required) and f.scheme is not None else None
            try:
                done = create_task(
                    unit, title, detail_text, deadline, scheme_key=scheme_key,
                    period=f.period if scheme_key is not None else None, by=actor,
                )  # fmt: skip
            except ServiceError as exc:
                st.error(md_lines(exc))
            else:
                for k in ("new_title", "new_detail"):
                    st.session_state.pop(k, None)
                _done(f"已下达{done.label}，整改期限 {done.deadline:%Y-%m-%d}，已通知该单位。")
