"""公示与申诉 (administrators and assessors): put a published period on 公示, follow its window,
decide the units' objections (维持 with a reply, or 更正 with a new value that goes through the
normal correction and republish path), and lock the period once nothing is open."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from scoring import fmt
from scoring.periods import period_name, period_type
from services._db import local_time
from services.attachments import fetch
from services.audit import record_export
from services.errors import ServiceError
from services.objections import ObjectionInfo, correct, objection_queue, uphold
from services.periods import get_period, lock_period
from services.publicity import current_publicity, end_publicity, local_today, lock_blockers, start_publicity
from services.publishing import publication
from ui.downloads import download_button
from ui.filters import current
from ui.guard import page_guard
from ui.safe_table import show_table
from ui.text import md_escape, md_lines

NOTICE = "publicity_notice"

actor = page_guard()
st.title("公示与申诉")
st.caption(
    "审定发布后的结果在此公示；公示期内单位可对本单位的某一项得分提出申诉。维持须填写答复；更正的数值作为一次更正提交"
    "导入本期数据，经重新审定发布后总分、排名和通报才随之改变。公示结束且申诉处理完毕后即可锁定期间。全部操作记入审计日志。"
)
f = current()
if f.scheme is None or f.period is None:
    st.info("尚无评分数据，请先上传评分表。")
    st.stop()
if period_type(f.period) != f.scheme.period_type:
    st.info("公示针对已发布的月度（或方案规定的考核期）结果；请在页面上方选择具体考核期。")
    st.stop()
key, label = f.scheme.key, f.period
where = f"{f.scheme.name} · {period_name(label)}"
st.subheader(md_escape(where))
notice = st.session_state.pop(NOTICE, None)
if notice:
    st.success(md_lines(notice))


def done(message: str) -> None:
    st.session_state[NOTICE] = message
    st.rerun()


# -- the window ---------------------------------------------------------------------------------
today = local_today()
window = current_publicity(key, label, by=actor)
pub = publication(key, label)
if window is not None:
    state = window.state(today)
    show = {"open": st.info, "pending": st.info, "ended": st.caption}[state]
    show(md_escape(f"公示状态：{window.text(today)}"))
else:
    st.caption("本期尚未公示。")
running = window is not None and window.state(today) != "ended"
if actor.can("publicity.manage"):
    if pub is None:
        st.warning("本期考核结果尚未审定发布，发布后才能公示。")
    elif get_period(label).locked:  # the service refuses it: no form that can only fail
        st.caption(md_escape(f"{period_name(label)}已锁定，不能再发起公示。"))
    elif not running:
        with st.form("publicity_start"):
            c = st.columns(2)
            starts = c[0].date_input("公示开始日期", value=today, min_value=today, key="publicity_starts")
            note = c[1].text_input("公示说明（可选）", key="publicity_note")
            go = st.form_submit_button("发起公示", type="primary")
        if go:
            try:
                info = start_publicity(
                    key, label, note, starts_on=starts if isinstance(starts, date) else None, by=actor
                )
            except ServiceError as exc:
                st.error(md_lines(exc))
            else:
                done(f"已发起公示：{info.window_text}。各单位已收到站内消息。")
    else:
        with st.expander("提前结束公示"):
            with st.form("publicity_end"):
                reason = st.text_input("提前结束的原因（必填）", key="publicity_end_reason")
                stop = st.form_submit_button("结束公示")
            if stop:
                try:
                    end_publicity(key, label, reason, by=actor)
                except ServiceError as exc:
                    st.error(md_lines(exc))
                else:
                    done("公示已提前结束。已提出的申诉仍须处理。")


# -- the queue ----------------------------------------------------------------------------------
st.header("申诉")
queue = objection_queue(key, label, by=actor)
if not queue:
    st.caption("本期没有申诉。")
open_ones = [o for o in queue if o.status == "open"]
decided = [o for o in queue if o.status != "open"]


def _attachments(o: ObjectionInfo) -> None:
    for a in o.attachments:
        download_button(
            f"下载附件：{a.file_name}（{a.kind_name}，{max(1, round(a.size / 1024))} KB）",
            lambda by, aid=a.id, name=a.file_name: _file(aid, name, by),
            permission="objection.decide",
            what=f"objection:{o.id}:attachment:{a.id}",
            file_name=a.file_name,
            mime=a.mime,
            key=f"obj_file_{a.id}",
        )


def _file(attachment_id: int, name: str, by: object) -> bytes:
    _, data = fetch(attachment_id, by=by)  # type: ignore[arg-type]
    record_export(f"申诉附件 {name}", name, by=by)  # type: ignore[arg-type]
    return data


if open_ones:
    st.markdown(f"**待处理 {len(open_ones)} 件**（更正后须重新审定发布，结果才会改变）")
for o in open_ones:
    with st.expander(md_escape(f"#{o.id} {o.unit_name} · {o.item}（待处理）"), expanded=len(open_ones) <= 3):
        st.markdown(
            f"- 单位：{md_escape(o.unit_name)}（{md_escape(o.unit)}）\n"
            f"- 指标：{md_escape(o.item)}；已发布数值：{md_escape(o.published_value)}；失分：{o.lost_text}\n"
            f"- 提出：{md_escape(o.raised_by)}，{local_time(o.raised_at)}\n"
            f"- 理由：{md_escape(o.reason)}"
        )
        if o.trace:
            st.caption(md_escape(f"计分过程：{o.trace}"))
        _attachments(o)
        with st.form(f"decide_{o.id}"):
            choice = st.radio("处理", ["维持原结果", "更正数值"], horizontal=True, key=f"obj_choice_{o.id}")
            new_value = st.number_input(
                "更正后的数值（仅更正时填写）", value=None, step=1.0, format="%g", key=f"obj_value_{o.id}"
            )
            reply = st.text_area("答复（必填，单位可见）", key=f"obj_reply_{o.id}")
            submit = st.form_submit_button("提交处理结果", type="primary")
        if submit:
            try:
                if choice == "维持原结果":
                    uphold(o.id, reply, by=actor)
                    done(f"申诉 #{o.id} 已处理：维持原结果。单位已收到答复。")
                else:
                    out = correct(o.id, new_value, reply, by=actor)  # type: ignore[arg-type]
                    # Only a publisher can open 「审定发布」: anyone else is told who does it.
                    then = (
                        "请到「审定发布」复核后重新发布，总分、排名和通报才会改变。"
                        if actor.can("publish")
                        else "须由管理员在「审定发布」复核后重新发布，总分、排名和通报才会改变；已通过站内消息通知管理员。"
                    )
                    done(
                        f"申诉 #{o.id} 已更正为 {fmt(out.new_value, 6)}（提交 #{out.correction_submission_id}）。{then}"
                    )
            except ServiceError as exc:
                st.error(md_lines(exc))

if decided:
    st.markdown(f"**已处理 {len(decided)} 件**")
    show_table(
        pd.DataFrame(
            {
                "编号": [o.id for o in decided],
                "单位": [o.unit_name for o in decided],
                "指标": [o.item for o in decided],
                "结果": [o.status_name for o in decided],
                "答复与说明": [o.outcome_text for o in decided],
                "理由": [o.reason for o in decided],
            }
        ),
        hide_index=True,
        width="stretch",
        # The outcome first and wide: at 1366×768 the last columns are scrolled out of sight.
        column_config={
            "编号": st.column_config.NumberColumn(width="small"),
            "结果": st.column_config.TextColumn(width="small"),
            "答复与说明": st.column_config.TextColumn(width="large"),
        },
    )
    for o in decided:
        if o.attachments:
            with st.expander(md_escape(f"#{o.id} {o.unit_name} 的附件")):
                _attachments(o)


# -- locking ------------------------------------------------------------------------------------
if actor.can("periods.manage"):
    st.header("锁定期间")
    period_info = get_period(label)
    if period_info.locked:
        st.caption(md_escape(f"期间状态：{period_info.state_text}"))
    else:
        blockers = lock_blockers(label, by=actor)
        if blockers:
            st.info(md_escape("暂不能锁定：" + "；".join(blockers)))
        with st.form("publicity_lock"):
            reason = st.text_input("锁定原因（必填）", value="公示结束，申诉已处理完毕", key="publicity_lock_reason")
            lock = st.form_submit_button("锁定期间", disabled=bool(blockers))
        if lock:
            try:
                lock_period(label, "", reason, by=actor)
            except ServiceError as exc:
                st.error(md_lines(exc))
            else:
                done(f"{period_name(label)}已锁定：不再接受导入和撤回。")
