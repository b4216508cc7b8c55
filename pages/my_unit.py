"""本单位结果 (unit accounts): the signed-in unit's own score, rank, lost points and history.

The unit is the account's, never a page parameter: session state and query parameters are
ignored, and the service refuses any other unit. Of its peers the page shows numbers only (rank,
group size, median, best), formatted as the administrator's 单位详情 shows the same unit.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from reports import numbers
from reports.overview import rank_arrow
from reports.unit import dimension_subtotals, lost_points, target_rows
from scoring.periods import period_name
from services.catalog import list_schemes
from services.dashboard import KIND_NAMES
from services.objections import own_objections
from services.own_unit import OwnUnit, ResultsIncomplete, own_report, own_schemes, own_unit
from services.permissions import Actor
from services.rectification import my_tasks
from ui.charts import trend_lines
from ui.downloads import XLSX, download_button
from ui.guard import page_guard
from ui.safe_table import show_table
from ui.task_view import task_table
from ui.text import md_escape
from ui.unit_tables import dimension_columns, lost_columns, tag_table, unit_consequences, unit_tiles


def _standing(mine: OwnUnit) -> None:
    """Score, rank and its change, grade, the peer group's median and best (numbers only)."""
    unit_tiles(mine.row, mine.scheme.decimals, mine.peer_median, mine.peer_best)


def _consequences(mine: OwnUnit) -> None:
    """末位 / 一票否决 and what follows from them, in the words of 单位详情 and the meeting page."""
    row, scheme, d = mine.row, mine.scheme, mine.scheme.decimals
    unit_consequences(row, scheme)
    line, gap = scheme.bottom.threshold, row.get("gap_bottom_line")
    if line is not None and gap is not None and not pd.isna(gap):  # no line, or vetoed: no distance
        if gap > 0:
            st.caption(f"高出末位线（{line:g} 分）{numbers.points(gap, d)} 分。")
        elif gap < 0:
            st.caption(f"低于末位线（{line:g} 分）{numbers.points(-gap, d)} 分。")
        else:
            st.caption(f"恰在末位线（{line:g} 分）上。")


def _drill_down(mine: OwnUnit) -> None:
    if mine.explained is None:
        st.info(f"{mine.title}为多个月的平均分；逐项失分请选择具体月份查看。")
        return
    st.subheader("各维度得分")
    show_table(
        dimension_subtotals(mine.explained), hide_index=True, column_config=dimension_columns(mine.scheme.decimals)
    )
    tag_table(mine.explained, mine.scheme.decimals)
    st.subheader("失分明细（按失分从多到少）")
    lost = lost_points(mine.explained)
    if lost.empty:
        st.success("本期各项均未失分。")
    else:
        show_table(lost, hide_index=True, column_config=lost_columns(mine.scheme.decimals))
    targets = target_rows(mine.explained)
    if not targets.empty:
        st.subheader("目标完成情况")
        show_table(targets, hide_index=True)
    if len(mine.notes):
        st.subheader("考核组备注")
        show_table(
            mine.notes.rename(columns={"code": "指标", "assessor": "考核人", "note": "备注"})[
                ["指标", "考核人", "备注"]
            ],
            hide_index=True,
        )


def _history(mine: OwnUnit) -> None:
    st.subheader("历次得分与名次")
    h, d = mine.history, mine.scheme.decimals
    if len(h) > 1:
        left, right = st.columns(2)
        left.plotly_chart(trend_lines(h, "total", mine.scheme.bottom.threshold), config={"displayModeBar": False})
        right.plotly_chart(trend_lines(h, "rank"), config={"displayModeBar": False})
    else:
        st.caption("仅有一期数据，暂无趋势。")
    if len(h):
        h = h.iloc[::-1].reset_index(drop=True)  # newest first
        table = pd.DataFrame(
            {
                "期间": [period_name(str(p)) for p in h["period"]],
                "总分": h["total"].astype(float),
                "较上期": [numbers.change(v, d) for v in h["delta_total"]],
                "同类名次": [f"{int(r)} / {int(n)}" for r, n in zip(h["rank"], h["group_size"], strict=True)],
                "名次变化": [rank_arrow(v) for v in h["delta_rank"]],
                "等级": h["grade"].astype(str),
                "标记": [
                    "、".join(x for x, on in (("否决", v), ("末位", b)) if on)
                    for v, b in zip(h["veto"].fillna(False), h["bottom"].fillna(False), strict=True)
                ],
            }
        )
        show_table(
            table,
            hide_index=True,
            column_config={
                "总分": st.column_config.NumberColumn(format=f"%.{d}f"),
                "较上期": st.column_config.TextColumn(alignment="right"),
            },
        )


def _open_tasks_first(actor: Actor) -> None:
    """Open 整改 tasks before anything else: they have deadlines."""
    open_tasks = [t for t in my_tasks(by=actor) if t.is_open]
    if open_tasks:
        late = sum(t.overdue for t in open_tasks)
        text = f"本单位有 {len(open_tasks)} 项整改任务未完成" + (f"，其中 {late} 项已逾期" if late else "") + "。"
        (st.error if late else st.warning)(text, icon=":material/assignment_late:")
        st.page_link("pages/my_tasks.py", label="去提交整改材料", icon=":material/arrow_forward:")


def _cycle_sections(actor: Actor, key: str, period: str) -> None:
    """本单位申诉 on this scheme's results and the unit's 整改 tasks from this scheme, each with a
    link to the page where the unit acts on them."""
    objections = [o for o in own_objections(key, by=actor) if o.period == period]
    if objections:
        st.subheader("本单位申诉")
        for o in objections:
            line = f"申诉 #{o.id} · {o.item} · {o.outcome_text}"  # it opens with the status itself
            (st.info if o.status == "open" else st.success)(md_escape(line))
        st.page_link("pages/unit_objections.py", label="查看申诉详情", icon=":material/arrow_forward:")
    tasks = [t for t in my_tasks(by=actor) if t.scheme_key in (key, None)]
    if tasks:
        st.subheader("整改任务")
        show_table(task_table(tasks, with_unit=False), hide_index=True, width="stretch")
        st.page_link("pages/my_tasks.py", label="查看和提交整改", icon=":material/arrow_forward:")


def _results(actor: Actor, key: str, period: str) -> None:
    """The unit's result in the chosen period, or one sentence why there is none."""
    try:
        mine = own_unit(key, period, by=actor)
    except ResultsIncomplete as exc:  # says nothing of other units (the scoring error would)
        st.info(str(exc), icon=":material/hourglass_empty:")
        return
    if mine is None:
        st.info(f"{period_name(period)}：本期考核结果尚未发布。")
        return
    if mine.row is None:
        st.info(f"本单位在 {period_name(period)} 没有考核结果。")
        return
    scheme = mine.scheme
    st.caption(md_escape(f"{scheme.name} · 版本 {scheme.version} · {mine.title}"))
    _standing(mine)
    _consequences(mine)
    if mine.explained is not None:  # a native period: its workbook has the criteria with traces
        download_button(
            "下载本单位考核结果（Excel）",
            lambda by: own_report(key, period, by=by),
            permission="results.own",
            what=f"unit_report:{mine.unit}",
            file_name=f"{actor.unit_name}_{mine.title}_考核结果.xlsx",
            mime=XLSX,
            icon=":material/download:",
            key="own_report",
        )
    _drill_down(mine)
    _history(mine)


actor = page_guard()
st.title("本单位结果")
st.text(f"{actor.unit_name}（{actor.unit_code}）")
_open_tasks_first(actor)
choices = own_schemes(by=actor)
if not choices:
    st.info("尚无考核本单位的方案数据。")
    st.stop()
c = st.columns(3)
names = {v.scheme_key: v.name for v in list_schemes()}
key = c[0].selectbox("考核方案", list(choices), format_func=lambda k: names.get(k, k), key="own_scheme")
kind = c[1].segmented_control(
    "期间类型", list(choices[key]), format_func=KIND_NAMES.get, default=next(iter(choices[key])), key=f"own_kind_{key}"
) or next(iter(choices[key]))
period = c[2].selectbox("期间", choices[key][kind], format_func=period_name, key=f"own_period_{key}_{kind}")
_results(actor, key, period)
_cycle_sections(actor, key, period)
