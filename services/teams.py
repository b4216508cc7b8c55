"""Assessment teams (考核组) in uploads: a correction replaces its team's values, a new team adds.

A cell is unit × code × assessor: values of different teams for the same unit are combined (the
scheme's `combine`, by default their mean). An upload whose cells carry no team, or another team
than the data it corrects, would therefore *add* a team and silently average with the existing
values. So an upload says which it is:

- `correction`: the values replace those of one team — the team given, else the one the file
  carries (a prefilled template carries its team), else the only team the period has;
- `new_team`: the values are another team's — a team name the period does not have yet;
- `auto`: the file's own team column decides (the command line, and the first upload).

`explain_effect` says for each unit whose total or rank changes why (「与考核二组的数值取平均」).
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine

from services.values import current_values

MODES = ("auto", "correction", "new_team")
MODE_NAMES = {
    "correction": "更正已有数据（替换同一考核组的数值）",
    "new_team": "新的考核组（与已有考核组的数值合并计分）",
}


def existing_teams(scheme_key: str, period: str, *, engine: Engine | None = None) -> list[str]:
    """The teams (assessor labels, '' for an unnamed one) with current values in the period."""
    values = current_values(scheme_key, period, engine=engine)
    return sorted({str(a) for a in pd.unique(values["assessor"].astype(str))})  # the few teams, not 1.6M values


def team_label(assessor: str) -> str:
    return f"「{assessor}」" if assessor else "未署名的考核组"


def assign_team(
    values: pd.DataFrame, mode: str, team: str | None, existing: list[str]
) -> tuple[pd.DataFrame, str | None, str | None]:
    """(values with their team set, the team, why the upload cannot go ahead or None).

    `existing`: the teams with current values in the period.
    """
    if mode not in MODES:
        raise ValueError(mode)
    team = (team or "").strip() or None
    own = sorted({str(a).strip() for a in values["assessor"].fillna("")}) if "assessor" in values else [""]
    carried = [a for a in own if a]
    if mode == "auto" or not existing and mode == "correction":
        return values, team or (carried[0] if len(carried) == 1 else None), None
    if len(carried) > 1:
        return values, None, f"表中有多个考核人（{'、'.join(carried)}）：一次上传只能是一个考核组的数据，请分开上传。"
    if team and carried and carried[0] != team:
        return values, None, f"表中注明的考核人是「{carried[0]}」，与所选的考核组「{team}」不一致，请核对后重新上传。"
    target = team or (carried[0] if carried else None)
    listed = "、".join(team_label(t) for t in existing)
    if mode == "correction":
        if target is None:
            if len(existing) > 1:
                return values, None, f"本期已有 {listed} 的数据：请在「考核组」中填写要更正哪一组。"
            target = existing[0]
        if target not in existing:
            return (
                values,
                None,
                f"本期没有考核组「{target}」的数据，无从更正（已有：{listed}）。如果这是另一个考核组的评分，请选择「新的考核组」。",
            )
    else:
        if not target:
            return values, None, "新的考核组须填写考核组名称（如「考核二组」），以便与已有考核组区分。"
        if target in existing:
            return values, None, f"考核组「{target}」本期已有数据；如要修改其数值，请选择「更正已有数据」。"
    out = values.copy()
    out["assessor"] = target
    return out, target, None


def explain_effect(effect: pd.DataFrame, new: pd.DataFrame, old: pd.DataFrame) -> pd.Series:
    """Why each unit's total or rank changes, in words (one entry per row of `effect`).

    `new`: the uploaded cells; `old`: the current cells (unit, code, assessor, value, na) as text keys.
    """
    key = ["unit", "code", "assessor"]
    merged = new.merge(old, on=key, how="left", suffixes=("", "_old"), indicator=True)
    had = merged["_merge"] == "both"
    same = (
        had
        & ((merged["value"] == merged["value_old"]) | (merged["value"].isna() & merged["value_old"].isna()))
        & (merged["na"] == merged["na_old"].fillna(False).astype(bool))
    )
    changed = merged[had & ~same]
    added = merged[~had & (merged["value"].notna() | merged["na"].astype(bool))]
    uploaded_teams = new.groupby("unit")["assessor"].agg(lambda s: set(s.astype(str)))
    old_teams = (
        old.groupby("unit")["assessor"].agg(lambda s: set(s.astype(str))) if len(old) else pd.Series(dtype=object)
    )
    reasons = []
    for row in effect.itertuples(index=False):
        unit = str(row.unit)
        parts = []
        codes = list(dict.fromkeys(changed.loc[changed["unit"] == unit, "code"]))
        if codes:
            parts.append("更正 " + "、".join(codes[:6]) + (f" 等 {len(codes)} 项" if len(codes) > 6 else ""))
        fresh = list(dict.fromkeys(added.loc[added["unit"] == unit, "code"]))
        if fresh:
            parts.append("新增 " + "、".join(fresh[:6]) + (f" 等 {len(fresh)} 项" if len(fresh) > 6 else ""))
        mine = uploaded_teams.get(unit, set())
        others = sorted(old_teams.get(unit, set()) - mine) if mine else []
        if others and (codes or fresh):
            parts.append("与" + "、".join(team_label(t) for t in others) + "的数值取平均")
        if not parts:
            if not bool(row.covered) and row.status == "rank":
                parts.append("名次随同类其他单位的变化而变")
            elif not bool(row.covered) and row.status == "total":
                parts.append("总分随同类其他单位的变化而变（按同类比较计分的指标）")
            elif row.status == "new":
                parts.append("本期首次计分")
            elif row.status != "same":
                parts.append("数值不变，名次随其他单位变化")
        reasons.append("；".join(parts))
    return pd.Series(reasons, index=effect.index, dtype=object)
