"""One item's points over the periods for a few units (趋势's 指标趋势), from the leaf payloads
stored with the results (`leaf_history`): one small payload per period instead of every period's
whole detail unpacked and its leaf table built (issue 23: at 40,000 units × 40 leaves, twelve
months of that took most of the page's first visit).

The payloads count only when every period's stamp is current (services.unit_history); otherwise
`services.time_views` reads the item the long way, from every period's results, as before.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from scoring.periods import period_name
from scoring.scheme import Scheme
from services._db import engine_or_default, read
from services.history_rows import leaf_arrays, leaf_payload_rows, stored_rows, units_by_position
from services.permissions import require
from services.results import results
from services.unit_history import current_marks, reader_kind
from services.values import periods_with_values

MAX_TRACES = 10  # lines a person can tell apart in one chart
STORED_MISSING: Final = object()  # some period's payloads are missing or stale: read the long way
_DATA = ["period", "unit", "name", "earned", "value", "met"]


def chosen_units(units: list[str] | None, latest: pd.DataFrame | None, ends: int) -> tuple[list[str], str]:
    """The units an item trend shows and how they were chosen, in words: `units` (at most
    MAX_TRACES), or the `ends` best and worst on the item in `latest` (period, unit, earned: the
    latest period's applicable rows)."""
    if units is not None:
        chosen = list(dict.fromkeys(str(u) for u in units))[:MAX_TRACES]
        return chosen, f"所选 {len(chosen)} 个单位"
    assert latest is not None
    n = max(1, min(ends, MAX_TRACES // 2))
    latest = latest.sort_values(["earned", "unit"], ascending=[False, True])
    if len(latest) <= 2 * n:
        return list(latest["unit"]), "全部单位"
    chosen = list(latest["unit"].head(n)) + list(latest["unit"].tail(n))
    return chosen, f"{period_name(latest['period'].iloc[0])}该项得分前 {n} 名和后 {n} 名"


def stored_item(
    scheme_key: str, code: str, units: list[str] | None, ends: int, *, engine: Engine | None = None
) -> tuple[Scheme, pd.DataFrame, str] | None | object:
    """(latest scheme, data, how) of item `code` — data: period, unit, name, earned, value, met of
    the chosen units where the item applies, by period and unit — from the stored payloads; None
    when the latest scheme has no such item or no period has it; STORED_MISSING when some
    period's payloads are not current."""
    require("results.all")
    eng = engine_or_default(engine)
    kind = reader_kind()
    labels = periods_with_values(scheme_key, engine=eng)

    def work(session: Session) -> tuple | None:
        marks, valid = current_marks(session, scheme_key, labels, kind)
        if not marks or len(valid) < len(marks):
            return None
        arrays = {a: leaf_arrays(p) for a, p in leaf_payload_rows(session, valid, kind, code).items()}
        if units is None:
            latest = pd.DataFrame({"period": [], "unit": [], "earned": []})
            having = [
                x for x in labels if x in marks and marks[x][0] in arrays and arrays[marks[x][0]]["applicable"].any()
            ]
            if having:
                a = marks[having[-1]][0]
                applies = arrays[a]["applicable"]
                codes = units_by_position(session, a, kind)
                latest = pd.DataFrame(
                    {"period": having[-1], "unit": codes[applies], "earned": arrays[a]["earned"][applies]}
                )
            chosen, how = chosen_units(None, latest, ends)
        else:
            chosen, how = chosen_units(units, None, ends)
        return marks, arrays, stored_rows(session, list(arrays), kind, chosen), how

    found = read(eng, work)
    if found is None:
        return STORED_MISSING
    marks, arrays, rows, how = found
    last = results(scheme_key, list(marks)[-1], engine=eng)  # its scheme: the item's points, target, unit
    if last is None or last.units.empty:
        return STORED_MISSING
    try:
        last.scheme.leaf(code)
    except KeyError:
        return None
    if not arrays:
        return None
    period_of = {a: label for label, (a, _) in marks.items()}
    picked = []
    for a, part in rows.groupby("assessment_id", sort=False):
        at = part["position"].to_numpy(dtype=np.int64)
        leaf = arrays[int(a)]
        applies = leaf["applicable"][at]
        picked.append(
            pd.DataFrame(
                {
                    "period": period_of[int(a)],
                    "unit": part["unit"].to_numpy()[applies],
                    "name": part["name"].fillna("").to_numpy()[applies],
                    "earned": leaf["earned"][at][applies],
                    "value": leaf["value"][at][applies],
                    "met": leaf["met"][at][applies],
                }
            )
        )
    data = pd.concat(picked, ignore_index=True) if picked else pd.DataFrame({c: [] for c in _DATA})
    data = data.astype({"period": str, "unit": str, "name": str, "earned": float, "value": float, "met": float})
    return last.scheme, data.sort_values(["period", "unit"]).reset_index(drop=True)[_DATA], how
