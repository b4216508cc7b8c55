"""登录: user name and password; the only page anyone reaches before signing in."""

from __future__ import annotations

import streamlit as st

from services.accounts import (
    MAX_FAILURES,
    LoginRefused,
    authenticate,
    authenticate_external,
    has_accounts,
    oidc_enabled,
)
from services.branding import bureau_name, product_name
from services.errors import ServiceError
from services.login_throttle import PAIR_PAUSE
from services.password_rules import RULES_TEXT
from ui import auth_routes
from ui.client import client_address
from ui.guard import NOTICE_KEY, current_actor, page_guard, start_session
from ui.text import md_escape

page_guard()
if current_actor() is not None:  # already signed in (e.g. the login URL opened again)
    st.switch_page("app.py")

# Who runs this installation and what it is, before anything is asked (ASSESS_BUREAU_NAME, ASSESS_PRODUCT_NAME).
st.subheader(md_escape(f"{bureau_name()} · {product_name()}"), anchor=False)
st.title("登录")
notice = st.session_state.pop(NOTICE_KEY, None)
if notice:
    st.info(notice)
if not has_accounts():
    st.warning(
        "系统中还没有任何账户。请在服务器上运行：\n\n"
        "`python manage.py create-user 用户名 --role admin --name 姓名`\n\n创建第一个管理员后再登录。"
    )

with st.form("login", enter_to_submit=True):
    username = st.text_input("用户名", key="login_username", autocomplete="username")
    password = st.text_input("密码", type="password", key="login_password", autocomplete="current-password")
    submitted = st.form_submit_button("登录", type="primary")

if submitted:
    source = client_address()  # behind a trusted proxy, the browser's address (ASSESS_TRUSTED_PROXIES)
    try:
        token = authenticate(username, password, source=source)
    except LoginRefused as exc:
        st.error(str(exc))
        st.stop()
    except ServiceError as exc:
        st.error(str(exc))
        st.stop()
    start_session(token)

if oidc_enabled():  # optional single sign-on through st.login (docs/accounts.md)
    if st.user.is_logged_in:
        try:
            start_session(authenticate_external(str(st.user.get("email") or ""), source="oidc"))
        except LoginRefused as exc:
            st.error(str(exc))
    elif st.button("使用统一身份认证登录", key="oidc_login"):
        st.login()

st.caption(
    f"同一地址连续 {MAX_FAILURES} 次登录失败后，该用户名在此地址暂停登录 {int(PAIR_PAUSE.total_seconds() // 60)} 分钟"
    f"（再失败则时间加倍）；长时间无操作将自动退出。{RULES_TEXT}，可在“我的账户”中修改。"
)
if not auth_routes.mounted():
    st.caption(
        "提示：当前以 streamlit run app.py 启动，刷新浏览器需重新登录；以 streamlit run serve.py 启动可保持登录。"
    )
