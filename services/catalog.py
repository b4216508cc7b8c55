"""Units, their categories, and schemes with their versions.

A scheme version is the YAML text as registered and its sha256. Registering the same text again
returns the same version. A version that submissions or results refer to never changes: editing
the scheme means registering a new `version`. Only a version nothing uses yet may be replaced
in place (a draft being corrected), and that is audited with the old hash.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, Literal

import pandas as pd
from sqlalchemy import Engine, exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from scoring import Scheme, SchemeError, parse_scheme
from services import audit
from services._db import engine_or_default, read, write
from services.errors import Conflict, InvalidInput, NotFound
from services.memo import Memo
from services.permissions import Actor, check, name_of
from storage.models import Assessment, ResultCache, SchemeVersion, Submission, Unit, UnitCategory
from storage.models import Scheme as SchemeRow
from storage.sql import bump_counter, counter_value, insert_or_ignore

# Bumped by a change to what scores read from the register: a new unit, a unit's category (its
# peer group), its active state, a new category. Stored results are keyed on it.
CATALOG_COUNTER = "catalog"
# Bumped by a change to what is only shown beside scores: a name, aliases, the parent unit, the
# population. Stored results stay valid (names are joined when read); views built on them are
# keyed on it too, so a rename shows at once.
LABELS_COUNTER = "unit_labels"
SCORED_FIELDS = ("category_id", "active")  # the unit fields `services.results` scores with
UNIT_COLUMNS = ["code", "name", "category", "parent", "population", "aliases", "active"]


# -- units -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class UnitChanges:
    created: int
    updated: int
    unchanged: int
    categories_created: list[str]

    @property
    def message(self) -> str:
        text = f"新增 {self.created} 个单位，更新 {self.updated} 个，{self.unchanged} 个无变化"
        if self.categories_created:
            text += f"；新增类别：{'、'.join(self.categories_created)}"
        return text


def _blank(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)) or not str(value).strip()


def _aliases(value: Any) -> list[str]:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return []
    parts = value if isinstance(value, list | tuple) else str(value).split("|")
    return list(dict.fromkeys(p.strip() for p in parts if str(p).strip()))


def _population(value: Any) -> int | None:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    return int(value)


def _unit_problems(frame: pd.DataFrame, known_codes: set[str]) -> list[str]:
    problems = []
    for col in ("code", "name", "category"):
        if col not in frame.columns:
            problems.append(f"缺少列 {col}")
    if problems:
        return problems
    codes = frame["code"].astype(str).str.strip()
    for i in frame.index[codes == ""]:
        problems.append(f"第 {i + 1} 行：单位编码为空")
    for code in sorted(set(codes[codes.duplicated()])):
        problems.append(f"单位编码 {code} 出现了不止一次")
    for code, name, cat in zip(codes, frame["name"], frame["category"], strict=True):
        if _blank(name):
            problems.append(f"单位 {code}：名称为空")
        if _blank(cat):
            problems.append(f"单位 {code}：类别为空")
    if "parent" in frame.columns:
        parents = dict(zip(codes, frame["parent"].fillna("").astype(str).str.strip(), strict=True))
        every = known_codes | set(codes)
        for code, parent in parents.items():
            if parent and parent not in every:
                problems.append(f"单位 {code}：上级单位 {parent} 不存在")
            elif parent == code:
                problems.append(f"单位 {code}：上级单位不能是自己")
    return problems


def upsert_units(
    frame: pd.DataFrame, actor: str = "", *, by: Actor | None = None, engine: Engine | None = None
) -> UnitChanges:
    """Create or update units from a register (columns of UNIT_COLUMNS; code, name, category needed).

    `aliases` is "|"-joined text or a list; `parent` a unit code or blank; `active` defaults to
    true for new units and is left alone for existing ones when the column is absent.
    Categories are created as needed. All or nothing: one bad row and nothing changes.
    """
    actor = name_of(check(by, "units.edit"), actor)
    try:
        return write(engine, lambda s: upsert_units_in(s, frame, actor))
    except IntegrityError:  # another process added the same unit or category at the same moment
        return write(engine, lambda s: upsert_units_in(s, frame, actor))


def upsert_units_in(session: Session, frame: pd.DataFrame, actor: str) -> UnitChanges:
    """`upsert_units` in the caller's transaction (a register import writes figures in the same one)."""
    existing = {u.code: u for u in session.scalars(select(Unit))}
    problems = _unit_problems(frame, set(existing))
    if problems:
        raise InvalidInput("单位清单有误，未做任何修改：\n" + "\n".join(f"  {p}" for p in problems))
    categories = {c.name: c for c in session.scalars(select(UnitCategory))}
    new_categories = []
    for name in dict.fromkeys(frame["category"].astype(str).str.strip()):
        if name not in categories:
            categories[name] = UnitCategory(name=name, sort_order=len(categories))
            session.add(categories[name])
            new_categories.append(name)
    session.flush()
    rows = frame.to_dict("records")
    by_code: dict[str, Unit] = {}
    new: set[str] = set()
    changed: set[str] = set()
    regrouped: set[str] = set()  # changed in a field that scores read
    for row in rows:
        code = str(row["code"]).strip()
        fields = {
            "name": str(row["name"]).strip(),
            "category_id": categories[str(row["category"]).strip()].id,
            "aliases": _aliases(row.get("aliases")),
            "population": _population(row.get("population")),
        }
        if row.get("active") is not None and not pd.isna(row["active"]):
            fields["active"] = bool(row["active"])
        unit = existing.get(code)
        if unit is None:
            unit = Unit(code=code, attributes={}, **({"active": True} | fields))
            session.add(unit)
            new.add(code)
        elif any(getattr(unit, k) != v for k, v in fields.items()):
            if any(getattr(unit, k) != fields[k] for k in SCORED_FIELDS if k in fields):
                regrouped.add(code)
            for k, v in fields.items():
                setattr(unit, k, v)
            changed.add(code)
        by_code[code] = unit
    session.flush()
    if "parent" in frame.columns:
        every = existing | by_code
        for row in rows:
            code = str(row["code"]).strip()
            parent = "" if pd.isna(row["parent"]) else str(row["parent"]).strip()
            parent_id = every[parent].id if parent else None
            if by_code[code].parent_id != parent_id:
                by_code[code].parent_id = parent_id
                if code not in new:
                    changed.add(code)
        _check_no_cycles(session)
    created, updated = len(new), len(changed)
    unchanged = len(rows) - created - updated
    changes = UnitChanges(created, updated, unchanged, new_categories)
    if created or regrouped or new_categories:
        bump_counter(session, CATALOG_COUNTER)
    if created or updated or new_categories:
        bump_counter(session, LABELS_COUNTER)
        audit.record(session, actor, "units.upsert", "units", changes.message, created=created, updated=updated)
    return changes


def _check_no_cycles(session: Session) -> None:
    session.flush()
    parent = dict(session.execute(select(Unit.id, Unit.parent_id)).all())
    code = dict(session.execute(select(Unit.id, Unit.code)).all())
    for start in parent:
        seen = {start}
        node = parent[start]
        while node is not None:
            if node in seen:
                raise InvalidInput(f"单位上下级关系形成了循环（涉及单位 {code[start]}），未做任何修改")
            seen.add(node)
            node = parent.get(node)


def set_unit_active(
    code: str, active: bool, actor: str = "", *, by: Actor | None = None, engine: Engine | None = None
) -> None:
    """Deactivate a unit (it stays in history; new imports for it are refused) or activate it."""
    actor = name_of(check(by, "units.edit"), actor)

    def work(session: Session) -> None:
        unit = session.scalars(select(Unit).where(Unit.code == code)).one_or_none()
        if unit is None:
            raise NotFound(f"没有编码为 {code} 的单位")
        if unit.active != active:
            unit.active = active
            bump_counter(session, CATALOG_COUNTER)
            bump_counter(session, LABELS_COUNTER)
            action = "unit.activate" if active else "unit.deactivate"
            audit.record(
                session, actor, action, f"unit:{code}", f"{'启用' if active else '停用'}单位 {code} {unit.name}"
            )

    write(engine, work)


def list_units(*, include_inactive: bool = True, engine: Engine | None = None) -> pd.DataFrame:
    """The unit register: id, code, name, category, parent (code or ""), population (Int64),
    aliases ("|"-joined), active — ordered by category order, then code.

    Kept per process while the register is unchanged (every write to it bumps the labels
    counter): most pages list the units on every rerun, and a province's 40,000 took half a
    second each time."""

    def state(session: Session) -> tuple:
        count, top = session.execute(select(func.count(Unit.id), func.max(Unit.id))).one()
        return counter_value(session, LABELS_COUNTER), count, top

    def work(session: Session) -> list[tuple]:
        parent = Unit.__table__.alias("parent_unit")
        stmt = (
            select(
                Unit.id,
                Unit.code,
                Unit.name,
                UnitCategory.name,
                parent.c.code,
                Unit.population,
                Unit.aliases,
                Unit.active,
            )
            .join(UnitCategory, Unit.category_id == UnitCategory.id)
            .outerjoin(parent, Unit.parent_id == parent.c.id)
            .order_by(UnitCategory.sort_order, UnitCategory.name, Unit.code)
        )
        if not include_inactive:
            stmt = stmt.where(Unit.active)
        return [tuple(r) for r in session.execute(stmt)]

    database = engine_or_default(engine).url.render_as_string(hide_password=True)
    key = (database, include_inactive)
    now = read(engine, state)
    hit = _registers.get(key)
    if hit is not None and hit[0] == now:
        return hit[1].copy(deep=False)  # copy-on-write: a caller's change never reaches the kept one
    rows = read(engine, work)
    frame = pd.DataFrame(
        {
            "id": [r[0] for r in rows],
            "code": pd.array([r[1] for r in rows], dtype="str"),
            "name": pd.array([r[2] for r in rows], dtype="str"),
            "category": pd.array([r[3] for r in rows], dtype="str"),
            "parent": pd.array([r[4] or "" for r in rows], dtype="str"),
            "population": pd.array([r[5] for r in rows], dtype="Int64"),
            "aliases": pd.array(["|".join(r[6] or []) for r in rows], dtype="str"),
            "active": [bool(r[7]) for r in rows],
        }
    )
    _registers.put(key, (now, frame))
    return frame.copy(deep=False)


# The register as last read, per database and listing, with the state it was read in.
_registers: Memo[tuple[tuple, pd.DataFrame]] = Memo(8)


def list_categories(*, engine: Engine | None = None) -> list[str]:
    return read(
        engine,
        lambda s: list(s.scalars(select(UnitCategory.name).order_by(UnitCategory.sort_order, UnitCategory.name))),
    )


def unit_labels(*, engine: Engine | None = None) -> pd.DataFrame:
    """Every label a unit can be written as in a sheet — code, name, alias — with its unit code.

    Columns: label, code, kind ('code', 'name', 'alias'), ambiguous (the label names more than
    one unit: a sheet using it must be asked to use the code instead).
    """
    units = list_units(include_inactive=False, engine=engine)
    rows = [(c, c, "code") for c in units["code"]]
    rows += [(n, c, "name") for c, n in zip(units["code"], units["name"], strict=True)]
    rows += [(a, c, "alias") for c, al in zip(units["code"], units["aliases"], strict=True) for a in al.split("|") if a]
    out = pd.DataFrame(rows, columns=["label", "code", "kind"]).drop_duplicates(["label", "code"])
    out["ambiguous"] = out["label"].duplicated(keep=False)
    return out.reset_index(drop=True)


# -- schemes ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class SchemeVersionInfo:
    id: int
    scheme_key: str
    version: str
    name: str
    sha256: str
    period_type: str
    categories: tuple[str, ...]
    created_by: str
    created_at: datetime
    note: str
    source: str

    def load(self) -> Scheme:
        """The parsed scheme (parsed once per content hash and process)."""
        return _parse_cached(self.sha256, self.source)

    @property
    def label(self) -> str:
        return f"{self.name}（{self.scheme_key} v{self.version}）"


@dataclass(frozen=True)
class Registration:
    version: SchemeVersionInfo
    status: Literal["created", "existing", "replaced"]

    @property
    def message(self) -> str:
        v = self.version
        return {
            "created": f"已登记方案「{v.name}」的新版本 {v.version}",
            "existing": f"方案「{v.name}」版本 {v.version} 已登记过，内容相同，未重复登记",
            "replaced": f"方案「{v.name}」版本 {v.version} 尚未被使用，已用新内容替换",
        }[self.status]


@lru_cache(maxsize=64)
def _parse_cached(sha256: str, source: str) -> Scheme:
    return parse_scheme(source)


def version_info(v: SchemeVersion) -> SchemeVersionInfo:
    return SchemeVersionInfo(
        id=v.id,
        scheme_key=v.scheme.key,
        version=v.version,
        name=v.name,
        sha256=v.sha256,
        period_type=v.scheme.period_type,
        categories=tuple(v.categories or ()),
        created_by=v.created_by,
        created_at=v.created_at,
        note=v.note,
        source=v.source,
    )


def version_in_use(session: Session, version_id: int) -> int:
    """How many submissions use the version (cached results only exist where submissions do)."""
    subs = session.scalar(
        select(func.count()).select_from(Submission).where(Submission.scheme_version_id == version_id)
    )
    cached = session.scalar(
        select(exists().where(ResultCache.assessment_id == Assessment.id, Assessment.scheme_version_id == version_id))
    )
    return int(subs or 0) + (1 if cached else 0)


def register_scheme(
    source: str, actor: str = "", *, note: str = "", by: Actor | None = None, engine: Engine | None = None
) -> Registration:
    """Validate the YAML and store it as a version of its scheme (see the module docstring).

    Raises InvalidInput listing every problem of an invalid scheme, Conflict when the version
    label is taken by different content that is already in use.
    """
    actor = name_of(check(by, "schemes.edit"), actor)
    try:
        scheme = parse_scheme(source)
    except SchemeError as exc:
        raise InvalidInput("方案文件有误，未登记：\n" + "\n".join(f"  {m}" for m in exc.messages)) from None
    sha = hashlib.sha256(source.encode("utf-8")).hexdigest()

    def work(session: Session) -> Registration:
        same = session.scalars(select(SchemeVersion).where(SchemeVersion.sha256 == sha)).one_or_none()
        if same is not None:
            return Registration(version_info(same), "existing")
        insert_or_ignore(
            session, SchemeRow, {"key": scheme.id, "name": scheme.name, "period_type": scheme.period_type}, ["key"]
        )
        row = session.scalars(select(SchemeRow).where(SchemeRow.key == scheme.id)).one()
        row.name, row.period_type = scheme.name, scheme.period_type
        fields = {"name": scheme.name, "sha256": sha, "source": source, "categories": list(scheme.categories)}
        taken = session.scalars(
            select(SchemeVersion).where(SchemeVersion.scheme_id == row.id, SchemeVersion.version == scheme.version)
        ).one_or_none()
        if taken is not None:
            uses = version_in_use(session, taken.id)
            if uses:
                raise Conflict(
                    f"方案「{scheme.name}」的版本 {scheme.version} 已有 {uses} 次提交或计算结果使用，内容不能再修改。"
                    f"请把方案文件中的 version 改为新的版本号（例如 {scheme.version}.1）后再登记。"
                )
            old = taken.sha256
            for k, v in fields.items():
                setattr(taken, k, v)
            taken.created_by, taken.note = actor, note
            session.flush()
            audit.record(
                session, actor, "scheme.replace", f"scheme:{scheme.id}",
                f"替换未使用的方案版本 {scheme.id} v{scheme.version}", old_sha256=old, sha256=sha, note=note,
            )  # fmt: skip
            return Registration(version_info(taken), "replaced")
        version = SchemeVersion(scheme_id=row.id, version=scheme.version, created_by=actor, note=note, **fields)
        session.add(version)
        session.flush()
        audit.record(
            session, actor, "scheme.register", f"scheme:{scheme.id}",
            f"登记方案 {scheme.name}（{scheme.id}）版本 {scheme.version}", sha256=sha, version_id=version.id,
            note=note,
        )  # fmt: skip
        return Registration(version_info(version), "created")

    try:
        return write(engine, work)
    except IntegrityError:  # another process registered the same scheme at the same moment
        return write(engine, work)


def get_version(version_id: int, *, engine: Engine | None = None) -> SchemeVersionInfo:
    def work(session: Session) -> SchemeVersionInfo:
        v = session.get(SchemeVersion, version_id)
        if v is None:
            raise NotFound(f"没有编号为 {version_id} 的方案版本")
        return version_info(v)

    return read(engine, work)


def scheme_versions(scheme_key: str | None = None, *, engine: Engine | None = None) -> list[SchemeVersionInfo]:
    """Versions, oldest first (of one scheme, or of all schemes ordered by scheme key)."""

    def work(session: Session) -> list[SchemeVersionInfo]:
        stmt = select(SchemeVersion).join(SchemeRow).order_by(SchemeRow.key, SchemeVersion.id)
        if scheme_key is not None:
            stmt = stmt.where(SchemeRow.key == scheme_key)
        return [version_info(v) for v in session.scalars(stmt)]

    return read(engine, work)


def latest_version(scheme_key: str, *, engine: Engine | None = None) -> SchemeVersionInfo:
    """The most recently registered version: what new templates and imports should use."""
    versions = scheme_versions(scheme_key, engine=engine)
    if not versions:
        raise NotFound(f"方案 {scheme_key} 尚未登记")
    return versions[-1]


def list_schemes(*, engine: Engine | None = None) -> list[SchemeVersionInfo]:
    """The latest version of every scheme, by scheme key."""
    latest: dict[str, SchemeVersionInfo] = {}
    for v in scheme_versions(engine=engine):
        latest[v.scheme_key] = v
    return list(latest.values())
