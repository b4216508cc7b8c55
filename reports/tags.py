"""Tag score rates (★核心指标 …) of many units at once, for the bulletin, its workbook and the meeting.

The one-unit tables (单位详情, 本单位结果, the unit's report) come from `scoring.explain.explain_tags`
one unit at a time; a bulletin lists every unit, so here the same texts are made column-wise. A rate
is written as `engine.tag_rate_text` with the decimals `engine.tag_rate_decimals` gives it (a rate
just below a rule's line gets the decimals it needs not to read as the line), so a unit's rate reads
the same in the bulletin as in its drill-down.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from reports import numbers
from scoring import Scheme
from scoring.engine import tag_rule_hits, tag_rule_texts
from scoring.methods import round_half_up

# One row per unit and tag, units in the given order, tags in scheme order. `shown` is the rate in
# percent as written (rounded half up to `decimals`), NaN with 「—」 where no tagged leaf applies.
TAG_RATE_COLUMNS = ["unit", "name", "tag", "label", "earned", "points", "rate", "shown", "decimals", "rate_text"]
# One row per unit (same order): what the scheme's tag rules did to it, in rule order ('' for nothing).
TAG_RULE_COLUMNS = ["unit", "name", "consequence"]
RULE_COLUMN = "标签规则"
UNIT_COLUMN = "单位"


def empty_rates() -> pd.DataFrame:
    return pd.DataFrame(columns=TAG_RATE_COLUMNS)


def empty_rules() -> pd.DataFrame:
    return pd.DataFrame(columns=TAG_RULE_COLUMNS)


def rate_decimals(pct: np.ndarray, lines: Sequence[float]) -> np.ndarray:
    """`engine.tag_rate_decimals` for many rates (in percent) at once: one decimal, or the fewest
    more (up to 6) with which a rate below one of `lines` is not rounded up to that line."""
    decimals = np.full(len(pct), 6, dtype=np.int64)
    for d in range(5, 0, -1):  # downwards: the fewest decimals that fit win
        r = round_half_up(pct, d)
        fits = np.ones(len(pct), dtype=bool)
        for line in lines:
            fits &= ~(pct < line - 1e-9) | (r < line)
        decimals = np.where(fits, d, decimals)
    return decimals


def _shown(pct: np.ndarray, decimals: np.ndarray) -> np.ndarray:
    out = np.full(len(pct), np.nan)
    for d in np.unique(decimals):
        at = decimals == d
        out[at] = round_half_up(pct[at], int(d))
    return out


def tag_rates(
    tags: pd.DataFrame | None, scheme: Scheme, period: str, order: Sequence[str], names: Mapping[str, str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """From `Results.tags`: the rates of the units in `order` in `period` (TAG_RATE_COLUMNS) and
    what the tag rules did to each of them (TAG_RULE_COLUMNS). Both empty for a scheme without tags."""
    if tags is None or tags.empty or not len(order):
        return empty_rates(), empty_rules()
    rows = tags[tags["period"].astype(str) == period]
    rows = rows.assign(unit=rows["unit"].astype(str), tag=rows["tag"].astype(str))
    tag_order = {t: i for i, t in enumerate(scheme.tag_names)}
    unit_order = {u: i for i, u in enumerate(order)}
    rows = rows[rows["unit"].isin(unit_order)]
    if rows.empty:
        return empty_rates(), empty_rules()
    rows = rows.iloc[np.lexsort((rows["tag"].map(tag_order), rows["unit"].map(unit_order)))]
    earned, points = rows["earned"].to_numpy(float), rows["points"].to_numpy(float)
    rate = rows["rate"].to_numpy(float)
    pct = rate * 100
    decimals = np.ones(len(rows), dtype=np.int64)
    tag_col = rows["tag"].to_numpy(dtype=object)
    for tag in np.unique(tag_col):
        at = tag_col == tag
        lines = [r.below_pct for r in scheme.tag_rules if r.tag == tag]
        decimals[at] = rate_decimals(pct[at], lines)
    shown = _shown(pct, decimals)
    texts = [numbers.NONE if np.isnan(v) else f"{v:.{d}f}%" for v, d in zip(shown, decimals, strict=True)]
    units = rows["unit"].to_numpy(dtype=object)
    rates = pd.DataFrame(
        {
            "unit": units,
            "name": [names.get(u, u) for u in units],
            "tag": tag_col,
            "label": [f"{scheme.tag_mark(t)}{t}" for t in tag_col],
            "earned": earned,
            "points": points,
            "rate": rate,
            "shown": shown,
            "decimals": decimals,
            "rate_text": texts,
        }
    ).reset_index(drop=True)
    return rates, _consequences(rates, scheme, order, names)


def _consequences(rates: pd.DataFrame, scheme: Scheme, order: Sequence[str], names: Mapping[str, str]) -> pd.DataFrame:
    """Per unit, the texts of the tag rules it fell under, joined in rule order as the engine joins them."""
    index = {u: i for i, u in enumerate(order)}
    texts: list[list[str]] = [[] for _ in order]
    for rule in scheme.tag_rules:
        mine = rates[rates["tag"] == rule.tag]
        earned, points = mine["earned"].to_numpy(float), mine["points"].to_numpy(float)
        hit = tag_rule_hits(rule, earned, points)
        if not hit.any():
            continue
        for unit, text in zip(mine["unit"][hit], tag_rule_texts(rule, earned[hit] / points[hit]), strict=True):
            texts[index[unit]].append(str(text))
    return pd.DataFrame(
        {"unit": list(order), "name": [names.get(u, u) for u in order], "consequence": ["；".join(t) for t in texts]}
    )


def tag_rate_table(rates: pd.DataFrame, rules: pd.DataFrame) -> pd.DataFrame:
    """Units × tags as text for a page: 单位, one 「★核心指标」 column per tag (the rate as written,
    「—」 where none applies) and 标签规则. Empty for a scheme without tags."""
    if rates.empty:
        return pd.DataFrame()
    labels = list(dict.fromkeys(rates["label"]))
    wide = rates.pivot(index="unit", columns="label", values="rate_text")
    order = list(rules["unit"])
    table = pd.DataFrame({UNIT_COLUMN: list(rules["name"])})
    for label in labels:
        table[label] = wide.loc[order, label].to_numpy()
    table[RULE_COLUMN] = rules["consequence"].to_numpy()
    return table
