"""Time views of a scheme's results: 同比 (the same period last year), 累计 (year to date) and
one indicator's trend over the months.

Every function reads results through `services.results.results`, so a reader who may not see
drafts gets published results only (the acting account decides, or `published_only()`), and
a month that is not published simply does not count.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import Engine

from scoring import Part, ScoringInputError, roll_up
from scoring.methods import round_half_up
from scoring.periods import period_name, period_type, year_of
from scoring.scheme import Scheme
from services.catalog import list_units
from services.dashboard import _with_parents, period_view
from services.item_history import MAX_TRACES as MAX_TRACES  # (re-exported: pages import it here)
from services.item_history import STORED_MISSING, chosen_units, stored_item
from services.permissions import require
from services.results import StaleResults, results, view_mode
from services.values import periods_with_values


# -- 同比 ----------------------------------------------------------------------------------------
def last_year_label(label: str) -> str | None:
    """The same period one year earlier: 2025-03 → 2024-03, 2025-Q1 → 2024-Q1, 2025 → 2024."""
    if not period_type(label):
        return None
    return f"{int(label[:4]) - 1}{label[4:]}"


@dataclass
class YearOnYear:
    """Each unit's total and rank against the same period last year.

    `units`: unit, ly_total, ly_rank, yoy_total (this year − last year, at the scheme's decimals)
    and yoy_rank (positive: the unit moved up). NaN where a unit has no result last year.
    `note`: why values are missing ('' when every unit has last year's result).
    """

    period: str
    last_year: str | None
    units: pd.DataFrame
    note: str = ""

    @property
    def available(self) -> bool:
        return self.units["ly_total"].notna().any()


_YOY_COLUMNS = ["unit", "ly_total", "ly_rank", "yoy_total", "yoy_rank"]


def _nothing(base: pd.DataFrame) -> pd.DataFrame:
    """Every unit without a comparison (NaN: shown as 「—」)."""
    nan = float("nan")
    out = base[["unit"]].assign(ly_total=nan, ly_rank=nan, yoy_total=nan, yoy_rank=nan)
    return out[_YOY_COLUMNS].reset_index(drop=True)


def year_on_year(
    scheme_key: str, period: str, units: pd.DataFrame, decimals: int, *, engine: Engine | None = None
) -> YearOnYear:
    """同比 of `units` (a period view's rows: unit, total, rank) for `period`."""
    require("results.all")
    ly = last_year_label(period)
    base = units[["unit", "total", "rank"]].assign(unit=units["unit"].astype(str))
    empty = _nothing(base)
    if ly is None:
        return YearOnYear(period, None, empty, "该期间没有可比的去年同期。")
    where = f"去年同期（{period_name(ly)}）"
    try:
        before = period_view(scheme_key, ly, engine=engine)
    except (ScoringInputError, StaleResults):
        return YearOnYear(period, ly, empty, f"{where}的评分数据不完整，无法计算同比。")
    if before is None or before.units.empty:
        published = view_mode(None) == "published"
        why = "尚无已发布的考核结果" if published else "没有考核数据"
        return YearOnYear(period, ly, empty, f"「—」表示无同比：{where}{why}。")
    return _compared(period, ly, base, before.units, decimals, where)


def _compared(period: str, ly: str, base: pd.DataFrame, before: pd.DataFrame, decimals: int, where: str) -> YearOnYear:
    last = before[["unit", "total", "rank"]].assign(unit=before["unit"].astype(str))
    last = last.rename(columns={"total": "ly_total", "rank": "ly_rank"})
    out = base.merge(last, on="unit", how="left")
    diff = out["total"].to_numpy(dtype=float) - out["ly_total"].to_numpy(dtype=float)
    out["yoy_total"] = round_half_up(diff, decimals)
    out["yoy_rank"] = out["ly_rank"] - out["rank"]
    missing = int(out["ly_total"].isna().sum())
    note = f"「—」表示该单位在{where}没有考核结果（如当时尚未纳入考核），共 {missing} 个。" if missing else ""
    return YearOnYear(period, ly, out[_YOY_COLUMNS].reset_index(drop=True), note)


# -- 累计 (year to date) -------------------------------------------------------------------------
@dataclass
class YearToDate:
    """A monthly scheme's months of one year up to a month, combined as quarters and years are
    (the mean of the monthly totals, a veto in any month carries), graded and ranked.

    `units` has the ranking columns plus `months` (how many months each unit has) and the
    change against the year to date one month earlier (delta_total, delta_rank).
    """

    scheme: Scheme
    month: str
    months: list[str]
    units: pd.DataFrame
    skipped: list[str] = field(default_factory=list)  # months of the range without (published) results

    @property
    def title(self) -> str:
        first, last = self.months[0], self.months[-1]
        if first == last:
            return f"{period_name(first)}（年度累计）"
        return f"{first[:4]}年{int(first[5:])}—{int(last[5:])}月累计"


def _monthly_units(scheme_key: str, months: list[str], engine: Engine | None) -> tuple[list, list[str]]:
    parts, skipped = [], []
    for m in months:
        r = results(scheme_key, m, engine=engine)
        if r is None or r.units.empty:
            skipped.append(m)
        else:
            parts.append(r)
    return parts, skipped


def year_to_date(scheme_key: str, month: str, *, engine: Engine | None = None) -> YearToDate | None:
    """The 累计 ranking of `month`'s year, January to `month`; None when no month has results."""
    require("results.all")
    if period_type(month) != "month":
        return None
    year = year_of(month)
    months = sorted(
        m
        for m in periods_with_values(scheme_key, engine=engine)
        if period_type(m) == "month" and year_of(m) == year and m <= month
    )
    parts, skipped = _monthly_units(scheme_key, months, engine)
    if not parts:
        return None
    scheme = parts[-1].scheme
    stacked = pd.concat([r.units for r in parts], ignore_index=True)
    stacked["unit"] = stacked["unit"].astype(str)
    # The same rule as the quarter and year views (services.dashboard): one part, the monthly mean.
    previous = None
    if len(parts) > 1:
        earlier = stacked[stacked["period"].astype(str) != str(parts[-1].period)]
        previous = roll_up(scheme, [Part("月度平均", earlier, 1.0)], str(parts[-2].period))
    rolled = roll_up(scheme, [Part("月度平均", stacked, 1.0)], str(parts[-1].period), previous=previous)
    counts = stacked.groupby("unit")["period"].nunique()
    rolled["unit"] = rolled["unit"].astype(str)
    rolled["months"] = rolled["unit"].map(counts).astype(int)
    units = _with_parents(rolled, list_units(engine=engine))
    return YearToDate(scheme, month, [str(r.period) for r in parts], units, skipped)


# -- one indicator over the months ---------------------------------------------------------------
# MAX_TRACES (lines a person can tell apart in one chart) lives with the choice of units, in
# services.item_history; pages import it from here.


@dataclass
class ItemTrend:
    """One leaf's points (and, for a target item, the actual value) per unit and period.

    `data`: period, unit, name, earned, value, met (one row per unit and period that has the
    item). `how`: which units these are, in words.
    """

    code: str
    name: str
    method: str
    points: float
    target: float | None
    value_unit: str
    decimals: int
    data: pd.DataFrame
    how: str


def item_choices(scheme: Scheme) -> dict[str, str]:
    """{leaf code: 'code name'} of the scheme's items that earn points (veto items have none)."""
    return {leaf.code: f"{leaf.code} {leaf.name}" for leaf in scheme.leaves if leaf.method != "veto"}


def item_trend(
    scheme_key: str,
    code: str,
    units: list[str] | None = None,
    *,
    ends: int = 5,
    engine: Engine | None = None,
) -> ItemTrend | None:
    """Points of item `code` over the scheme's periods for `units` (at most MAX_TRACES), or, when
    `units` is None, for the `ends` best and `ends` worst units on that item in the latest
    period. None when the latest scheme has no such item or nothing is scored.

    Read from the leaf's stored history (one small payload per period) when every period's is
    current, else from every period's results."""
    require("results.all")
    found = stored_item(scheme_key, code, units, ends, engine=engine)
    if found is STORED_MISSING:
        found = _item_the_long_way(scheme_key, code, units, ends, engine)
    if found is None:
        return None
    scheme, data, how = found
    leaf = scheme.leaf(code)
    target = getattr(leaf, "target", None) if leaf.method == "target" else None
    return ItemTrend(
        code=leaf.code,
        name=leaf.name,
        method=leaf.method,
        points=float(leaf.points),
        target=target,
        value_unit=getattr(leaf, "unit", "") or "",
        decimals=int(getattr(leaf, "decimals", scheme.decimals)),
        data=data,
        how=how,
    )


def _item_the_long_way(
    scheme_key: str, code: str, units: list[str] | None, ends: int, engine: Engine | None
) -> tuple[Scheme, pd.DataFrame, str] | None:
    """`stored_item`'s answer from every period's results (their whole leaf tables)."""
    labels = periods_with_values(scheme_key, engine=engine)  # the scheme's own periods (months, quarters…)
    periods = [r for r in (results(scheme_key, p, engine=engine) for p in labels) if r is not None]
    periods = [r for r in periods if not r.units.empty]
    if not periods:
        return None
    scheme = periods[-1].scheme
    try:
        scheme.leaf(code)
    except KeyError:
        return None
    frames = []
    for r in periods:
        if code not in {x.code for x in r.scheme.leaves}:
            continue  # an older version without this item
        try:
            leaves = r.leaves
        except (StaleResults, AttributeError, AssertionError):
            continue
        rows = leaves[(leaves["leaf"] == code) & leaves["applicable"]]
        frames.append(
            rows[["period", "unit", "earned", "value", "met"]].astype({"period": str, "unit": str, "value": float})
        )
    if not frames:
        return None
    data = pd.concat(frames, ignore_index=True)
    latest = data[data["period"] == data["period"].max()]
    chosen, how = chosen_units(units, latest, ends)
    data = data[data["unit"].isin(chosen)]
    names = pd.Series(dtype=str)
    for r in periods:
        names = pd.concat([names, r.units.assign(unit=r.units["unit"].astype(str)).set_index("unit")["name"]])
    names = names[~names.index.duplicated(keep="last")]
    data = data.assign(name=data["unit"].map(names).fillna(data["unit"]))
    data = data.sort_values(["period", "unit"]).reset_index(drop=True)
    return scheme, data[["period", "unit", "name", "earned", "value", "met"]], how


def year_to_date_on_year(scheme_key: str, ytd: YearToDate, *, engine: Engine | None = None) -> YearOnYear:
    """同比 of a year to date: against last year's year to date up to the same month."""
    require("results.all")
    ly = last_year_label(ytd.month)
    assert ly is not None  # a YearToDate is always of a month
    base = ytd.units[["unit", "total", "rank"]].assign(unit=ytd.units["unit"].astype(str))
    where = f"去年同期（{ly[:4]}年1—{int(ly[5:])}月累计）"
    before = year_to_date(scheme_key, ly, engine=engine)
    if before is None:
        published = view_mode(None) == "published"
        why = "尚无已发布的考核结果" if published else "没有考核数据"
        return YearOnYear(ytd.month, ly, _nothing(base), f"「—」表示无同比：{where}{why}。")
    return _compared(ytd.month, ly, base, before.units, ytd.scheme.decimals, where)
