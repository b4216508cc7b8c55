"""提交记录: every submission of a scheme (optionally one period), the original files, and rollback."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from scoring.periods import period_name
from services.errors import ServiceError
from services.periods import list_periods
from services.submissions import history, rollback, submission_file
from services.withdrawal import may_withdraw, withdrawal_preview
from ui.downloads import download_button
from ui.guard import page_guard
from ui.safe_table import show_table
from ui.tables import table_height
from ui.text import md_escape, md_lines
from ui.upload_choice import after_data_change, choose_scheme

ALL = "全部期间"

actor = page_guard()
st.title("提交记录")
st.caption("每次导入都是一条提交记录。撤回一次提交会恢复它覆盖的原有数值；已锁定期间的提交不能撤回。")

done = st.session_state.pop("rollback_done", None)
if done:
    st.success(md_lines(done), icon=":material/check_circle:")

left, right = st.columns(2)
with left:
    scheme = choose_scheme(actor)
if scheme is None:
    st.stop()
every = history(scheme.scheme_key)
periods = sorted(set(every["period"]), reverse=True)
with right:
    chosen = st.selectbox(
        "考核期间", [ALL, *periods], format_func=lambda p: p if p == ALL else f"{period_name(p)}（{p}）",
        key=f"sub_period_{scheme.scheme_key}",
    )  # fmt: skip
table = every if chosen == ALL else every[every["period"] == chosen]
if table.empty:
    st.info("还没有提交记录。请在「上传评分表」页面导入数据。")
    st.page_link("pages/upload.py", label="上传评分表", icon=":material/upload_file:")
    st.stop()

locked = {p.label: p for p in list_periods() if p.locked}
shown = pd.DataFrame(
    {
        "编号": table["id"].map(lambda i: f"#{i}"),
        "期间": table["period"],
        "版本": table["version"],
        "提交时间": table["time"],
        "提交人": table["submitted_by"],
        "文件": table["file_name"],
        "当前/行数": [f"{c}/{r}" for c, r in zip(table["current_rows"], table["rows"], strict=True)],
        "状态": table["status_name"],
        "说明": table["note"].fillna(""),
        "撤回人": table["rolled_back_by"].fillna(""),
        "撤回原因": table["rollback_reason"].fillna(""),
        "期间锁定": table["period"].map(lambda p: "已锁定" if p in locked else ""),
    }
)
show_table(shown, hide_index=True, width="stretch", height=table_height(len(shown), 20))


def _label(row: pd.Series) -> str:
    return f"#{row['id']} · {row['period']} · {row['file_name']} · {row['submitted_by']} · {row['time']} · {row['status_name']}"


labels = {int(r["id"]): _label(r) for _, r in table.iterrows()}
with st.expander("下载原始文件", icon=":material/download:"):
    pick = st.selectbox("提交", list(labels), format_func=labels.get, key="sub_file_pick")
    name = table.loc[table["id"] == pick, "file_name"].iloc[0]
    download_button(
        f"下载 {md_escape(name)}",
        lambda by: submission_file(pick, by=by)[1],
        permission="submissions.read",
        what=f"submission:{pick}",
        file_name=name,
        key="sub_file",
    )

st.subheader("撤回提交")
open_ = table[table["status"] != "rolled_back"]
if actor is None or not actor.can("rollback"):
    st.caption(f"您的账户（{actor.role_name if actor else '未登录'}）可以查看提交记录，但不能撤回提交。")
    st.stop()
if open_.empty:
    st.caption("这里列出的提交都已撤回。")
    st.stop()
# Issue 19: only the submissions this account may withdraw, nothing preselected, what changes shown
# before it is confirmed, and the form emptied after a withdrawal.
mine = open_[[may_withdraw(actor, str(b)) for b in open_["submitted_by"]]]
if mine.empty:
    st.caption("您只能撤回本人上传的提交；这里列出的提交都不是您上传的，或已撤回。")
    st.stop()
candidates = {int(r["id"]): _label(r) for _, r in mine.iterrows()}
# Fresh widget keys after each withdrawal: the browser then shows an empty form, not the old choice.
n = st.session_state.setdefault("sub_nonce", 0)
target = st.selectbox(
    "要撤回的提交", list(candidates), format_func=candidates.get, key=f"sub_target_{n}", index=None,
    placeholder="请选择要撤回的提交",
)  # fmt: skip
if target is None:
    st.stop()
try:
    effect = withdrawal_preview(target, by=actor)
except ServiceError as exc:
    st.error(md_lines(exc))
    st.stop()
st.warning(effect.summary + "已发布的考核结果不受影响，重新发布后才会改变。", icon=":material/undo:")
if len(effect.units):
    show_table(
        effect.units.rename(columns={"unit": "单位编码", "name": "单位", "total_before": "撤回前总分",
                                     "total_after": "撤回后总分", "rank_before": "撤回前名次",
                                     "rank_after": "撤回后名次", "change": "变化"}),
        hide_index=True, width="stretch",
    )  # fmt: skip
with st.form("sub_rollback"):
    reason = st.text_input("撤回原因（必填，记入审计日志）", key=f"sub_reason_{n}")
    sure = st.checkbox(f"我已核对以上变化，确认撤回提交 #{target}", key=f"sub_confirm_{n}")
    st.caption(f"操作人：{md_escape(actor.label)}")
    go = st.form_submit_button("确认撤回", type="primary", icon=":material/undo:")
if go:
    if not reason.strip():
        st.error("请填写撤回原因：撤回会改变考核结果，原因记入审计日志。")
    elif not sure:
        st.error(f"请先勾选「我已核对以上变化，确认撤回提交 #{target}」。")
    else:
        try:
            outcome = rollback(target, "", reason.strip(), by=actor)
        except ServiceError as exc:
            st.error(md_lines(exc))
        else:
            after_data_change()
            for key in (f"sub_target_{n}", f"sub_reason_{n}", f"sub_confirm_{n}"):
                st.session_state.pop(key, None)
            st.session_state["sub_nonce"] = n + 1  # a fresh form: nothing preselected, no reason left over
            st.session_state["rollback_done"] = outcome.message + "。已发布的结果不变，重新发布后生效。"
            st.rerun()
