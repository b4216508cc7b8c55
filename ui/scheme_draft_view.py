"""The draft of a bureau's own 评分细则表 on 方案管理: upload, the row-by-row report, and the draft
YAML handed to the page's editor (where it is validated like any scheme; nothing is saved here)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from sheets.scheme_draft import Draft, DraftRefused, read_draft
from sheets.scheme_draft.report import COLUMNS, report_rows
from ui.safe_table import show_table
from ui.text import md_escape

CHOICE = "导入已有评分细则表（Word / Excel）"


def show_draft(draft: Draft) -> str | None:
    """The report (行, 编码, 名称, 分值, 识别结果, 需要确认) and the warnings; the draft's YAML."""
    recognised = draft.recognised_count
    st.info(
        f"已读取 {len(draft.rows)} 行评分细则：识别出评分规则 {recognised} 行，"
        f"需要人工确认 {len(draft.rows) - recognised} 行。草稿已填入下方编辑框，核对修改后再保存。"
    )
    show_table(pd.DataFrame(report_rows(draft), columns=list(COLUMNS)), hide_index=True)
    if draft.warnings:
        st.warning(f"评分细则表中有 {len(draft.warnings)} 处请核对：")
        st.code("\n".join(draft.warnings), language=None)
    for note in draft.notes:
        st.caption(md_escape(note))
    return draft.to_yaml()


def draft_upload() -> str:
    """An uploader for a .docx / .xlsx 评分细则表: the draft YAML, or '' (refusals shown in Chinese)."""
    uploaded = st.file_uploader(CHOICE, type=None, key="scheme_draft_file")  # refusals in Chinese below
    if uploaded is None:
        return ""
    try:
        draft = read_draft(uploaded.getvalue(), uploaded.name)
    except DraftRefused as exc:
        st.error(md_escape(str(exc)))
        return ""
    return show_draft(draft) or ""
