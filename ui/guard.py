"""Who is signed in, and the check every page makes first (`page_guard()`).

- `signed_in()` (app.py, every run): the account of this browser session — from the session
  token the login page stored, or else from the HttpOnly cookie (ui/auth_routes.py) — checked
  against the database each run, so logout, idle timeout, deactivation and role changes apply at
  once. It also makes that account the one services check when a page calls them (see
  services/permissions.py): a page that forgets `by=` is still refused what its role may not do.
- `page_guard()`: the page's permission (services/permissions.PAGE_PERMISSION) is checked on
  the server whatever way the page was reached — menu, URL or switch_page. The menu only lists
  permitted pages, but a hidden entry is not a permission.

Streamlit runs a file of `pages/` by itself when a fresh server's first request names its URL
(its older multipage mode, which lasts until app.py first calls st.navigation). Such a run has
skipped app.py — its setup and the sign-in check — so it is sent through app.py.

- `run_page()` (app.py): audits a page asked for by URL that the menu does not offer this role
  (Streamlit then shows the home page), and runs the chosen page so that an unexpected error
  shows a plain Chinese sentence while its traceback goes to the server log only.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
from urllib.parse import urlencode

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx
from streamlit.util import calc_hash

from services import permissions
from services.accounts import check_session, oidc_enabled, record_refusal
from services.errors import ServiceError
from services.permissions import ANONYMOUS, Actor
from ui import auth_routes
from ui.url_state import forget_request, relative_link, requested

SHELL_FLAG = "_shell_ran"
TOKEN_KEY = "_auth_token"
ACTOR_KEY = "_auth_actor"
NOTICE_KEY = "_auth_notice"
LOGIN_PAGE = "pages/login.py"
PAGES_DIR = Path(__file__).resolve().parents[1] / "pages"
REFUSED_KEY = "_refused_urls"  # pages already audited as refused in this browser session
PAGE_FAILED = "页面出错，已记录，请稍后重试或联系管理员。"
REFUSED_TITLE = "无权访问本页"
_log = logging.getLogger(__name__)


def mark_shell() -> None:
    """Called by app.py before it runs the chosen page."""
    st.session_state[SHELL_FLAG] = True


def _ambient() -> Actor | None:
    if get_script_run_ctx(suppress_warning=True) is None:
        return None  # not a Streamlit run: command line, tests, background work of the operator
    return st.session_state.get(ACTOR_KEY) or ANONYMOUS


permissions.install_ambient(_ambient)


def signed_in() -> Actor | None:
    """The signed-in account of this browser session, or None (checked in the database)."""
    token = st.session_state.get(TOKEN_KEY) or _cookie()
    actor = None
    if token:
        result = check_session(token)
        actor = result.actor
        if actor is None:
            st.session_state.pop(TOKEN_KEY, None)
            if result.reason == "expired":
                st.session_state[NOTICE_KEY] = "登录已超时，请重新登录。"
    if actor is None:
        st.session_state.pop(ACTOR_KEY, None)
        return None
    st.session_state[TOKEN_KEY] = token
    st.session_state[ACTOR_KEY] = actor
    return actor


def _cookie() -> str | None:
    value = st.context.cookies.get(auth_routes.COOKIE)
    return value if isinstance(value, str) and value else None


def current_actor() -> Actor | None:
    return st.session_state.get(ACTOR_KEY)


def start_session(token: str) -> None:
    """After a good password: this tab is signed in; with the cookie routes, the browser too."""
    st.session_state[TOKEN_KEY] = token
    st.session_state.pop(NOTICE_KEY, None)
    if auth_routes.mounted():
        from services.accounts import issue_ticket

        query = {"ticket": issue_ticket(token)}
        asked = requested()
        if asked is not None and asked[0]:  # a shared link opened while signed out: back to it
            query["next"] = relative_link(*asked)
        go_to(f"{auth_routes.SESSION_PATH}?{urlencode(query)}")
    # Without the cookie routes the address is unchanged: the rerun opens the page it names.
    forget_request()
    st.rerun()


def end_session() -> None:
    from services.accounts import logout

    token = st.session_state.pop(TOKEN_KEY, None) or _cookie()
    if token:
        logout(token)
    st.session_state.pop(ACTOR_KEY, None)
    if oidc_enabled() and st.user.is_logged_in:
        st.logout()  # also forget the identity provider's sign-in (its own redirect)
    if auth_routes.mounted():  # the route ends the cookie's session too and deletes the cookie
        go_to(auth_routes.LOGOUT_PATH, post=True)
    st.rerun()


def go_to(path: str, *, post: bool = False) -> None:
    """Send the browser to one of our own routes; `post`: as a same-origin form POST (logout,
    which must not be a link another site could trigger). `path` is built here from fixed parts,
    a random ticket and a URL-encoded return address (which the route checks again)."""
    if post:
        script = (
            "const f = document.createElement('form'); f.method = 'post'; "
            f"f.action = {json.dumps(path)}; document.body.appendChild(f); f.submit();"
        )
    else:
        script = f"window.location.replace({json.dumps(path)})"
    st.html(f"<script>{script}</script>", unsafe_allow_javascript=True)
    st.stop()


def _running_page() -> str | None:
    """The pages/ file whose code called us."""
    frame = sys._getframe(1)
    while frame is not None:
        path = Path(frame.f_code.co_filename)
        if path.parent == PAGES_DIR:
            return f"pages/{path.name}"
        frame = frame.f_back
    return None


def page_guard() -> Actor | None:
    """First call of every page: signed in, and allowed this page; returns the account."""
    if not st.session_state.get(SHELL_FLAG):
        st.switch_page("app.py")
    page = _running_page() or ""
    actor = current_actor()
    if permissions.page_permission(page) is None:
        return actor
    if actor is None:
        st.switch_page(LOGIN_PAGE)
    if not permissions.page_allowed(actor, page):
        _audit_refused_page(actor, page)
        st.error(f"您的账户（{actor.role_name}）无权访问此页面。")
        st.stop()
    return actor


def _audit_refused_page(actor: Actor, page: str) -> None:
    try:
        record_refusal(actor, f"page:{page}", f"打开页面 {page} 被拒绝（{actor.role_name}）")
    except Exception:  # noqa: BLE001 - an audit failure is logged; the refusal still shows
        _log.exception("could not audit a refused page (%s)", page)


def _requested_page() -> str | None:
    """The pages/ file this run's URL or page link asked for, if it is one of ours."""
    ctx = get_script_run_ctx(suppress_warning=True)
    if ctx is None:
        return None
    manager = ctx.pages_manager
    wanted_hash, wanted_name = manager.intended_page_script_hash, manager.intended_page_name
    for page in permissions.PAGE_PERMISSION:
        stem = Path(page).stem
        if (wanted_hash and calc_hash(stem) == wanted_hash) or (not wanted_hash and wanted_name == stem):
            return page
    return None


def audit_refused_url(actor: Actor | None) -> None:
    """A signed-in user asked (by URL) for a page their role does not open: the menu does not
    offer it, so Streamlit shows the home page; the attempt is audited once per browser session."""
    if actor is None:
        return
    page = _requested_page()
    if page is None or permissions.page_allowed(actor, page):
        return
    seen = st.session_state.setdefault(REFUSED_KEY, set())
    if page not in seen:
        seen.add(page)
        _audit_refused_page(actor, page)


def refused_page() -> None:
    """What a signed-in user sees at the URL of a page their role does not open (ui/nav.py lists
    such URLs as hidden entries, so Streamlit shows no English "Page not found" dialog)."""
    actor = current_actor()
    role = f"（{actor.role_name}）" if actor is not None else ""
    st.title(REFUSED_TITLE)
    st.error(
        f"您的账户{role}无权访问本页（此类访问会记入审计日志）。请从左侧菜单选择可以访问的页面；如需此页面的权限，请联系管理员。"
    )


def run_page(page: st.Page, actor: Actor | None) -> None:
    """app.py's last step: audit a refused URL, then run the chosen page. A refusal or another
    service error that a page let through shows its own (Chinese) message; anything unexpected
    is logged with its traceback on the server and the user sees only PAGE_FAILED."""
    audit_refused_url(actor)
    try:
        page.run()
    except ServiceError as exc:  # Forbidden included (already audited where it was raised)
        st.error(str(exc))
    except Exception:  # st.stop / st.rerun / switch_page are BaseExceptions and pass through
        if os.environ.get("ASSESS_RAISE_PAGE_ERRORS") == "1":  # the test suite: a failing page fails its test
            raise
        _log.exception("page %s failed", getattr(page, "title", "?"))
        st.error(PAGE_FAILED)
