"""Entry point: `streamlit run app.py`. Navigation, shared filters, first-start setup."""

from __future__ import annotations

import streamlit as st

from services.bootstrap import ensure_ready
from storage.db import database_url
from ui.filters import sidebar_filters
from ui.guard import mark_shell
from ui.nav import build_navigation

st.set_page_config(page_title="卫生健康绩效考核", page_icon=":material/monitoring:", layout="wide")


@st.cache_resource(show_spinner="正在准备数据库……")
def _ready(url: str) -> bool:
    ensure_ready()  # creates the SQLite database and loads the demo district on a fresh machine
    return True


_ready(database_url())
mark_shell()
page = build_navigation()
sidebar_filters()
page.run()
