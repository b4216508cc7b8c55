"""监测指标 as tables: the values per unit, their spread across units, and their run over periods.

Monitoring-only indicators are never scored, so these tables carry values (with the unit and
the reference value), never points; a blank shows as 「未填」.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from scoring import Scheme
from scoring.explain import NOT_FILLED, fmt, monitor_side, monitor_value_text
from scoring.scheme import MonitorLeaf

# Shown wherever a monitoring-only scheme would otherwise show a ranking.
MONITOR_ONLY_NOTE = "本方案为监测方案，不计分"
VALUE_COLUMNS = ["期间", "单位编码", "单位", "指标编码", "指标", "数值", "计量单位", "参考值", "与参考值比较"]
SPREAD_COLUMNS = ["指标编码", "指标", "计量单位", "参考值", "填报单位数", "未填单位数", "最小值", "中位数",
                  "平均值", "最大值", "优于参考值单位数"]  # fmt: skip


def heading(leaf: MonitorLeaf) -> str:
    """「门诊次均费用（元）」: the indicator with its unit, as a column heading."""
    return f"{leaf.name}（{leaf.unit}）" if leaf.unit else leaf.name


def monitor_values(leaves: pd.DataFrame, scheme: Scheme, names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """One row per unit, period and 监测指标 (VALUE_COLUMNS), in scheme then unit order."""
    monitors = {leaf.code: leaf for leaf in scheme.monitor_leaves}
    rows = leaves[leaves["leaf"].astype(str).isin(monitors)]
    out = []
    for r in rows.itertuples(index=False):
        leaf = monitors[str(r.leaf)]
        value = float(r.value) if bool(r.applicable) else np.nan
        out.append(
            {
                "期间": str(r.period),
                "单位编码": str(r.unit),
                "单位": (names or {}).get(str(r.unit), str(r.unit)),
                "指标编码": leaf.code,
                "指标": leaf.name,
                "数值": monitor_value_text(leaf, value) if bool(r.applicable) else "不适用",
                "计量单位": leaf.unit,
                "参考值": "" if leaf.reference is None else fmt(leaf.reference, leaf.decimals),
                "与参考值比较": monitor_side(leaf, value),
                "_value": value,
            }
        )
    frame = pd.DataFrame(out, columns=[*VALUE_COLUMNS, "_value"])
    order = {code: i for i, code in enumerate(monitors)}
    frame = frame.assign(_o=frame["指标编码"].map(order)).sort_values(["期间", "_o", "单位编码"], kind="stable")
    return frame.drop(columns="_o").reset_index(drop=True)


def monitor_wide(leaves: pd.DataFrame, scheme: Scheme, names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Units down, one column per 监测指标 headed with its unit: what a monitoring scheme shows
    instead of a ranking. Values as displayed text (「未填」 for a blank)."""
    long = monitor_values(leaves, scheme, names)
    headings = {leaf.code: heading(leaf) for leaf in scheme.monitor_leaves}
    if long.empty:
        return pd.DataFrame(columns=["期间", "单位编码", "单位", *headings.values()])
    wide = long.pivot_table(index=["期间", "单位编码", "单位"], columns="指标编码", values="数值", aggfunc="first")
    wide = wide.reindex(columns=list(headings)).fillna(NOT_FILLED).rename(columns=headings)
    wide.columns.name = None
    return wide.reset_index()


def monitor_spread(leaves: pd.DataFrame, scheme: Scheme) -> pd.DataFrame:
    """How each 监测指标's values spread across units (SPREAD_COLUMNS), one row per indicator."""
    long = monitor_values(leaves, scheme)
    out = []
    for leaf in scheme.monitor_leaves:
        v = long.loc[long["指标编码"] == leaf.code, "_value"].to_numpy(dtype=float)
        have = v[~np.isnan(v)]
        d = leaf.decimals
        better = sum(monitor_side(leaf, x) == "优于参考值" for x in have) if leaf.reference is not None else None
        out.append(
            {
                "指标编码": leaf.code,
                "指标": leaf.name,
                "计量单位": leaf.unit,
                "参考值": "" if leaf.reference is None else fmt(leaf.reference, d),
                "填报单位数": len(have),
                "未填单位数": len(v) - len(have),
                # fmt shows an empty statistic (no unit reported) as 「—」
                "最小值": fmt(have.min() if len(have) else np.nan, d),
                "中位数": fmt(float(np.median(have)) if len(have) else np.nan, d),
                "平均值": fmt(have.mean() if len(have) else np.nan, d),
                "最大值": fmt(have.max() if len(have) else np.nan, d),
                "优于参考值单位数": "" if better is None else str(better),
            }
        )
    return pd.DataFrame(out, columns=SPREAD_COLUMNS)


def monitor_series(leaves: pd.DataFrame, scheme: Scheme, code: str, unit: str) -> pd.DataFrame:
    """One unit's value of one 监测指标 over periods: 期间, 数值 (float, NaN when blank), 显示."""
    long = monitor_values(leaves, scheme)
    rows = long[(long["指标编码"] == code) & (long["单位编码"] == unit)]
    return pd.DataFrame({"期间": rows["期间"], "数值": rows["_value"], "显示": rows["数值"]}).reset_index(drop=True)
