"""Download buttons. Every file is made when clicked (deferred), not on every rerun.

A deferred file is made outside the page's run, possibly long after the button was drawn: by
then the user may have signed out, been deactivated, changed role or timed out, and there is no
run to ask who is signed in (services refuse such a call in the web server). So every callable
made here re-checks the browser's session in the database at the moment it runs
(`fresh_actor`), refuses — audited — when the session has ended or the account changed or lacks
the permission, and hands the fresh account to the service as `by=`; the service audits the
download (who, what).

Streamlit shows a failed deferred download under its button in English for a few seconds;
DOWNLOAD_CSS puts a Chinese sentence in its place.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from services.accounts import check_session
from services.permissions import Actor, refusal
from ui.guard import TOKEN_KEY, current_actor

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Static CSS (no user data): the failure text of a deferred download, in Chinese.
DOWNLOAD_CSS = """
<style>
[data-testid="stDownloadButtonError"] { font-size: 0; }
[data-testid="stDownloadButtonError"]::after {
  content: "文件未能生成：登录可能已结束或权限已变更，请刷新页面后重试。";
  font-size: 0.875rem;
}
</style>
"""
File = bytes | str


def may_export() -> bool:
    actor = current_actor()
    return actor is not None and actor.can("export")


def fresh_actor(token: str | None, drawn: Actor | None, permission: str, what: str) -> Actor:
    """The account of session `token` now, if it is still the account `drawn` when the button
    was drawn and may `permission`; else Forbidden (audited against `what`)."""
    target = f"download:{what}"
    if not token or drawn is None:
        raise refusal(drawn, target, "请先登录。")
    now = check_session(token).actor
    if now is None:
        raise refusal(drawn, target, "登录已结束，下载被拒绝。请重新登录。")
    if (now.account_id, now.role, now.unit_code) != (drawn.account_id, drawn.role, drawn.unit_code):
        raise refusal(now, target, "账户的角色或单位已变更，下载被拒绝。请刷新页面。")
    now.require(permission)
    return now


def deferred(make: Callable[[Actor], File], permission: str, what: str) -> Callable[[], File]:
    """A callable for st.download_button(data=…): `make(fresh account)` after the re-check.
    The session token and account are captured now, while the page runs."""
    token = st.session_state.get(TOKEN_KEY)
    drawn = current_actor()

    def run() -> File:
        return make(fresh_actor(token, drawn, permission, what))

    return run


def style_downloads(place: Any = st) -> None:
    """The download buttons' style (a Chinese note instead of Streamlit's English one)."""
    place.html(DOWNLOAD_CSS)


def download_button(
    label: str,
    make: Callable[[Actor], File],
    *,
    permission: str,
    what: str,
    file_name: str,
    key: str,
    mime: str | None = None,
    where: Any = None,
    **options: object,
) -> None:
    """st.download_button whose file is made by `make(account)` when clicked, re-checked as above;
    `where`: the container to draw it in (a column), else the page."""
    place = where or st
    style_downloads(place)
    place.download_button(
        label,
        data=deferred(make, permission, what),
        file_name=file_name,
        mime=mime,
        on_click="ignore",
        key=key,
        **options,  # type: ignore[arg-type]
    )


def unit_report_button(scheme_key: str, period: str, period_title: str, unit: str, name: str) -> None:
    """One unit's workbook: its result, the full criteria tree with traces, its history."""
    from services.meeting import unit_report

    if not may_export():
        return
    download_button(
        "下载本单位考核结果（Excel）",
        lambda by: unit_report(scheme_key, period, unit, by=by),
        permission="export",
        what=f"unit_report:{unit}",
        file_name=f"{name}_{period_title}_考核结果.xlsx",
        mime=XLSX,
        icon=":material/download:",
        key="unit_report",
    )
