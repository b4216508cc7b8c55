"""方案管理: upload or edit a scheme, validate it with located errors, preview it on the latest
period's data, save it as a new version."""

from __future__ import annotations

import streamlit as st

from services._db import local_time
from services.catalog import latest_version, list_schemes, register_scheme
from services.errors import ServiceError
from services.scheme_admin import check_draft, preview, versions_table
from ui.guard import page_guard
from ui.safe_table import show_table
from ui.scheme_book_panel import show_book_panel
from ui.scheme_draft_view import CHOICE as DRAFT_CHOICE
from ui.scheme_draft_view import draft_upload
from ui.text import md_escape, md_lines

actor = page_guard()
st.title("方案管理")

st.subheader("已登记的方案版本")
versions = versions_table(by=actor)
versions = versions.assign(created_at=versions["created_at"].map(local_time)).drop(columns="scheme")  # name, not key
show_table(
    versions.rename(
        columns={
            "version": "版本",
            "name": "名称",
            "categories": "适用类别",
            "created_by": "登记人",
            "created_at": "登记时间",
            "note": "说明",
        }
    ),
    hide_index=True,
)

st.subheader("上传或修改方案")
schemes = {v.scheme_key: v for v in list_schemes()}
start = st.radio(
    "从哪里开始", ["修改已有方案", "上传方案文件（YAML）", DRAFT_CHOICE], horizontal=True, key="scheme_start"
)
source = ""
if start == DRAFT_CHOICE:  # a Word / Excel 评分细则表 → a draft in the editor below
    source = draft_upload()
elif start == "修改已有方案" and schemes:
    key = st.selectbox(
        "方案",
        list(schemes),
        format_func=lambda k: f"{schemes[k].name}（版本 {schemes[k].version}）",
        key="scheme_pick",
    )
    source = latest_version(key).source
else:
    uploaded = st.file_uploader("方案文件（.yaml）", type=None, key="scheme_file")  # refusals in Chinese below
    if uploaded is not None:
        try:
            source = uploaded.getvalue().decode("utf-8")
        except UnicodeDecodeError:
            st.error("方案文件不是 UTF-8 编码的文本，请用 UTF-8 保存后重新上传。")
source = show_book_panel(actor) or source  # a workbook uploaded there replaces the draft
text = st.text_area(
    "方案内容（YAML，格式见说明文档 `docs/schemes.md`；保存前请修改版本号 `version`）",
    source,
    height=360,
    key=f"scheme_text_{hash(source)}",
)

draft = check_draft(text, by=actor)
if not draft.ok:
    st.error(f"方案有 {len(draft.problems)} 处问题，不能保存：")
    st.code("\n".join(draft.problems), language=None)
    st.stop()
scheme = draft.scheme
st.success(f"校验通过：{md_escape(scheme.name)} 版本 {md_escape(scheme.version)}，共 {len(scheme.leaves)} 个评分细则。")
if draft.warnings:
    st.warning(f"请核对以下 {len(draft.warnings)} 处（可以保存）：")
    st.code("\n".join(draft.warnings), language=None)  # located by key path, like the problems above

st.subheader("用最近一期数据预览")
shown = preview(scheme, by=actor)
if shown is None:
    st.info("该方案尚无数据，无法预览。")
else:
    st.caption(md_escape(shown.message))
    if not shown.units.empty:
        show_table(
            shown.units.rename(
                columns={
                    "unit": "编码",
                    "name": "单位",
                    "category": "类别",
                    "total": "总分",
                    "rank": "名次",
                    "grade": "等级",
                }
            ),
            hide_index=True,
        )

with st.form("save_scheme"):
    note = st.text_input("版本说明（记入审计日志）")
    if st.form_submit_button("保存为新版本", type="primary"):
        try:
            outcome = register_scheme(text, note=note, by=actor)
        except ServiceError as exc:
            st.error(md_lines(exc))
        else:
            st.success(md_lines(outcome.message))
