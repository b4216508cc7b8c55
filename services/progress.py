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

import pandas as pd
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from scoring.inputs import input_columns
from scoring.periods import period_name
from services import audit
from services._db import DISPLAY_TZ, read, scheme_name_lookup, write
from services.catalog import latest_version, list_units, version_info
from services.errors import InvalidInput
from services.periods import check_label, period_row
from services.permissions import Actor, check, name_of, require_scope
from services.values import current_values_in, find_assessment
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

    def work(session: Session) -> tuple[pd.DataFrame, int | None, date | None]:
        ref = find_assessment(session, scheme_key, period)
        deadline = session.scalar(select(Period.deadline).where(Period.label == period))
        if ref is None or ref.scheme_version_id is None:
            return pd.DataFrame(columns=["unit", "code", "value", "na", "assessor"]), None, deadline
        return current_values_in(session, ref), ref.scheme_version_id, deadline

    values, version_id, deadline = read(engine, work)
    if version_id is not None:
        version = read(engine, lambda s: version_info(s.get(SchemeVersion, version_id)))
    else:
        version = latest_version(scheme_key, engine=engine)
    scheme = version.load()
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

    values = values.assign(unit=values["unit"].astype(str), code=values["code"].astype(str),
                           assessor=values["assessor"].astype(str))  # fmt: skip
    in_scope = register[register["category"].isin(scheme.categories)] if scheme.categories else register
    unit_rows = in_scope[["code", "name", "category"]].rename(columns={"code": "unit"})
    extra = sorted(set(values["unit"]) - set(unit_rows["unit"]))
    if extra:
        known = register.set_index("code")
        unit_rows = pd.concat(
            [unit_rows, pd.DataFrame({"unit": extra, "name": [known["name"].get(u, "") for u in extra],
                                      "category": [known["category"].get(u, "") for u in extra]})],
            ignore_index=True,
        )  # fmt: skip
    teams = sorted(set(values["assessor"]))
    given = values[values["na"] | values["value"].notna()]
    counts = given.groupby(["unit", "assessor"]).size()
    covered = given.groupby("unit")["code"].agg(set)
    conflicts = _conflicts(given, register, names)
    per_unit_conflicts = conflicts.groupby("unit").size() if len(conflicts) else pd.Series(dtype=int)

    rows = []
    for r in unit_rows.itertuples(index=False):
        has = covered.get(r.unit, set())
        missing = [c for c in required if c not in has]
        row = {"unit": r.unit, "name": r.name, "category": r.category}
        for t in teams:
            row[team_name(t)] = int(counts.get((r.unit, t), 0))
        n_conf = int(per_unit_conflicts.get(r.unit, 0))
        if not has:
            status = "未填报"
        elif n_conf:
            status = "有冲突"
        elif missing:
            status = f"缺 {len(missing)} 项"
        else:
            status = "完整"
        missing_text = "、".join(f"{c}（{names.get(c, c)}）" for c in missing[:6])
        if len(missing) > 6:
            missing_text += f" 等 {len(missing)} 项"
        row.update(missing=len(missing), missing_codes=missing_text, conflicts=n_conf, status=status)
        rows.append(row)
    columns = [
        "unit",
        "name",
        "category",
        *[team_name(t) for t in teams],
        "missing",
        "missing_codes",
        "conflicts",
        "status",
    ]
    table = pd.DataFrame(rows, columns=columns)
    return Progress(scheme_key, scheme.name, period, deadline, _today(), teams, table, conflicts, len(required))


def _conflicts(given: pd.DataFrame, register: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """Cells where one team says 不适用 and another gives a number."""
    cols = ["unit", "name", "code", "item", "detail"]
    if given.empty:
        return pd.DataFrame(columns=cols)
    flags = given.groupby(["unit", "code"])["na"].agg(["any", "all"])
    mixed = flags[flags["any"] & ~flags["all"]].index
    if not len(mixed):
        return pd.DataFrame(columns=cols)
    unit_names = register.set_index("code")["name"]
    rows = []
    keyed = given.set_index(["unit", "code"]).sort_index()
    for unit, code in mixed:
        cell = keyed.loc[[(unit, code)]]
        detail = "；".join(
            f"{team_name(a)}：{'不适用' if na else f'{v:g}'}"
            for a, v, na in zip(cell["assessor"], cell["value"], cell["na"], strict=True)
        )
        rows.append((unit, str(unit_names.get(unit, "")), code, names.get(code, code), detail))
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
