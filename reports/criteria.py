"""Criteria analysis across units: where the system loses points and which targets are unmet."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from scoring import Scheme
from scoring.scheme import BASE_METHODS


def leaf_catalogue(scheme: Scheme) -> pd.DataFrame:
    """One row per leaf: code, name, dimension (一级指标), method, points, in scheme order."""
    paths = scheme.leaf_paths()
    return pd.DataFrame(
        [
            {
                "leaf": leaf.code,
                "leaf_name": leaf.name,
                "dimension": paths[leaf.code][0].name,
                "method": leaf.method,
                "max_points": leaf.points,
                "order": i,
            }
            for i, leaf in enumerate(scheme.leaves)
        ]
    )


def _base_rows(leaves: pd.DataFrame, scheme: Scheme) -> pd.DataFrame:
    cat = leaf_catalogue(scheme)
    rows = leaves.assign(leaf=leaves["leaf"].astype(str)).merge(cat, on="leaf")
    return rows[rows["method"].isin(BASE_METHODS)]


def score_rate_matrix(leaves: pd.DataFrame, scheme: Scheme) -> pd.DataFrame:
    """Units × leaves of earned / points (NaN where not applicable), columns in scheme order."""
    rows = _base_rows(leaves, scheme)
    rows = rows[rows["applicable"]]
    rows = rows.assign(rate=rows["earned"] / rows["points"])
    matrix = rows.pivot_table(index="unit", columns="leaf", values="rate", observed=True)
    order = [c for c in leaf_catalogue(scheme)["leaf"] if c in matrix.columns]
    return matrix[order]


def lost_by_leaf(leaves: pd.DataFrame, scheme: Scheme) -> pd.DataFrame:
    """Points lost per leaf over all units, largest first, with the share of units losing any."""
    rows = _base_rows(leaves, scheme)
    rows = rows[rows["applicable"]]
    out = rows.groupby(["leaf", "leaf_name", "dimension", "max_points"], observed=True, as_index=False).agg(
        lost=("lost", "sum"),
        mean_lost=("lost", "mean"),
        units_losing=("lost", lambda s: int((s > 1e-9).sum())),
        units=("lost", "size"),
    )
    return out.sort_values(["lost", "leaf"], ascending=[False, True]).reset_index(drop=True)


def target_attainment(leaves: pd.DataFrame, scheme: Scheme) -> pd.DataFrame:
    """Per target or checklist leaf: how many applicable units met it, and the rate."""
    rows = _base_rows(leaves, scheme)
    rows = rows[rows["applicable"] & rows["method"].isin(["target", "checklist"])]
    out = rows.groupby(["leaf", "leaf_name", "method"], observed=True, as_index=False).agg(
        met=("met", lambda s: int((s == 1).sum())), units=("met", "size")
    )
    out["rate"] = out["met"] / out["units"]
    return out.sort_values(["rate", "leaf"]).reset_index(drop=True)


def unmet_targets(leaves: pd.DataFrame, scheme: Scheme) -> pd.DataFrame:
    """Every unit × target leaf not met: unit, leaf, name, actual value, target and unit of measure."""
    targets = {leaf.code: leaf for leaf in scheme.leaves if leaf.method == "target"}
    # Labels read through a categorical's categories: a province has 1.6M leaf rows and 200,000
    # unmet ones, and converting each row's label to text took most of the time.
    leaf_labels = _Labels(leaves["leaf"])
    keep = np.fromiter((c in targets for c in leaf_labels.categories), bool) if leaf_labels.lazy else None
    is_target = keep[leaf_labels.codes] if keep is not None else np.isin(leaf_labels.values(), list(targets))
    take = np.flatnonzero(is_target & leaves["applicable"].to_numpy(dtype=bool) & (leaves["met"].to_numpy() == 0))
    codes = leaf_labels.values(take)
    # Each leaf's fields looked up once per leaf code, then spread over the rows.
    index, uniques = pd.factorize(codes)
    uniques = list(uniques)

    def spread(field: str) -> list:  # a list, so the frame infers each column's type as from the values
        return np.array([getattr(targets[c], field) for c in uniques] + [None], dtype=object)[index].tolist()

    return pd.DataFrame(
        {
            "period": _Labels(leaves["period"]).values(take),
            "unit": _Labels(leaves["unit"]).values(take),
            "leaf": codes,
            "leaf_name": spread("name"),
            "actual": leaves["value"].to_numpy()[take],
            "target": spread("target"),
            "measure": spread("unit"),
            "direction": spread("direction"),
            "lost": leaves["lost"].to_numpy()[take],
        }
    )


class _Labels:
    """A column's labels as text, for some rows: a categorical's converted once per category."""

    def __init__(self, column: pd.Series) -> None:
        self.lazy = isinstance(column.dtype, pd.CategoricalDtype)
        if self.lazy:
            self.categories = [str(c) for c in column.cat.categories] + [str(np.nan)]  # code -1: as astype(str)
            self.codes = column.cat.codes.to_numpy()
        else:
            self.column = column

    def values(self, rows: np.ndarray | None = None) -> np.ndarray:
        if self.lazy:
            codes = self.codes if rows is None else self.codes[rows]
            return np.array(self.categories, dtype=object)[codes]
        text = self.column.astype(str).to_numpy(dtype=object)
        return text if rows is None else text[rows]


def _leaf_rows(leaves: pd.DataFrame, scheme: Scheme, code: str) -> pd.DataFrame:
    """The applicable rows of one base leaf (empty for a code the scheme does not score)."""
    rows = _base_rows(leaves, scheme)
    return rows[rows["applicable"] & (rows["leaf"] == code)]


def _unit_rows(rows: pd.DataFrame, names: Mapping[str, str]) -> pd.DataFrame:
    out = pd.DataFrame(
        {
            "unit": rows["unit"].astype(str).to_numpy(),
            "leaf": rows["leaf"].astype(str).to_numpy(),
            "value": rows["value"].to_numpy(dtype=float),
            "points": rows["points"].to_numpy(dtype=float),
            "earned": rows["earned"].to_numpy(dtype=float),
            "lost": rows["lost"].to_numpy(dtype=float),
        }
    )
    out.insert(1, "name", [names.get(u, u) for u in out["unit"]])
    # Most points lost first: the units a bureau calls about; the unit code keeps ties stable.
    return out.sort_values(["lost", "unit"], ascending=[False, True]).reset_index(drop=True)


def units_losing(leaves: pd.DataFrame, scheme: Scheme, code: str, names: Mapping[str, str]) -> pd.DataFrame:
    """The units behind one row of `lost_by_leaf`: every unit that lost points on leaf `code`
    (unit, name, leaf, value, points, earned, lost), most lost first. As many rows as that
    row's units_losing, and their lost adds up to its lost."""
    rows = _leaf_rows(leaves, scheme, code)
    return _unit_rows(rows[rows["lost"] > 1e-9], names)


def units_failing(leaves: pd.DataFrame, scheme: Scheme, code: str, names: Mapping[str, str]) -> pd.DataFrame:
    """The units behind one row of `target_attainment`: every applicable unit that did not meet
    target or checklist leaf `code` (same columns as `units_losing`), most lost first. As many
    rows as that row's units minus met."""
    rows = _leaf_rows(leaves, scheme, code)
    rows = rows[rows["method"].isin(["target", "checklist"]) & (rows["met"] != 1)]
    return _unit_rows(rows, names)


def unmet_items(leaves: pd.DataFrame, scheme: Scheme, names: Mapping[str, str]) -> pd.DataFrame:
    """The unit × leaf pairs behind the 未达标指标 count (the engine's unmet_targets: every
    applicable scored leaf with met == 0): unit, name, leaf, leaf_name, lost, in unit then
    scheme order. Only the units in `names` (the units shown) are kept."""
    base = {leaf.code: i for i, leaf in enumerate(scheme.leaves) if leaf.method in BASE_METHODS}
    # Labels read through the categories (see `_Labels`), not converted row by row.
    leaf_labels, unit_labels = _Labels(leaves["leaf"]), _Labels(leaves["unit"])
    wanted = leaves["applicable"].to_numpy(dtype=bool) & (leaves["met"].to_numpy() == 0)
    wanted &= _among(leaf_labels, base) & _among(unit_labels, names)
    take = np.flatnonzero(wanted)
    units = unit_labels.values(take)
    codes = leaf_labels.values(take)
    catalogue = {leaf.code: leaf.name for leaf in scheme.leaves}
    out = pd.DataFrame(
        {
            "unit": units,
            "name": [names[u] for u in units.tolist()],
            "leaf": codes,
            "leaf_name": [catalogue[c] for c in codes.tolist()],
            "lost": leaves["lost"].to_numpy(dtype=float)[take],
            "order": [base[c] for c in codes.tolist()],
        }
    )
    return out.sort_values(["unit", "order"]).drop(columns="order").reset_index(drop=True)


def _among(labels: _Labels, allowed: Mapping) -> np.ndarray:
    """Which rows' label is a key of `allowed`."""
    if labels.lazy:
        return np.fromiter((c in allowed for c in labels.categories), bool, len(labels.categories))[labels.codes]
    return np.isin(labels.values(), list(allowed))


ALL_TAGS = "全部"


def tag_choices(scheme: Scheme) -> dict[str, str | None]:
    """The 「标签」 filter's options: 「全部」 (no filter), then each tag some scored item carries, as
    tables print it (★核心指标) -> the tag. Only 「全部」 for a scheme without tags."""
    scored = {t for leaf in scheme.leaves if leaf.method in BASE_METHODS for t in leaf.tags}
    return {ALL_TAGS: None} | {f"{scheme.tag_mark(t)}{t}": t for t in scheme.tag_names if t in scored}


def leaves_with_tag(leaves: pd.DataFrame, scheme: Scheme, tag: str | None) -> pd.DataFrame:
    """The rows of `leaves` (Results.leaves) whose item carries `tag`; all of them for None."""
    if tag is None:
        return leaves
    codes = [leaf.code for leaf in scheme.leaves if tag in leaf.tags]
    return leaves[leaves["leaf"].astype(str).isin(codes)]


HEAT_UNITS = 40  # heatmap rows a person can read; more units are aggregated or the lowest shown
_GROUPINGS = (("parent", "parent_name", "各上级单位"), ("category", "category", "各同类分组"))


def _groups(units: pd.DataFrame) -> list[tuple[str, dict[str, str], str]]:
    """The groupings that divide these units: (column, value → name, title) for the 上级单位 and
    同类分组 that have more than one group."""
    out = []
    for col, name_col, title in _GROUPINGS:
        if col not in units.columns:
            continue
        value, name = units[col].astype(str), units[name_col].astype(str)
        names = dict(sorted(zip(value[value != ""], name[value != ""], strict=True)))
        if len(names) > 1:
            out.append((col, names, title))
    return out


def heat_scopes(units: pd.DataFrame, limit: int | None = None) -> dict[str, str | None]:
    """The heatmap's choices when there are more than `limit` units: label → scope, where a
    scope is None (the lowest-scoring `limit` units), "@column" (one row per 上级单位 or 同类分组,
    its units' mean rate) or "column:value" (that group's lowest-scoring `limit` units).
    Empty: every unit fits."""
    limit = limit or HEAT_UNITS
    if len(units) <= limit:
        return {}
    scopes: dict[str, str | None] = {f"得分最低的 {limit} 个单位": None}
    groups = _groups(units)
    for col, _, title in groups:
        scopes[f"{title}平均"] = f"@{col}"
    for col, names, _ in groups:
        sizes = units[col].astype(str).value_counts()
        for value, name in names.items():
            n = int(sizes.get(value, 0))
            scopes[f"{name}（{n} 个单位）" if n <= limit else f"{name}：得分最低的 {limit} 个"] = f"{col}:{value}"
    return scopes


def heat_rows(
    matrix: pd.DataFrame, units: pd.DataFrame, scope: str | None, limit: int | None = None
) -> tuple[pd.DataFrame, dict[str, str]]:
    """The heatmap rows for `scope` (see heat_scopes) and the labels of group rows. A group's row
    is the mean of its units' rates on each item (NaN where none of them is assessed on it); its
    index is 「@column:value」, so a click on it is told apart from a unit's and names the scope
    that shows its units."""
    limit = limit or HEAT_UNITS
    if len(units) <= limit:
        return matrix, {}
    if scope is not None and scope.startswith("@"):
        col = scope[1:]
        names = next(n for c, n, _ in _groups(units) if c == col)
        of = units.set_index(units["unit"].astype(str))[col].astype(str)
        groups = matrix.groupby(of.reindex(matrix.index.astype(str)).to_numpy(), sort=True).mean()
        groups = groups[groups.index != ""]
        sizes = of.value_counts()
        labels = {f"@{col}:{g}": f"{names.get(g, g)}（{int(sizes.get(g, 0))} 个单位，平均）" for g in groups.index}
        return groups.set_axis([f"@{col}:{g}" for g in groups.index]), labels
    chosen = units
    if scope is not None:
        col, value = scope.split(":", 1)
        chosen = units[units[col].astype(str) == value]
    lowest = chosen.sort_values(["total", "unit"], ascending=[True, True], na_position="first").head(limit)
    keep = [u for u in lowest["unit"].astype(str) if u in matrix.index]
    return matrix.loc[keep], {}
