"""Entry point: `streamlit run serve.py` (sign-in survives a refresh) or `streamlit run app.py`.

Setup, sign-in check, the menu of the pages the user's role opens, shared filters.
"""

from __future__ import annotations

import streamlit as st

from services.bootstrap import DEMO_PASSWORD, ensure_ready, is_ready, needs_first_admin, should_seed_demo
from services.errors import ServiceError
from services.messages import unread_count
from services.permissions import page_allowed, trusted
from ui.filters import filter_bar
from ui.guard import end_session, mark_shell, run_page, signed_in
from ui.nav import FILTERED_PAGES, build_navigation, page_file
from ui.url_state import apply_url, remember_request
from ui.widget_text import chinese_widget_text

# An emoji icon is drawn in the page itself; a :material: one is fetched from fonts.gstatic.com,
# which the Content-Security-Policy (ui/http_guard.py) does not allow and intranets cannot reach.
st.set_page_config(page_title="卫生健康绩效考核", page_icon="📊", layout="wide")


def _ready() -> None:
    """Migrate and, in demo mode, load the demo once per process. A first start takes seconds to a
    minute: it says, in Chinese, what it is doing (a cached function would replay that on every run)."""
    if is_ready():
        return
    # Until the menu is built (below, once ready) Streamlit would list the pages/ folder's file
    # names in English; static CSS hides that list for this run only.
    st.html("<style>[data-testid='stSidebarNav']{display:none}</style>")
    holder = st.empty()  # gone once ready: the page below is drawn as on any other run
    with holder.status("正在准备数据库……", expanded=True):
        bar = st.progress(0.0)

        def tell(share: float, text: str) -> None:
            bar.progress(min(max(share, 0.0), 1.0), text=text)

        with trusted():  # start-up acts as the system: migrations, demo district, demo accounts
            ensure_ready(progress=tell)  # creates the database; loads the demo district only in demo mode
    holder.empty()


_ready()
mark_shell()
chinese_widget_text()
actor = signed_in()
if should_seed_demo():
    st.warning(
        f"演示模式：数据为虚构的清河区，演示账号 demo-admin / demo-assessor / demo-viewer / demo-unit，"
        f"密码均为 {DEMO_PASSWORD}。正式使用时请勿以演示模式启动。",
        icon=":material/science:",
    )
page = build_navigation(actor, first_run=actor is None and needs_first_admin())
if actor is None:
    remember_request(page.url_path)  # a shared link: opened again once signed in (pages/login.py)
else:
    with st.sidebar:
        st.text(f"{actor.display_name}（{actor.role_name}）")
        if actor.can("messages.read"):
            try:
                unread = unread_count(by=actor)  # one indexed COUNT per run
            except ServiceError:
                unread = 0  # a busy database must not take the whole page down for a badge
            if unread:
                st.page_link(
                    "pages/messages.py", label=f"站内消息 {unread} 条未读", icon=":material/mark_email_unread:"
                )
        if st.button("退出登录", icon=":material/logout:", key="logout"):
            end_session()
    path = page_file(page, actor)
    # A unit account's pages have their own choosers (the schemes that assess it).
    shows_view = actor.role != "unit" and path in FILTERED_PAGES and page_allowed(actor, path)
    if shows_view:
        apply_url()  # a link's scheme, period, unit … (ui/url_state.py), before the choosers are drawn
    filter_bar(show=shows_view)
run_page(page, actor)  # audits a refused URL; an unexpected error shows no traceback
