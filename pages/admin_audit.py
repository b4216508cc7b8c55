"""审计日志: who did what, when — logins, uploads, rollbacks, scheme and unit changes, period
locks, accounts, exports — filterable and exportable."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pandas as pd
import streamlit as st

from services._db import DISPLAY_TZ
from services.audit import ACTIONS, COLUMNS, audit_csv, audit_log
from services.catalog import list_schemes
from ui.audit_text import readable_message, readable_target
from ui.downloads import download_button
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
filters = {"limit": int(limit), "action": actions or None, "actor": who.strip() or None, "since": since, "until": until}
names = {v.scheme_key: v.name for v in list_schemes()}  # a user reads a scheme's name, not its key


def readable(log: pd.DataFrame) -> pd.DataFrame:
    """The entries as people name things — on the page and in the exported CSV alike."""
    return log.assign(
        target=log["target"].map(lambda t: readable_target(str(t), names)),
        message=log["message"].map(lambda m: readable_message(str(m), names)),
    )


log = readable(audit_log(**filters, by=actor))
table = log[list(COLUMNS)].rename(columns=COLUMNS)
st.caption(f"共 {len(table)} 条（最新在前）")
show_table(table, hide_index=True, column_config={"内容": st.column_config.TextColumn(width="large")})

# Made when clicked, for the account signed in at that moment, and audited (services.audit.audit_csv);
# text a spreadsheet would run as a formula is neutralised.
name = f"审计日志_{today:%Y%m%d}.csv"
download_button(
    "导出 CSV",
    lambda by: audit_csv(**filters, file_name=name, shown=readable, by=by),
    permission="audit.read",
    what="audit_log",
    file_name=name,
    mime="text/csv",
    icon=":material/download:",
    key="audit_csv",
)
