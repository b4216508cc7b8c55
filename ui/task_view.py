"""How a 整改 task is shown, on the managers' page (整改任务) and the unit's page (本单位整改): the
list with overdue tasks highlighted, and one task with its evidence (downloads) and history."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from pandas.io.formats.style import Styler

from services._db import local_time
from services.rectification import TaskDetail, TaskInfo, task_file
from ui.downloads import download_button
from ui.safe_table import show_table
from ui.text import md_escape, md_lines

OVERDUE_TINT = "background-color: #fde2e1"
OVERDUE = "逾期"


def status_text(t: TaskInfo) -> str:
    """'待整改', '已提交，待验收', '退回，待重新提交', '已验收' — with 「，已逾期」 when overdue."""
    text = {"submitted": "已提交，待验收", "returned": "退回，待重新提交"}.get(t.status, t.status_name)
    return text + ("，已逾期" if t.overdue else "")


def task_table(tasks: list[TaskInfo], *, with_unit: bool = True) -> Styler:
    """The tasks as a table, overdue rows tinted and marked 逾期."""
    rows = pd.DataFrame(
        {
            "编号": [t.id for t in tasks],
            **({"单位": [t.unit_name for t in tasks]} if with_unit else {}),
            "整改任务": [t.title for t in tasks],
            # Where it stands before where it came from: at 1366×768 the last columns are cut off.
            "状态": [status_text(t) for t in tasks],
            "逾期": [OVERDUE if t.overdue else "" for t in tasks],
            "整改期限": [f"{t.deadline:%Y-%m-%d}" for t in tasks],
            "来源": [t.source_name for t in tasks],
            "考核": [t.where.replace("「", "").replace("」", " ") or "—" for t in tasks],
        }
    )

    def tint(row: pd.Series) -> list[str]:
        return [OVERDUE_TINT if row["逾期"] else ""] * len(row)

    return (
        rows.style.apply(tint, axis=1)
        .map(lambda v: "color: #c62828; font-weight: bold" if v else "", subset=["逾期"])
        .hide(axis="index")
    )


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{max(n / 1024, 0.1):.1f} KB"


def show_task(detail: TaskDetail, *, permission: str, key: str) -> None:
    """One task: what, by when, where it stands, the unit's note and evidence, the decision, history."""
    t = detail.task
    lines = [
        f"**单位**：{md_escape(t.unit_name)}",
        f"**来源**：{t.source_name}" + (f"（{md_escape(t.where)}）" if t.where else ""),
        f"**整改期限**：{t.deadline:%Y-%m-%d}",
        f"**状态**：{status_text(t)}",
        f"**下达**：{md_escape(t.created_by)} 于 {local_time(t.created_at)}",
    ]
    st.markdown("  \n".join(lines))
    if t.overdue:
        st.error(f"已逾期：整改期限 {t.deadline:%Y-%m-%d} 已过，仍未验收。")
    if t.detail:
        st.markdown("**具体要求**")
        st.markdown(md_lines(t.detail))
    if t.submitted_at is not None:
        st.markdown(f"**整改情况说明**（{md_escape(t.submitted_by)} 于 {local_time(t.submitted_at)} 提交）")
        st.markdown(md_lines(t.submission_note))
    if t.decided_at is not None:
        word = "验收意见" if t.status == "accepted" else "退回原因"
        st.markdown(f"**{word}**（{md_escape(t.decided_by)} 于 {local_time(t.decided_at)}）")
        st.markdown(md_lines(t.decision_note or "无"))
    st.markdown("**整改材料**")
    if not detail.files:
        st.caption("尚未上传整改材料。")
    for f in detail.files:
        download_button(
            f"下载 {f.file_name}（{f.kind_name}，{_size(f.size)}，{local_time(f.uploaded_at)}）",
            lambda by, fid=f.id, tid=t.id: task_file(tid, fid, by=by),
            permission=permission,
            what=f"task_file:{t.id}:{f.id}",
            file_name=f.file_name,
            mime=f.mime,
            icon=":material/download:",
            key=f"{key}_file_{f.id}",
        )
    if len(detail.history):
        with st.expander("办理记录"):
            show_table(
                detail.history.rename(columns={"time": "时间", "actor": "操作人", "action": "操作", "message": "内容"}),
                hide_index=True,
                width="stretch",
            )
