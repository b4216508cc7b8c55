"""How a unit's drill-down tables show their numbers, for the administrator's 单位详情 and the
unit's own 本单位结果 alike, so the same unit reads the same figures on both (得分 31.73, 得分率
79.32%, 失分 1.00 — never 31.7261, 0.6733, 0.996)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from reports import numbers
from reports.overview import rank_arrow
from reports.unit import award_status, bonus_note, tag_subtotals
from scoring import Scheme
from ui.text import md_escape


def unit_tiles(row: pd.Series, decimals: int, peer_median: float, peer_best: float) -> None:
    """总分 and its change, 同类名次 and its change, 等级, the peer group's median and best."""
    d = decimals
    c = st.columns(5)
    c[0].metric(
        "总分",
        numbers.points(row["total"], d),
        None if pd.isna(row.get("delta_total")) else numbers.change(row["delta_total"], d),
        border=True,
    )
    c[1].metric(
        "同类名次",
        f"{int(row['rank'])} / {int(row['group_size'])}",
        None if pd.isna(row.get("delta_rank")) else rank_arrow(row["delta_rank"]),
        border=True,
        delta_color="off",
        delta_arrow="off",  # the text carries its own ↑/↓ (Streamlit would draw ↑ beside 「↓3」)
    )
    c[2].metric("等级", md_escape(row["grade"]), border=True)
    c[3].metric("同类中位数", numbers.points(peer_median, d), border=True, help="本单位所在类别各单位总分的中位数")
    c[4].metric("同类最高", numbers.points(peer_best, d), border=True, help="本单位所在类别的最高总分")
    # A total with bonus in it says so beside the tile: 100.00 reads as full marks, 101.50 as an error.
    note = bonus_note(row.get("bonus"), d)
    if note:
        st.caption(f"总分{note}（加分不计入各维度得分，见下方各维度得分中的加分一行）。")
    elif pd.notna(row.get("score_rate")) and row["score_rate"] > 1 + 1e-9:  # a roll-up: months' bonus
        st.caption("总分高于方案满分：超出部分为各月加分。")


def unit_consequences(row: pd.Series, scheme: Scheme) -> None:
    """一票否决 / 末位 and what follows from them, 不得评先评优, and the gap to the next grade."""
    if row["veto"]:
        st.error(f"一票否决：{md_escape(row['veto_reason'])}。本期评为{md_escape(scheme.lowest_grade)}，不得评先评优。")
    if row["bottom"]:
        text = f"末位：{md_escape(row['bottom_reason'])}"
        st.warning(text + (f"。处理：{md_escape(row['consequence'])}" if str(row["consequence"]) else ""))
    cap = str(row.get("grade_cap_reason") or "")
    if cap:  # a tag rule (标签规则) lowered the grade the points would give
        st.warning(f"标签规则：{md_escape(cap)}。本期等级为{md_escape(row['grade'])}。")
    eligible, why = award_status(row)  # 末位 bars it too, as in the bulletin and the unit report
    if not row["veto"] and not eligible:
        st.warning(f"不得评先评优：{md_escape(why)}")
    if not pd.isna(row.get("gap_next_grade")):
        st.caption(f"距上一等级还差 {numbers.points(row['gap_next_grade'], scheme.decimals)} 分。")


def dimension_columns(decimals: int = 2) -> dict:
    """各维度得分 (reports.unit.dimension_subtotals): rate as a percent bar, points to the scheme's
    decimals, and what each line that is not a dimension (扣分, 加分, 一票否决, 总分) stands for."""
    return {
        "得分率": st.column_config.ProgressColumn(format="percent", min_value=0, max_value=1),
        "得分": st.column_config.NumberColumn(format=f"%.{decimals}f"),
        "满分": st.column_config.NumberColumn(format="%g"),
        "说明": st.column_config.TextColumn(width="large"),
    }


def lost_columns(decimals: int = 2) -> dict:
    """失分明细 (reports.unit.lost_points): lost points to the scheme's decimals, the trace wide."""
    return {
        "失分": st.column_config.NumberColumn(format=f"%.{decimals}f"),
        "满分": st.column_config.NumberColumn(format="%g"),
        "计分过程": st.column_config.TextColumn(width="large"),
    }


def tag_table(explained: pd.DataFrame, decimals: int = 2) -> None:
    """各标签得分 (★核心指标 …) under 各维度得分, for a scheme whose items carry tags."""
    tags = tag_subtotals(explained, decimals)
    if tags.empty:
        return
    st.subheader("各标签得分")
    st.caption("得分率 = 带该标签的适用评分细则得分 ÷ 其分值合计；「—」表示本单位没有适用的带该标签细则。")
    st.dataframe(tags, hide_index=True, column_config={"标签规则": st.column_config.TextColumn(width="large")})
