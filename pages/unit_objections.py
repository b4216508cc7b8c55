"""申诉 (unit accounts): the 公示 windows open for the unit, its items with the points they lost, the
trace and the evidence behind them; an objection on one item with a reason and attachments; and
the unit's objections with their outcomes. The unit is always the account's own."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from scoring.periods import period_name
from services._db import local_time
from services.attachments import ACCEPTED_TEXT, AttachmentInfo, fetch, max_bytes
from services.audit import record_export
from services.errors import ServiceError
from services.evidence import item_evidence
from services.objections import MAX_ATTACHMENTS, objectable_items, own_objections, raise_objection
from services.publicity import open_windows
from ui.downloads import download_button
from ui.guard import page_guard
from ui.safe_table import show_table
from ui.text import md_escape, md_lines

NOTICE = "unit_objection_notice"
# Bumped after each objection raised: the uploader under a new key starts empty, so the files of
# the last objection are not sent again with the next one.
FORM_ROUND = "unit_obj_round"

actor = page_guard()
st.title("申诉")
st.text(f"{actor.unit_name}（{actor.unit_code}）")
st.caption(
    "考核结果公示期间，如对本单位某一项得分有异议，可在此提出申诉，写明理由并附上证明材料（照片、扫描件、PDF 或文档）。"
    "考核组核实后答复：维持原结果，或更正数值并重新审定发布。"
)
notice = st.session_state.pop(NOTICE, None)
if notice:
    st.success(md_lines(notice))


def _file(attachment_id: int, name: str, by: object) -> bytes:
    _, data = fetch(attachment_id, by=by)  # type: ignore[arg-type]
    record_export(f"附件 {name}", name, by=by)  # type: ignore[arg-type]
    return data


def _downloads(files: list[AttachmentInfo] | tuple[AttachmentInfo, ...], prefix: str) -> None:
    for a in files:
        download_button(
            f"下载：{a.file_name}（{a.kind_name}）",
            lambda by, aid=a.id, name=a.file_name: _file(aid, name, by),
            permission="results.own",
            what=f"attachment:{a.id}",
            file_name=a.file_name,
            mime=a.mime,
            key=f"{prefix}_{a.id}",
        )


# -- open windows ---------------------------------------------------------------------------------
windows = open_windows(unit=actor.unit_code, by=actor)
if not windows:
    st.info("当前没有进行中的公示。公示期内可在此对本单位的得分提出申诉。")
else:
    labels = {w.id: f"{w.scheme_name} · {period_name(w.period)}" for w in windows}
    chosen = st.selectbox("公示中的考核结果", list(labels), format_func=labels.get, key="unit_obj_window")
    w = next(x for x in windows if x.id == chosen)
    st.info(md_escape(f"公示期：{w.window_text}，截止 {w.ends_on.isoformat()}（含当日）。"))
    try:
        items = objectable_items(w.scheme_key, w.period, by=actor)
        evidence = item_evidence(w.scheme_key, w.period, actor.unit_code or "", by=actor)
    except ServiceError as exc:
        st.error(md_lines(exc))
        st.stop()
    lost = items[items["lost"] > 1e-9]
    st.subheader("本单位失分的指标")
    if lost.empty:
        st.success("本期各项均未失分。")
    else:
        show_table(
            pd.DataFrame(
                {
                    "指标": lost["item"],
                    "已发布数值": lost["value"],
                    "失分": lost["lost_text"],
                    "计分过程": lost["trace"],
                }
            ),
            hide_index=True,
            width="stretch",
        )
    if evidence:
        st.markdown("**考核组上传的证明材料**")
        names = dict(zip(items["code"], items["item"], strict=True))
        for a in evidence:
            st.caption(md_escape(f"{names.get(a.code or '', a.code or '')}：{a.note or a.file_name}"))
            _downloads([a], "unit_evidence")

    st.subheader("提出申诉")
    if items.empty:
        st.caption("本单位在此期间没有已发布的考核结果，无需申诉。")
    else:
        item_names = dict(zip(items["code"], items["item"] + "（失分 " + items["lost_text"] + "）", strict=True))
        with st.form("raise_objection", clear_on_submit=False):
            code = st.selectbox("申诉的指标", list(item_names), format_func=item_names.get, key="unit_obj_code")
            reason = st.text_area("申诉理由（必填）：哪一项有误、为什么", key="unit_obj_reason", max_chars=2000)
            # Any file is taken (type=None): the service checks the content and says in Chinese why
            # a file is refused, where the uploader's own filter would refuse in English.
            files = st.file_uploader(
                f"证明材料（可选，最多 {MAX_ATTACHMENTS} 个，每个不超过 {max_bytes() / 1024 / 1024:g} MB；{ACCEPTED_TEXT}）",
                type=None,
                accept_multiple_files=True,
                key=f"unit_obj_files_{st.session_state.get(FORM_ROUND, 0)}",
            )
            submit = st.form_submit_button("提交申诉", type="primary")
        if submit:
            try:
                o = raise_objection(
                    w.scheme_key, w.period, code, reason, [(f.name, f.getvalue()) for f in files or []], by=actor
                )
            except ServiceError as exc:
                st.error(md_lines(exc))
            else:
                st.session_state[NOTICE] = f"申诉 #{o.id} 已提交（{o.item}），考核组处理后会通过站内消息告知结果。"
                st.session_state.pop("unit_obj_reason", None)
                st.session_state[FORM_ROUND] = st.session_state.get(FORM_ROUND, 0) + 1
                st.rerun()

# -- the unit's objections ------------------------------------------------------------------------
st.header("本单位的申诉")
mine = own_objections(by=actor)
if not mine:
    st.caption("本单位尚未提出申诉。")
else:
    # One card per objection: the reply is text a person reads whole, not a cell cut short.
    for o in mine:
        with st.container(border=True):
            st.markdown(
                md_escape(f"申诉 #{o.id} · {o.scheme_name} · {period_name(o.period)} · {o.item}")
                + f"  \n**{md_escape(o.status_name)}** · 提出于 {local_time(o.raised_at)}"
            )
            st.caption(md_escape(f"理由：{o.reason}"))
            (st.info if o.status == "open" else st.success)(md_escape(o.outcome_text))
            if o.attachments:
                _downloads(o.attachments, "unit_obj_file")
