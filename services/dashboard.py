"""What the dashboard pages ask for: schemes, periods (with quarterly and annual roll-ups of
monthly schemes), one period's view, a unit's history. Built on `services.results`, whose cache
makes repeated calls cheap: a filter change never re-runs scoring.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine

from scoring import Part, Scheme, roll_up
from scoring.periods import period_name, period_type, quarter_of, year_of
from services._db import engine_or_default
from services.catalog import list_schemes, list_units
from services.permissions import require
from services.results import AssessmentResults, results
from services.unit_history import histories
from services.values import periods_with_values

KIND_NAMES = {"month": "月度", "quarter": "季度", "year": "年度"}


@dataclass(frozen=True)
class SchemeChoice:
    key: str
    name: str
    version: str
    period_type: str

    @property
    def label(self) -> str:
        return f"{self.name}（{KIND_NAMES[self.period_type]}）"


def scheme_choices(*, engine: Engine | None = None) -> list[SchemeChoice]:
    """The latest version of every scheme that has results, by name."""
    out = []
    for v in list_schemes(engine=engine):
        if periods_with_values(v.scheme_key, engine=engine):
            out.append(SchemeChoice(v.scheme_key, v.name, v.version, v.period_type))
    # Monthly schemes first: the monthly bulletin is what most visits are for.
    order = {"month": 0, "quarter": 1, "year": 2}
    return sorted(out, key=lambda c: (order[c.period_type], c.name))


def period_choices(scheme_key: str, *, engine: Engine | None = None) -> dict[str, list[str]]:
    """Period labels by kind, newest first. A monthly scheme also offers its quarters and years."""
    native = periods_with_values(scheme_key, engine=engine)
    out: dict[str, list[str]] = {"month": [], "quarter": [], "year": []}
    for label in native:
        kind = period_type(label)
        if kind:
            out[kind].append(label)
    months = out["month"]
    if months:
        out["quarter"] = sorted({quarter_of(m) for m in months} | set(out["quarter"]))
        out["year"] = sorted({year_of(m) for m in months} | set(out["year"]))
    return {k: sorted(v, reverse=True) for k, v in out.items() if v}


@dataclass
class PeriodView:
    """One period's results for the pages. `detail` is None for a roll-up (it has no leaves)."""

    scheme: Scheme
    period: str
    units: pd.DataFrame  # Results.units + name, parent, parent_name
    detail: AssessmentResults | None
    months: list[str]  # the months a roll-up combines ([] for a native period)
    key: str = ""  # changes whenever anything shown would change (the results' keys: scores and names)

    @property
    def title(self) -> str:
        return period_name(self.period)


def _with_parents(units: pd.DataFrame, register: pd.DataFrame) -> pd.DataFrame:
    parents = register.set_index("code")["parent"]
    names = register.set_index("code")["name"]
    out = units.copy()
    out["unit"] = out["unit"].astype(str)
    if "name" not in out.columns:
        out.insert(out.columns.get_loc("unit") + 1, "name", out["unit"].map(names).fillna(out["unit"]))
    out["parent"] = out["unit"].map(parents).fillna("")
    out["parent_name"] = out["parent"].map(names).fillna("")
    return out


def _rolled(scheme_key: str, label: str, engine: Engine | None) -> tuple[Scheme, pd.DataFrame, list[str], str] | None:
    """A quarter or year of a monthly scheme: the mean of its months, graded and ranked
    (with the months' fingerprints joined, which change whenever the roll-up would)."""
    months = [m for m in periods_with_values(scheme_key, engine=engine) if period_type(m) == "month"]
    inside = [m for m in months if (quarter_of(m) if period_type(label) == "quarter" else year_of(m)) == label]
    parts = [r for r in (results(scheme_key, m, engine=engine) for m in inside) if r is not None]
    if not parts:
        return None
    scheme = parts[-1].scheme
    units = pd.concat([r.units for r in parts], ignore_index=True)
    rolled = roll_up(scheme, [Part("月度平均", units, 1.0)], label)
    return scheme, rolled, inside, ";".join(r.key for r in parts)


# Views built for a fingerprint are reused: a rerun (a click, a filter change) on a large
# district then costs one fingerprint query instead of re-reading the unit register and
# re-joining parents onto every unit row.
_views: OrderedDict[tuple[str, str, str, str], PeriodView] = OrderedDict()
_views_lock = threading.Lock()
_VIEWS_SIZE = 32


def _remember_view(key: tuple[str, str, str, str], view: PeriodView) -> PeriodView:
    with _views_lock:
        _views[key] = view
        _views.move_to_end(key)
        while len(_views) > _VIEWS_SIZE:
            _views.popitem(last=False)
    return view


def _known_view(key: tuple[str, str, str, str]) -> PeriodView | None:
    with _views_lock:
        return _views.get(key)


def period_view(scheme_key: str, label: str, *, engine: Engine | None = None) -> PeriodView | None:
    """Results for a native period, or the roll-up of a monthly scheme's quarter or year."""
    require("results.all")
    url = engine_or_default(engine).url.render_as_string(hide_password=True)
    native = results(scheme_key, label, engine=engine)
    if native is not None:
        key = (url, scheme_key, label, native.key)
        hit = _known_view(key)
        if hit is not None and hit.detail is native:
            return hit
        units = _with_parents(native.units, list_units(engine=engine))
        return _remember_view(key, PeriodView(native.scheme, label, units, native, [], native.key))
    rolled = _rolled(scheme_key, label, engine)
    if rolled is None:
        return None
    scheme, units, months, fingerprint = rolled
    previous = _previous_rollup_label(label)
    if previous is not None:
        before = _rolled(scheme_key, previous, engine)
        if before is not None:
            units = roll_up(scheme, [Part("月度平均", units.assign(period=label), 1.0)], label, previous=before[1])
            fingerprint += "|prev=" + before[3]
    return PeriodView(scheme, label, _with_parents(units, list_units(engine=engine)), None, months, fingerprint)


def _previous_rollup_label(label: str) -> str | None:
    if period_type(label) == "quarter":
        year, q = int(label[:4]), int(label[-1])
        return f"{year - 1}-Q4" if q == 1 else f"{year}-Q{q - 1}"
    if period_type(label) == "year":
        return str(int(label) - 1)
    return None


def unit_history(scheme_key: str, unit: str, *, engine: Engine | None = None) -> pd.DataFrame:
    """A unit's total, rank and grade in every native period of the scheme, oldest first
    (the stored per-unit history: one indexed query, services.unit_history)."""
    return histories(scheme_key, [unit], engine=engine)


def history(scheme_key: str, units: list[str], *, engine: Engine | None = None) -> pd.DataFrame:
    """Totals and ranks of several units over every native period (for the trends page)."""
    data = histories(scheme_key, units, engine=engine)
    # veto: the charts label a vetoed point (一票否决), whose total alone would not explain it
    return data[["period", "unit", "name", "total", "rank", "grade", "veto"]]
