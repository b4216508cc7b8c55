"""Checking a long frame of values against a scheme version before anything is stored.

The sheets parser already points at cells of the uploaded workbook; this is the last line of
defence for every caller (command line, API, tests): codes that the scheme does not have, values
out of range, 不适用 where it is not allowed, the same cell twice.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from scoring import Problem, Scheme
from scoring.inputs import input_columns, level_problem, off_level

MAX_PROBLEMS = 1000
CANONICAL = ["unit", "code", "assessor", "value", "na", "note"]


def _text(series: pd.Series) -> pd.Series:
    return series.astype(object).where(series.notna(), "").astype(str).str.strip()


def normalise(frame: pd.DataFrame, period: str) -> tuple[pd.DataFrame, list[Problem]]:
    """The frame as stored: unit, code, assessor ('' if none), value (float, NaN if blank or 不适用),
    na (bool), note ('' if none) — sorted by cell. Also the problems found in its shape."""
    problems: list[Problem] = []
    missing = [c for c in ("unit", "code", "value") if c not in frame.columns]
    if missing:
        return pd.DataFrame(columns=CANONICAL), [Problem(f"缺少列 {', '.join(missing)}")]
    if len(frame) == 0:
        return pd.DataFrame(columns=CANONICAL), [Problem("没有任何数据行")]
    if "period" in frame.columns:
        periods = _text(frame["period"])
        for other in sorted(set(periods) - {period, ""}):
            problems.append(Problem(f"数据中的期间「{other}」与本次导入的期间 {period} 不一致", period=other))
    raw = frame["value"]
    if pd.api.types.is_numeric_dtype(raw.dtype) and not pd.api.types.is_bool_dtype(raw.dtype):
        value = raw.to_numpy(dtype=float, na_value=np.nan)
        non_numeric = np.zeros(len(frame), dtype=bool)
    else:
        value = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        non_numeric = np.isnan(value) & (_text(raw) != "").to_numpy()
    na = frame["na"].fillna(False).to_numpy(dtype=bool) if "na" in frame.columns else np.zeros(len(frame), bool)
    out = pd.DataFrame(
        {
            "unit": _text(frame["unit"]),
            "code": _text(frame["code"]),
            "assessor": _text(frame["assessor"]) if "assessor" in frame.columns else "",
            "value": np.where(na, np.nan, value),
            "na": na,
            "note": _text(frame["note"]) if "note" in frame.columns else "",
        }
    ).reset_index(drop=True)
    for i in np.flatnonzero(non_numeric & ~na)[:MAX_PROBLEMS]:
        r = out.iloc[i]
        problems.append(Problem(f"'{raw.iloc[i]}' 不是数字", r["unit"], r["code"], period, r["assessor"] or None))
    for i in np.flatnonzero((out["unit"] == "").to_numpy() | (out["code"] == "").to_numpy())[:MAX_PROBLEMS]:
        problems.append(Problem(f"第 {i + 1} 行缺少单位或指标编码"))
    dup = out.duplicated(["unit", "code", "assessor"], keep="first").to_numpy()
    for i in np.flatnonzero(dup)[:MAX_PROBLEMS]:
        r = out.iloc[i]
        problems.append(
            Problem("同一考核人对同一单位同一指标填写了不止一次", r["unit"], r["code"], period, r["assessor"] or None)
        )
    out = out.sort_values(["unit", "code", "assessor"], kind="stable").reset_index(drop=True)
    return out, problems


def value_problems(values: pd.DataFrame, scheme: Scheme, period: str) -> list[Problem]:
    """Codes the scheme does not have and values its rules do not allow (the engine's own rules)."""
    problems: list[Problem] = []
    columns = input_columns(scheme)
    index = {c.code: i for i, c in enumerate(columns)}
    col = values["code"].map(index)
    unknown = col.isna().to_numpy()
    if unknown.any():
        for code, units in values.loc[unknown].groupby("code", sort=True)["unit"]:
            names = list(dict.fromkeys(units))
            more = f" 等 {len(names)} 个单位" if len(names) > 3 else ""
            problems.append(
                Problem(
                    f"指标编码「{code}」不在方案「{scheme.name}」（版本 {scheme.version}）中（单位：{'、'.join(names[:3])}{more}）",
                    code=str(code),
                    period=period,
                )
            )
    ok = ~unknown
    j = col.fillna(0).to_numpy(dtype=np.int64)
    lo = np.array([c.lo for c in columns])[j]
    hi = np.array([c.hi for c in columns])[j]
    integer = np.array([c.integer for c in columns])[j]
    binary = np.array([c.binary for c in columns])[j]
    allow_na = np.array([c.allow_na for c in columns])[j]
    v = values["value"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        bad = (
            ok
            & ~np.isnan(v)
            & ((v < lo) | (v > hi) | np.isinf(v) | (integer & (v != np.floor(v))) | (binary & (v != 0) & (v != 1)))
        )
    leveled = ok & ~np.isnan(v) & ~bad & np.array([bool(c.levels) for c in columns])[j]
    for i in np.flatnonzero(leveled):  # 定性分档: only the points of a level
        bad[i] = bool(off_level(columns[j[i]].levels, v[i]))
    bad_na = ok & values["na"].to_numpy(dtype=bool) & ~allow_na
    for i in np.flatnonzero(bad | bad_na)[:MAX_PROBLEMS]:
        r = values.iloc[i]
        c = columns[j[i]]
        if bad_na[i]:
            msg = "该指标不允许填写「不适用」"
        elif c.binary:
            msg = f"'{v[i]:g}' 应为 1（是/完成）或 0（否/未完成）"
        elif c.levels and np.isfinite(v[i]):
            msg = level_problem(f"{v[i]:g}", c.levels)
        elif not np.isfinite(v[i]) or v[i] < c.lo or v[i] > c.hi:
            msg = f"'{v[i]:g}' 超出范围（{_range(c.lo, c.hi)}）"
        else:
            msg = f"'{v[i]:g}' 应为整数次数"
        problems.append(Problem(msg, r["unit"], r["code"], period, r["assessor"] or None))
    return problems


def _range(lo: float, hi: float) -> str:
    if np.isinf(lo) and np.isinf(hi):
        return "任意有限数字"
    if np.isinf(hi):
        return f"应 ≥ {lo:g}"
    if np.isinf(lo):
        return f"应 ≤ {hi:g}"
    return f"应在 {lo:g} 到 {hi:g} 之间"


def content_hash(values: pd.DataFrame) -> str:
    """sha256 of the normalised values (sorted by cell): equal for an identical re-import."""
    hashed = pd.util.hash_pandas_object(values[CANONICAL], index=False).to_numpy()
    digest = hashlib.sha256(hashed.tobytes())
    digest.update(str(len(values)).encode())
    return digest.hexdigest()


# Methods whose value loses points (occurrences of a deduction, a veto triggered) rather than
# earning them: 「无书面材料不得分」 has nothing to withhold there.
_LOSES_POINTS = ("deduction", "veto")


def evidence_missing(values: pd.DataFrame, scheme: Scheme, evidenced: set[tuple[str, str]]) -> np.ndarray:
    """Row positions of `values` that earn points on a leaf marked `evidence_required` while the
    unit has no evidence on the item (its code, or for a checklist task the task's leaf).

    A value earns points unless it is blank, 0 or 不适用, or the leaf is a deduction or veto.
    `evidenced`: (unit code, item code) pairs with evidence (services/evidence.evidenced_items).
    """
    leaves = {leaf.code: leaf for leaf in scheme.leaves}
    needs = {
        c.code: c.leaf_code
        for c in input_columns(scheme)
        if leaves[c.leaf_code].evidence_required
        and c.method not in _LOSES_POINTS
        and not (c.method == "checklist" and not c.is_task)  # a checklist's own column only says 不适用
    }
    if not needs or len(values) == 0:
        return np.array([], dtype=np.int64)
    code = values["code"].astype(str)
    v = values["value"].to_numpy(dtype=float)
    earns = code.isin(needs).to_numpy() & ~values["na"].to_numpy(dtype=bool) & ~np.isnan(v) & (v != 0)
    out = []
    for i in np.flatnonzero(earns):
        unit, c = str(values["unit"].iloc[i]), code.iloc[i]
        if (unit, c) not in evidenced and (unit, needs[c]) not in evidenced:
            out.append(i)
    return np.asarray(out, dtype=np.int64)


def evidence_problem_text(scheme: Scheme, code: str) -> str:
    """Why a value on an evidence_required item is refused, naming the item."""
    names = {leaf.code: leaf.name for leaf in scheme.leaves}
    names.update({t.code: t.name for leaf in scheme.leaves for t in getattr(leaf, "tasks", [])})
    return (
        f"指标「{names.get(code, code)}」（{code}）要求书面材料（无书面材料不得分），"
        "该单位本期尚未上传证明材料，不能计分；请先在「证明材料」页上传，或填 0"
    )


def evidence_problems(
    values: pd.DataFrame, scheme: Scheme, period: str, evidenced: set[tuple[str, str]]
) -> list[Problem]:
    """`evidence_missing` as located problems (unit, code, period, assessor)."""
    problems = []
    for i in evidence_missing(values, scheme, evidenced)[:MAX_PROBLEMS]:
        r = values.iloc[i]
        problems.append(
            Problem(
                evidence_problem_text(scheme, str(r["code"])),
                str(r["unit"]),
                str(r["code"]),
                period,
                str(r["assessor"]) if "assessor" in values.columns and r["assessor"] else None,
            )
        )
    return problems
