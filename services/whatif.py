"""模拟测算 (what if): a scheme with changed points, targets or settlement, scored on a period's
stored values beside the scheme in force — every unit's total, rank, grade and amount before and
after. Nothing is stored until `save_as_version` registers the edited scheme as a new version.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd
import yaml
from sqlalchemy import Engine

from scoring import Scheme, SchemeError, ScoringInputError, fmt, scheme_from_dict
from scoring.names import METHOD_NAMES
from scoring.periods import period_name
from scoring.settlement import SettlementError, what_if
from services._db import engine_or_default, scheme_name_lookup
from services.catalog import Registration, list_units, register_scheme, scheme_versions
from services.errors import InvalidInput, NotFound
from services.memo import Memo
from services.permissions import Actor, check
from services.results import baseline_history_for, results, values_key
from services.unit_figures import figures_for
from services.values import current_values


@dataclass(frozen=True)
class Edits:
    """Changes to a scheme: leaf code -> new points / new target; a settlement block to use
    instead of the scheme's (None: keep it as it is)."""

    points: Mapping[str, float] = field(default_factory=dict)
    targets: Mapping[str, float] = field(default_factory=dict)
    settlement: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Simulation:
    before: Scheme
    after: Scheme
    source: str  # the edited scheme as YAML (its version label not yet changed)
    period: str
    table: pd.DataFrame  # scoring.settlement.WHAT_IF_COLUMNS + name, in the new ranking order

    @property
    def changed_rank(self) -> int:
        return int((self.table["delta_rank"].fillna(0) != 0).sum())

    @property
    def changed_grade(self) -> int:
        return int((self.table["grade_before"] != self.table["grade_after"]).sum())

    def amount_totals(self) -> tuple[float | None, float | None]:
        def total(col: str) -> float | None:
            s = self.table[col]
            return None if s.isna().all() else round(float(s.sum()), 2)

        return total("amount_before"), total("amount_after")


# -- what can be edited ---------------------------------------------------------------------------
def leaf_table(scheme: Scheme) -> pd.DataFrame:
    """The leaves with their editable numbers: code, name (with its criteria path), method,
    points, target (NaN unless a target leaf), measure, direction."""
    paths = scheme.leaf_paths()
    rows = []
    for leaf in scheme.leaves:
        target = getattr(leaf, "target", None) if leaf.method == "target" else None
        rows.append(
            {
                "code": leaf.code,
                "name": " / ".join([*(c.name for c in paths[leaf.code]), leaf.name]),
                "method": METHOD_NAMES[leaf.method],
                "points": float(leaf.points),
                "target": math.nan if target is None else float(target),
                "measure": getattr(leaf, "unit", "") or "",
                "direction": ("≥" if leaf.direction == "higher" else "≤") if leaf.method == "target" else "",
            }
        )
    return pd.DataFrame(rows)


def settlement_block(scheme: Scheme) -> dict[str, Any] | None:
    """The scheme's settlement as the dict a YAML file would hold (None without one)."""
    if scheme.settlement is None:
        return None
    return scheme.settlement.model_dump(exclude_defaults=True) | {"mode": scheme.settlement.mode}


# -- applying edits -------------------------------------------------------------------------------
def _leaf_dicts(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}

    def visit(criterion: dict[str, Any]) -> None:
        for item in criterion.get("items") or []:
            out[str(item.get("code"))] = item
        for child in criterion.get("children") or []:
            visit(child)

    for c in data.get("criteria") or []:
        visit(c)
    return out


def _located(messages: list[str]) -> list[str]:
    """Scheme errors (already located by indicator in the loader), with what a what-if user can do
    about totals that no longer add up."""
    return [f"{m}（调整分值后，各评分细则分值之和须等于方案总分）" if "分值合计" in m else m for m in messages]


def apply_edits(source: str, edits: Edits) -> tuple[str, Scheme]:
    """The scheme text with `edits` applied, and the scheme it parses to.

    Raises InvalidInput listing every problem, each located by indicator (e.g. points that no
    longer add up to the total, a target no longer above its floor, an unknown indicator code).
    """
    data = yaml.safe_load(source)
    leaves = _leaf_dicts(data)
    problems = []
    for kind, changes in (("points", edits.points), ("target", edits.targets)):
        for code, value in changes.items():
            leaf = leaves.get(code)
            if leaf is None:
                problems.append(f"没有编码为 {code} 的评分细则")
            elif value is None or (isinstance(value, float) and math.isnan(value)):
                problems.append(
                    f"指标 {code}（{leaf.get('name')}）的{'分值' if kind == 'points' else '目标值'}不能为空"
                )
            elif kind == "target" and leaf.get("method") != "target":
                problems.append(f"指标 {code}（{leaf.get('name')}）不是目标值指标，不能设目标值")
            else:
                leaf[kind] = _plain_number(value)
    if edits.settlement is not None:
        data["settlement"] = {k: _plain_number(v) for k, v in edits.settlement.items() if v is not None}
    if problems:
        raise InvalidInput("调整有误，无法测算：\n" + "\n".join(f"  {p}" for p in problems))
    try:
        scheme = scheme_from_dict(data)
    except SchemeError as exc:
        lines = _located(exc.messages)
        raise InvalidInput("调整后的方案有误，无法测算：\n" + "\n".join(f"  {m}" for m in lines)) from None
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False), scheme


def _plain_number(value: Any) -> Any:
    """Numbers as YAML writes them best: 10 rather than 10.0; dicts (coefficients) recursively."""
    if isinstance(value, Mapping):
        return {k: _plain_number(v) for k, v in value.items()}
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    v = float(value)
    return int(v) if v.is_integer() else v


# -- simulating -----------------------------------------------------------------------------------
def simulate(
    scheme_key: str, period: str, edits: Edits, *, by: Actor | None = None, engine: Engine | None = None
) -> Simulation:
    """Score the period's stored values under the scheme in force and under the edited scheme.

    Raises Forbidden (an account that may not edit schemes), NotFound (no values in a native
    period of the scheme), InvalidInput (an edited scheme that is invalid, values that do not fit
    it, a settlement that cannot be computed).
    """
    check(by, "schemes.edit")
    found = results(scheme_key, period, engine=engine)
    if found is None:
        name = scheme_name_lookup(scheme_key, engine=engine)() or scheme_key  # the name a user knows
        raise NotFound(f"方案「{name}」在 {period_name(period)}（{period}）没有原始评分数据，无法模拟测算")
    before = found.scheme
    source, after = apply_edits(found.version.source, edits)
    where = (engine_or_default(engine).url.render_as_string(hide_password=True), scheme_key, period)
    key = values_key(scheme_key, period, engine=engine) or ""
    sim_key = (*where, key, json.dumps(asdict(edits), sort_keys=True, ensure_ascii=False, default=str))
    hit = _simulations.get(sim_key)
    if hit is not None:  # a rerun with the same edits (any other widget of the page)
        return hit
    try:
        values, register, history, figures = _inputs(where, key, before, engine)
        present = pd.unique(values["unit"].astype(str))
        categories = register.set_index("code")["category"].reindex(present).dropna()
        table = what_if(
            before, after, values, categories=categories, attributes=register, history=history, figures=figures
        )
    except ScoringInputError as exc:
        lines = "\n".join(f"  {p}" for p in exc.problems[:20])
        raise InvalidInput(f"本期数据不符合调整后的方案（共 {len(exc.problems)} 处）：\n{lines}") from None
    except SettlementError as exc:
        raise InvalidInput(f"资金结算无法计算：{exc}") from None
    names = register.set_index("code")["name"]
    table.insert(2, "name", table["unit"].map(names).fillna(table["unit"]))
    table = table.sort_values(["category", "rank_after", "unit"], kind="stable").reset_index(drop=True)
    return _simulations.put(sim_key, Simulation(before, after, source, period, table))


# Per process. Scoring a province twice takes a fraction of a second; reading its values back
# takes seconds: the inputs are kept per results key (values, register, baselines, figures), and
# each simulation per edits, so trying one change after another reads the values once.
_Inputs = tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame | None, pd.DataFrame | None]
_inputs_memo: Memo[tuple[str, _Inputs]] = Memo(4)
_simulations: Memo[Simulation] = Memo(16)


def _inputs(where: tuple[str, str, str], key: str, scheme: Scheme, engine: Engine | None) -> _Inputs:
    """The period's values, the register, and the baselines and register figures the results
    beside the simulation used (增幅, 计算指标), read once per results key."""
    hit = _inputs_memo.get(where)
    if hit is not None and hit[0] == key:
        return hit[1]
    _, scheme_key, period = where
    found: _Inputs = (
        current_values(scheme_key, period, engine=engine),
        list_units(engine=engine),
        baseline_history_for(scheme_key, scheme, period, engine=engine),
        figures_for(scheme, engine=engine),
    )
    _inputs_memo.put(where, (key, found))
    return found


def edits_summary(before: Scheme, edits: Edits) -> list[str]:
    """The changes in words, for the version note: "A2 处方合格率 分值 10 → 12" …"""
    lines = []
    for leaf in before.leaves:
        new_points = edits.points.get(leaf.code)
        if new_points is not None and not math.isclose(new_points, leaf.points):
            lines.append(f"{leaf.code} {leaf.name} 分值 {fmt(leaf.points)} → {fmt(new_points)}")
        new_target = edits.targets.get(leaf.code)
        if new_target is not None and leaf.method == "target" and not math.isclose(new_target, leaf.target):
            lines.append(f"{leaf.code} {leaf.name} 目标值 {fmt(leaf.target)} → {fmt(new_target)}")
    if edits.settlement is not None and dict(edits.settlement) != (settlement_block(before) or {}):
        lines.append("资金结算参数调整" if before.settlement is not None else "新增资金结算")
    return lines


def save_as_version(
    source: str, version: str, actor: str = "", note: str = "", *, by: Actor | None = None, engine: Engine | None = None
) -> Registration:
    """Register the edited scheme under a new version label (validated again; audited by the catalog).

    Raises InvalidInput (an empty label, an invalid scheme), Conflict (the label is taken by a
    version in use).
    """
    label = version.strip()
    if not label:
        raise InvalidInput("请填写新版本号（例如 2025.2）")
    data = yaml.safe_load(source)
    if str(data.get("version")) == label:
        raise InvalidInput(f"新版本号不能与原版本相同（{label}）")
    data["version"] = label
    edited = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    return register_scheme(edited, actor, note=note, by=by, engine=engine)


def free_version(scheme_key: str, version: str, *, engine: Engine | None = None) -> str:
    """The first label after `version` that the scheme has not registered yet (a suggestion that
    never silently replaces an earlier, unused version)."""
    taken = {v.version for v in scheme_versions(scheme_key, engine=engine)}
    label = next_version(version)
    while label in taken:
        label = next_version(label)
    return label


def next_version(version: str) -> str:
    """A suggested label for the next version: 2025.1 → 2025.2, v3 → v4, 草案 → 草案.1."""
    match = re.search(r"(\d+)(\D*)$", version)
    if match is None:
        return f"{version}.1"
    start, end = match.span(1)
    return f"{version[:start]}{int(match.group(1)) + 1}{version[end:]}"
