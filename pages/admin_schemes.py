"""方案管理: start a draft (the next version of a scheme, a copy, a skeleton, a file), edit it in
the form editor or, for experts, as YAML; every edit is checked with located messages, previewed
on the latest period's data and compared with the previous version before it is saved."""

from __future__ import annotations

import streamlit as st
import yaml

from services._db import local_time
from services.catalog import list_categories
from services.scheme_admin import check_draft, versions_table
from ui.guard import page_guard
from ui.safe_table import show_table
from ui.scheme_book_panel import show_book_download
from ui.scheme_editor import panels
from ui.scheme_editor.convert import to_yaml
from ui.scheme_editor.editor import scheme_editor

actor = page_guard()
st.title("方案管理")
panels.show_saved()

st.subheader("已登记的方案版本")
versions = versions_table(by=actor)
versions = versions.assign(created_at=versions["created_at"].map(local_time)).drop(columns="scheme")  # name, not key
show_table(panels.versions_frame(versions), hide_index=True)

show_book_download()

st.subheader("编辑方案")
start = panels.choose_start()
if start.data is None:
    st.stop()
override_key = f"scheme_yaml_{start.token}"
override = st.session_state.get(override_key)
table_tab, yaml_tab = st.tabs(["表格编辑", "YAML（专家视图）"])
with table_tab:
    if override is not None and not check_draft(override, by=actor).ok:
        st.info("YAML 视图中的内容有误，请先在 YAML 视图中改正；改正并采用后即可用表格编辑。")
        data, table_problems, source = {}, [], override
    else:
        editor_key = panels.draft_token(start.token, override)
        base = start.data if override is None else yaml.safe_load(override)
        data, table_problems = scheme_editor(base, key=editor_key, categories=list_categories())
        source = to_yaml(data)
with yaml_tab:
    st.caption("方案以 YAML 格式保存（写法见随系统提供的方案格式说明）。在此修改后按「采用此 YAML」，表格随之更新。")
    text = st.text_area("方案内容（YAML）", source, height=420, key=f"scheme_text_{hash(source)}")
    if st.button("采用此 YAML", key="scheme_yaml_apply"):
        st.session_state[override_key] = text
        st.rerun()

draft = check_draft(source, by=actor)
if not panels.show_checks(draft, data, table_problems) or draft.scheme is None:
    st.stop()
panels.show_preview(draft.scheme, actor)
panels.show_diff(start.previous, draft.scheme, actor)
panels.save_form(source, draft.scheme, start, actor)
