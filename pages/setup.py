"""首次设置: a real installation without an administrator creates its first one here.

Shown instead of the login while there is no administrator and demo mode is off
(services/bootstrap.needs_first_admin). The one-time setup code the server printed in its log
proves the visitor is the operator (services/bootstrap.create_first_admin); the new
administrator is then signed in at once.
"""

from __future__ import annotations

import streamlit as st

from services.accounts import MIN_PASSWORD, authenticate
from services.bootstrap import create_first_admin, needs_first_admin, setup_code
from services.errors import ServiceError
from ui.guard import page_guard, start_session

page_guard()
if not needs_first_admin():  # made meanwhile (another tab, the command line): the app shows the login
    st.rerun()
setup_code()  # make and print the code now, so the operator can read it before submitting

st.title("首次设置：创建管理员")
st.info(
    "系统中还没有管理员。请输入服务器日志中打印的设置码（启动本系统的终端窗口，或系统服务的日志），"
    "并为第一位管理员设置用户名和密码。也可以在服务器上运行 python manage.py create-user 用户名 --role admin。"
)
with st.form("first_admin", enter_to_submit=True):
    code = st.text_input("设置码", key="setup_code", placeholder="例如 1234-5678-9012")
    username = st.text_input("管理员用户名", key="setup_username", autocomplete="username")
    name = st.text_input("姓名", key="setup_name")
    password = st.text_input(
        f"密码（至少 {MIN_PASSWORD} 位）", type="password", key="setup_password", autocomplete="new-password"
    )
    again = st.text_input("再次输入密码", type="password", key="setup_again", autocomplete="new-password")
    submitted = st.form_submit_button("创建管理员并登录", type="primary")

if submitted:
    if password != again:
        st.error("两次输入的密码不一致。")
        st.stop()
    try:
        made = create_first_admin(code, username, name, password)
        token = authenticate(made.username, password, source=str(st.context.ip_address or ""))
    except ServiceError as exc:
        st.error(str(exc))
        st.stop()
    start_session(token)
