"""整改建议: the tasks a publication suggests (末位, 一票否决, 未达标, 扣分), found column by column.

A province's publication suggests hundreds of thousands of tasks, of which the page shows one page
of fifty. So the rows are selected and ordered over whole columns, and a `Suggestion` (with
its sentences) is spelled only when it is read: at 40,000 units, spelling every one up front took
9 s of a first visit.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import overload

import numpy as np
import pandas as pd

from reports import numbers
from scoring import Scheme
from scoring.explain import fmt
from scoring.periods import period_name
from services.results import AssessmentResults

SOURCE_NAMES = {"bottom": "末位", "veto": "一票否决", "target": "未达标指标", "deduction": "扣分项", "other": "其他"}
# The order of the list: 末位 and 否决 first, then each unit's items by code.
_ORDER = {"bottom": 0, "veto": 1, "target": 2, "deduction": 3}


@dataclass(frozen=True)
class Suggestion:
    """A task the published results suggest; `existing`: the id of an open task already given."""

    unit: str
    name: str
    category: str
    source: str
    code: str | None
    title: str
    detail: str
    existing: int | None = None

    @property
    def source_name(self) -> str:
        return SOURCE_NAMES[self.source]

    @property
    def key(self) -> str:
        """Stable across reruns (for widget keys)."""
        return f"{self.unit}|{self.source}|{self.code or ''}"


@dataclass(frozen=True, eq=False)
class Suggestions(Sequence[Suggestion]):
    """The suggestions of one publication and scope, in list order; each spelled when read.

    `rows` holds one array per field, one entry per suggestion: unit, source, code (None for 末位),
    number (the total of a 末位 unit, the actual value of a leaf), lost, reason and consequence
    (末位 only)."""

    scheme: Scheme
    period: str
    rows: Mapping[str, np.ndarray]
    names: Mapping[str, str]
    categories: Mapping[str, str]
    existing: Mapping[tuple[str, str, str | None], int] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.rows["unit"])

    @overload
    def __getitem__(self, i: int) -> Suggestion: ...
    @overload
    def __getitem__(self, i: slice) -> list[Suggestion]: ...
    def __getitem__(self, i: int | slice) -> Suggestion | list[Suggestion]:
        if isinstance(i, slice):
            return [self._spell(j) for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        return self._spell(i)

    def __iter__(self) -> Iterator[Suggestion]:
        return (self._spell(j) for j in range(len(self)))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or len(other) != len(self):
            return False
        return all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]

    def with_existing(self, existing: Mapping[tuple[str, str, str | None], int]) -> Suggestions:
        """The same list, marking the suggestions an open task already covers."""
        return replace(self, existing=existing)

    def _spell(self, j: int) -> Suggestion:
        unit, source, code, number, lost, reason, consequence = (col[j] for col in self._columns)
        scheme, period = self.scheme, self.period
        where = f"{scheme.name} {period_name(period)}"
        if source == "bottom":
            title = f"{period_name(period)}考核列入末位整改"
            detail = f"{where}总分 {numbers.points(number, scheme.decimals)} 分，列入末位" + (
                f"（{reason}）" if reason else ""
            )
            detail += f"。{consequence}" if consequence else ""
            detail += "。请分析原因，制定并落实整改措施。"
        else:
            leaf = self._leaves[code]
            lost_text = numbers.points(lost, scheme.decimals)
            if source == "veto":
                title, detail = (
                    f"一票否决整改：{leaf.name}",
                    f"{where}因「{leaf.name}」被一票否决。请查明原因，落实整改。",
                )
            elif source == "target":
                sign = "≥" if leaf.direction == "higher" else "≤"
                title = f"未达标整改：{leaf.name}"
                detail = (
                    f"{where}「{leaf.name}」实际 {fmt(number, leaf.decimals)}{leaf.unit}，目标 {sign} "
                    f"{fmt(float(leaf.target), leaf.decimals)}{leaf.unit}，失 {lost_text} 分。请制定措施，限期达标。"
                )
            else:
                title = f"扣分整改：{leaf.name}"
                detail = f"{where}「{leaf.name}」扣 {lost_text} 分。请针对扣分问题逐项整改。"
        found = self.existing.get((unit, source, code)) if self.existing else None
        return Suggestion(unit, self.names[unit], self.categories[unit], source, code, title, detail, found)

    @property
    def _columns(self) -> tuple[np.ndarray, ...]:
        return tuple(self.rows[c] for c in ("unit", "source", "code", "number", "lost", "reason", "consequence"))

    @property
    def _leaves(self) -> dict:
        leaves = self.__dict__.get("_by_code")
        if leaves is None:
            leaves = {leaf.code: leaf for leaf in self.scheme.leaves}
            object.__setattr__(self, "_by_code", leaves)
        return leaves


def suggest(found: AssessmentResults, period: str, scope: tuple[str, ...]) -> Suggestions:
    """The suggestions of `period` in `found` (published results), for the units of the
    categories in `scope` (all when empty)."""
    scheme = found.scheme
    units = found.units
    if "period" in units:
        units = units[units["period"].astype(str).to_numpy() == period]
    if scope:
        units = units[units["category"].astype(str).isin(scope).to_numpy()]
    unit_codes = _labels(units["unit"])
    names = dict(zip(unit_codes, units["name"].astype(str), strict=True))
    categories = dict(zip(unit_codes, units["category"].astype(str), strict=True))

    is_bottom = units["bottom"].fillna(False).astype(bool).to_numpy()
    n_bottom = int(is_bottom.sum())
    bottom = {
        "unit": unit_codes[is_bottom],
        "source": np.full(n_bottom, "bottom", dtype=object),
        "code": np.full(n_bottom, None, dtype=object),
        "number": units["total"].to_numpy(dtype=float)[is_bottom],
        "lost": np.full(n_bottom, np.nan),
        "reason": _texts(units, "bottom_reason")[is_bottom],
        "consequence": _texts(units, "consequence")[is_bottom],
    }

    kinds = {leaf.code: leaf.method for leaf in scheme.leaves if leaf.method in ("veto", "target", "deduction")}
    leaves = found.scored.leaves
    # Categorical columns are read through their categories (a few labels), not row by row.
    keep = _in(leaves["leaf"], kinds) & _in(leaves["unit"], names)
    if "period" in leaves:
        keep &= _in(leaves["period"], {period})
    rows = np.flatnonzero(keep)
    code = _labels(leaves["leaf"], rows)
    method = _labels(leaves["leaf"], rows, kinds)
    value = leaves["value"].to_numpy(dtype=float)[rows]
    lost = leaves["lost"].to_numpy(dtype=float)[rows]
    applicable = leaves["applicable"].to_numpy(dtype=bool)[rows]
    met = leaves["met"].to_numpy(dtype=float)[rows]
    wanted = ((method == "veto") & (value >= 0.5)) | (
        applicable & (((method == "target") & (met == 0)) | ((method == "deduction") & (lost > 1e-9)))
    )
    n_leaf = int(wanted.sum())
    items = {
        "unit": _labels(leaves["unit"], rows[wanted]),
        "source": method[wanted],
        "code": code[wanted],
        "number": value[wanted],
        "lost": lost[wanted],
        "reason": np.full(n_leaf, "", dtype=object),
        "consequence": np.full(n_leaf, "", dtype=object),
    }
    columns = {c: np.concatenate([bottom[c], items[c]]) for c in bottom}
    # Ordered by source, unit and code as Python orders the strings (factorised sorted, then one
    # integer sort), the same order a sort of the spelled suggestions gives.
    unit_rank = pd.factorize(columns["unit"], sort=True)[0]
    code_rank = pd.factorize(np.where(columns["code"] == None, "", columns["code"]), sort=True)[0]  # noqa: E711
    source_rank = np.concatenate([np.zeros(n_bottom, dtype=np.int64), _source_ranks(method[wanted])])
    order = np.lexsort((code_rank, unit_rank, source_rank))
    return Suggestions(scheme, period, {c: v[order] for c, v in columns.items()}, names, categories)


def _source_ranks(method: np.ndarray) -> np.ndarray:
    out = np.zeros(len(method), dtype=np.int64)
    for source, rank in _ORDER.items():
        out[method == source] = rank
    return out


def _labels(column: pd.Series, rows: np.ndarray | None = None, mapping: Mapping | None = None) -> np.ndarray:
    """The column's labels (or `mapping` of them) as Python objects, at `rows` (all when None):
    a categorical through its categories, so a label is converted once, not once per row."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        labels = [str(c) for c in column.cat.categories]
        table = np.array([mapping.get(c) for c in labels] if mapping is not None else labels, dtype=object)
        codes = column.cat.codes.to_numpy()
        return table[codes if rows is None else codes[rows]]
    out = np.array([str(x) for x in column.tolist()], dtype=object)
    if mapping is not None:
        out = np.array([mapping.get(x) for x in out.tolist()], dtype=object)
    return out if rows is None else out[rows]


def _in(column: pd.Series, allowed: Mapping | set) -> np.ndarray:
    """Which rows of a (usually categorical) column hold one of `allowed`'s labels."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        ok = np.array([str(c) in allowed for c in column.cat.categories] + [False], dtype=bool)  # code -1: missing
        return ok[column.cat.codes.to_numpy()]
    return np.array([str(x) in allowed for x in column.tolist()], dtype=bool)


def _texts(frame: pd.DataFrame, column: str) -> np.ndarray:
    if column not in frame:
        return np.full(len(frame), "", dtype=object)
    return np.array([x if isinstance(x, str) else "" for x in frame[column].tolist()], dtype=object)
