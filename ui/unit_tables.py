"""How a unit's drill-down tables show their numbers, for the administrator's 单位详情 and the
unit's own 本单位结果 alike, so the same unit reads the same figures on both (得分 31.73, 得分率
79.32%, 失分 1.00 — never 31.7261, 0.6733, 0.996)."""

from __future__ import annotations

import streamlit as st


def dimension_columns(decimals: int = 2) -> dict:
    """各维度得分 (reports.unit.dimension_subtotals): rate as a percent bar, points to the scheme's
    decimals."""
    return {
        "得分率": st.column_config.ProgressColumn(format="percent", min_value=0, max_value=1),
        "得分": st.column_config.NumberColumn(format=f"%.{decimals}f"),
        "满分": st.column_config.NumberColumn(format="%g"),
    }


def lost_columns(decimals: int = 2) -> dict:
    """失分明细 (reports.unit.lost_points): lost points to the scheme's decimals, the trace wide."""
    return {
        "失分": st.column_config.NumberColumn(format=f"%.{decimals}f"),
        "满分": st.column_config.NumberColumn(format="%g"),
        "计分过程": st.column_config.TextColumn(width="large"),
    }
