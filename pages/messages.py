"""站内消息: the signed-in account's messages, newest first — results published, 公示, objections
answered, tasks due — with the page each one is about, and marking them read. An account sees and
marks only its own messages (services/messages.py checks it)."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import streamlit as st

from services._db import local_time
from services.errors import ServiceError
from services.messages import DEFAULT_LIMIT, MessageInfo, mark_all_read, mark_read, my_messages, unread_count
from services.permissions import Actor
from ui.guard import page_guard
from ui.nav import allowed_pages
from ui.text import md_escape, md_lines

NOTICE = "messages_notice"

actor = page_guard()
st.title("站内消息")
st.caption("考核结果发布、公示、申诉答复、整改任务及其到期提醒都会在这里通知您。消息只有本人可见。")
notice = st.session_state.pop(NOTICE, None)
if notice:
    st.success(md_escape(notice))


def _page_of(link: str, who: Actor | None) -> tuple[str, dict[str, str]] | None:
    """The page (and its query) a message links to, if it is one of this account's menu pages:
    st.page_link works only for pages in the menu, and a link to another role's page would only
    be refused."""
    if not link or who is None:
        return None
    parts = urlsplit(link)
    mine = {path for pages in allowed_pages(who).values() for path, _, _ in pages}
    return (parts.path, dict(parse_qsl(parts.query))) if parts.path in mine else None


def _show(m: MessageInfo) -> None:
    with st.container(border=True):
        state = ":blue-badge[未读]" if m.unread else ":gray-badge[已读]"  # a badge: no emoji font needed
        st.markdown(f"{state} · {md_escape(m.kind_name)} · {md_escape(local_time(m.created_at))}")
        st.markdown(f"**{md_escape(m.title)}**")
        if m.body:
            st.markdown(md_lines(m.body))
        target = _page_of(m.link, actor)
        if target is not None:
            st.page_link(target[0], label="查看详情", icon=":material/arrow_forward:", query_params=target[1] or None)
        if m.unread and st.button("标为已读", key=f"messages_read_{m.id}"):
            try:
                mark_read([m.id], by=actor)
            except ServiceError as exc:
                st.error(md_lines(exc))
            else:
                st.rerun()


try:
    unread = unread_count(by=actor)
    left, right = st.columns([3, 1], vertical_alignment="center")
    only_unread = left.toggle("只看未读", key="messages_unread_only")
    left.text(f"未读 {unread} 条" if unread else "没有未读消息")
    if right.button("全部标为已读", key="messages_all_read", disabled=unread == 0):
        done = mark_all_read(by=actor)
        st.session_state[NOTICE] = f"已将 {done} 条消息标为已读。"
        st.rerun()
    items = my_messages(by=actor, unread_only=only_unread, limit=DEFAULT_LIMIT)
except ServiceError as exc:
    st.error(md_lines(exc))
    st.stop()

if not items:
    st.info("没有未读消息。" if only_unread else "暂无站内消息。考核结果发布或有需要您处理的事项时，会在这里通知您。")
for message in items:
    _show(message)
if len(items) >= DEFAULT_LIMIT:
    st.caption(f"仅显示最近 {DEFAULT_LIMIT} 条消息。")
