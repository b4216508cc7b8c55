"""Per-unit figures kept per year in the unit register (常住人口, 65岁以上人口, 应管理高血压人数 …).

A scheme's computed indicators divide by these (建档人数 ÷ 常住人口), so a figure belongs to a
year: `figures_frame` hands the engine every (unit, year, name, value) and the engine picks the
period's year, else the latest earlier one. Every write is audited and bumps FIGURES_COUNTER,
which the results fingerprint includes: a changed figure changes scores.
"""

from __future__ import annotations

import math
import numbers
import re
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import Engine, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from scoring.scheme import Scheme
from services import audit
from services._db import read, write
from services.catalog import upsert_units_in
from services.errors import InvalidInput
from services.permissions import Actor, check, name_of
from storage.models import Unit, UnitFigure
from storage.sql import bump_counter

FIGURES_COUNTER = "figures"  # bumped by every figure write (results depend on figures)
FIGURE_COLUMNS = ["unit", "year", "name", "value"]
POPULATION_FIGURE = "服务人口"  # the register's 人口 column, as migration 0006 carried it forward
FIRST_YEAR, LAST_YEAR = 2000, 2100
NAME_LENGTH = 30
# 「常住人口（2025）」, 「常住人口(2025年)」, 「常住人口 （2025 年）」: a figure column of the register.
_HEADING = re.compile(r"^\s*(?P<name>[^（()）]+?)\s*[（(]\s*(?P<year>\d{4})\s*年?\s*[)）]\s*$")


@dataclass(frozen=True)
class FigureChanges:
    written: int
    removed: int
    unchanged: int

    @property
    def message(self) -> str:
        return f"写入 {self.written} 个年度数据，删除 {self.removed} 个，{self.unchanged} 个无变化"


def figure_heading(name: str, year: int) -> str:
    """The register column of a figure: 「常住人口（2025）」."""
    return f"{name}（{year}）"


def parse_heading(heading: str) -> tuple[str, int] | None:
    """(name, year) of a figure column heading, or None when the heading is not one."""
    match = _HEADING.match(str(heading))
    if match is None:
        return None
    return match["name"].strip(), int(match["year"])


def figure_name_problem(name: str) -> str | None:
    """Why `name` cannot name a figure (Chinese), or None."""
    name = str(name).strip()
    if not name:
        return "名称为空"
    if len(name) > NAME_LENGTH:
        return f"名称「{name}」超过 {NAME_LENGTH} 个字"
    if any(c in name for c in "（）()|"):
        return f"名称「{name}」不能含括号或 |"
    return None


def _number(value: Any) -> float | None:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    return float(value)


def _figure_problems(frame: pd.DataFrame, known: set[str]) -> list[str]:
    missing = [c for c in FIGURE_COLUMNS if c not in frame.columns]
    if missing:
        return [f"缺少列 {'、'.join(missing)}"]
    problems = []
    for unit, year, name, value in frame[FIGURE_COLUMNS].itertuples(index=False):
        where = f"单位 {unit}「{figure_heading(name, year)}」"
        if str(unit) not in known:
            problems.append(f"单位 {unit} 不存在")
        if not isinstance(year, numbers.Real) or year != int(year) or not FIRST_YEAR <= year <= LAST_YEAR:
            problems.append(f"单位 {unit}: 年份 '{year}' 应为 {FIRST_YEAR}–{LAST_YEAR} 之间的整数")
        if (why := figure_name_problem(name)) is not None:
            problems.append(f"单位 {unit}: {why}")
        number = _number(value)
        if number is not None and (math.isinf(number) or number < 0):
            problems.append(f"{where}: '{value}' 应为不小于 0 的数")
    keys = frame[["unit", "year", "name"]].astype(str)
    for unit, year, name in keys[keys.duplicated()].drop_duplicates().itertuples(index=False):
        problems.append(f"单位 {unit}「{figure_heading(name, year)}」出现了不止一次")
    return problems


def set_figures_in(session: Session, frame: pd.DataFrame, actor: str) -> FigureChanges:
    """Write `frame` (unit code, year, name, value; a blank value removes the figure) in the
    caller's transaction; InvalidInput (nothing written) when any row is wrong."""
    codes = dict(session.execute(select(Unit.code, Unit.id)).all())
    problems = _figure_problems(frame, set(codes))
    if problems:
        raise InvalidInput("年度数据有误，未做任何修改：\n" + "\n".join(f"  {p}" for p in problems))
    stored = {
        (f.unit_id, f.year, f.name): f
        for f in session.scalars(select(UnitFigure).where(UnitFigure.unit_id.in_(list(codes.values()))))
    }
    written = removed = unchanged = 0
    for unit, year, name, value in frame[FIGURE_COLUMNS].itertuples(index=False):
        key = (codes[str(unit)], int(year), str(name).strip())
        number, row = _number(value), stored.get(key)
        if number is None and row is not None:
            session.execute(delete(UnitFigure).where(UnitFigure.id == row.id))
            removed += 1
        elif number is not None and row is None:
            session.add(UnitFigure(unit_id=key[0], year=key[1], name=key[2], value=number, updated_by=actor))
            written += 1
        elif number is not None and row.value != number:
            row.value, row.updated_by = number, actor
            written += 1
        else:
            unchanged += 1
    changes = FigureChanges(written, removed, unchanged)
    if written or removed:
        years = sorted({int(y) for y in frame["year"]})
        bump_counter(session, FIGURES_COUNTER)
        target = f"figures:{years[0]}" if len(years) == 1 else "figures"
        audit.record(session, actor, "figures.set", target, changes.message, written=written, removed=removed)
    return changes


def set_figures(
    frame: pd.DataFrame, actor: str = "", *, by: Actor | None = None, engine: Engine | None = None
) -> FigureChanges:
    """Set figures (columns FIGURE_COLUMNS); all or nothing, audited."""
    actor = name_of(check(by, "units.edit"), actor)
    try:
        return write(engine, lambda s: set_figures_in(s, frame, actor))
    except IntegrityError:  # another process wrote the same figure at the same moment
        return write(engine, lambda s: set_figures_in(s, frame, actor))


def register_figures(register: pd.DataFrame) -> pd.DataFrame:
    """The figure columns (「常住人口（2025）」) of a register frame, long: unit, year, name,
    value; blank cells are left out (an import does not remove figures)."""
    parts = []
    for column in register.columns:
        parsed = parse_heading(column)
        if parsed is None:
            continue
        values = pd.to_numeric(register[column], errors="coerce")
        kept = values.notna()
        parts.append(
            pd.DataFrame(
                {
                    "unit": register["code"][kept].astype(str),
                    "year": parsed[1],
                    "name": parsed[0],
                    "value": values[kept].astype(float),
                }
            )  # fmt: skip
        )
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in zip(FIGURE_COLUMNS, ["str", "int", "str", "float"])})
    return pd.concat(parts, ignore_index=True)


@dataclass(frozen=True)
class RegisterImport:
    units: str
    figures: FigureChanges

    @property
    def message(self) -> str:
        return f"{self.units}；{self.figures.message}"


def import_register(
    register: pd.DataFrame, actor: str = "", *, by: Actor | None = None, engine: Engine | None = None
) -> RegisterImport:
    """Units and their figure columns from one register file, in one transaction: a bad row in
    either and nothing changes."""
    actor = name_of(check(by, "units.edit"), actor)
    figures = register_figures(register)

    def work(session: Session) -> RegisterImport:
        units = upsert_units_in(session, register, actor)
        return RegisterImport(units.message, set_figures_in(session, figures, actor))

    try:
        return write(engine, work)
    except IntegrityError:
        return write(engine, work)


def figures_frame(years: list[int] | None = None, *, engine: Engine | None = None) -> pd.DataFrame:
    """Every stored figure (of `years`, or all) as unit code, year, name, value — what
    `scoring.score(figures=…)` takes — ordered by unit, year, name."""
    return read(engine, lambda session: figures_frame_in(session, years))


def figures_frame_in(session: Session, years: list[int] | None = None) -> pd.DataFrame:
    """figures_frame inside a caller's session (results read values and figures in one snapshot)."""
    stmt = select(Unit.code, UnitFigure.year, UnitFigure.name, UnitFigure.value).join(
        Unit, Unit.id == UnitFigure.unit_id
    )
    if years is not None:
        stmt = stmt.where(UnitFigure.year.in_([int(y) for y in years]))
    rows = [tuple(r) for r in session.execute(stmt.order_by(Unit.code, UnitFigure.year, UnitFigure.name))]
    return pd.DataFrame(
        {
            "unit": pd.array([r[0] for r in rows], dtype="str"),
            "year": pd.array([r[1] for r in rows], dtype="int64"),
            "name": pd.array([r[2] for r in rows], dtype="str"),
            "value": pd.array([r[3] for r in rows], dtype="float64"),
        }
    )


def figures_for(scheme: Scheme, *, engine: Engine | None = None) -> pd.DataFrame | None:
    """The register figures a scheme's computed indicators read (`source: register` inputs), or
    None when it reads none: scoring such a scheme costs no query."""
    return read(engine, lambda session: figures_for_in(session, scheme))


def figures_for_in(session: Session, scheme: Scheme) -> pd.DataFrame | None:
    """figures_for inside a caller's session."""
    return figures_frame_in(session) if register_figure_names(scheme) else None


def register_figure_names(scheme: Scheme) -> set[str]:
    """Names of the register figures any leaf's formula reads (常住人口 …)."""
    return {i.name for leaf in scheme.leaves for i in getattr(leaf, "inputs", []) if i.source == "register"}


def figure_names(*, engine: Engine | None = None) -> list[str]:
    """The names any unit has a figure under, in any year (服务人口 first, then by name)."""
    names = read(engine, lambda s: list(s.scalars(select(UnitFigure.name).distinct())))
    return sorted(names, key=lambda n: (n != POPULATION_FIGURE, n))


def figure_years(*, engine: Engine | None = None) -> list[int]:
    """The years some figure is kept for, newest first."""
    return read(engine, lambda s: sorted(s.scalars(select(UnitFigure.year).distinct()), reverse=True))


def figures_wide(year: int | None = None, *, engine: Engine | None = None) -> pd.DataFrame:
    """Figures as register columns: one row per unit code (`code`), one column per figure and
    year (「常住人口（2025）」), as the register import reads them back."""
    long = figures_frame(None if year is None else [year], engine=engine)
    if long.empty:
        return pd.DataFrame({"code": pd.Series(dtype="str")})
    long = long.assign(heading=[figure_heading(n, y) for n, y in zip(long["name"], long["year"], strict=True)])
    wide = long.pivot(index="unit", columns="heading", values="value")
    order = sorted(wide.columns, key=lambda h: (-parse_heading(h)[1], parse_heading(h)[0] != POPULATION_FIGURE, h))
    return wide[order].rename_axis(index="code", columns=None).reset_index()


def year_table(units: pd.DataFrame, year: int, names: list[str], *, engine: Engine | None = None) -> pd.DataFrame:
    """One row per unit (编码, 名称), one float column per figure name: the figures of `year` as
    the admin page edits them (NaN where a unit has none)."""
    long = figures_frame([year], engine=engine)
    wide = long.pivot(index="unit", columns="name", values="value") if not long.empty else pd.DataFrame()
    table = pd.DataFrame({"编码": units["code"].astype(str).to_numpy(), "名称": units["name"].astype(str).to_numpy()})
    for name in names:
        column = wide[name] if name in wide.columns else pd.Series(dtype="float64")
        table[name] = table["编码"].map(column).astype("float64")
    return table


def edited_figures(before: pd.DataFrame, after: pd.DataFrame, year: int) -> pd.DataFrame:
    """The cells changed between two `year_table`s, as FIGURE_COLUMNS rows (None: cleared)."""
    rows = []
    for name in [c for c in after.columns if c not in ("编码", "名称")]:
        old = pd.to_numeric(before[name], errors="coerce") if name in before else pd.Series(float("nan"), before.index)
        new = pd.to_numeric(after[name], errors="coerce")
        changed = ~((old == new) | (old.isna() & new.isna()))
        for code, value in zip(after["编码"][changed], new[changed], strict=True):
            rows.append((str(code), year, name, None if pd.isna(value) else float(value)))
    columns = list(zip(*rows, strict=True)) if rows else [[], [], [], []]
    # object values: a cleared cell stays None (remove the figure), not NaN
    return pd.DataFrame({c: pd.Series(v, dtype=object) for c, v in zip(FIGURE_COLUMNS, columns, strict=True)})
