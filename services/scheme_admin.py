"""Scheme administration: check a draft with located errors, preview it on stored data.

Saving goes through `catalog.register_scheme` (validated again, versioned, audited).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import Engine

from scoring import Scheme, SchemeError, ScoringInputError, parse_scheme, score
from scoring.lint import lint
from scoring.periods import period_name
from services._db import engine_or_default
from services.catalog import list_units, scheme_versions
from services.memo import Memo
from services.permissions import Actor, check
from services.results import values_key
from services.unit_figures import figures_for
from services.values import current_values, periods_with_values


@dataclass(frozen=True)
class Draft:
    scheme: Scheme | None
    problems: list[str]  # 'where: what' lines, empty when the draft is valid
    warnings: list[str] = field(default_factory=list)  # scoring.lint: savable, but worth a look

    @property
    def ok(self) -> bool:
        return self.scheme is not None


def check_draft(source: str, *, by: Actor | None = None) -> Draft:
    """Parse a scheme's YAML; every problem, located by its key path, instead of the first."""
    check(by, "schemes.edit")
    if not source.strip():
        return Draft(None, ["方案内容为空"])
    try:
        scheme = parse_scheme(source)
    except SchemeError as exc:
        return Draft(None, list(exc.messages))
    return Draft(scheme, [], lint(scheme))


@dataclass(frozen=True)
class Preview:
    period: str
    units: pd.DataFrame  # unit, name, category, total, rank, grade (+ the stored version's total)
    message: str


def preview(scheme: Scheme, *, by: Actor | None = None, engine: Engine | None = None) -> Preview | None:
    """Score the draft on the latest period that has values for its scheme id (nothing stored).
    None when the scheme has no data yet. Raises nothing for bad fits: they become the message."""
    check(by, "schemes.edit")
    periods = periods_with_values(scheme.id, engine=engine)
    if not periods:
        return None
    period = periods[-1]
    where = (engine_or_default(engine).url.render_as_string(hide_password=True), scheme.id, period)
    state = values_key(scheme.id, period, engine=engine) or ""
    # Per process: the editor previews on every rerun (each cell edited), the draft and the
    # version before it; the values are read once per state of the period, each draft scored once.
    key = (*where, state, hashlib.sha256(scheme.model_dump_json().encode()).hexdigest())
    hit = _previews.get(key)
    if hit is not None:
        return hit
    values, register = _inputs(where, state, engine)
    present = pd.unique(values["unit"].astype(str))
    try:
        scored = score(
            scheme,
            values,
            categories=register["category"].reindex(present).dropna(),
            figures=figures_for(scheme, engine=engine),
        )
    except ScoringInputError as exc:
        lines = "；".join(str(p) for p in exc.problems[:10])
        return _previews.put(
            key,
            Preview(
                period, pd.DataFrame(), f"{period_name(period)}的数据不符合此方案（共 {len(exc.problems)} 处）：{lines}"
            ),
        )
    units = scored.units
    out = pd.DataFrame(
        {
            "unit": units["unit"].astype(str),
            "name": units["unit"].astype(str).map(register["name"]).fillna(""),
            "category": units["category"].astype(str),
            "total": units["total"],
            "rank": units["rank"],
            "grade": units["grade"].astype(str),
        }
    ).sort_values(["category", "rank"], kind="stable")
    return _previews.put(
        key, Preview(period, out.reset_index(drop=True), f"按此方案计算{period_name(period)}（{period}）的数据，未保存")
    )


_previews: Memo[Preview] = Memo(16)
_inputs_memo: Memo[tuple[str, tuple[pd.DataFrame, pd.DataFrame]]] = Memo(4)


def _inputs(where: tuple[str, str, str], state: str, engine: Engine | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The period's current values and the register (by code), read once per state of the period."""
    hit = _inputs_memo.get(where)
    if hit is not None and hit[0] == state:
        return hit[1]
    found = (current_values(where[1], where[2], engine=engine), list_units(engine=engine).set_index("code"))
    _inputs_memo.put(where, (state, found))
    return found


def versions_table(*, by: Actor | None = None, engine: Engine | None = None) -> pd.DataFrame:
    check(by, "schemes.edit")
    rows = scheme_versions(engine=engine)
    return pd.DataFrame(
        {
            "scheme": [v.scheme_key for v in rows],
            "version": [v.version for v in rows],
            "name": [v.name for v in rows],
            "categories": ["、".join(v.categories) for v in rows],
            "created_by": [v.created_by for v in rows],
            "created_at": [v.created_at for v in rows],
            "note": [v.note for v in rows],
        }
    )
