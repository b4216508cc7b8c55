"""Results of an assessment: stored values → `scoring.score` → cached, never stale.

A cached result carries a fingerprint of everything it was computed from: the assessment's
revision (bumped by every import and rollback), the scheme version's hash, the same for the
previous period (changes are measured against it), the catalog counter (units and categories
decide peer groups), the figures counter (per-unit figures of the year feed computed rates)
and a hash of the engine's code. Reading the fingerprint is one small query,
so every call checks it — in this process (memo) and across processes (the result_cache table,
shared by every app replica on the same database).

Results are part of the write path (issue 23): an import or a rollback stores the scored period,
and the periods measured against it, in its own transaction (`refresh_stored`), so the first
look in any process is a read. Names, aliases and parents are not in the fingerprint (scores do
not read them): they are joined when read, and a rename relabels what is in memory.
`warm_stored` (`python manage.py results warm`) scores whatever is stale after an upgrade.
"""

from __future__ import annotations

import hashlib
import io
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from functools import cache, cached_property
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, Select, and_, bindparam, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, aliased

import scoring
from scoring import Results, Scheme, score
from scoring.compare import compared_leaves
from scoring.periods import baseline_period, same_period_last_year
from services._db import engine_or_default, read, write
from services.catalog import CATALOG_COUNTER, LABELS_COUNTER, SchemeVersionInfo, version_info
from services.errors import ServiceError
from services.history_rows import store_history
from services.memo import Memo
from services.periods import previous_label
from services.permissions import acting, require
from services.result_detail import CURRENT, load_detail, store_detail
from services.unit_figures import FIGURES_COUNTER, figures_for_in
from services.value_snapshot import stale_snapshots
from services.values import (
    AssessmentRef,
    current_values_in,
    current_values_of_codes_in,
    find_assessment,
    refresh_snapshot_in,
    values_as_of_in,
)
from storage.bulk import fetch_columns
from storage.models import (
    Assessment,
    Counter,
    Period,
    ResultCache,
    ResultDetail,
    SchemeVersion,
)
from storage.models import Scheme as SchemeRow
from storage.sql import for_update, upsert
from storage.types import utcnow

log = logging.getLogger(__name__)
_MEMO_SIZE = 128
_EXPLAINED_UNITS = 32  # units whose explanation each result keeps (a person opens a few)


class StaleResults(ServiceError):
    """The values changed between showing the totals and asking for their detail."""


@cache
def engine_code_hash() -> str:
    """Results computed by other engine code are not reused (a rule fixed in a release)."""
    digest = hashlib.sha256()
    for path in sorted(Path(scoring.__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:16]


# -- what a result depends on ----------------------------------------------------------------
@dataclass(frozen=True)
class _State:
    ref: AssessmentRef
    sha: str  # of the scheme version the values use
    previous: AssessmentRef | None
    previous_sha: str | None
    catalog: int
    figures: int = 0  # the figures counter: a unit's 常住人口 of the year changes its rates
    # 上年同期 (leaves scored on change read it; the previous period is already in `previous`):
    # a correction there must rescore this period.
    last_year: str = "none"
    # The register's labels counter (names, aliases, parents): not in the fingerprint — scores do
    # not read them — but a view showing names is rebuilt when it moves.
    labels: int = 0

    def base(self, ref: AssessmentRef, sha: str) -> str:
        return f"a{ref.id}:{ref.revision}:{sha[:16]}|c{self.catalog}|f{self.figures}|e{engine_code_hash()}"

    @property
    def own_base(self) -> str:
        return self.base(self.ref, self.sha)

    @property
    def previous_base(self) -> str:
        if self.previous is None or self.previous_sha is None:
            return "none"
        return self.base(self.previous, self.previous_sha)

    @property
    def fingerprint(self) -> str:
        return f"{self.own_base}|prev={self.previous_base}|ly={self.last_year}"

    def version(self, session: Session) -> SchemeVersionInfo:
        return version_info(session.get(SchemeVersion, self.ref.scheme_version_id))


@cache
def _state_query() -> Select:
    """Everything the fingerprint needs, in one statement (built once: every page rerun runs it)."""
    a, prev, version, prev_version, prev_period = (
        aliased(Assessment), aliased(Assessment), aliased(SchemeVersion), aliased(SchemeVersion), aliased(Period)
    )  # fmt: skip
    catalog = select(Counter.value).where(Counter.name == CATALOG_COUNTER).scalar_subquery()
    figures = select(Counter.value).where(Counter.name == FIGURES_COUNTER).scalar_subquery()
    labels = select(Counter.value).where(Counter.name == LABELS_COUNTER).scalar_subquery()
    return (
        select(
            a.id,
            a.revision,
            a.scheme_version_id,
            version.sha256,
            prev.id,
            prev.revision,
            prev.scheme_version_id,
            prev_version.sha256,
            catalog,
            figures,
            labels,
        )  # fmt: skip
        .select_from(a)
        .join(SchemeRow, a.scheme_id == SchemeRow.id)
        .join(Period, a.period_id == Period.id)
        .join(version, version.id == a.scheme_version_id)
        .outerjoin(prev_period, prev_period.label == bindparam("previous"))
        .outerjoin(prev, and_(prev.scheme_id == a.scheme_id, prev.period_id == prev_period.id))
        .outerjoin(prev_version, prev_version.id == prev.scheme_version_id)
        .where(SchemeRow.key == bindparam("scheme"), Period.label == bindparam("period"))
    )


def _state(session: Session, scheme_key: str, period: str) -> _State | None:
    params = {"scheme": scheme_key, "period": period, "previous": previous_label(period)}
    row = session.execute(_state_query(), params).one_or_none()
    if row is None:
        return None
    ref = AssessmentRef(row[0], scheme_key, period, row[1], row[2])
    previous = None
    if row[4] is not None and row[7] is not None:
        previous = AssessmentRef(row[4], scheme_key, previous_label(period), row[5], row[6])
    return _State(
        ref,
        row[3],
        previous,
        row[7] if previous else None,
        row[8] or 0,
        row[9] or 0,
        _last_year_state(session, scheme_key, period),
        row[10] or 0,
    )


def _last_year_state(session: Session, scheme_key: str, period: str) -> str:
    """'a<id>:<revision>' of the same period last year, or 'none' (one small indexed query)."""
    label = same_period_last_year(period)
    ref = find_assessment(session, scheme_key, label) if label else None
    return "none" if ref is None else f"a{ref.id}:{ref.revision}"


# Which stored values of a baseline period count (its values in force, as of a moment, published).
BaselineValues = Callable[[Session, AssessmentRef, list[str]], pd.DataFrame]


def baseline_history(
    session: Session, scheme_key: str, scheme: Scheme, period: str, values_of: BaselineValues | None = None
) -> pd.DataFrame | None:
    """The stored values of the baseline periods (上期 / 上年同期) of the leaves scored on change,
    only of their codes; None when the scheme has no such leaf or nothing is stored there.

    `values_of(session, ref, codes)` reads a baseline period's values: by default those in force
    now; the as-of results read them as of that moment, the published results the published ones,
    so each result measures change against the baseline of its own kind."""
    leaves = compared_leaves(scheme)
    read_codes = values_of or current_values_of_codes_in
    frames = []
    for label in sorted({baseline_period(period, leaf.compare) or "" for leaf in leaves} - {""}):
        ref = find_assessment(session, scheme_key, label)
        if ref is not None:
            codes = sorted({leaf.code for leaf in leaves if baseline_period(period, leaf.compare) == label})
            frames.append(read_codes(session, ref, codes))
    if not frames:
        return None
    return pd.concat([f.assign(period=f["period"].astype(str)) for f in frames], ignore_index=True)


# -- the result object -----------------------------------------------------------------------
class AssessmentResults:
    """Like `scoring.Results`, for one scheme and period, with unit names in `units`.

    `units` is ready at once (from cache when possible). `leaves`, `tasks`, `notes` and
    `explain()` need the full engine output: it is computed on first use from the same stored
    values (StaleResults if they changed in between).
    """

    def __init__(
        self,
        version: SchemeVersionInfo,
        period: str,
        units: pd.DataFrame,
        fingerprint: str,
        from_cache: bool,
        rescore: Callable[[], tuple[str, Results]] | None = None,
        scored: Results | None = None,
        as_of: datetime | None = None,
        incomplete: pd.DataFrame | None = None,
        publication: object | None = None,
        labels: int = 0,
    ):
        self.version = version
        self.scheme: Scheme = version.load()
        self.period = period
        self.units = units
        self.fingerprint = fingerprint
        self.from_cache = from_cache
        self.as_of = as_of
        self._rescore = rescore
        # Units left out because their values cannot be scored yet (draft only): unit, name, missing.
        self.incomplete = incomplete if incomplete is not None else INCOMPLETE_EMPTY.copy()
        # services.publishing.PublicationInfo when these are the published results, else None (草稿).
        self.publication = publication
        self.labels = labels  # the register's labels counter the names in `units` are from
        self._explained: dict[str, pd.DataFrame] = {}  # explain(unit), per unit
        if scored is not None:
            self.__dict__["scored"] = scored

    @property
    def key(self) -> str:
        """Changes whenever anything shown would: the scores (fingerprint) or the names beside them.
        Views built from these results (tables, bulletins) are keyed on it."""
        return f"{self.fingerprint}|n{self.labels}"

    def relabelled(self, names: pd.Series, labels: int) -> AssessmentResults:
        """The same scores with the register's current names (after a rename: nothing rescored)."""
        units = _with_names(self.units.drop(columns="name"), names)
        incomplete = self.incomplete.assign(name=self.incomplete["unit"].map(names).fillna(self.incomplete["name"]))
        return AssessmentResults(
            self.version, self.period, units, self.fingerprint, self.from_cache, self._rescore,
            self.__dict__.get("scored"), self.as_of, incomplete, self.publication, labels,
        )  # fmt: skip

    @cached_property
    def scored(self) -> Results:
        assert self._rescore is not None
        fingerprint, results = self._rescore()
        if fingerprint != self.fingerprint:
            raise StaleResults(f"{self.period} 的数据刚刚有更新（导入或撤回），请刷新页面查看最新结果")
        return results

    @property
    def draft(self) -> bool:
        """True for the working values (草稿), False for published results."""
        return self.publication is None

    @property
    def leaves(self) -> pd.DataFrame:
        return self.scored.leaves

    @property
    def tasks(self) -> pd.DataFrame:
        return self.scored.tasks

    @property
    def notes(self) -> pd.DataFrame:
        return self.scored.notes

    def explain(self, unit: str) -> pd.DataFrame:
        # Kept per unit with these results: every rerun of 单位详情 asks again, and at 40,000 units
        # the engine's explain scans the month's whole leaf table (0.5 s). A copy: callers add columns.
        hit = self._explained.get(unit)
        if hit is None:
            hit = self.scored.explain(unit, self.period)
            while len(self._explained) >= _EXPLAINED_UNITS:
                self._explained.pop(next(iter(self._explained)), None)
            self._explained[unit] = hit
        return hit.copy()


# -- computing -------------------------------------------------------------------------------
_UNITS_SQL = "SELECT u.code, u.name, c.name FROM unit u JOIN unit_category c ON u.category_id = c.id"


def _units_table(session: Session) -> pd.DataFrame:
    """code (index), name, category of every unit in the register. Read column-wise through the
    driver: at 40,000 units, SQLAlchemy's row objects made this 0.5 s of every results read."""
    code, name, category = fetch_columns(session, _UNITS_SQL)
    if not code:  # (typed as the rows would be: an empty register reads as object columns)
        return pd.DataFrame(columns=["code", "name", "category"]).set_index("code")
    return pd.DataFrame({"code": code, "name": name, "category": category}).set_index("code")


def _score(
    scheme: Scheme,
    values: pd.DataFrame,
    units: pd.DataFrame,
    previous: pd.DataFrame | None,
    history: pd.DataFrame | None = None,
    figures: pd.DataFrame | None = None,
) -> Results:
    present = pd.unique(values["unit"].astype(str))
    categories = units["category"].reindex(present).dropna()
    return score(scheme, values, categories=categories, previous=previous, history=history, figures=figures)


INCOMPLETE_EMPTY = pd.DataFrame(
    {"unit": pd.Series(dtype=str), "name": pd.Series(dtype=str), "missing": pd.Series(dtype=str)}
)


def incomplete_units(problems: list[scoring.Problem], names: pd.Series) -> pd.DataFrame:
    """One row per unit that cannot be scored yet, with what is missing, in words."""
    by_unit: dict[str, list[str]] = {}
    for p in problems:
        where = " ".join(
            x for x in (f"指标 {p.code}" if p.code else "", f"考核人 {p.assessor}" if p.assessor else "") if x
        )
        by_unit.setdefault(p.unit or "", []).append(f"{where}：{p.message}" if where else p.message)
    rows = [
        (
            unit,
            str(names.get(unit, "")) if unit else "（全部单位）",
            "；".join(msgs[:8]) + (f"；等共 {len(msgs)} 处" if len(msgs) > 8 else ""),
        )
        for unit, msgs in sorted(by_unit.items())
    ]
    return pd.DataFrame(rows, columns=["unit", "name", "missing"]) if rows else INCOMPLETE_EMPTY.copy()


def score_complete(
    scheme: Scheme,
    values: pd.DataFrame,
    units: pd.DataFrame,
    previous: pd.DataFrame | None,
    history: pd.DataFrame | None = None,
    figures: pd.DataFrame | None = None,
) -> tuple[Results | None, pd.DataFrame]:
    """Score the units whose values are complete; list the others by what they miss.

    A draft is partial on most days of a month (teams report over days): it must still show
    what can be scored. (None, …) when nothing can be scored.
    """
    dropped: list[scoring.Problem] = []
    for _ in range(5):  # dropping units never adds problems to the others; a few passes at most
        try:
            scored = _score(scheme, values, units, previous, history, figures) if len(values) else None
            return scored, incomplete_units(dropped, units["name"])
        except scoring.ScoringInputError as exc:
            dropped += exc.problems
            if any(not p.unit for p in exc.problems):
                break
            bad = {str(p.unit) for p in exc.problems}
            values = values[~values["unit"].astype(str).isin(bad)].copy()
            if isinstance(values["unit"].dtype, pd.CategoricalDtype):
                values["unit"] = values["unit"].cat.remove_unused_categories()
    return None, incomplete_units(dropped, units["name"])


def relabel(engine: Engine, results: AssessmentResults, labels: int) -> AssessmentResults:
    """`results` with the register's names now (a memo hit whose scores still hold)."""
    return results.relabelled(read(engine, lambda s: _units_table(s)["name"]), labels)


def _with_names(units: pd.DataFrame, names: pd.Series) -> pd.DataFrame:
    out = units.copy()
    out.insert(out.columns.get_loc("unit") + 1, "name", out["unit"].astype(str).map(names).fillna(""))
    return out


def _compute(
    session: Session, scheme_key: str, period: str, values: pd.DataFrame | None = None
) -> tuple[_State, SchemeVersionInfo, Results, pd.Series] | None:
    """Score the current values, reading them and their fingerprint in one snapshot (`values`:
    the current values when the caller just read them, in this transaction)."""
    state = _state(session, scheme_key, period)
    if state is None:
        return None
    units = _units_table(session)
    previous = None
    if state.previous is not None:
        previous = _cached_units(session, state.previous.id, state.previous_base + "|prev=")
        if previous is None:
            prev_version = version_info(session.get(SchemeVersion, state.previous.scheme_version_id))
            prev_values = current_values_in(session, state.previous)
            try:
                prev_scheme = prev_version.load()
                previous = _score(
                    prev_scheme, prev_values, units, None, figures=figures_for_in(session, prev_scheme)
                ).units
            except scoring.ScoringInputError:
                previous = None  # an incomplete previous period gives no changes, not an error
    if values is None:
        values = current_values_in(session, state.ref)
    version = state.version(session)
    scheme = version.load()
    history = baseline_history(session, scheme_key, scheme, period)
    figures = figures_for_in(session, scheme)
    return state, version, _score(scheme, values, units, previous, history, figures), units["name"]


def _cached_units(session: Session, assessment_id: int, fingerprint_prefix: str) -> pd.DataFrame | None:
    row = session.execute(
        select(ResultCache.fingerprint, ResultCache.payload).where(ResultCache.assessment_id == assessment_id)
    ).one_or_none()
    if row is None or not row[0].startswith(fingerprint_prefix):
        return None
    return pd.read_parquet(io.BytesIO(row[1]))


def _store_in(session: Session, assessment_id: int, fingerprint: str, scored: Results) -> None:
    """The unit totals (what most pages read), the full detail (what leaf-level pages read) and
    each unit's row of its history (services.unit_history), all for `fingerprint`."""
    buf = io.BytesIO()
    scored.units.to_parquet(buf, index=False)
    values = {
        "assessment_id": assessment_id,
        "fingerprint": fingerprint,
        "computed_at": utcnow(),
        "payload": buf.getvalue(),
    }
    upsert(session, ResultCache, values, ["assessment_id"])
    store_detail(session, assessment_id, fingerprint, scored)
    store_history(session, assessment_id, CURRENT, fingerprint, scored.units, scored.leaves)  # 趋势, 单位详情


def _store(engine: Engine, assessment_id: int, fingerprint: str, scored: Results) -> None:
    """Best effort: a result that cannot be cached now is computed again next time."""
    try:
        write(engine, lambda session: _store_in(session, assessment_id, fingerprint, scored))
    except (ServiceError, DBAPIError) as exc:
        log.warning("results cache not written for assessment %s: %s", assessment_id, exc)


# -- the write path: results stored with the values that make them ---------------------------
def refresh_stored(session: Session, scheme_key: str, period: str) -> list[str]:
    """Score `period` and the periods measured against it, and store their unit totals, in the
    caller's transaction (an import or a rollback that just changed `period`'s values).

    Readers then never see the new revision without its result: the first look after an import,
    in any process, is a read. The periods after it are re-stored when they have values: the
    next period (its changes, 较上期, are measured against this one) and the same period next
    year (上年同期). A period that cannot be scored yet (a partial month) stores nothing and
    fails nothing: it is scored, or listed as incomplete, when someone looks. Returns the
    periods stored.

    The period's values are read once, here: packed as its snapshot for the new revision
    (services/value_snapshot.py, whether or not they can be scored) and scored."""
    session.flush()  # the caller's revision bump and values, seen by the queries below
    ref = find_assessment(session, scheme_key, period)
    values = None if ref is None else refresh_snapshot_in(session, ref)
    stored = []
    for label in [period, *_periods_measured_against(session, scheme_key, period)]:
        if label != period:
            _lock_later(session, scheme_key, label)
        try:
            computed = _compute(session, scheme_key, label, values if label == period else None)
        except scoring.ScoringInputError:
            continue
        if computed is not None:
            state, _, scored, _ = computed
            _store_in(session, state.ref.id, state.fingerprint, scored)
            stored.append(label)
    return stored


def _lock_later(session: Session, scheme_key: str, label: str) -> None:
    """Wait for (and hold) a later period's assessment row, as its own importer does, before
    writing its stored rows. Locks are then always taken from earlier to later periods: on
    PostgreSQL an import into one month re-storing the next while that month's own import held
    its row (and wrote the same stored rows) deadlocked."""
    ref = find_assessment(session, scheme_key, label)
    if ref is not None:
        session.execute(for_update(session, select(Assessment.id).where(Assessment.id == ref.id), Assessment))


def _periods_measured_against(session: Session, scheme_key: str, period: str) -> list[str]:
    """The next period and the same period next year, of those with values (oldest first)."""
    labels = session.scalars(
        select(Period.label)
        .join(Assessment, Assessment.period_id == Period.id)
        .join(SchemeRow, Assessment.scheme_id == SchemeRow.id)
        .where(SchemeRow.key == scheme_key, Assessment.scheme_version_id.is_not(None), Period.label > period)
        .order_by(Period.label)
    )
    return [x for x in labels if previous_label(x) == period or same_period_last_year(x) == period]


_memo: Memo[AssessmentResults] = Memo(_MEMO_SIZE)


def results(
    scheme_key: str,
    period: str,
    *,
    as_of: datetime | None = None,
    published: bool | None = None,
    engine: Engine | None = None,
) -> AssessmentResults | None:
    """Scored, ranked results of one scheme in one period, or None when it has no values.

    Which values (issue 19): `published=True` the last published results (None while nothing is
    published); `published=False` the current working values. By default the acting account
    decides: whoever may see drafts (assessors, administrators) gets the draft, scored for the
    units that are complete (the others in `incomplete`); everyone else the published results.
    Without an account (command line, tests) the current values, as before.

    With `as_of`, the values in force at that moment (not cached). Raises
    `scoring.ScoringInputError` when the current values cannot be scored (e.g. cells missing),
    except for a draft shown to an account.
    """
    require("results.all")
    eng = engine_or_default(engine)
    if as_of is not None:
        return _results_as_of(eng, scheme_key, period, as_of)
    mode = view_mode(published)
    if mode == "published":
        from services.publishing import published_results

        return published_results(scheme_key, period, engine=eng)
    if mode == "draft":
        return _draft_results(eng, scheme_key, period)
    key = (eng.url.render_as_string(hide_password=True), scheme_key, period)
    state = read(eng, lambda s: _state(s, scheme_key, period))
    if state is None:
        return None
    fingerprint = state.fingerprint
    hit = _memo.get(key)
    if hit is not None and hit.fingerprint == fingerprint:
        return hit if hit.labels == state.labels else _memo.put(key, relabel(eng, hit, state.labels))

    def rescore() -> tuple[str, Results]:
        # The detail stored with these totals (at import, or by the first reader): a read, not the
        # month's every value read back and scored again.
        stored = read(eng, lambda s: load_detail(s, state.ref.id, fingerprint, state.version(s).load()))
        if stored is not None:
            return fingerprint, stored
        computed = read(eng, lambda s: _compute(s, scheme_key, period))
        if computed is None:
            return "", None  # type: ignore[return-value]
        if computed[0].fingerprint == fingerprint:  # (a store from before details were kept)
            _store(eng, computed[0].ref.id, fingerprint, computed[2])
        return computed[0].fingerprint, computed[2]

    cached, names, version = read(
        eng, lambda s: (_cached_units(s, state.ref.id, fingerprint), _units_table(s)["name"], state.version(s))
    )
    if cached is not None:
        found = AssessmentResults(
            version, period, _with_names(cached, names), fingerprint, True, rescore, labels=state.labels
        )
        return _memo.put(key, found)
    computed = read(eng, lambda s: _compute(s, scheme_key, period))
    if computed is None:
        return None
    state, version, scored, names = computed
    _store(eng, state.ref.id, state.fingerprint, scored)
    units = _with_names(scored.units, names)
    fresh = AssessmentResults(version, period, units, state.fingerprint, False, rescore, scored, labels=state.labels)
    return _memo.put(key, fresh)


def values_key(scheme_key: str, period: str, *, engine: Engine | None = None) -> str | None:
    """A key that changes whenever the period's current values, or anything scored or shown with
    them (scheme version, register, figures, baselines, names), change; None without values.
    For what is built from the current values outside `results` (simulations, checks)."""
    state = read(engine_or_default(engine), lambda s: _state(s, scheme_key, period))
    return None if state is None else f"{state.fingerprint}|n{state.labels}"


def view_mode(published: bool | None) -> str:
    """'published', 'draft' (partial scores for an account that may see drafts) or 'current'."""
    if published is not None:
        return "published" if published else "current"
    forced = _forced_mode.get()
    if forced is not None:
        return forced
    actor = acting(None)
    if actor is None:
        return "current"
    return "draft" if actor.can("results.draft") else "published"


_forced_mode: ContextVar[str | None] = ContextVar("results_mode", default=None)


@contextmanager
def published_only() -> Iterator[None]:
    """Every `results()` call inside reads the published results (the meeting page, exports,
    a unit account's own view), whoever is asking."""
    token = _forced_mode.set("published")
    try:
        yield
    finally:
        _forced_mode.reset(token)


def _draft_results(eng: Engine, scheme_key: str, period: str) -> AssessmentResults | None:
    """The current values as a draft: complete units scored, the others listed."""
    key = (eng.url.render_as_string(hide_password=True), scheme_key, period + "#draft")
    known = _memo.get(key)
    if known is not None:  # a partial draft already scored: no full attempt on every rerun
        state = read(eng, lambda s: _state(s, scheme_key, period))
        if state is not None and known.fingerprint == state.fingerprint:
            return known if known.labels == state.labels else _memo.put(key, relabel(eng, known, state.labels))
    try:
        return results(scheme_key, period, published=False, engine=eng)
    except scoring.ScoringInputError:
        pass

    def compute(session: Session) -> tuple[_State, SchemeVersionInfo, Results | None, pd.DataFrame, pd.Series] | None:
        state = _state(session, scheme_key, period)
        if state is None:
            return None
        units = _units_table(session)
        version = state.version(session)
        scheme = version.load()
        history = baseline_history(session, scheme_key, scheme, period)
        values = current_values_in(session, state.ref)
        scored, incomplete = score_complete(scheme, values, units, None, history, figures_for_in(session, scheme))
        return state, version, scored, incomplete, units["name"]

    state = read(eng, lambda s: _state(s, scheme_key, period))
    if state is None:
        return None
    hit = _memo.get(key)
    if hit is not None and hit.fingerprint == state.fingerprint and hit.labels == state.labels:
        return hit
    computed = read(eng, compute)
    if computed is None:
        return None
    state, version, scored, incomplete, names = computed

    def rescore() -> tuple[str, Results]:
        again = read(eng, compute)
        if again is None or again[2] is None:
            return "", None  # type: ignore[return-value]
        return again[0].fingerprint, again[2]

    empty = pd.DataFrame({c: pd.Series(dtype=object) for c in ("period", "unit", "name", "category", "total", "rank")})
    units = _with_names(scored.units, names) if scored is not None else empty
    result = AssessmentResults(
        version, period, units, state.fingerprint, False, rescore, scored, incomplete=incomplete, labels=state.labels
    )
    return _memo.put(key, result)


def _results_as_of(eng: Engine, scheme_key: str, period: str, at: datetime) -> AssessmentResults | None:
    def work(session: Session) -> tuple[SchemeVersionInfo, Results, pd.Series] | None:
        ref = find_assessment(session, scheme_key, period)
        if ref is None:
            return None
        values, version_id = values_as_of_in(session, ref, at)
        if version_id is None:
            return None
        version = version_info(session.get(SchemeVersion, version_id))
        units = _units_table(session)
        previous = None
        prev = find_assessment(session, scheme_key, previous_label(period))
        if prev is not None:
            prev_values, prev_version_id = values_as_of_in(session, prev, at)
            if prev_version_id is not None:
                prev_scheme = version_info(session.get(SchemeVersion, prev_version_id)).load()
                try:
                    previous = _score(
                        prev_scheme, prev_values, units, None, figures=figures_for_in(session, prev_scheme)
                    ).units
                except scoring.ScoringInputError:
                    previous = None
        scheme = version.load()
        figures = figures_for_in(session, scheme)

        def as_of_then(s: Session, base: AssessmentRef, codes: list[str]) -> pd.DataFrame:
            frame = values_as_of_in(s, base, at)[0]
            return frame[frame["code"].astype(str).isin(codes)]

        history = baseline_history(session, scheme_key, scheme, period, as_of_then)
        return version, _score(scheme, values, units, previous, history, figures), units["name"]

    computed = read(eng, work)
    if computed is None:
        return None
    version, scored, names = computed
    fingerprint = f"as_of={at.isoformat()}"
    return AssessmentResults(version, period, _with_names(scored.units, names), fingerprint, False, None, scored, at)


def baseline_history_for(
    scheme_key: str, scheme: Scheme, period: str, *, engine: Engine | None = None
) -> pd.DataFrame | None:
    """`baseline_history` of the values in force now, in a session of its own (what-if, upload
    preview: they score the current values and must measure change as `results()` does)."""
    if not compared_leaves(scheme):
        return None  # no query for the usual scheme
    return read(engine, lambda s: baseline_history(s, scheme_key, scheme, period))


def results_over_periods(
    scheme_key: str, periods: list[str] | None = None, *, engine: Engine | None = None
) -> pd.DataFrame:
    """The `units` tables of several periods (default: every period with values), stacked."""
    require("results.all")
    from services.values import periods_with_values

    labels = periods if periods is not None else periods_with_values(scheme_key, engine=engine)
    frames = []
    for label in labels:
        r = results(scheme_key, label, engine=engine)
        if r is not None:
            frames.append(r.units.assign(period=r.units["period"].astype(str)))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


# -- warming: every stale stored result scored again (after an upgrade) -------------------------
@dataclass(frozen=True)
class WarmOutcome:
    stored: list[tuple[str, str]]  # (scheme, period) scored and stored now
    fresh: int  # already stored with the current fingerprint
    incomplete: list[tuple[str, str]]  # values that cannot be scored yet (scored when looked at)
    snapshots: int = 0  # value snapshots packed now (missing or stale ones)

    @property
    def message(self) -> str:
        text = f"已计算并保存 {len(self.stored)} 期结果，{self.fresh} 期原已是最新"
        if self.incomplete:
            text += f"；{len(self.incomplete)} 期数据尚不完整，暂不计算（查看时按草稿显示）"
        if self.snapshots:
            text += f"；已为 {self.snapshots} 期数据生成快照"
        return text


def stale_assessments(
    scheme_key: str | None = None, *, engine: Engine | None = None
) -> tuple[list[tuple[str, str, str]], int]:
    """(scheme key, scheme name, period) of every assessment with values whose stored result is
    missing or keyed on another fingerprint (oldest first: a period before the one measured
    against it), and how many are current."""

    def work(session: Session) -> tuple[list[tuple[str, str, str]], int]:
        stmt = (
            select(SchemeRow.key, SchemeRow.name, Period.label, ResultCache.fingerprint, ResultDetail.fingerprint)
            .select_from(Assessment)
            .join(SchemeRow, Assessment.scheme_id == SchemeRow.id)
            .join(Period, Assessment.period_id == Period.id)
            .outerjoin(ResultCache, ResultCache.assessment_id == Assessment.id)
            .outerjoin(ResultDetail, and_(ResultDetail.assessment_id == Assessment.id, ResultDetail.kind == CURRENT))
            .where(Assessment.scheme_version_id.is_not(None))
            .order_by(SchemeRow.key, Period.label)
        )
        if scheme_key is not None:
            stmt = stmt.where(SchemeRow.key == scheme_key)
        stale, fresh = [], 0
        for key, name, label, stored, detail in session.execute(stmt).all():
            state = _state(session, key, label)
            if state is not None and stored == detail == state.fingerprint:
                fresh += 1
            else:
                stale.append((key, name, label))
        return stale, fresh

    return read(engine, work)


def warm_stored(
    scheme_key: str | None = None, *, progress: Callable[[str], None] | None = None, engine: Engine | None = None
) -> WarmOutcome:
    """Score and store every assessment whose stored result is stale (e.g. after an upgrade
    changed the engine's code), one transaction each, saying which in Chinese as it goes.

    First it packs the value snapshot of every assessment that has none of its revision (a
    database from before snapshots): the pages then read them, and so does the scoring below."""
    snapshots = read(engine, lambda s: stale_snapshots(s, scheme_key))
    for i, (key, name, label) in enumerate(snapshots, 1):
        if progress is not None:
            progress(f"正在生成数据快照 {name} {label}（{i}/{len(snapshots)}）")

        def pack(session: Session, key: str = key, label: str = label) -> None:
            ref = find_assessment(session, key, label)
            if ref is None:
                return
            # Imports and rollbacks lock the row: the revision and the values read after this
            # lock agree, as they do on the write path.
            session.execute(for_update(session, select(Assessment.id).where(Assessment.id == ref.id), Assessment, True))
            ref = find_assessment(session, key, label)
            if ref is not None:
                refresh_snapshot_in(session, ref)

        write(engine, pack)
    stale, fresh = stale_assessments(scheme_key, engine=engine)
    stored, incomplete = [], []
    for i, (key, name, label) in enumerate(stale, 1):
        if progress is not None:
            progress(f"正在计算 {name} {label}（{i}/{len(stale)}）")

        def work(session: Session, key: str = key, label: str = label) -> bool:
            try:
                computed = _compute(session, key, label)
            except scoring.ScoringInputError:
                return False
            if computed is not None:
                _store_in(session, computed[0].ref.id, computed[0].fingerprint, computed[2])
            return True

        (stored if write(engine, work) else incomplete).append((key, label))
    return WarmOutcome(stored, fresh, incomplete, len(snapshots))
