"""方案管理's 评分细则 workbook panel: download a scheme as its workbook, upload one back.

The upload returns the scheme's YAML text for the page's editor, which validates, previews and
saves it as it does any draft; nothing is stored here.
"""

from __future__ import annotations

import streamlit as st

from services.catalog import latest_version, list_schemes
from services.file_names import safe_file_name
from sheets.scheme_book import NotOurBook, SchemeBookError, read_scheme_book, scheme_yaml, write_scheme_book
from ui.downloads import XLSX, download_button
from ui.text import md_escape

TITLE = "用 Excel 编写方案（评分细则工作簿）"
HELP = (
    "下载的工作簿第一张是可打印的评分细则表；「方案信息」「指标」「评分参数」及分档、任务等表可在 Excel 或 WPS 中修改"
    "（带下拉选项）。修改后上传，内容会放入下方编辑框，校验通过后即可预览和保存为新版本。"
)
NOT_OURS = (
    "这不是本系统导出的评分细则工作簿（没有「评分参数」工作表）。单位已有的评分细则表请在上方选择"
    "「导入已有评分细则表（Word / Excel）」读成方案草稿；或先下载某个方案的工作簿，在其中修改后再上传。"
)


def _book_of(key: str) -> bytes:
    return write_scheme_book(latest_version(key).load())


CHOICE = "上传评分细则工作簿（Excel）"


def show_book_download() -> None:
    """The download of a stored scheme's 评分细则 workbook (print it, or edit it and upload it back)."""
    with st.expander(TITLE, expanded=False):
        st.caption(HELP)
        schemes = {v.scheme_key: v for v in list_schemes()}
        if not schemes:
            st.caption("还没有已登记的方案。")
            return
        key = st.selectbox(
            "下载哪个方案的工作簿",
            list(schemes),
            format_func=lambda k: f"{schemes[k].name}（版本 {schemes[k].version}）",
            key="book_pick",
        )
        v = schemes[key]
        download_button(
            "下载评分细则工作簿",
            lambda _account, key=key: _book_of(key),
            permission="schemes.edit",
            what=f"scheme_book:{key}",
            file_name=safe_file_name(f"{v.name}_评分细则_v{v.version}.xlsx"),
            key="book_download",
            mime=XLSX,
        )


def book_upload() -> str:
    """An uploader for an edited 评分细则 workbook: its scheme as YAML, or '' (problems shown)."""
    uploaded = st.file_uploader("评分细则工作簿（.xlsx）", type=None, key="book_file")
    if uploaded is None:
        return ""
    try:
        data = read_scheme_book(uploaded.getvalue())
    except SchemeBookError as exc:
        st.error(f"工作簿有 {len(exc.messages)} 处问题，未读入：")
        st.code("\n".join(exc.messages), language=None)
        return ""
    except NotOurBook:
        st.error(NOT_OURS)
        return ""
    st.success(f"已读入工作簿「{md_escape(uploaded.name)}」，内容已放入下方编辑区。")
    return scheme_yaml(data, uploaded.name)
