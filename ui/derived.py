"""Tables a page derives from its results, kept per process between reruns.

A click on a chart or a chooser reruns the whole page; at province size each derived table (a
groupby over 1.6M leaf rows) costs a second. They are keyed on the view's key (which changes with
the scores and the names), the units shown and what is asked, so a rerun reuses them and any
change of data or filter makes them anew.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TypeVar

import pandas as pd

from services._db import engine_or_default
from services.memo import Memo

T = TypeVar("T")
_derived: Memo[object] = Memo(64)
_large: Memo[object] = Memo(2)  # a province's leaf rows are hundreds of megabytes: two at most


def units_signature(units: pd.Series) -> int:
    """A number that changes with the set and order of units (a filter chosen on the page)."""
    return int(pd.util.hash_pandas_object(units.astype(str), index=False).sum())


def derived(view_key: str, units: pd.Series, what: Hashable, make: Callable[[], T], *, large: bool = False) -> T:
    """`make()`, or what it gave for the same database, view, units and `what` on an earlier
    rerun. `large`: rows per unit and leaf, of which only the last two are kept."""
    memo = _large if large else _derived
    database = engine_or_default(None).url.render_as_string(hide_password=True)
    key = (database, view_key, units_signature(units), what)
    hit = memo.get(key)
    if hit is None:
        hit = memo.put(key, make())
    return hit  # type: ignore[return-value]
