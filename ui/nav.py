"""The app's pages, by section. Issue #7 will filter this list by the signed-in user's role."""

from __future__ import annotations

import streamlit as st

PAGES = {
    "看结果": [
        ("pages/overview.py", "总览", ":material/dashboard:"),
        ("pages/ranking.py", "排名", ":material/leaderboard:"),
        ("pages/unit_detail.py", "单位详情", ":material/apartment:"),
        ("pages/criteria.py", "指标分析", ":material/grid_on:"),
        ("pages/trends.py", "趋势", ":material/show_chart:"),
    ],
}


def build_navigation() -> st.navigation:
    sections = {
        section: [
            st.Page(path, title=title, icon=icon, default=(path == "pages/overview.py")) for path, title, icon in pages
        ]
        for section, pages in PAGES.items()
    }
    return st.navigation(sections)
