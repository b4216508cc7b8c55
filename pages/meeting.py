"""月度通报: the chosen period on one screen for the monthly meeting — large type, few colours:
headline figures, the summary paragraph, the red list, the ranking, movers, unmet targets and what
changed since the period before; the Excel bulletin and the CSV ranking to download."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from reports import numbers
from reports.bulletin import objection_counts, summary_text, unmet_count
from reports.overview import UNMET_HELP
from reports.tags import tag_rate_table
from services.district_bulletin import DOCX, district_docx, district_workbook, published_fingerprint
from services.meeting import bulletin_csv, bulletin_workbook, view_bulletin
from services.objections import objection_summary
from services.publicity import current_publicity
from ui.downloads import XLSX, download_button, may_export
from ui.export_job import export_button, large_export
from ui.monitor import show_monitor_spread, show_values_instead_of_ranking
from ui.palette import grade_colors
from ui.safe_table import show_table, static_table
from ui.tables import PAGE_ROWS, meeting_columns, meeting_rows, pager, table_height
from ui.text import md_escape, md_lines
from ui.view import caption, current_view

# Static CSS (no user data): larger type for a projector, inside this page's container only.
PROJECTOR_CSS = """
<style>
.st-key-meeting [data-testid="stMarkdown"] p, .st-key-meeting [data-testid="stAlert"] p,
.st-key-meeting li { font-size: 1.3rem; line-height: 1.7; }
.st-key-meeting [data-testid="stMetricValue"] div,
.st-key-meeting [data-testid="stMetricValue"] p { font-size: 2.8rem; font-weight: 600; line-height: 1.2; }
.st-key-meeting [data-testid="stMetricLabel"] p { font-size: 1.15rem; }
.st-key-meeting [data-testid="stMetricDelta"] div { font-size: 1.1rem; }
.st-key-meeting [data-testid="stTable"] th,
.st-key-meeting [data-testid="stTable"] td { font-size: 1.15rem; padding: 0.45rem 0.75rem; }
.st-key-meeting_summary [data-testid="stMarkdown"] p { font-size: 1.55rem; line-height: 1.8; }
.st-key-meeting h2 { font-size: 2rem; padding-top: 1.6rem; }
</style>
"""
TABLE_ROWS = 60  # more units than this: the ranking scrolls
ALERTS = 12  # more units on the red list than this: one table
NAMES_SHOWN = PAGE_ROWS  # units named in one line of 「与上期相比」; the Excel bulletin names them all


def _named(units: list[str], name: Callable[[str], str]) -> str:
    """「甲、乙、丙」, or the first NAMES_SHOWN and how many more (a province's line would be megabytes)."""
    text = "、".join(md_escape(name(u)) for u in units[:NAMES_SHOWN])
    return text if len(units) <= NAMES_SHOWN else f"{text} 等 {len(units)} 个单位（完整名单见 Excel 通报）"


view, _ = current_view(with_groups=False, published=True)
scheme = view.scheme
d = scheme.decimals
bulletin = view_bulletin(view)
h = bulletin.headline
threshold = bulletin.threshold
st.html(PROJECTOR_CSS)

with st.container(key="meeting"):
    st.title(f"{md_escape(view.title)}考核通报")
    caption(view)

    # -- downloads (deferred: written when clicked, not on every rerun) --------------------------
    if may_export():
        period, key = view.period, scheme.id
        # a province's bulletins take a minute: made as jobs with their progress (ui/export_job.py)
        large = large_export(len(view.units))
        with st.container(horizontal=True):
            export_button(
                "下载 Excel 通报",
                lambda by, progress=None: bulletin_workbook(key, period, by=by, progress=progress)[1],
                permission="export",
                what=f"bulletin:{key}:{period}",
                file_name=f"{scheme.name}_{view.title}_考核通报.xlsx",
                mime=XLSX,
                icon=":material/download:",
                disabled=view.detail is None,
                help="季度、年度汇总没有逐项明细，Excel 通报请选择具体月份导出" if view.detail is None else None,
                key="meeting_excel",
                job_key=view.key,
                large=large,
            )
            download_button(
                "下载排名 CSV",
                lambda by: bulletin_csv(bulletin, by=by),
                permission="export",
                what=f"ranking_csv:{key}:{period}",
                file_name=f"{scheme.name}_{view.title}_排名.csv",
                mime="text/csv",
                icon=":material/table_view:",
                key="meeting_csv",
            )
            # 全区通报: every scheme published in this period, in one document (services/district_bulletin.py)
            native = view.detail is not None
            every = f"{view.key}|{published_fingerprint(period)}" if large and native else view.key
            for label, make, suffix, mime, icon in (
                ("下载全区通报（Word）", district_docx, "docx", DOCX, ":material/description:"),
                ("下载全区通报（Excel）", district_workbook, "xlsx", XLSX, ":material/download:"),
            ):
                export_button(
                    label,
                    lambda by, progress=None, make=make: make(period, by=by, progress=progress)[1],
                    permission="export",
                    what=f"district_{suffix}:{period}",
                    file_name=f"{view.title}全区考核通报.{suffix}",
                    mime=mime,
                    icon=icon,
                    disabled=not native,
                    help="本期所有已发布考核结果的方案合为一份通报"
                    if native
                    else "全区通报按具体月份（或方案的考核期间）生成，请选择具体期间",
                    key=f"meeting_district_{suffix}",
                    job_key=every,
                    large=large,
                )

    if scheme.monitoring_only:  # no scores, red list or ranking: the values, briefly
        show_values_instead_of_ranking(view, view.units, key="meeting_monitor")
        st.stop()

    # -- headline figures and the summary ----------------------------------------------------------
    c = st.columns(5)
    c[0].metric("参评单位", h.assessed, border=True)
    c[1].metric(
        "平均分",
        numbers.points(h.mean, d),  # as the summary below words it (reports.bulletin.mean_clause)
        None if h.mean_change is None else numbers.change(h.mean_change, d),
        border=True,
    )
    c[2].metric(f"低于 {threshold:g} 分" if threshold is not None else "末位", h.below_line, border=True)
    c[3].metric("一票否决", h.vetoed, border=True)
    # the same count as the summary and the list below (reports.bulletin.unmet_count)
    if bulletin.leaf_detail:
        c[4].metric("未达标目标", unmet_count(bulletin), border=True, help="未达到目标值的目标指标项数")
    else:  # a roll-up has no leaves: the months' counts of unmet indicators
        c[4].metric("未达标指标", unmet_count(bulletin), border=True, help=f"各月{UNMET_HELP}")
    with st.container(border=True, key="meeting_summary"):
        st.markdown(md_lines(summary_text(bulletin)))
    if scheme.monitor_leaves:  # a short block: how the monitored values spread, never scored
        show_monitor_spread(view)

    # -- the red list ------------------------------------------------------------------------------
    st.header("末位与一票否决")
    red = bulletin.red_list
    if red.empty:
        st.success("本期无末位或一票否决单位。")
    if len(red) > ALERTS:  # a city or province: one table instead of a wall of boxes
        columns = {"name": "单位", "category": "类别", "total": "总分", "grade": "等级", "kind": "类型"}
        columns |= {"reason": "原因", "consequence": "处理"}
        page = pager(len(red), "meeting_red_page_no")  # every unit of a province is 2.5 MB (issue 23)
        show_table(
            red[list(columns)].rename(columns=columns).iloc[page * PAGE_ROWS : (page + 1) * PAGE_ROWS],
            hide_index=True,
            column_config={"总分": st.column_config.NumberColumn(format=f"%.{d}f")},
        )
    else:
        for r in red.itertuples():
            text = f"**{md_escape(r.name)}**（{r.total:.{d}f} 分，{md_escape(r.grade)}）— {md_escape(r.kind)}：{md_escape(r.reason)}"
            if r.consequence:
                text += f"。处理：{md_escape(r.consequence)}"
            (st.error if "一票否决" in r.kind else st.warning)(text)

    # -- the ranking -------------------------------------------------------------------------------
    st.header("排名")
    ranking = bulletin.ranking
    several = ranking["category"].nunique() > 1
    rows = pd.DataFrame(
        {
            "名次": ranking["rank"].astype(int),
            "单位": ranking["name"],
            **({"类别": ranking["category"]} if several else {}),
            "总分": ranking["total"],
            "等级": ranking["grade"],
            "较上期": ranking["delta_total"],
            "名次变化": ranking["arrow"],
            "标记": [
                "、".join(x for x, on in (("否决", v), ("末位", b)) if on)
                for v, b in zip(ranking["veto"], ranking["bottom"])
            ],
        }
    )
    colors = grade_colors([g.name for g in scheme.grades])
    if several:
        st.caption("名次为同类单位内排名；并列同名次；一票否决单位列末位。")
    if len(rows) > TABLE_ROWS:
        # Hundreds or thousands of units: pages of rows with coloured pills. A pandas Styler over
        # every row would send them all to the browser and fails outright past its cell limit.
        page = pager(len(rows), "meeting_page_no")
        shown = rows.iloc[page * PAGE_ROWS : (page + 1) * PAGE_ROWS]
        show_table(
            meeting_rows(shown, d),
            hide_index=True,
            column_config=meeting_columns(colors, d),
            height=table_height(len(shown), PAGE_ROWS),
        )
    else:

        def _row_style(row: pd.Series) -> list[str]:
            tint = "background-color: #fde2e1" if row["标记"] else ""
            return [tint] * len(row)

        static_table(
            rows.style.apply(_row_style, axis=1)
            .map(lambda g: f"color: {colors.get(g, '#333')}; font-weight: bold", subset=["等级"])
            .map(lambda f: "color: #c62828; font-weight: bold" if f else "", subset=["标记"])
            .format({"总分": f"{{:.{d}f}}", "较上期": lambda v: numbers.change(v, d)}, na_rep="—")
            .hide(axis="index")
        )

    # -- movers ------------------------------------------------------------------------------------
    st.header("进步与退步")
    if bulletin.previous_period is None:
        st.caption("没有上期结果，暂无进退步。")
    else:
        moved = {"name": "单位", "total": "本期", "delta_total": "变化"}  # narrow: names fit on one line
        formats = {"本期": f"{{:.{d}f}}", "变化": lambda v: numbers.change(v, d)}
        left, right = st.columns(2)
        for column, title, frame in ((left, "进步最大", bulletin.movers_up), (right, "退步最大", bulletin.movers_down)):
            with column:
                st.subheader(title)
                if frame.empty:
                    st.caption("无")
                else:
                    shown = frame[list(moved)].rename(columns=moved)
                    static_table(shown.style.format(formats, na_rep="—").hide(axis="index"))

    # -- unmet targets -----------------------------------------------------------------------------
    st.header("未达标目标")
    if view.detail is None:
        st.caption(f"{view.title}为各月平均，逐项未达标情况请选择具体月份查看。")
    elif bulletin.unmet_by_unit.empty:
        st.success("本期各单位目标均已达标。" if bulletin.target_leaves else "本方案没有目标值指标。")
    else:  # a list rather than a table: the indicators of a unit read as one line across the screen
        unmet = bulletin.unmet_by_unit
        page = pager(len(unmet), "meeting_unmet_page_no")  # pages of units, as the tables (issue 23)
        st.markdown(
            "\n".join(
                f"- **{md_escape(r.name)}**（{r.count} 项）：{md_escape(r.indicators)}"
                for r in unmet.iloc[page * PAGE_ROWS : (page + 1) * PAGE_ROWS].itertuples()
            )
        )

    # -- 标签得分率 (schemes with tags: ★核心指标 …; reports/tags.py, as the Excel bulletin's sheet) ------
    if len(bulletin.tag_rates):
        st.header("标签得分率")
        hit = bulletin.tag_rules[bulletin.tag_rules["consequence"] != ""]
        if hit.empty:
            st.markdown("本期没有单位受标签规则影响。")
        else:
            st.markdown("\n".join(f"- **{md_escape(r.name)}**：{md_escape(r.consequence)}" for r in hit.itertuples()))
        with st.expander("各单位标签得分率"):
            show_table(tag_rate_table(bulletin.tag_rates, bulletin.tag_rules), hide_index=True, width="stretch")

    # -- what changed ------------------------------------------------------------------------------
    st.header("与上期相比")
    changes = bulletin.changes
    line = f"低于 {threshold:g} 分" if bulletin.bottom_only_threshold else "列入末位"
    groups = [
        (f"新{line}", changes.newly_below),
        ("不再" + line if bulletin.bottom_only_threshold else "退出末位", changes.recovered),
        ("新被一票否决", changes.newly_vetoed),
    ]
    listed = [(label, units) for label, units in groups if units]
    if bulletin.previous_period is None:
        st.caption("没有上期结果可比较。")
    elif not listed and view.detail is None:
        st.caption("季度、年度汇总只比较平均分和名次，见上方进步与退步。")
    elif not listed:
        st.markdown("末位和一票否决情况与上期相同。")
    else:
        st.markdown("\n".join(f"- {label}：{_named(units, bulletin.name)}" for label, units in listed))

    # -- 申诉处理情况 (公示 and objections of a native period) -----------------------------------
    if view.detail is not None:
        objections = objection_summary(scheme.id, view.period)
        if len(objections):
            st.header("申诉处理情况")
            st.markdown(md_escape(objection_counts(objections) + "。"))
            shown = objections.rename(
                columns={"name": "单位", "item": "申诉指标", "reason": "理由", "status": "状态", "outcome": "处理结果"}
            )
            show_table(shown[["单位", "申诉指标", "理由", "状态", "处理结果"]], hide_index=True, width="stretch")
        elif current_publicity(scheme.id, view.period) is not None:
            st.header("申诉处理情况")
            st.markdown("公示期间未收到申诉。")
    # -- 整改落实情况 (the 整改 tasks of this scheme; services/rectification.py) ----------------------
    from services.rectification import rectification_summary

    rect = rectification_summary(scheme.id, view.period)
    if rect.issued:  # the section appears once 整改 tasks were given from this scheme's results
        st.header("整改落实情况")
        r = st.columns(4)
        r[0].metric("已下达整改任务", rect.issued, border=True)
        r[1].metric("已验收", rect.accepted, border=True)
        r[2].metric("逾期未验收", rect.overdue, border=True)
        r[3].metric("整改完成率", rect.rate_text, border=True, help=rect.rule)
        st.markdown(md_escape(rect.sentence))
        if rect.overdue:
            st.warning(f"逾期单位：{md_escape(rect.overdue_text)}")
        else:
            st.success("没有逾期未验收的整改任务。")
