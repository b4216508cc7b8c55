"""Download buttons for exports. The files are written when clicked (deferred), not on every
rerun; the signed-in account is captured when the button is drawn and passed on as `by=`, since
the file is made outside the page's run."""

from __future__ import annotations

import streamlit as st

from ui.guard import current_actor

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def may_export() -> bool:
    actor = current_actor()
    return actor is not None and actor.can("export")


def unit_report_button(scheme_key: str, period: str, period_title: str, unit: str, name: str) -> None:
    """One unit's workbook: its result, the full criteria tree with traces, its history."""
    from services.meeting import unit_report

    if not may_export():
        return
    by = current_actor()
    st.download_button(
        "下载本单位考核结果（Excel）",
        data=lambda: unit_report(scheme_key, period, unit, by=by),
        file_name=f"{name}_{period_title}_考核结果.xlsx",
        mime=XLSX,
        icon=":material/download:",
        on_click="ignore",
        key="unit_report",
    )
