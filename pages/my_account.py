"""我的账户: who I am, what my role allows, change my password."""

from __future__ import annotations

import streamlit as st

from services.accounts import MIN_PASSWORD, change_password
from services.catalog import list_schemes
from services.errors import ServiceError
from services.password_rules import RULES_TEXT
from services.permissions import PERMISSIONS
from ui.client import client_address
from ui.guard import TOKEN_KEY, page_guard

actor = page_guard()
st.title("我的账户")
st.text(f"用户名：{actor.username}\n姓名：{actor.display_name}\n角色：{actor.role_name}")
if actor.unit_code:
    st.text(f"所属单位：{actor.unit_name}（{actor.unit_code}）")
if actor.role == "assessor":
    names = {v.scheme_key: v.name for v in list_schemes()}  # the names people know, not the keys
    schemes = "、".join(names.get(k, k) for k in actor.schemes)
    st.text(f"负责方案：{schemes or '（未分配）'}\n负责类别：{'、'.join(actor.categories) or '方案内全部类别'}")
st.caption("可以：" + "、".join(PERMISSIONS[p] for p in PERMISSIONS if actor.can(p)))

st.subheader("修改密码")
st.caption(f"{RULES_TEXT}。")
with st.form("change_password", clear_on_submit=True):
    old = st.text_input("原密码", type="password", autocomplete="current-password")
    new = st.text_input(f"新密码（至少 {MIN_PASSWORD} 位）", type="password", autocomplete="new-password")
    again = st.text_input("再次输入新密码", type="password", autocomplete="new-password")
    if st.form_submit_button("修改密码"):
        if new != again:
            st.error("两次输入的新密码不一致")
        else:
            try:
                change_password(actor, old, new, token=st.session_state.get(TOKEN_KEY, ""), source=client_address())
            except ServiceError as exc:
                st.error(str(exc))
            else:
                st.success("密码已修改；其他设备上的登录已退出。")
