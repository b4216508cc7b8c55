"""审计日志: who did what, when — logins, uploads, rollbacks, scheme and unit changes, period
locks, accounts, exports — filterable and exportable."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import streamlit as st

from exports.csv_export import text_table_csv
from services._db import DISPLAY_TZ
from services.audit import ACTIONS, audit_log, record_export
from ui.guard import page_guard
from ui.safe_table import show_table

actor = page_guard()
st.title("审计日志")

c = st.columns([3, 2, 2, 1])
actions = c[0].multiselect("操作", list(ACTIONS), format_func=ACTIONS.get, key="audit_actions", placeholder="全部操作")
who = c[1].text_input("操作人包含", key="audit_actor")
today = datetime.now(DISPLAY_TZ).date()
span = c[2].date_input("日期", (today - timedelta(days=30), today), key="audit_dates")
limit = c[3].number_input("最多条数", 10, 100_000, 500, step=100, key="audit_limit")

since = until = None
if isinstance(span, tuple) and len(span) == 2:
    since = datetime.combine(span[0], time.min, DISPLAY_TZ)
    until = datetime.combine(span[1] + timedelta(days=1), time.min, DISPLAY_TZ)
log = audit_log(limit=int(limit), action=actions or None, actor=who.strip() or None, since=since, until=until, by=actor)
table = log[["time", "actor", "action_name", "target", "message"]].rename(
    columns={"time": "时间", "actor": "操作人", "action_name": "操作", "target": "对象", "message": "内容"}
)
st.caption(f"共 {len(table)} 条（最新在前）")
show_table(table, hide_index=True, column_config={"内容": st.column_config.TextColumn(width="large")})

st.download_button(
    "导出 CSV",
    text_table_csv(table),  # text a spreadsheet would run as a formula is neutralised
    file_name=f"审计日志_{today:%Y%m%d}.csv",
    mime="text/csv",
    icon=":material/download:",
    on_click=lambda: record_export("audit_log", f"审计日志_{today:%Y%m%d}.csv", by=actor),
)
