"""证明材料: assessors and administrators keep the written evidence (photos, scans, PDF, Word,
Excel) of a unit's item in a period — before importing, for items marked 「无书面材料不得分」 —
list and download it, and remove it with a reason. Files are checked by content; everything is
audited (services/evidence.py)."""

from __future__ import annotations

import streamlit as st

from services.attachments import max_bytes
from services.errors import ServiceError
from services.evidence import attach_evidence, evidence_items, period_evidence, remove_evidence
from services.periods import get_period
from services.uploads import scheme_units, version_for
from ui.evidence import file_label, show_evidence
from ui.guard import page_guard
from ui.text import md_escape, md_lines
from ui.unit_picker import pick_unit
from ui.upload_choice import choose_period, choose_scheme

actor = page_guard()
st.title("证明材料")
st.caption(
    "为单位的考核指标上传书面材料：现场照片、督查记录扫描件、PDF、Word 或 Excel 文件（按内容识别类型，"
    "单个文件有大小上限）。方案中标注「无书面材料不得分」的指标，没有证明材料时该项得分不能导入。"
    "上传、下载和删除都记入审计日志。"
)
for kind in ("success", "error"):
    for line in st.session_state.pop(f"ev_{kind}", []):
        getattr(st, kind)(md_lines(line))

left, right = st.columns(2)
with left:
    scheme = choose_scheme(actor, key="ev_scheme")
if scheme is None:
    st.stop()
with right:
    option = choose_period(scheme.scheme_key, key="ev_period")
period = option.label
version = version_for(scheme.scheme_key, period)
state = get_period(period)
units = scheme_units(version)
if actor is not None and actor.role == "assessor" and actor.categories:
    units = units[units["category"].isin(actor.categories)]
if units.empty:
    st.info("没有您可以上传材料的单位（方案适用的单位不在您负责的类别中）。")
    st.stop()
unit_names = dict(zip(units["code"], units["name"], strict=True))
items = evidence_items(scheme.scheme_key, period)
item_names = {i.code: i.name for i in items}

c1, c2 = st.columns(2)
unit = pick_unit(
    "单位", unit_names, f"ev_unit_{scheme.scheme_key}", where=c1, format_func=lambda c: f"{unit_names[c]}（{c}）"
)
if unit is None:
    st.stop()
by_code = {i.code: i for i in items}
code = c2.selectbox("指标", list(by_code), format_func=lambda c: by_code[c].label, key=f"ev_item_{scheme.scheme_key}")

try:
    everything = period_evidence(scheme.scheme_key, period, by=actor)
except ServiceError as exc:
    st.error(md_lines(exc))
    st.stop()
mine = [e for e in everything if e.unit_code == unit]
required = [i for i in items if i.required]
if required:
    have = {e.code for e in mine}
    status = "；".join(f"{md_escape(i.name)}：{'已有材料' if i.code in have else '尚无材料'}" for i in required)
    st.caption(f"「无书面材料不得分」的指标（{md_escape(unit_names[unit])}）：{status}")

# -- upload ----------------------------------------------------------------------------------
st.subheader("上传材料")
if state.locked:
    # state_text reads 「已锁定（谁 于 何时；原因：…）」 itself: not wrapped in a second 已锁定（…）.
    st.warning(f"{md_escape(state.name)}{md_escape(state.state_text)}，不能上传或删除证明材料。")
else:
    nonce = st.session_state.setdefault("ev_nonce", 0)
    with st.form(f"ev_upload_{nonce}"):
        files = st.file_uploader(
            f"选择文件（可多选，每个不超过 {max_bytes() / 1024 / 1024:g} MB）：图片（JPG、PNG）、PDF、Word（.docx）或 Excel（.xlsx）",
            type=None,  # every file reaches the content check, which says in Chinese what is wrong
            accept_multiple_files=True,
            key=f"ev_files_{nonce}",
        )
        note = st.text_input("说明（可选）", key=f"ev_note_{nonce}", placeholder="如：3月15日现场督查记录")
        sent = st.form_submit_button("上传", type="primary")
    if sent:
        if not files:
            st.error("请先选择要上传的文件。")
        else:
            done, failed = [], []
            for f in files:  # each file on its own: one refused file does not hold back the others
                try:
                    info = attach_evidence(
                        scheme.scheme_key, period, unit, code, f.name, f.getvalue(), note or "", by=actor
                    )
                except ServiceError as exc:
                    failed.append(str(exc))
                else:
                    done.append(
                        f"已保存「{info.file_name}」（{info.kind_name}）到 {unit_names[unit]} · {item_names[code]}。"
                    )
            st.session_state["ev_success"], st.session_state["ev_error"] = done, failed
            if done:
                st.session_state["ev_nonce"] = nonce + 1  # an empty uploader for the next files
            st.rerun()

# -- list, download, remove ------------------------------------------------------------------
st.subheader("已上传的材料")
scope = st.radio(
    "显示", ["unit", "all"], horizontal=True, key="ev_scope",
    format_func={"unit": "所选单位", "all": "本期全部单位"}.get,
)  # fmt: skip
shown = mine if scope == "unit" else [e for e in everything if e.unit_code in unit_names]
if not shown:
    st.info("尚无证明材料。" if scope == "all" else f"{md_escape(unit_names[unit])}本期尚无证明材料。")
    st.stop()
show_evidence(shown, item_names, key="ev_list", unit_names=unit_names)

if not state.locked:
    with st.expander("删除材料"):
        by_id = {e.id: e for e in shown}
        with st.form("ev_remove"):
            target = st.selectbox("删除哪一份", list(by_id), format_func=lambda x: file_label(by_id[x], item_names))
            reason = st.text_input("删除原因（必填，记入审计日志）", key="ev_reason")
            removed = st.form_submit_button("删除")
        if removed:
            try:
                message = remove_evidence(target, reason, by=actor)
            except ServiceError as exc:
                st.error(md_lines(exc))
            else:
                st.session_state["ev_success"] = [message]
                st.session_state.pop("ev_reason", None)
                st.rerun()
