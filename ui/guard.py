"""Every page starts with `page_guard()`.

Streamlit runs a file of `pages/` by itself when a fresh server's first request names its URL
(its older multipage mode, which lasts until app.py first calls st.navigation). Such a run has
skipped app.py — its setup, filters and, later, the login check — so it is sent through app.py.
"""

from __future__ import annotations

import streamlit as st

SHELL_FLAG = "_shell_ran"


def mark_shell() -> None:
    """Called by app.py before it runs the chosen page."""
    st.session_state[SHELL_FLAG] = True


def page_guard() -> None:
    if not st.session_state.get(SHELL_FLAG):
        st.switch_page("app.py")
