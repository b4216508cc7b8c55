"""核对考核组: the teams' values side by side where several teams scored the same cell, the
differences beyond a threshold and the conflicts (不适用 from one team, a number from another),
and their resolution — choose one team's value, take the average, or mark 不适用 — with a reason.

A resolution is stored as an ordinary submission that sets every team's value of that cell to
the resolved one (so the combined value is exactly it), noted 「核对处理」 with the reason: it
shows in 提交记录, can be rolled back like any other, and is written to the audit trail.

`ASSESS_RECONCILE_THRESHOLD`: a difference larger than this share of the item's points is
highlighted (default 0.1 — ten per cent).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from scoring.inputs import input_columns
from scoring.periods import period_name
from services import audit
from services._db import engine_or_default, read, scheme_name_lookup, write
from services.errors import InvalidInput, NotFound
from services.memo import Memo
from services.permissions import Actor, check, name_of, require_scope
from services.submissions import ImportOutcome, import_values
from services.uploads import version_for
from services.values import current_values, find_assessment

THRESHOLD_ENV = "ASSESS_RECONCILE_THRESHOLD"
ACTIONS = {"choose": "采用某一考核组的数值", "average": "取各组平均值", "na": "标记为不适用"}


def threshold() -> float:
    try:
        value = float(os.environ.get(THRESHOLD_ENV, "0.1"))
    except ValueError:
        return 0.1
    return value if value >= 0 else 0.1


def _team(a: str) -> str:
    return a or "（未署名）"


@dataclass(frozen=True)
class Reconciliation:
    scheme_key: str
    period: str
    teams: list[str]
    cells: pd.DataFrame  # unit, name, code, item, <one column per team (display)>, spread, status

    @property
    def open(self) -> pd.DataFrame:
        return self.cells[self.cells["status"] != "一致"]


# Per process, keyed on the assessment's revision (bumped by every import, rollback and
# resolution) and the threshold: a repeat visit reads one small row, not every value of the month.
_memo: Memo[tuple[tuple, tuple[list[str], pd.DataFrame]]] = Memo(16)


def reconciliation(
    scheme_key: str, period: str, *, by: Actor | None = None, engine: Engine | None = None
) -> Reconciliation:
    """Every cell more than one team scored, with the teams' values and whether they agree."""
    who = check(by, "results.draft")
    require_scope(who, "results.draft", scheme_key, (), scheme_name=scheme_name_lookup(scheme_key, engine=engine))
    from services.catalog import list_units

    ref = read(engine, lambda s: find_assessment(s, scheme_key, period))
    limit = threshold()
    key = (engine_or_default(engine).url.render_as_string(hide_password=True), scheme_key, period)
    stamp = (None if ref is None else (ref.id, ref.revision, ref.scheme_version_id), limit)
    hit = _memo.get(key)
    if hit is not None and hit[0] == stamp:
        teams, frame = hit[1]
    else:
        teams, frame = _cells(scheme_key, period, limit, engine)
        _memo.put(key, (stamp, (teams, frame)))
    frame = frame.copy()
    names = list_units(engine=engine).set_index("code")["name"]
    frame.insert(1, "name", frame["unit"].map(names).fillna("").astype(str))
    return Reconciliation(scheme_key, period, teams, frame)


def _shown(value: np.ndarray, na: np.ndarray) -> np.ndarray:
    """不适用, （空白） or the number as the team wrote it (each distinct number spelled once)."""
    numbers, inverse = np.unique(value, return_inverse=True)  # NaN sorts last, spelled as blank
    spelled = np.array(["（空白）" if np.isnan(x) else f"{x:g}" for x in numbers], dtype=object)
    return np.where(na, "不适用", spelled[np.asarray(inverse).reshape(-1)])


def _cells(scheme_key: str, period: str, limit: float, engine: Engine | None) -> tuple[list[str], pd.DataFrame]:
    values = current_values(scheme_key, period, engine=engine)
    scheme = version_for(scheme_key, period, engine=engine).load()
    points = {leaf.code: leaf.points for leaf in scheme.leaves}
    items = {leaf.code: leaf.name for leaf in scheme.leaves}
    # The cells given by more than one team, found over integer codes (a province's month is 1.6M
    # values, nearly all from one team): labels become text only for those cells' rows.
    unit, _ = pd.factorize(values["unit"])
    code, code_labels = pd.factorize(values["code"])
    team, team_labels = pd.factorize(values["assessor"].astype(str))
    teams = sorted({str(t) for t in team_labels})
    team_cols = [_team(t) for t in teams]
    cell = unit.astype(np.int64) * max(len(code_labels), 1) + code
    pairs = pd.unique(cell * max(len(team_labels), 1) + team) // max(len(team_labels), 1)
    multi = np.bincount(pairs, minlength=int(cell.max(initial=-1)) + 1)[cell] > 1 if len(cell) else np.zeros(0, bool)
    v = values[multi]
    v = v.assign(unit=v["unit"].astype(str), code=v["code"].astype(str), assessor=v["assessor"].astype(str))
    v = v.drop_duplicates(["unit", "code", "assessor"], keep="last")
    v = v.sort_values(["unit", "code"], kind="stable")
    na = v["na"].fillna(False).astype(bool).to_numpy()
    value = v["value"].to_numpy(dtype=float, na_value=np.nan)
    v = v.assign(shown=_shown(value, na), number=np.where(na, np.nan, value), na=na)
    by_cell = v.groupby(["unit", "code"], sort=True)
    cells = by_cell["na"].agg(["any", "all"])
    stats = by_cell["number"].agg(["max", "min", "count"])
    shown = v.pivot(index=["unit", "code"], columns="assessor", values="shown").reindex(index=cells.index)
    spread = np.where(stats["count"].to_numpy() > 1, (stats["max"] - stats["min"]).to_numpy(dtype=float), 0.0)
    codes = cells.index.get_level_values("code")
    allowed = limit * np.maximum(codes.map(lambda c: float(points.get(c, 0.0))).to_numpy(dtype=float), 1e-9)
    status = np.where(spread == 0, "一致", "差异在允许范围内").astype(object)
    status = np.where((spread > allowed) & (spread > 0), "差异较大", status)
    status = np.where(cells["any"].to_numpy() & ~cells["all"].to_numpy(), "冲突", status)
    frame = pd.DataFrame({"unit": cells.index.get_level_values("unit"), "code": codes,
                          "item": [items.get(c, c) for c in codes]})  # fmt: skip
    for t, col in zip(teams, team_cols, strict=True):
        frame[col] = shown[t].to_numpy(dtype=object) if t in shown.columns else None
        frame[col] = frame[col].fillna("—")
    frame["spread"] = spread
    frame["status"] = status
    return teams, frame[["unit", "code", "item", *team_cols, "spread", "status"]]


def resolve(
    scheme_key: str,
    period: str,
    unit: str,
    code: str,
    action: str,
    reason: str,
    *,
    team: str | None = None,
    user: str = "",
    by: Actor | None = None,
    engine: Engine | None = None,
) -> ImportOutcome:
    """Resolve one cell the teams disagree on. `action`: 'choose' (with `team`), 'average' or 'na'."""
    who = check(by, "upload")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("处理考核组差异必须填写原因（记入提交记录和审计日志）")
    if action not in ACTIONS:
        raise InvalidInput(f"不认识的处理方式：{action}")
    values = current_values(scheme_key, period, engine=engine)
    cell = values[(values["unit"].astype(str) == unit) & (values["code"].astype(str) == code)]
    if cell["assessor"].nunique() < 2:
        raise NotFound(f"{period_name(period)} 单位「{unit}」指标 {code} 没有多个考核组的数值，无需核对")
    assessors = cell["assessor"].astype(str).tolist()
    na = False
    if action == "choose":
        if team is None or team not in assessors:
            raise InvalidInput(f"请选择要采用的考核组（本格有：{'、'.join(_team(a) for a in assessors)}）")
        chosen = cell[cell["assessor"].astype(str) == team].iloc[0]
        value, na = float(chosen["value"]), bool(chosen["na"])
        how = f"采用{_team(team)}的数值"
    elif action == "average":
        numbers = cell.loc[~cell["na"], "value"].dropna()
        if numbers.empty:
            raise InvalidInput("本格没有可取平均的数值（各组均为不适用或空白）")
        value = float(numbers.mean())
        column = next(
            (c for c in input_columns(version_for(scheme_key, period, engine=engine).load()) if c.code == code), None
        )
        if column is not None and (column.binary or column.integer) and not value.is_integer():
            kind = "只能填「是」或「否」" if column.binary else "须为整数（次数）"
            raise InvalidInput(f"指标 {code} {kind}，各组平均为 {value:g}，不能取平均：请采用某一考核组的数值。")
        how = f"取各组平均值 {value:g}"
    else:
        value, na = float("nan"), True
        how = "标记为不适用"
    frame = pd.DataFrame(
        {"unit": unit, "code": code, "value": [np.nan if na else value] * len(assessors), "na": na,
         "assessor": assessors, "note": f"核对处理：{reason}"}
    )  # fmt: skip
    version = version_for(scheme_key, period, engine=engine)
    note = f"核对处理 {unit} {code}：{how}；原因：{reason}"
    outcome = import_values(
        period, version.id, frame, user or "", "核对处理.csv", frame.to_csv(index=False).encode("utf-8"), note,
        by=by, engine=engine,
    )  # fmt: skip
    actor = name_of(who, user or "（命令行）")

    def work(session: Session) -> None:
        audit.record(
            session, actor, "reconcile.resolve", f"submission:{outcome.submission_id}",
            f"核对{period_name(period)}（{period}）单位「{unit}」指标 {code}：{how}；原因：{reason}",
            scheme=scheme_key, period=period, unit=unit, code=code, resolution=action, team=team, reason=reason,
        )  # fmt: skip

    write(engine, work)
    return outcome
