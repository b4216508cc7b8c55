"""上传评分表: choose scheme and period → template → upload → errors or preview → confirm → result."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from reports import numbers as number_text
from services.errors import PeriodLocked, ServiceError
from services.periods import get_period
from services.teams import MODE_NAMES, existing_teams, team_label
from services.uploads import UploadCheck, check_upload, commit, make_template, scheme_units, version_for
from ui.downloads import XLSX, download_button
from ui.guard import page_guard
from ui.safe_table import show_table
from ui.tables import table_height
from ui.text import md_escape, md_lines
from ui.upload_choice import after_data_change, choose_period, choose_scheme

actor = page_guard()
st.title("上传评分表")
st.caption("选择方案和期间 → 下载模板 → 填写后上传 → 检查无误后确认导入。一份表格要么整份导入，要么不导入任何数据。")

done = st.session_state.pop("upload_done", None)
if done:
    st.success(md_lines(done), icon=":material/check_circle:")

left, right = st.columns(2)
with left:
    scheme = choose_scheme(actor)
if scheme is None:
    st.stop()
with right:
    option = choose_period(scheme.scheme_key)
period = option.label
version = version_for(scheme.scheme_key, period)
state = get_period(period)
st.caption(md_escape(f"方案版本 {version.version} · {state.name}（{period}）· 期间状态：{state.state_text}"))
if state.locked:
    st.warning(
        f"{state.name}已锁定（{state.state_text}）。锁定后不能导入或撤回数据；可以上传检查表格，"
        "但不能确认导入。如确需更正，请联系管理员先解锁该期间（解锁需填写原因并留痕）。",
        icon=":material/lock:",
    )

# -- 1. the template -------------------------------------------------------------------------
st.subheader("1. 下载评分表模板")
units = scheme_units(version)
if units.empty:
    st.error(
        f"单位清单中没有适用于方案「{md_escape(scheme.name)}」的单位（适用类别：{md_escape('、'.join(version.categories))}），无法生成模板。"
    )
    st.stop()
c1, c2, c3 = st.columns([2, 2, 1.4])
layout = c1.radio(
    "模板版式", ["wide", "per-unit"], horizontal=True, key="up_layout",
    format_func={"wide": "宽表（每行一个单位）", "per-unit": "每单位一张表"}.get,
)  # fmt: skip
assessor = c2.text_input(
    "考核人 / 考核组（可选）", key="up_assessor", help="写入模板；表中未注明考核人时按此人计"
).strip()
prefill = c3.checkbox(
    "预填当前数据", key="up_prefill", disabled=not option.has_values, help="把本期已导入的数值填进模板，便于修改"
)
if prefill and not assessor:  # several teams: the template carries one, so uploading it back corrects that one
    teams = existing_teams(scheme.scheme_key, period)
    if len(teams) > 1:
        assessor = c2.selectbox("预填哪一个考核组的数值", teams, format_func=team_label, key="up_prefill_team")
download_button(
    f"下载模板（{len(units)} 个单位）",
    lambda by: make_template(version.id, period, layout, assessor=assessor or None, prefill=prefill, by=by),
    permission="upload",
    what=f"template:{scheme.scheme_key}:{period}",
    file_name=f"{scheme.name}_{period}_评分表.xlsx",
    mime=XLSX,
    icon=":material/download:",
    key="up_template",
)

# -- 2. the upload ---------------------------------------------------------------------------
st.subheader("2. 上传填好的评分表")
mode = "auto"
if option.has_values:  # issue 19: a correction replaces its team's values, a new team adds
    mode = st.radio(
        "本次上传是", list(MODE_NAMES), format_func=MODE_NAMES.get, horizontal=True, key="up_mode",
        help="更正：替换同一考核组原有的数值（预填模板带有考核组）；新的考核组：与已有考核组的数值合并计分，须填写考核组名称",
    )  # fmt: skip
nonce = st.session_state.setdefault("up_nonce", 0)
# Any file is taken (type=None): the reader says in Chinese what a file is and how to convert it
# (.xls, .ods, .xlsb → 另存为 .xlsx), where the uploader's own filter would refuse in English.
uploaded = st.file_uploader(
    "选择文件：系统模板（宽表或每单位一张表），或长表（单位、指标编码、数值[、考核人、备注]，.xlsx 或 .csv）",
    type=None,
    key=f"up_file_{nonce}",
    help="支持 Excel 工作簿（.xlsx、.xlsm）和 CSV 文本（.csv，UTF-8、GBK 或 UTF-16 编码）。"
    ".xls、.ods、.xlsb 等格式请先在 Excel 或 WPS 中「另存为」Excel 工作簿（.xlsx）。",
)
if uploaded is None:
    st.page_link("pages/submissions.py", label="查看提交记录与撤回", icon=":material/history:")
    st.stop()

check_key = (uploaded.file_id, version.id, period, assessor, mode)
kept = st.session_state.get("up_check")
if kept is not None and kept[0] == check_key:
    check: UploadCheck = kept[1]
else:
    with st.status(f"正在检查「{md_escape(uploaded.name)}」……", expanded=False) as status:
        st.write("逐格检查单位、指标和数值……")
        try:
            check = check_upload(
                uploaded.getvalue(), uploaded.name, version.id, period, assessor=assessor or None, mode=mode,
                by=actor,
            )  # fmt: skip
        except ServiceError as exc:
            status.update(label="无法检查", state="error")
            st.error(md_lines(exc))
            st.stop()
        if check.ok:
            st.write("计算导入后的总分和名次……")
        label = "检查通过" if check.ok else f"发现 {check.total_errors} 处错误"
        status.update(label=f"「{md_escape(uploaded.name)}」{label}", state="complete" if check.ok else "error")
    st.session_state["up_check"] = (check_key, check)

# -- 3a. errors ------------------------------------------------------------------------------
if not check.ok:
    st.subheader("3. 发现错误，未导入")
    st.error(
        f"「{md_escape(check.file_name)}」有 {check.total_errors} 处错误，整份表格没有导入任何数据。请按下表逐项修改后重新上传。",
        icon=":material/error:",
    )
    errors = check.error_table()
    show_table(errors, hide_index=True, width="stretch", height=table_height(len(errors), 15))
    with st.spinner("正在生成标注副本……"):
        annotated = check.annotated()
    if annotated is not None:
        download_button(
            "下载标注了错误的工作簿（错误单元格标红并附批注）",
            lambda by: annotated,  # the user's own upload, marked; re-checked when clicked
            permission="upload",
            what="annotated_upload",
            file_name=check.annotated_name,
            mime=XLSX,
            icon=":material/download:",
            key="up_annotated",
        )
    st.stop()

# -- 3b. preview -----------------------------------------------------------------------------
preview = check.preview
st.subheader("3. 预览：导入后会发生什么")
m = st.columns(4)
m[0].metric("涉及单位", preview.units)
m[1].metric("新增单元格", preview.count("new"))
m[2].metric("修改单元格", preview.count("changed"))
m[3].metric("不变单元格", preview.count("same"))
st.info(md_lines(preview.summary), icon=":material/info:")
if check.warnings:
    shown_warnings = check.warnings[:30]
    more = len(check.warnings) - len(shown_warnings)
    st.warning(
        "以下单元格已读取，但可能不是您想填写的数值（不影响导入，请核对后再确认）：\n\n"
        + "\n".join(f"- {md_escape(w)}" for w in shown_warnings)
        + (f"\n\n……另有 {more} 处" if more > 0 else ""),
        icon=":material/warning:",
    )

changes = preview.changes
show_all = st.toggle("显示全部单元格", key="up_show_all", value=False) if preview.count("same") else True
shown = changes if show_all else changes[changes["change"] != "same"]
if len(shown):
    table = pd.DataFrame(
        {
            "单位": shown["name"].where(shown["name"] != "", shown["unit"]),
            "指标编码": shown["code"],
            "指标": shown["item"],
            "考核人": shown["assessor"],
            "原值": shown["before"].where(shown["before"] != "", "—"),
            "新值": shown["after"],
            "变化": shown["change_name"],
        }
    )
    st.markdown("**单元格变化（原值 → 新值）**")
    show_table(table, hide_index=True, width="stretch", height=table_height(len(table), 15))

if preview.score_problems:
    st.warning(
        "导入后这些单位暂不能计分：数据进入本期草稿，草稿页列出缺少的数据；补齐之前不能发布：\n\n"
        + "\n".join(f"- {md_escape(p)}" for p in preview.score_problems[:20])
    )
effect = preview.effect
if len(effect):
    st.markdown("**对总分和名次的影响**（名次为同类单位内排名；「新参评」为本期此前尚无得分的单位）")
    d = version.load().decimals
    table = pd.DataFrame(
        {
            "单位": effect["name"].where(effect["name"] != "", effect["unit"]),
            "类别": effect["category"],
            "原总分": effect["total_before"].round(d),
            "新总分": effect["total_after"].round(d),
            "变化": [number_text.change(v, d) for v in effect["delta"]],  # +0.55 / 0.00, as 排名 writes it
            "原名次": effect["rank_before"],
            "新名次": effect["rank_after"],
            "同类单位数": effect["group_size"],
            "原等级": effect["grade_before"],
            "新等级": effect["grade_after"],
            "状态": effect["status_name"],
            "原因": effect.get("why", ""),
        }
    )
    score = st.column_config.NumberColumn(format=f"%.{d}f")  # 92.50, not 92.5: the scheme's decimals
    show_table(
        table,
        hide_index=True,
        width="stretch",
        height=table_height(len(table), 15),
        column_config={"原总分": score, "新总分": score, "变化": st.column_config.TextColumn(alignment="right")},
    )

if preview.blocked:
    st.error(md_lines(preview.blocked), icon=":material/lock:")
    st.stop()

# -- 4. confirm ------------------------------------------------------------------------------
st.subheader("4. 确认导入")
with st.form("up_confirm"):
    st.caption(f"提交人：{md_escape(actor.label) if actor else '—'}（记入提交记录和审计日志）")
    note = st.text_input("提交说明（可选）", key="up_note", placeholder="如：3月考核组现场检查")
    confirmed = st.form_submit_button("确认导入", type="primary", icon=":material/cloud_upload:")
if confirmed:
    try:
        with st.spinner("正在导入（一个事务，整份导入或不导入）……"):
            outcome = commit(check, note=note.strip(), by=actor)
    except PeriodLocked as exc:
        st.error(f"未导入：{md_lines(exc)}", icon=":material/lock:")
        st.stop()
    except ServiceError as exc:
        st.error(f"未导入：{md_lines(exc)}")
        st.stop()
    after_data_change()
    st.session_state.pop("up_check", None)
    st.session_state["up_nonce"] = nonce + 1  # a fresh, empty uploader
    st.session_state["upload_done"] = outcome.message + (
        "" if outcome.noop else "。数据已进入本期草稿（考核员和管理员可见），复核发布后领导和单位才能看到。"
    )
    st.rerun()
