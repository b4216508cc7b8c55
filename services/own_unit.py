"""A unit account's view of its own results: its row, its criteria, its history — nothing of
other units beyond its rank among them.

The unit comes from the signed-in account, never from the page: a unit account asking for
another unit is refused (Forbidden), whatever parameter it changed.

A period whose values cannot be scored yet (cells missing) raises `ResultsIncomplete`, whose
message names no unit: the scoring error lists other units' missing cells. Such a period is
left out of the history of the others.

Of its peers a unit sees numbers only: its rank and group size, the group's median and best
total — never which unit holds them. `own_report` is its own workbook (exports/unit_report.py),
built from its row, its criteria and its history alone, with no other unit's name in reach.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from sqlalchemy import Engine

from exports.unit_report import write_unit_report
from reports.overview import peer_position
from scoring import Scheme, ScoringInputError
from scoring.periods import period_name
from services._db import DISPLAY_TZ
from services.audit import record_download
from services.catalog import list_schemes, list_units
from services.dashboard import period_choices, period_view
from services.errors import InvalidInput, NotFound, ServiceError
from services.permissions import Actor, acting, require_unit, trusted
from services.results import published_only, results
from services.values import periods_with_values

# What a unit may see of its own row (no peer statistics beyond rank and group size).
OWN_COLUMNS = [
    "unit", "name", "category", "total", "rank", "group_size", "grade", "veto", "veto_reason", "bottom",
    "bottom_reason", "consequence", "award_eligible", "award_reason", "delta_total", "delta_rank", "gap_next_grade",
    "gap_bottom_line", "bonus", "score_rate", "grade_cap_reason",
]  # fmt: skip
# A unit's row in each period of its history (the report's 历史 sheet needs the changes and flags).
HISTORY_COLUMNS = [
    "period", "unit", "name", "total", "rank", "group_size", "grade", "delta_total", "delta_rank", "bottom", "veto",
]  # fmt: skip
REPORT_PERIODS = 12  # periods in the report's 历史 sheet, up to the exported one (as the bulletin's)


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
    history: pd.DataFrame  # HISTORY_COLUMNS, oldest first
    peer_median: float | None = None  # of the unit's peer group's totals (no unit named)
    peer_best: float | None = None


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
        history = _history(scheme_key, unit, None, engine)
        peer = peer_position(view.units, unit) if row is not None else None
    return OwnUnit(
        view.scheme,
        period,
        view.title,
        unit,
        row,
        explained,
        notes if notes is not None else pd.DataFrame(columns=["code", "assessor", "note"]),
        history,
        None if peer is None else peer["median"],
        None if peer is None else peer["best"],
    )


def _history(scheme_key: str, unit: str, upto: str | None, engine: Engine | None) -> pd.DataFrame:
    """The unit's rows of every scored native period (up to `upto`), oldest first; call it checked
    and inside `published_only()`. A period that cannot be scored yet is left out."""
    rows = []
    for label in periods_with_values(scheme_key, engine=engine):
        if upto is not None and label > upto:
            continue
        try:
            r = results(scheme_key, label, engine=engine)
        except ScoringInputError:
            continue  # an incomplete period has no result yet
        if r is not None:
            hit = r.units[r.units["unit"].astype(str) == unit]
            if len(hit):
                rows.append(hit.iloc[0][[c for c in HISTORY_COLUMNS if c in hit.columns]])
    return pd.DataFrame(rows, columns=HISTORY_COLUMNS).reset_index(drop=True)


def own_report(
    scheme_key: str,
    period: str,
    unit: str | None = None,
    *,
    at: datetime | None = None,
    by: Actor | None = None,
    engine: Engine | None = None,
) -> bytes:
    """The unit's own workbook of a native period (概况, 评分明细, 历史) as xlsx bytes, audited.

    A unit account gets its own unit only (Forbidden for any other), from published results only.
    Only this unit's row, criteria and history go into the writer, and only its own name: the
    workbook cannot name another unit. Raises ResultsIncomplete (the period cannot be scored yet),
    NotFound (nothing published, or no result for the unit).
    """
    actor = acting(by)
    unit = unit or (actor.unit_code if actor is not None else None)
    if not unit:
        raise InvalidInput("未指定单位")
    require_unit(actor, unit)
    if actor is not None and actor.role != "unit":
        actor.require("export")  # others download through the export permission, as elsewhere
    with trusted(), published_only():
        try:
            found = results(scheme_key, period, engine=engine)
        except ScoringInputError:
            raise ResultsIncomplete(INCOMPLETE) from None  # its problems name other units
        if found is None or found.scored is None:
            raise NotFound(f"{period_name(period)}：本期考核结果尚未发布。")
        scored = found.scored
        history = _history(scheme_key, unit, period, engine).tail(REPORT_PERIODS)
        register = list_units(engine=engine)
    names = dict(zip(register["code"].astype(str), register["name"].astype(str), strict=True))
    name = names.get(unit, unit)
    who = actor.label if actor is not None else "系统（命令行）"
    try:
        data = write_unit_report(scored, unit, period, {unit: name}, history, who, at or datetime.now(DISPLAY_TZ))
    except KeyError:
        raise NotFound(f"本单位在 {period_name(period)} 没有考核结果。") from None
    record_download(
        actor, f"unit:{unit}", f"导出 {name} {period_name(period)} 考核结果（Excel）", engine=engine, period=period
    )
    return data
