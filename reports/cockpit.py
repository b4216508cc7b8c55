"""全区总览 as plain data: per scheme and peer group the headline figures, one red/black list
(红黑榜) across schemes, and every 末位 or vetoed unit with its consequence — from the unit rows
of each scheme's period (services.cockpit gathers them; this module only shapes frames).

红黑榜 compares units of different schemes by 得分率 (score rate = total ÷ the scheme's full
points, `Results.units["score_rate"]`): schemes differ in full points, a rate does not.
红榜: the highest rates among units neither vetoed nor below the line. 黑榜: vetoed units first,
then the lowest rates. Ties: the unit ranked better within its own peer group first, then by code.
Staff (peer groups of people, reports.bulletin.STAFF_CATEGORIES) are left out: it lists units.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from reports import numbers
from reports.bulletin import _red_list, _text
from reports.overview import Headline, headline

LIST_COLUMNS = ["scheme", "scheme_name", "period", "unit", "name", "category", "total", "score_rate", "rank"]
LIST_COLUMNS += ["group_size", "grade", "veto", "bottom", "decimals"]
FLAGGED_COLUMNS = ["scheme", "scheme_name", "period", "unit", "name", "category", "total", "grade", "rank"]
FLAGGED_COLUMNS += ["group_size", "kind", "reason", "consequence", "decimals"]
# How the red/black list is drawn up, said on the page beside it.
RED_BLACK_RULE = (
    "红黑榜按得分率（总分 ÷ 方案满分）跨方案比较：红榜为得分率最高、且未被一票否决、不在末位的单位；"
    "黑榜先列一票否决的单位，再列得分率最低的单位。得分率相同的，本组名次靠前者在前。职工个人考核不列入红黑榜。"
)


@dataclass(frozen=True)
class GroupLine:
    """The headline figures of one scheme's peer group (category None: the whole scheme)."""

    category: str | None
    headline: Headline


def group_lines(units: pd.DataFrame) -> list[GroupLine]:
    """The whole scheme first, then each peer group when there are several."""
    lines = [GroupLine(None, headline(units))]
    categories = sorted(units["category"].astype(str).unique()) if len(units) else []
    if len(categories) > 1:
        cats = units["category"].astype(str)
        lines += [GroupLine(c, headline(units[cats == c])) for c in categories]
    return lines


_UNIT_COLUMNS = ["unit", "name", "category", "total", "score_rate", "rank", "group_size", "grade", "veto", "bottom"]


def _tagged(units: pd.DataFrame, scheme: str, scheme_name: str, period: str, decimals: int) -> pd.DataFrame:
    units = units[_UNIT_COLUMNS]  # the few columns listed: a unit row has some thirty
    rows = units.assign(
        scheme=scheme,
        scheme_name=scheme_name,
        period=period,
        unit=units["unit"].astype(str),
        name=units["name"].astype(str),
        category=units["category"].astype(str),
        grade=_text(units["grade"]),
        decimals=decimals,
    )
    return rows


def red_candidates(
    units: pd.DataFrame, scheme: str, scheme_name: str, period: str, decimals: int, n: int
) -> pd.DataFrame:
    """The `n` best units of one scheme that may be on the red list (bounded: never every unit)."""
    ok = units.loc[~units["veto"].astype(bool) & ~units["bottom"].astype(bool), _UNIT_COLUMNS]
    best = ok.sort_values(["score_rate", "rank", "unit"], ascending=[False, True, True], kind="stable").head(n)
    return _tagged(best, scheme, scheme_name, period, decimals)[LIST_COLUMNS]


def black_candidates(
    units: pd.DataFrame, scheme: str, scheme_name: str, period: str, decimals: int, n: int
) -> pd.DataFrame:
    """The `n` units of one scheme that may be on the black list: vetoed first, then the lowest rates."""
    rows = units[_UNIT_COLUMNS].assign(_veto=units["veto"].astype(bool))
    worst = rows.sort_values(
        ["_veto", "score_rate", "rank", "unit"], ascending=[False, True, False, True], kind="stable"
    )
    return _tagged(worst.head(n), scheme, scheme_name, period, decimals)[LIST_COLUMNS]


def red_black(red: list[pd.DataFrame], black: list[pd.DataFrame], n: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The `n` best and `n` worst of all schemes' candidates."""
    empty = pd.DataFrame(columns=LIST_COLUMNS)
    reds = pd.concat(red, ignore_index=True) if red else empty
    blacks = pd.concat(black, ignore_index=True) if black else empty
    if len(reds):
        reds = reds.sort_values(["score_rate", "rank", "scheme", "unit"], ascending=[False, True, True, True])
    if len(blacks):
        blacks = blacks.assign(_veto=blacks["veto"].astype(bool)).sort_values(
            ["_veto", "score_rate", "rank", "scheme", "unit"], ascending=[False, True, False, True, True]
        )[LIST_COLUMNS]
    return reds.head(n).reset_index(drop=True), blacks.head(n).reset_index(drop=True)


def flagged(units: pd.DataFrame, scheme: str, scheme_name: str, period: str, decimals: int) -> pd.DataFrame:
    """Every 末位 or vetoed unit of one scheme with kind, reason and consequence (vetoed first)."""
    keep = ["unit", "name", "category", "total", "grade", "rank", "rank_overall", "group_size", "veto", "bottom"]
    keep += ["veto_reason", "bottom_reason", "consequence"]
    rows = units.loc[units["veto"].astype(bool) | units["bottom"].astype(bool), keep]
    if rows.empty:
        return pd.DataFrame(columns=FLAGGED_COLUMNS)
    for col in ("bottom_reason", "veto_reason", "consequence", "grade", "category"):
        rows = rows.assign(**{col: _text(rows[col])})
    red = _red_list(rows.assign(unit=rows["unit"].astype(str), name=rows["name"].astype(str)))
    sizes = dict(zip(rows["unit"].astype(str), rows["group_size"], strict=True))
    red = red.assign(
        scheme=scheme, scheme_name=scheme_name, period=period, decimals=decimals, group_size=red["unit"].map(sizes)
    )
    return red[FLAGGED_COLUMNS]


def fmt_points(x: float | None, decimals: int) -> str:
    """A score in the scheme's decimals, with thousands separators ('—' without one)."""
    return numbers.points(x, decimals)


def fmt_change(x: float | None, decimals: int) -> str:
    """A change of score, signed, in the scheme's decimals ('—' without a period before)."""
    return numbers.change(x, decimals)


def fmt_rate(x: float | None) -> str:
    """A score rate as a percentage with one decimal."""
    return numbers.rate(x)
