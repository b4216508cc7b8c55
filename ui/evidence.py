"""证明材料 as pages show them: a table (item, file, type, size, who, when, note) and a download
of the chosen file, re-checked when clicked (services.attachments.fetch: only someone who may see
the unit). Used by 证明材料 and by the drill-down of 单位详情."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from services._db import local_time
from services.attachments import AttachmentInfo, fetch
from ui.downloads import download_button
from ui.guard import current_actor
from ui.safe_table import show_table


def size_text(size: int) -> str:
    """'35 KB', '2.4 MB' (never '0 KB' for a non-empty file)."""
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))} KB"
    return f"{size / 1024 / 1024:.1f} MB"


def evidence_table(items: list[AttachmentInfo], item_names: dict[str, str], unit_names: dict[str, str] | None = None):
    """The rows shown for `items`; `unit_names` adds a 单位 column (code → name)."""
    frame = pd.DataFrame(
        {
            "单位": [unit_names.get(i.unit_code, i.unit_code) for i in items] if unit_names is not None else None,
            "指标": [item_names.get(i.code or "", i.code or "") for i in items],
            "文件": [i.file_name for i in items],
            "类型": [i.kind_name for i in items],
            "大小": [size_text(i.size) for i in items],
            "上传人": [i.uploaded_by for i in items],
            "上传时间": [local_time(i.uploaded_at) for i in items],
            "说明": [i.note for i in items],
        }
    )
    return frame if unit_names is not None else frame.drop(columns=["单位"])


def file_label(i: AttachmentInfo, item_names: dict[str, str]) -> str:
    return f"{i.file_name}（{item_names.get(i.code or '', i.code or '')}，{size_text(i.size)}）"


def show_evidence(
    items: list[AttachmentInfo],
    item_names: dict[str, str],
    *,
    key: str,
    unit_names: dict[str, str] | None = None,
) -> None:
    """The table and one download button for the file chosen below it."""
    show_table(evidence_table(items, item_names, unit_names), hide_index=True, width="stretch")
    by_id = {i.id: i for i in items}
    chosen = st.selectbox(
        "下载哪一份材料", list(by_id), format_func=lambda x: file_label(by_id[x], item_names), key=f"{key}_pick"
    )
    info = by_id[chosen]
    actor = current_actor()
    download_button(
        f"下载「{info.file_name}」",
        lambda by: fetch(info.id, by=by)[1],
        permission="results.own" if actor is not None and actor.role == "unit" else "results.all",
        what=f"attachment:{info.id}",
        file_name=info.file_name,
        mime=info.mime,
        icon=":material/download:",
        key=f"{key}_download",
    )
