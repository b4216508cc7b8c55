"""账户管理: create accounts, change role / unit / assigned schemes and categories, deactivate,
reset passwords, lift a lockout."""

from __future__ import annotations

import streamlit as st

from services.accounts import (
    MIN_PASSWORD,
    create_account,
    list_accounts,
    reset_password,
    unlock_account,
    update_account,
)
from services.catalog import list_categories, list_schemes, list_units
from services.errors import ServiceError
from services.password_rules import RULES_TEXT
from services.permissions import ROLE_NAMES
from ui.guard import page_guard
from ui.safe_table import show_table
from ui.text import md_lines
from ui.unit_picker import pick_unit

NEW_ROLE = "viewer"  # a new account's role until another is chosen: the least privilege
SCHEMES_PLACEHOLDER = "请选择负责的方案（非考核员不用选）"
CATS_PLACEHOLDER = "不选则为方案内全部类别"

actor = page_guard()
st.title("账户管理")

accounts = list_accounts(by=actor)
scheme_names = {v.scheme_key: v.name for v in list_schemes()}


def _scheme_labels(keys: str) -> str:
    """「方案甲、方案乙」 for the stored 「key、key」 (a user never reads a scheme's key)."""
    return "、".join(scheme_names.get(k, k) for k in keys.split("、") if k)


show_table(
    accounts.assign(
        schemes=accounts["schemes"].map(_scheme_labels),
        active=accounts["active"].map({True: "启用", False: "停用"}),
        locked=accounts["locked"].map({True: "锁定中", False: ""}),
        demo=accounts["demo"].map({True: "演示", False: ""}),
    )[
        [
            "username",
            "display_name",
            "role_name",
            "unit",
            "schemes",
            "categories",
            "active",
            "locked",
            "last_login",
            "demo",
        ]
    ].rename(
        columns={
            "username": "用户名",
            "display_name": "姓名",
            "role_name": "角色",
            "unit": "所属单位",
            "schemes": "负责方案",
            "categories": "负责类别",
            "active": "状态",
            "locked": "锁定",
            "last_login": "最近登录",
            "demo": "",
        }
    ),
    hide_index=True,
)

units = list_units(include_inactive=False)
unit_names = dict(zip(units["code"], units["name"], strict=True))
categories = list_categories()


def done(message: str) -> None:
    st.session_state["accounts_notice"] = message
    st.rerun()


notice = st.session_state.pop("accounts_notice", None)
if notice:
    st.success(md_lines(notice))


def unit_label(code: str) -> str:
    return f"{unit_names[code]}（{code}）"


new_tab, edit_tab, password_tab = st.tabs(["新建账户", "修改账户", "重置密码 / 解锁"])
st.caption(f"{RULES_TEXT}。“锁定中”表示该用户名在至少一个地址因连续登录失败暂停登录；解除锁定对所有地址生效。")
with new_tab:
    # outside the form: at province size the chooser searches, and a search box in a form would
    # only apply on submit
    new_unit = pick_unit(
        "所属单位（仅单位账户）", unit_names, "new_account_unit", none_label="—", format_func=unit_label
    )
with new_tab, st.form("new_account", clear_on_submit=False):
    c = st.columns(3)
    username = c[0].text_input("用户名（字母、数字、_ . @ -）")
    name = c[1].text_input("姓名")
    # The least privilege by default (领导: read-only, no unit needed): a form sent in haste never
    # makes an administrator; that role is chosen on purpose.
    role = c[2].selectbox("角色", list(ROLE_NAMES), list(ROLE_NAMES).index(NEW_ROLE), format_func=ROLE_NAMES.get)
    unit = new_unit
    schemes = st.multiselect(
        "负责方案（仅考核员）", list(scheme_names), format_func=scheme_names.get, placeholder=SCHEMES_PLACEHOLDER
    )
    cats = st.multiselect("负责类别（仅考核员；不选则为方案内全部类别）", categories, placeholder=CATS_PLACEHOLDER)
    password = st.text_input(f"初始密码（至少 {MIN_PASSWORD} 位）", type="password", autocomplete="new-password")
    if st.form_submit_button("新建", type="primary"):
        try:
            made = create_account(
                username, name, role, password, unit_code=unit, schemes=schemes, categories=cats, by=actor
            )
        except ServiceError as exc:
            st.error(md_lines(exc))
        else:
            done(f"已新建账户 {made.username}（{made.role_name}）")

names = list(accounts["username"])
with edit_tab:
    if names:
        who = st.selectbox("账户", names, key="edit_who")
        row = accounts.set_index("username").loc[who]
        unit_key = f"edit_account_unit_{who}"
        st.session_state.setdefault(unit_key, row["unit"] if row["unit"] in unit_names else None)  # as stored
        edit_unit = pick_unit("所属单位（仅单位账户）", unit_names, unit_key, none_label="—", format_func=unit_label)
        with st.form("edit_account"):
            c = st.columns(3)
            name = c[0].text_input("姓名", row["display_name"])
            role = c[1].selectbox(
                "角色", list(ROLE_NAMES), list(ROLE_NAMES).index(row["role"]), format_func=ROLE_NAMES.get
            )
            active = c[2].toggle("启用", bool(row["active"]))
            unit = edit_unit
            mine = [s for s in row["schemes"].split("、") if s in scheme_names]
            schemes = st.multiselect(
                "负责方案（仅考核员）",
                list(scheme_names),
                mine,
                format_func=scheme_names.get,
                placeholder=SCHEMES_PLACEHOLDER,
            )
            cats = st.multiselect(
                "负责类别（仅考核员）",
                categories,
                [c for c in row["categories"].split("、") if c in categories],
                placeholder=CATS_PLACEHOLDER,
            )
            if st.form_submit_button("保存修改", type="primary"):
                try:
                    update_account(
                        who, display_name=name, role=role, unit_code=unit, schemes=schemes, categories=cats,
                        active=active, by=actor,
                    )  # fmt: skip
                except ServiceError as exc:
                    st.error(md_lines(exc))
                else:
                    done(f"已修改账户 {who}；如角色、范围或状态有变，其登录已失效")

with password_tab:
    if names:
        who = st.selectbox("账户", names, key="reset_who")
        with st.form("reset_password", clear_on_submit=True):
            password = st.text_input(f"新密码（至少 {MIN_PASSWORD} 位）", type="password", autocomplete="new-password")
            if st.form_submit_button("重置密码"):
                try:
                    reset_password(who, password, by=actor)
                except ServiceError as exc:
                    st.error(md_lines(exc))
                else:
                    done(f"已重置 {who} 的密码，并解除锁定")
        if st.button("只解除锁定", key="unlock"):
            unlock_account(who, by=actor)
            done(f"已解除 {who} 的锁定")
