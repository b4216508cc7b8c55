"""What a new version of a scheme changes, said before it is saved: which leaves were added or
removed, which of their points, targets, modes, bands, methods and rule parameters changed
(old → new, in Chinese), and what that does to each unit's total and rank on the latest data."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy import Engine

from scoring import Scheme
from scoring.names import ASSESSOR_COMBINE_NAMES, BOTTOM_COMBINE_NAMES, YES_NO_NAMES, field_label, label_for
from services.permissions import Actor, check
from services.scheme_admin import preview

# The order a person reads a leaf's changes in: what it is worth and how it is scored first.
_FIRST = ("method", "name", "points", "mode", "direction", "target", "floor", "bands", "loss_per_step", "step")
_SETTINGS = (
    "name", "version", "categories", "period_type", "total", "decimals", "grades", "bottom", "bonus_cap",
    "combine", "missing", "objection_days", "tags", "tag_rules", "settlement",
)  # fmt: skip


@dataclass(frozen=True)
class Change:
    field: str  # the Chinese name of what changed
    old: str
    new: str

    def __str__(self) -> str:
        return f"{self.field}：{self.old} → {self.new}"


@dataclass(frozen=True)
class LeafChange:
    code: str
    name: str
    changes: list[Change]

    def __str__(self) -> str:
        return f"{self.code} {self.name}：" + "；".join(str(c) for c in self.changes)


@dataclass(frozen=True)
class SchemeDiff:
    added: list[tuple[str, str]] = field(default_factory=list)  # (code, name)
    removed: list[tuple[str, str]] = field(default_factory=list)
    changed: list[LeafChange] = field(default_factory=list)
    settings: list[Change] = field(default_factory=list)  # scheme-level: name, grades, 末位规则 …

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.settings)

    @property
    def lines(self) -> list[str]:
        """Every change as one Chinese line, scheme settings first."""
        out = [f"方案{c}" for c in self.settings]
        out += [f"新增评分细则 {code} {name}" for code, name in self.added]
        out += [f"删除评分细则 {code} {name}" for code, name in self.removed]
        out += [f"修改评分细则 {c}" for c in self.changed]
        return out


def _number(v: float) -> str:
    return f"{v:g}"


def _records(field_name: str, items: list[Any], method: str | None) -> str:
    if not items:
        return "无"
    parts = []
    for item in items:
        if not isinstance(item, dict):
            parts.append(say(field_name, item, method))
            continue
        if field_name == "bands" and method == "peer_rank":
            limit = f"前 {item['within']} 名" if item.get("within") is not None else f"前 {item['within_pct']:g}%"
            parts.append(f"{limit} {item['points']:g} 分")
        elif field_name == "bands":
            parts.append(f"{item['threshold']:g}：{item['points']:g} 分")
        elif field_name == "grades":
            parts.append(f"{item['name']} ≥ {item['min']:g}")
        else:
            shown = [say(k, v, method) for k, v in item.items() if v not in (None, "", [])]
            parts.append(" ".join(shown))
    return "；".join(parts)


def say(field_name: str, value: Any, method: str | None = None) -> str:
    """A field's value as a person reads it: labels for options, 是/否, 未设 for nothing."""
    if value is None or value == "":
        return "未设"
    if isinstance(value, bool):
        return YES_NO_NAMES[value]
    if isinstance(value, int | float):
        return _number(value)
    if isinstance(value, list):
        if all(isinstance(v, str) for v in value):
            return "、".join(value) if value else "无"
        return _records(field_name, value, method)
    if isinstance(value, dict):
        shown = [f"{field_label(k, method)} {say(k, v, method)}" for k, v in value.items() if v is not None]
        return "，".join(shown) if shown else "未设"
    if field_name == "combine":
        return ASSESSOR_COMBINE_NAMES.get(value, value)
    return label_for(field_name, value)


def _ordered(keys: set[str], first: tuple[str, ...]) -> list[str]:
    return [k for k in first if k in keys] + sorted(keys - set(first))


def _leaf_changes(old: Any, new: Any) -> list[Change]:
    a = old.model_dump(by_alias=True, exclude={"code"})
    b = new.model_dump(by_alias=True, exclude={"code"})
    if a["method"] != b["method"]:  # the rule is another one: its parameters do not compare
        out = [Change(field_label("method"), say("method", a["method"]), say("method", b["method"]))]
        if a["points"] != b["points"]:
            out.append(Change(field_label("points"), say("points", a["points"]), say("points", b["points"])))
        return out + [Change("评分规则", "按原方法", "按新方法重新设置")]
    keys = {k for k in set(a) | set(b) if a.get(k) != b.get(k)}
    method = b["method"]
    return [c for k in _ordered(keys, _FIRST) for c in _changes(k, a.get(k), b.get(k), method)]


def _changes(key: str, old: Any, new: Any, method: str | None = None) -> list[Change]:
    """One change, or one per changed part of a mapping (末位规则 › 分数线: 80 → 75)."""
    name = field_label(key, method)
    if isinstance(old, dict) and isinstance(new, dict):
        return [
            Change(
                f"{name} › {field_label(k, method or key)}", _say_in(key, k, old.get(k)), _say_in(key, k, new.get(k))
            )
            for k in list(dict.fromkeys([*old, *new]))
            if old.get(k) != new.get(k)
        ]
    return [Change(name, say(key, old, method), say(key, new, method))]


def _say_in(parent: str, key: str, value: Any) -> str:
    if parent == "bottom" and key == "combine":
        return BOTTOM_COMBINE_NAMES.get(value, say(key, value))
    return say(key, value)


def diff_versions(old: Scheme, new: Scheme) -> SchemeDiff:
    """The leaves added, removed and changed from `old` to `new`, and the changed scheme settings."""
    before = {leaf.code: leaf for leaf in old.leaves}
    after = {leaf.code: leaf for leaf in new.leaves}
    added = [(leaf.code, leaf.name) for leaf in new.leaves if leaf.code not in before]
    removed = [(leaf.code, leaf.name) for leaf in old.leaves if leaf.code not in after]
    changed = []
    for leaf in new.leaves:
        if leaf.code in before:
            changes = _leaf_changes(before[leaf.code], leaf)
            if changes:
                changed.append(LeafChange(leaf.code, leaf.name, changes))
    a = old.model_dump(include=set(_SETTINGS))
    b = new.model_dump(include=set(_SETTINGS))
    settings = [c for k in _SETTINGS if k != "version" and a[k] != b[k] for c in _changes(k, a[k], b[k])]
    if a["version"] != b["version"]:
        settings.insert(0, Change(field_label("version"), a["version"], b["version"]))
    return SchemeDiff(added, removed, changed, settings)


@dataclass(frozen=True)
class Effect:
    period: str
    units: pd.DataFrame  # unit, name, category, old_total, new_total, change, old_rank, new_rank
    message: str

    @property
    def changed(self) -> pd.DataFrame:
        """The units whose total or rank the new version changes."""
        moved = (self.units["change"].abs() > 1e-9) | (self.units["old_rank"] != self.units["new_rank"])
        return self.units[moved]


def diff_effect(old: Scheme, new: Scheme, *, by: Actor | None = None, engine: Engine | None = None) -> Effect | None:
    """Each unit's total and rank under `old` and `new` on the latest period with data for the
    scheme (nothing stored). None when there is no data; a message when a version does not fit it."""
    check(by, "schemes.edit")
    before = preview(old, by=by, engine=engine)
    after = preview(new, by=by, engine=engine)
    if before is None or after is None:
        return None
    if after.units.empty or before.units.empty:
        bad = after if after.units.empty else before
        return Effect(after.period, pd.DataFrame(columns=_EFFECT_COLUMNS), bad.message)
    a = before.units.set_index("unit")
    b = after.units.set_index("unit")
    units = b.index.union(a.index, sort=False)
    out = pd.DataFrame(
        {
            "unit": units,
            "name": b["name"].reindex(units).fillna(a["name"].reindex(units)).to_numpy(),
            "category": b["category"].reindex(units).fillna(a["category"].reindex(units)).to_numpy(),
            "old_total": a["total"].reindex(units).to_numpy(),
            "new_total": b["total"].reindex(units).to_numpy(),
            "old_rank": a["rank"].reindex(units).to_numpy(),
            "new_rank": b["rank"].reindex(units).to_numpy(),
        }
    )
    out["change"] = (out["new_total"] - out["old_total"]).round(new.decimals)
    out = out.sort_values(["category", "new_rank"], kind="stable").reset_index(drop=True)
    return Effect(after.period, out[_EFFECT_COLUMNS], after.message.replace("按此方案", "按新旧两个版本"))


_EFFECT_COLUMNS = ["unit", "name", "category", "old_total", "new_total", "change", "old_rank", "new_rank"]
