"""填报进度: how far a scheme's period is — which units each assessment team has reported, which
input codes are still missing, where teams contradict each other (不适用 from one, a number from
another), and the period's deadline (overdue highlighted).

Read from the current (draft) values; assessors and administrators see it (`results.draft`), and
`python manage.py status` prints it. A month is normally partial for days: nothing here is an
error, it is the list of what is left to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import pandas as pd
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from scoring import Scheme
from scoring.inputs import input_columns
from scoring.periods import period_name
from services import audit
from services._db import DISPLAY_TZ, engine_or_default, read, scheme_name_lookup, write
from services.catalog import latest_version, list_units, version_info
from services.errors import InvalidInput
from services.memo import Memo
from services.periods import check_label, period_row
from services.permissions import Actor, check, name_of, require_scope
from services.values import AssessmentRef, current_values_in, find_assessment
from sheets.headers import deduction_parts
from storage.models import Period, SchemeVersion

UNNAMED_TEAM = "（未署名考核组）"


def team_name(assessor: str) -> str:
    return assessor or UNNAMED_TEAM


@dataclass(frozen=True)
class Progress:
    scheme_key: str
    scheme_name: str
    period: str
    deadline: date | None
    today: date
    teams: list[str]  # assessor labels as stored ('' for an unnamed team)
    units: (
        pd.DataFrame
    )  # unit, name, category, <one column per team: cells given>, missing, missing_codes, conflicts, status
    conflicts: pd.DataFrame  # unit, name, code, item, detail
    required: int  # input codes each unit needs

    @property
    def complete(self) -> int:
        return int((self.units["status"] == "完整").sum()) if len(self.units) else 0

    @property
    def overdue(self) -> bool:
        return self.deadline is not None and self.today > self.deadline and self.complete < len(self.units)

    @property
    def deadline_text(self) -> str:
        if self.deadline is None:
            return "未设截止日期"
        left = (self.deadline - self.today).days
        if self.overdue:
            return f"截止 {self.deadline:%Y-%m-%d}，已逾期 {-left} 天"
        if left >= 0:
            return f"截止 {self.deadline:%Y-%m-%d}（还有 {left} 天）"
        return f"截止 {self.deadline:%Y-%m-%d}（已过，数据已齐）"

    @property
    def summary(self) -> str:
        head = f"{self.scheme_name} {period_name(self.period)}：{self.complete}/{len(self.units)} 个单位数据完整"
        extra = f"，{len(self.conflicts)} 处考核组意见冲突" if len(self.conflicts) else ""
        return f"{head}{extra}；{self.deadline_text}"

    def as_dict(self) -> dict:
        return {
            "scheme": self.scheme_key,
            "period": self.period,
            "deadline": self.deadline.isoformat() if self.deadline else None,
            "overdue": self.overdue,
            "units_total": len(self.units),
            "units_complete": self.complete,
            "teams": [team_name(t) for t in self.teams],
            "units": [
                {
                    "unit": r["unit"],
                    "name": r["name"],
                    "status": r["status"],
                    "teams": {team_name(t): int(r[team_name(t)]) for t in self.teams},
                    "missing": r["missing_codes"],
                    "conflicts": int(r["conflicts"]),
                }
                for r in self.units.to_dict("records")
            ],
            "conflicts": self.conflicts.to_dict("records"),
        }


def _today() -> date:
    return datetime.now(DISPLAY_TZ).date()


def progress(scheme_key: str, period: str, *, by: Actor | None = None, engine: Engine | None = None) -> Progress:
    """The filling progress of one scheme and period (from the draft values)."""
    who = check(by, "results.draft")
    require_scope(who, "results.draft", scheme_key, (), scheme_name=scheme_name_lookup(scheme_key, engine=engine))
    check_label(period)
    register = list_units(include_inactive=False, engine=engine)

    def state(session: Session) -> tuple[AssessmentRef | None, date | None]:
        return find_assessment(session, scheme_key, period), session.scalar(
            select(Period.deadline).where(Period.label == period)
        )

    ref, deadline = read(engine, state)
    if ref is not None and ref.scheme_version_id is not None:
        version = read(engine, lambda s: version_info(s.get(SchemeVersion, ref.scheme_version_id)))
    else:
        version = latest_version(scheme_key, engine=engine)
    scheme = version.load()
    required, names = _required(scheme)
    filled = _filled(scheme_key, period, ref, version.id, required, names, engine)

    in_scope = register[register["category"].isin(scheme.categories)] if scheme.categories else register
    unit_rows = in_scope[["code", "name", "category"]].rename(columns={"code": "unit"})
    extra = filled.seen.difference(pd.Index(unit_rows["unit"]), sort=True)
    if len(extra):  # values of units outside the register's scope still show
        known = register.set_index("code")
        unit_rows = pd.concat(
            [unit_rows, pd.DataFrame({"unit": extra, "name": known["name"].reindex(extra).fillna("").to_numpy(),
                                      "category": known["category"].reindex(extra).fillna("").to_numpy()})],
            ignore_index=True,
        )  # fmt: skip
    table = _table(unit_rows.reset_index(drop=True), filled, required, names)
    conflicts = filled.conflicts.copy()
    unit_names = register.set_index("code")["name"]
    conflicts.insert(1, "name", conflicts["unit"].map(unit_names).fillna("").astype(str))
    return Progress(scheme_key, scheme.name, period, deadline, _today(), filled.teams, table, conflicts, len(required))


def _required(scheme: Scheme) -> tuple[list[str], dict[str, str]]:
    """The input codes every unit needs (none when the scheme scores a missing cell as 0) and the
    name of every input code, a checklist's tasks and a deduction's kinds included."""
    own_only_na = {leaf.code for leaf in scheme.leaves if leaf.method == "deduction" and leaf.kinds}  # counts by kind
    cols = [
        c
        for c in input_columns(scheme)
        if not (c.method == "checklist" and not c.is_task) and not (c.code in own_only_na and not c.part)
    ]
    required = [c.code for c in cols] if scheme.missing == "error" else []
    names = {leaf.code: leaf.name for leaf in scheme.leaves}
    for leaf in scheme.leaves:
        for task in getattr(leaf, "tasks", []):
            names[task.code] = f"{leaf.name}·{task.name}"
        for code, name in deduction_parts(leaf):
            names[code] = f"{leaf.name}·{name}"
    return required, names


@dataclass(frozen=True)
class _Filled:
    """What the values of a period say per unit, before the register is joined on."""

    units: pd.Index  # every unit with at least one value or 不适用
    seen: pd.Index  # every unit with a row, even a blank one (listed even outside the register's scope)
    teams: list[str]
    counts: pd.DataFrame  # unit × team: cells given
    has: pd.DataFrame  # unit × required code: given by some team
    conflicts: pd.DataFrame  # unit, code, item, detail


# The per-unit counts of a period's values, per process: built from the values, so it is keyed on
# the assessment's revision (bumped by every import and rollback) and the scheme version. A repeat
# visit then reads one small row instead of every value of the month (1.6M at province size).
_filled_memo: Memo[tuple[tuple[int, int, int] | None, _Filled]] = Memo(16)


def _filled(
    scheme_key: str,
    period: str,
    ref: AssessmentRef | None,
    version_id: int,
    required: list[str],
    names: dict[str, str],
    engine: Engine | None,
) -> _Filled:
    url = engine_or_default(engine).url.render_as_string(hide_password=True)
    key = (url, scheme_key, period)
    stamp = None if ref is None else (ref.id, ref.revision, version_id)
    hit = _filled_memo.get(key)
    if hit is not None and hit[0] == stamp:
        return hit[1]
    values = pd.DataFrame(columns=["unit", "code", "value", "na", "assessor"])
    if ref is not None and ref.scheme_version_id is not None:
        values = read(engine, lambda s: current_values_in(s, ref))
    values = values.assign(unit=values["unit"].astype(str), code=values["code"].astype(str),
                           assessor=values["assessor"].astype(str))  # fmt: skip
    given = values[values["na"].fillna(False).astype(bool).to_numpy() | values["value"].notna().to_numpy()]
    teams = sorted({str(a) for a in pd.unique(values["assessor"])})  # the few teams, not a set over every value
    counts = given.groupby(["unit", "assessor"]).size().unstack("assessor", fill_value=0)
    counts = counts.reindex(columns=teams, fill_value=0)
    units = pd.Index(pd.unique(given["unit"]))
    # unit × required code, set by position (pandas' crosstab aggregates in Python: 4 s at 5,000 units)
    has = np.zeros((len(units), len(required)), dtype=bool)
    column = pd.Index(required).get_indexer(given["code"])
    at = column >= 0
    has[units.get_indexer(given["unit"][at]), column[at]] = True
    has = pd.DataFrame(has, index=units, columns=required)
    seen = pd.Index(pd.unique(values["unit"]))
    filled = _Filled(units, seen, teams, counts, has, _conflicts(given, names))
    _filled_memo.put(key, (stamp, filled))
    return filled


def _table(unit_rows: pd.DataFrame, filled: _Filled, required: list[str], names: dict[str, str]) -> pd.DataFrame:
    """One row per unit: cells per team, what is missing (the first six codes named), status."""
    units = pd.Index(unit_rows["unit"])
    table = unit_rows.copy()
    for t in filled.teams:
        table[team_name(t)] = filled.counts[t].reindex(units, fill_value=0).to_numpy(dtype=int)
    lacking = ~filled.has.reindex(index=units, columns=required, fill_value=False).to_numpy(dtype=bool)
    missing = lacking.sum(axis=1).astype(int)
    # Each distinct pattern of missing codes is spelled once: at province size most units share one.
    # Patterns are told apart by their rows packed into bytes and hashed (np.unique over rows
    # sorts them: 0.4 s at 40,000 units).
    inverse = pd.factorize(np.array([bytes(r) for r in np.packbits(lacking, axis=1)], dtype=object))[0]
    first = np.unique(inverse, return_index=True)[1]  # a row of each pattern, in pattern order
    patterns = lacking[first]
    texts = np.array([_missing_text([c for c, m in zip(required, row, strict=True) if m], names) for row in patterns],
                     dtype=object)  # fmt: skip
    n_conf = (
        filled.conflicts.groupby("unit").size().reindex(units, fill_value=0).to_numpy(dtype=int)
        if len(filled.conflicts)
        else np.zeros(len(units), dtype=int)
    )
    given_any = _among(units, filled.units)
    status = np.where(missing > 0, np.char.add("缺 ", np.char.add(missing.astype(str), " 项")).astype(object), "完整")
    status = np.where(n_conf > 0, "有冲突", status)
    status = np.where(given_any, status, "未填报")
    table["missing"] = missing
    table["missing_codes"] = texts[np.asarray(inverse).reshape(-1)] if len(units) else np.zeros(0, dtype=object)
    table["conflicts"] = n_conf
    table["status"] = status.astype(object)
    columns = ["unit", "name", "category", *[team_name(t) for t in filled.teams], "missing", "missing_codes",
               "conflicts", "status"]  # fmt: skip
    return table[columns].reset_index(drop=True)


def _among(labels: pd.Index, values: pd.Index) -> np.ndarray:
    """`labels.isin(values)` as objects: pandas' Arrow-string isin boxes every value it is given,
    half a second for 40,000 units."""
    return pd.Index(labels.to_numpy(dtype=object)).isin(np.asarray(values, dtype=object))


def _missing_text(missing: list[str], names: dict[str, str]) -> str:
    text = "、".join(f"{c}（{names.get(c, c)}）" for c in missing[:6])
    return text + (f" 等 {len(missing)} 项" if len(missing) > 6 else "")


def _conflicts(given: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """Cells where one team says 不适用 and another gives a number (unit names joined later)."""
    cols = ["unit", "code", "item", "detail"]
    if given.empty:
        return pd.DataFrame(columns=cols)
    flags = given.groupby(["unit", "code"])["na"].agg(["any", "all"])
    mixed = flags[flags["any"] & ~flags["all"]].index
    if not len(mixed):
        return pd.DataFrame(columns=cols)
    rows = []
    keyed = given.set_index(["unit", "code"]).sort_index()
    for unit, code in mixed:
        cell = keyed.loc[[(unit, code)]]
        detail = "；".join(
            f"{team_name(a)}：{'不适用' if na else f'{v:g}'}"
            for a, v, na in zip(cell["assessor"], cell["value"], cell["na"], strict=True)
        )
        rows.append((unit, code, names.get(code, code), detail))
    return pd.DataFrame(rows, columns=cols)


def set_deadline(
    period: str, deadline: date | None, actor: str = "", *, by: Actor | None = None, engine: Engine | None = None
) -> None:
    """Set (or clear, with None) the date the period's data is due; audited."""
    who = check(by, "periods.manage")
    actor = name_of(who, actor or "（命令行）")
    if deadline is not None and not isinstance(deadline, date):
        raise InvalidInput("截止日期格式不对，应为 2025-04-10 这样的日期")

    def work(session: Session) -> None:
        p = period_row(session, period, lock="update")
        before = p.deadline
        p.deadline = deadline
        text = f"{deadline:%Y-%m-%d}" if deadline else "（无）"
        audit.record(
            session, actor, "period.deadline", f"period:{period}", f"设置{period_name(period)}（{period}）填报截止日期为 {text}",
            before=before.isoformat() if before else None, after=deadline.isoformat() if deadline else None,
        )  # fmt: skip

    write(engine, work)
