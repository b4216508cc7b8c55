"""全区总览: every scheme of the chosen month on one page (published results only) — per scheme
and peer group the headline figures, one 红黑榜 across schemes, every 末位 and vetoed unit with its
consequence, and where each scheme stands (发布, 填报进度, 公示, 申诉, 整改). Every scheme and unit
leads to its ranking or unit page, with that scheme, period and unit chosen."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from reports import numbers
from reports.cockpit import RED_BLACK_RULE, fmt_change, fmt_points, fmt_rate
from reports.overview import UNMET_HELP
from scoring.periods import period_name
from services._db import local_time
from services.cockpit import Cockpit, SchemeSummary, cockpit, cockpit_periods
from ui.guard import page_guard
from ui.safe_table import static_table
from ui.text import md_escape
from ui.url_state import asked, choose, write_url

RANKING = "pages/ranking.py"
UNIT = "pages/unit_detail.py"
_GO = "_cockpit_go"  # the page a drill-through button asked for, switched to on the next run


def _preset(scheme: str, period: str, unit: str | None, page: str) -> None:
    """Button callback (runs before the next run, so the choosers may still be set): choose the
    scheme, its period and the unit, then go."""
    choose(scheme, period, unit=unit)
    st.session_state[_GO] = page


def _link(label: str, scheme: str, period: str, unit: str | None, page: str, key: str, help: str) -> None:
    st.button(
        label,
        key=key,
        type="tertiary",
        icon=":material/arrow_forward:",
        help=help,
        on_click=_preset,
        args=(scheme, period, unit, page),
    )


page_guard()
target = st.session_state.pop(_GO, None)
if target:
    st.switch_page(target)

st.title("全区总览")
months = cockpit_periods()
if not months:
    st.info("尚无已发布的考核结果。考核结果经「审定发布」后在此汇总显示。")
    st.stop()
linked = asked("period")  # a bookmarked or sent link names its month
if linked in months:
    st.session_state["cockpit_month"] = linked
if st.session_state.get("cockpit_month") not in months:
    st.session_state.pop("cockpit_month", None)  # default: the newest period with published results
month = st.selectbox("考核期间", months, format_func=period_name, key="cockpit_month", width=240)
write_url(period=month)
data: Cockpit = cockpit(month)
st.caption(
    f"{period_name(month)}各考核方案的已发布结果；季度、年度方案显示包含本期的季度或年度。"
    "点击方案名查看排名，点击单位名查看单位详情。"
)

# -- the whole bureau ---------------------------------------------------------------------------
shown = data.published
whole = [s.lines[0].headline for s in shown]
c = st.columns(5)
c[0].metric("已发布方案", f"{len(shown)} / {len(data.schemes)}", border=True)
c[1].metric("参评单位（人）", f"{sum(h.assessed for h in whole):,}", border=True)
c[2].metric("末位", f"{sum(h.below_line for h in whole):,}", border=True)
c[3].metric("一票否决", f"{sum(h.vetoed for h in whole):,}", border=True)
if any(h.below_line or h.vetoed for h in whole):  # the units behind the two tiles, further down
    c[2].markdown("[:material/arrow_downward: 查看名单](#flagged)")
    c[3].markdown("[:material/arrow_downward: 查看名单](#flagged)")
# The engine's count (targets missed and checklists not completed, each month of a roll-up): the
# 未达标指标 of 总览 and of a quarter's 月度通报, so it carries their name — 未达标目标 there is
# the month's target items alone, a smaller number.
c[4].metric("未达标指标", numbers.count(sum(h.unmet_targets for h in whole)), border=True, help=UNMET_HELP)


# -- per scheme ---------------------------------------------------------------------------------
def _status(s: SchemeSummary) -> list[str]:
    """The scheme's period in the review workflow, in words (what the viewer may know)."""
    w = s.workflow
    parts = []
    if w.published:
        times = f"，共发布 {w.publications} 次" if w.publications > 1 else ""
        parts.append(f"已发布（{local_time(w.published_at)}{times}）")
        if w.newer_draft and s.progress is not None:  # only who may see drafts is told of them
            parts.append("有新录入的数据尚未发布")
    elif w.has_values:
        parts.append("数据已录入，待审定发布")
    else:
        parts.append("本期尚未录入数据")
    if s.progress is not None:
        done, total = s.progress
        parts.append(f"填报进度：{done:,}/{total:,} 个单位数据完整")
    if s.publicity:
        parts.append(s.publicity)
    if s.objections:
        counts = "，".join(f"{k} {v} 件" for k, v in s.objections.items())
        parts.append(f"申诉 {sum(s.objections.values())} 件（{counts}）")
    r = s.rectification
    if r is not None and r.issued:
        parts.append(f"整改任务 {r.issued} 项：已验收 {r.accepted}，待验收 {r.submitted}，逾期 {r.overdue}")
    return parts


def _rows(s: SchemeSummary) -> list[dict[str, str]]:
    """The scheme's table rows: the whole scheme, then each peer group (in the scheme's decimals)."""
    d = s.decimals
    if not s.lines:
        empty = {k: "—" for k in ("参评", "平均分", "较上期", "末位", "一票否决", "未达标指标")}
        return [{"方案": s.name, "期间": s.period_name or "—", "范围": "—", **empty}]
    rows = []
    for line in s.lines:
        h = line.headline
        rows.append(
            {
                "方案": s.name if line.category is None else "",
                "期间": s.period_name if line.category is None else "",
                "范围": "全部" if line.category is None else f"其中：{line.category}",
                "参评": f"{h.assessed:,}",
                "平均分": fmt_points(h.mean, d),
                "较上期": fmt_change(h.mean_change, d),
                "末位": f"{h.below_line:,}",
                "一票否决": f"{h.vetoed:,}",
                "未达标指标": numbers.count(h.unmet_targets),
            }
        )
    return rows


st.header("各方案情况")
static_table(pd.DataFrame([row for s in data.schemes for row in _rows(s)]))
st.caption("较上期：同一批单位本期与上一期平均分之差；末位、一票否决为单位数，未达标指标为项数（" + UNMET_HELP + "）。")
with st.container(horizontal=True, vertical_alignment="center", gap="small"):
    st.markdown("**查看排名：**")
    for s in data.published:
        name = md_escape(s.name)
        _link(name, s.key, s.period, None, RANKING, f"cockpit_scheme_{s.key}", f"查看{name}{s.period_name}的排名")
st.subheader("发布、公示、申诉与整改")
for s in data.schemes:
    if s.period:
        st.markdown(f"**{md_escape(s.name)}**（{md_escape(s.period_name)}）：{md_escape('；'.join(_status(s)))}")
    else:
        st.markdown(f"**{md_escape(s.name)}**：该方案没有与所选期间对应的考核期。")


# -- 红黑榜 --------------------------------------------------------------------------------------
def _entry(number: int, r: pd.Series, key: str) -> None:
    """One line: the unit (opens its details), then its scheme, score, rate and place."""
    d = int(r["decimals"])
    flag = " :red-badge[一票否决]" if r["veto"] else " :orange-badge[末位]" if r["bottom"] else ""
    name, facts = st.columns([2, 3], vertical_alignment="center", gap="small")
    with name:
        _link(f"{number}\\. {md_escape(r['name'])}", r["scheme"], r["period"], r["unit"], UNIT, key, "查看单位详情")
    facts.markdown(
        f"{fmt_points(r['total'], d)} 分 · 得分率 {fmt_rate(r['score_rate'])}{flag}  \n"
        f":gray[{md_escape(r['scheme_name'])}，本组第 {int(r['rank'])}/{int(r['group_size'])} 名]"
    )


st.header("红黑榜")
st.caption(RED_BLACK_RULE)
left, right = st.columns(2, gap="large")
with left:
    st.subheader("红榜")
    if data.red.empty:
        st.info("本期没有可列入红榜的单位。")
    with st.container(gap="small"):
        for i, r in data.red.iterrows():
            _entry(i + 1, r, f"cockpit_red_{i}")
with right:
    st.subheader("黑榜")
    if data.black.empty:
        st.info("本期没有可列入黑榜的单位。")
    with st.container(gap="small"):
        for i, r in data.black.iterrows():
            _entry(i + 1, r, f"cockpit_black_{i}")

# -- 末位与一票否决 --------------------------------------------------------------------------------
st.header("末位与一票否决", anchor="flagged")
flagged = data.flagged
if data.flagged_total == 0:
    st.success("本期各方案均无末位或一票否决的单位。")
else:
    more = (
        f"，以下列出前 {len(flagged)} 个（一票否决在前），其余请在各方案的排名中查看"
        if data.flagged_total > len(flagged)
        else "（一票否决在前）"
    )
    st.caption(f"共 {data.flagged_total:,} 个，同一单位在两个方案中各计一次{more}。点击名称查看单位详情。")
    with st.container(gap="small"):
        for i, r in flagged.iterrows():
            name, kind = st.columns([2, 5], vertical_alignment="center")
            with name:
                _link(
                    md_escape(r["name"]), r["scheme"], r["period"], r["unit"], UNIT, f"cockpit_flag_{i}", "查看单位详情"
                )
            badge = "red" if "一票否决" in r["kind"] else "orange"
            text = (
                f":{badge}-badge[{md_escape(r['kind'])}] :gray[{md_escape(r['scheme_name'])}] "
                f"{fmt_points(r['total'], int(r['decimals']))} 分，{md_escape(r['grade'])}，"
                f"本组第 {int(r['rank'])}/{int(r['group_size'])} 名"
            )
            if r["reason"]:
                text += f"；{md_escape(r['reason'])}"
            if r["consequence"]:
                text += f"。**处理：{md_escape(r['consequence'])}**"
            kind.markdown(text)
