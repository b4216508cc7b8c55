"""A unit account's view of its own results: its row, its criteria, its history — nothing of
other units beyond its rank among them.

The unit comes from the signed-in account, never from the page: a unit account asking for
another unit is refused (Forbidden), whatever parameter it changed.

A period whose values cannot be scored yet (cells missing) raises `ResultsIncomplete`, whose
message names no unit: the scoring error lists other units' missing cells. Such a period is
left out of the history of the others.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine

from scoring import Scheme, ScoringInputError
from services.catalog import list_schemes
from services.dashboard import period_choices, period_view
from services.errors import InvalidInput, ServiceError
from services.permissions import Actor, acting, require_unit, trusted
from services.results import published_only, results
from services.values import periods_with_values

# What a unit may see of its own row (no peer statistics beyond rank and group size).
OWN_COLUMNS = [
    "unit", "name", "category", "total", "rank", "group_size", "grade", "veto", "veto_reason", "bottom",
    "bottom_reason", "consequence", "award_eligible", "award_reason", "delta_total", "delta_rank", "gap_next_grade",
]  # fmt: skip


def own_schemes(*, by: Actor | None = None, engine: Engine | None = None) -> dict[str, dict[str, list[str]]]:
    """The schemes that assess the account's unit, with their periods by kind (newest first)."""
    actor = acting(by)
    if actor is None or actor.unit_category is None:
        return {}
    require_unit(actor, actor.unit_code or "")
    out = {}
    for v in list_schemes(engine=engine):
        if actor.unit_category in v.categories:
            periods = period_choices(v.scheme_key, engine=engine)
            if periods:
                out[v.scheme_key] = periods
    return out


INCOMPLETE = "本期考核数据尚不完整，结果暂不可用。请待考核组补齐数据后再查看。"


class ResultsIncomplete(ServiceError):
    """The period's values cannot be scored yet; the message names nothing of other units."""


@dataclass(frozen=True)
class OwnUnit:
    scheme: Scheme
    period: str
    title: str
    unit: str
    row: pd.Series | None  # None: the unit has no result in this period
    explained: pd.DataFrame | None  # criteria with traces (native periods only)
    notes: pd.DataFrame  # the assessors' notes on this unit
    history: pd.DataFrame  # period, unit, name, total, rank, group_size, grade


def own_unit(
    scheme_key: str, period: str, unit: str | None = None, *, by: Actor | None = None, engine: Engine | None = None
) -> OwnUnit | None:
    """One unit's results in one period (None when the period has no results at all)."""
    actor = acting(by)
    unit = unit or (actor.unit_code if actor is not None else None)
    if not unit:
        raise InvalidInput("未指定单位")
    require_unit(actor, unit)
    # Checked above: the rest reads the whole period, then keeps this unit only — as published.
    with trusted(), published_only():
        try:
            view = period_view(scheme_key, period, engine=engine)
        except ScoringInputError:
            raise ResultsIncomplete(INCOMPLETE) from None  # its problems name other units
        if view is None:
            return None
        mine = view.units[view.units["unit"].astype(str) == unit]
        row = mine.iloc[0][[c for c in OWN_COLUMNS if c in mine.columns]] if len(mine) else None
        explained = notes = None
        if view.detail is not None and row is not None:
            explained = view.detail.explain(unit)
            notes = view.detail.notes[view.detail.notes["unit"].astype(str) == unit]
        history = []
        for label in periods_with_values(scheme_key, engine=engine):
            try:
                r = results(scheme_key, label, engine=engine)
            except ScoringInputError:
                continue  # an incomplete period has no result yet
            if r is not None:
                hit = r.units[r.units["unit"].astype(str) == unit]
                if len(hit):
                    history.append(hit.iloc[0][["period", "unit", "name", "total", "rank", "group_size", "grade"]])
    return OwnUnit(
        view.scheme,
        period,
        view.title,
        unit,
        row,
        explained,
        notes if notes is not None else pd.DataFrame(columns=["code", "assessor", "note"]),
        pd.DataFrame(history).reset_index(drop=True),
    )
