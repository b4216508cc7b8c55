"""填报进度: for the chosen scheme and period, which units each assessment team has reported, what
is still missing, where teams contradict each other, and the deadline (overdue highlighted).
The first page assessors and administrators see."""

from __future__ import annotations

import streamlit as st

from scoring.periods import period_name, period_type
from services.errors import ServiceError
from services.progress import progress
from services.publishing import publication
from ui.filters import current
from ui.guard import page_guard
from ui.safe_table import show_table
from ui.tables import PAGE_ROWS, pager
from ui.text import md_escape, md_lines

actor = page_guard()
st.title("填报进度")
f = current()
if f.scheme is None or f.period is None:
    st.info("尚无评分数据，请先上传评分表。")
    st.stop()
if period_type(f.period) != f.scheme.period_type:
    st.info("填报进度按具体月份查看，请在页面上方选择月份。")
    st.stop()
try:
    found = progress(f.scheme.key, f.period, by=actor)
except ServiceError as exc:
    st.error(md_lines(exc))
    st.stop()
st.subheader(f"{md_escape(found.scheme_name)} · {period_name(found.period)}")
published = publication(f.scheme.key, f.period)
st.text(published.text if published else "本期考核结果尚未发布（草稿）")
c = st.columns(4)
c[0].metric("数据完整的单位", f"{found.complete}/{len(found.units)}", border=True)
c[1].metric("考核组", len(found.teams), border=True)
c[2].metric("考核组意见冲突", len(found.conflicts), border=True)
c[3].metric("截止日期", f"{found.deadline:%m-%d}" if found.deadline else "未设", border=True)
if found.overdue:
    st.error(f"已逾期：{found.deadline_text}，仍有 {len(found.units) - found.complete} 个单位数据不完整。")
else:
    st.info(found.deadline_text)

table = found.units.rename(
    columns={"unit": "单位编码", "name": "单位", "category": "类别", "missing": "缺项数", "missing_codes": "缺少的指标",
             "conflicts": "冲突", "status": "状态"}
)  # fmt: skip
only_open = st.toggle("只看未完成的单位", value=True, key="progress_open")
if only_open:
    table = table[table["状态"] != "完整"]
st.caption(f"每个单位需填 {found.required} 项；考核组列为该组已填的项数。")


def _highlight(row):  # noqa: ANN001, ANN202
    color = "" if row["状态"] == "完整" else ("background-color: #fdecea" if found.overdue else "")
    return [color] * len(row)


page = pager(len(table), "progress_page_no")  # a province's units: pages, not one huge Styler
table = table.iloc[page * PAGE_ROWS : (page + 1) * PAGE_ROWS]
show_table(table.style.apply(_highlight, axis=1), hide_index=True, width="stretch")
if len(found.conflicts):
    st.markdown("**考核组意见冲突（一方填「不适用」，另一方填了数值）**")
    show_table(
        found.conflicts.rename(columns={"unit": "单位编码", "name": "单位", "code": "指标编码", "item": "指标",
                                        "detail": "各组填报"}),
        hide_index=True,
        width="stretch",
    )  # fmt: skip
