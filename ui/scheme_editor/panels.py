"""The sections of 方案管理 around the editor: where a draft starts, the checks, the preview, the
diff against the previous version and the save. Each is one function the page calls in order."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st
import yaml

from scoring import Scheme
from services._db import local_today
from services.catalog import latest_version, list_schemes, register_scheme, scheme_versions
from services.errors import ServiceError
from services.permissions import Actor
from services.scheme_admin import Draft, preview
from services.scheme_diff import diff_effect, diff_versions
from ui.safe_table import show_table
from ui.scheme_book_panel import CHOICE as BOOK_CHOICE
from ui.scheme_book_panel import book_upload
from ui.scheme_draft_view import CHOICE as DRAFT_CHOICE
from ui.scheme_draft_view import draft_upload
from ui.scheme_editor.convert import locate
from ui.scheme_editor.starts import copy_key, copy_of, key_problem, next_version, skeleton
from ui.tables import PAGE_ROWS, pager
from ui.text import md_escape, md_lines

STARTS = ["修改已有方案", "新建方案（复制已有方案）", "新建空白方案", BOOK_CHOICE, DRAFT_CHOICE, "上传方案文件（YAML）"]
SAVED = "scheme_saved_message"  # shown once after the page reran on a save


@dataclass
class Start:
    data: dict[str, Any] | None  # the scheme as written, None until there is one
    previous: Scheme | None  # the stored version the draft replaces (None for a new scheme)
    new_key: bool  # the draft creates a scheme: its id must be free
    token: str  # names the draft: editor state and the YAML override belong to it


def draft_token(*parts: object) -> str:
    return hashlib.sha1(repr(parts).encode("utf-8")).hexdigest()[:12]


def choose_start() -> Start:
    """Where the draft starts: the next version of a stored scheme, a copy, a skeleton, a file."""
    schemes = {v.scheme_key: v for v in list_schemes()}
    taken = set(schemes)
    start = st.radio("从哪里开始", STARTS, horizontal=True, key="scheme_start")
    label = lambda k: f"{schemes[k].name}（版本 {schemes[k].version}）"  # noqa: E731
    if start == STARTS[0] and schemes:
        key = st.selectbox("方案", list(schemes), format_func=label, key="scheme_pick")
        stored = latest_version(key)
        data = yaml.safe_load(stored.source)
        versions = [v.version for v in scheme_versions(key)]
        data["version"] = next_version(str(data.get("version", "")), versions)  # a save must change it
        return Start(data, stored.load(), False, draft_token(start, key, stored.id))
    if start in STARTS[1:3]:
        year = local_today().year
        if start == STARTS[1] and schemes:
            origin = st.selectbox("复制哪个方案", list(schemes), format_func=label, key="scheme_copy_from")
            a, b = st.columns(2)
            name = a.text_input(
                "新方案名称", f"{schemes[origin].name}（{year}）", key=f"scheme_new_name_{origin}"
            ).strip()
            new = b.text_input(
                "新方案编码", copy_key(origin, taken), key=f"scheme_new_key_{origin}", help=_KEY_HELP
            ).strip()
            base = yaml.safe_load(latest_version(origin).source)
            data = copy_of(base, new, name, f"{year}.1")
        else:
            a, b = st.columns(2)
            name = a.text_input("新方案名称", "新考核方案", key="scheme_blank_name").strip()
            new = b.text_input("新方案编码", copy_key("scheme", taken), key="scheme_blank_key", help=_KEY_HELP).strip()
            data = skeleton(new, name, f"{year}.1")
        problem = key_problem(new, taken)
        if problem:
            st.error(md_escape(problem))
        return Start(data, None, True, draft_token(start, data.get("id"), name))
    if start in (BOOK_CHOICE, DRAFT_CHOICE):  # an edited workbook, or a bureau's own table as a draft
        text = book_upload() if start == BOOK_CHOICE else draft_upload()
        if not text:
            return Start(None, None, False, "")
        return _from_text(text, schemes, draft_token(start, text))
    uploaded = st.file_uploader("方案文件（.yaml）", type=None, key="scheme_file")  # refusals in Chinese below
    if uploaded is None:
        return Start(None, None, False, "")
    try:
        data = yaml.safe_load(uploaded.getvalue().decode("utf-8"))
    except UnicodeDecodeError:
        st.error("方案文件不是 UTF-8 编码的文本，请用 UTF-8 保存后重新上传。")
        return Start(None, None, False, "")
    except yaml.YAMLError:
        data = None
    if not isinstance(data, dict):
        st.error("方案文件不是有效的 YAML 方案（顶层应为 id、name、criteria 等项），请在下方 YAML 视图中查看。")
        return Start({"criteria": []}, None, False, draft_token("upload", uploaded.getvalue()))
    key = str(data.get("id", ""))
    previous = latest_version(key).load() if key in schemes else None
    return Start(data, previous, previous is None, draft_token("upload", uploaded.getvalue()))


def _from_text(text: str, schemes: dict, token: str) -> Start:
    """A scheme read from a file: a new version of the stored scheme with its id (the version moved
    on when the file keeps one already registered), else a new scheme."""
    data = yaml.safe_load(text)
    key = str(data.get("id", ""))
    if key not in schemes:
        return Start(data, None, True, token)
    versions = [v.version for v in scheme_versions(key)]
    if str(data.get("version", "")) in versions:
        data["version"] = next_version(str(data.get("version", "")), versions)
    return Start(data, latest_version(key).load(), False, token)


_KEY_HELP = "方案在系统中的编码，保存后不能修改；小写英文字母开头，可含数字和下划线"


def show_checks(draft: Draft, data: dict[str, Any], table_problems: list[str]) -> bool:
    """The located problems (the tables' own, then the format's) and lint warnings; True when savable."""
    problems = table_problems + [locate(p, data) for p in draft.problems]
    if problems:
        st.error(f"方案有 {len(problems)} 处问题，不能保存：")
        st.code("\n".join(problems), language=None)
        return False
    scheme = draft.scheme
    assert scheme is not None
    st.success(
        f"校验通过：{md_escape(scheme.name)} 版本 {md_escape(scheme.version)}，共 {len(scheme.leaves)} 个评分细则。"
    )
    if draft.warnings:
        st.warning(f"请核对以下 {len(draft.warnings)} 处（可以保存）：")
        st.code("\n".join(locate(w, data) for w in draft.warnings), language=None)
    return True


_UNIT_COLUMNS = {"unit": "编码", "name": "单位", "category": "类别", "total": "总分", "rank": "名次", "grade": "等级"}


def show_preview(scheme: Scheme, actor: Actor | None) -> None:
    st.subheader("用最近一期数据预览")
    shown = preview(scheme, by=actor)
    if shown is None:
        st.info("该方案尚无数据，无法预览。")
        return
    st.caption(md_escape(shown.message))
    if not shown.units.empty:
        _paged(shown.units.rename(columns=_UNIT_COLUMNS), "scheme_preview_page")


def _paged(table: pd.DataFrame, key: str) -> None:
    """A table of units in pages of PAGE_ROWS: bounded at any size (40,000 units would otherwise all go)."""
    start = pager(len(table), key) * PAGE_ROWS
    show_table(table.iloc[start : start + PAGE_ROWS], hide_index=True)


_EFFECT_COLUMNS = {
    "unit": "编码",
    "name": "单位",
    "category": "类别",
    "old_total": "原总分",
    "new_total": "新总分",
    "change": "变化",
    "old_rank": "原名次",
    "new_rank": "新名次",
}


def show_diff(previous: Scheme | None, scheme: Scheme, actor: Actor | None) -> None:
    """What the draft changes against the stored version, and what that does to each unit."""
    st.subheader("与上一版本比较")
    if previous is None:
        st.info("这是一个新方案，没有上一版本可比较。")
        return
    diff = diff_versions(previous, scheme)
    if diff.empty:
        st.info("与上一版本相同。")
        return
    st.markdown(f"与版本 {md_escape(previous.version)} 相比：")
    st.code("\n".join(diff.lines), language=None)
    effect = diff_effect(previous, scheme, by=actor)
    if effect is None:
        st.caption("该方案尚无数据，无法比较对各单位得分的影响。")
        return
    st.caption(md_escape(effect.message))
    moved = effect.changed
    if effect.units.empty:
        return
    if moved.empty:
        st.info("各单位的总分和名次都不变。")
        return
    st.markdown(f"总分或名次变化的单位（{len(moved)} 个，共 {len(effect.units)} 个）：")
    _paged(moved.rename(columns=_EFFECT_COLUMNS), "scheme_effect_page")


def save_form(source: str, scheme: Scheme, start: Start, actor: Actor | None) -> None:
    """保存为新版本: a note is required, the version must be new, a new scheme's key free."""
    with st.form("save_scheme"):
        note = st.text_input("版本说明（必填，记入审计日志）", key="scheme_note")
        if not st.form_submit_button("保存为新版本", type="primary"):
            return
    taken = [v.version for v in scheme_versions(scheme.id)]
    known = {v.scheme_key for v in list_schemes()}
    if not note.strip():
        st.error("请填写版本说明（改了什么、为什么改），再保存。")
        return
    if start.new_key and (why := key_problem(scheme.id, known)):
        st.error(md_escape(why))
        return
    if scheme.version in taken:
        st.error(
            f"版本 {md_escape(scheme.version)} 已登记过，请改为新的版本号（建议 {md_escape(next_version(scheme.version, taken))}）。"
        )
        return
    try:
        outcome = register_scheme(source, note=note.strip(), by=actor)
    except ServiceError as exc:
        st.error(md_lines(exc))
        return
    st.session_state[SAVED] = outcome.message
    st.session_state.pop("scheme_note", None)
    st.rerun()


def show_saved() -> None:
    message = st.session_state.pop(SAVED, None)
    if message:
        st.success(md_lines(message))


def versions_frame(versions: pd.DataFrame) -> pd.DataFrame:
    return versions.rename(
        columns={
            "version": "版本",
            "name": "名称",
            "categories": "适用类别",
            "created_by": "登记人",
            "created_at": "登记时间",
            "note": "说明",
        }
    )
