"""Units' totals, ranks and grades over every period of a scheme (趋势, 单位详情), from the
`unit_history` rows stored with the results: one indexed query for the chosen units instead of
every period's whole results (issue 23: at 40,000 units, twelve months of totals — or, for
leadership, twelve months of published detail — read and filtered to show a few lines).

The rows of a period count only while their stamp is the fingerprint that period's results have
now (the same fingerprint `services.results` and `services.publishing` key their stored results
on), so an import, a rollback or a publication is seen at once. A period whose rows are missing
or stale is read through `results()` as before, and its rows are written then (best effort);
`python manage.py results warm` writes them for a whole database.

Which results: those the acting account sees (`results.view_mode`) — the published ones for
leadership, the working values for assessors and administrators (a draft that cannot be scored
whole is shown as `results()` shows it, and never stored).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np
import pandas as pd
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

import scoring
from scoring import Results
from services._db import engine_or_default, read, write
from services.catalog import list_schemes, version_info
from services.errors import ServiceError
from services.history_rows import stamps, store_history, stored_rows
from services.permissions import require
from services.result_detail import CURRENT, PUBLISHED, load_detail
from services.results import AssessmentResults, _state, results, view_mode
from services.values import periods_with_values
from storage.models import SchemeVersion

log = logging.getLogger(__name__)

COLUMNS = ["period", "unit", "name", "total", "rank", "group_size", "grade", "veto"]


def _marks(session: Session, scheme_key: str, labels: list[str], kind: str) -> dict[str, tuple[int, str]]:
    """{period: (assessment id, fingerprint its results of `kind` have now)}, of the periods that
    have such results (a period never published has no published ones)."""
    if kind == PUBLISHED:
        from services.publishing import published_fingerprints

        return published_fingerprints(session, scheme_key, labels)
    out = {}
    for label in labels:
        state = _state(session, scheme_key, label)
        if state is not None:
            out[label] = (state.ref.id, state.fingerprint)
    return out


def current_marks(
    session: Session, scheme_key: str, labels: list[str], kind: str
) -> tuple[dict[str, tuple[int, str]], set[int]]:
    """(`_marks`, the assessment ids whose stored rows are current): rows of any other
    assessment must not be shown."""
    marks = _marks(session, scheme_key, labels, kind)
    stamped = stamps(session, [a for a, _ in marks.values()], kind)
    return marks, {a for a, fingerprint in marks.values() if stamped.get(a) == fingerprint}


def reader_kind() -> str:
    """The kind of results the acting account reads: published for leadership, else current."""
    return PUBLISHED if view_mode(None) == "published" else CURRENT


def _shaped(frame: pd.DataFrame) -> pd.DataFrame:
    """The columns in the types `results().units` gives them, whichever way the rows came."""
    out = pd.DataFrame(
        {
            "period": frame["period"].astype(str),
            "unit": frame["unit"].astype(str),
            "name": frame["name"].fillna("").astype(str),
            "total": pd.to_numeric(frame["total"]).astype(float),
            "rank": _whole(frame["rank"]),
            "group_size": _whole(frame["group_size"]),
            "grade": frame["grade"].astype(object).where(frame["grade"].notna(), None),
            "veto": frame["veto"].astype(bool),
        }
    )
    return out.reset_index(drop=True)


def _whole(values: pd.Series) -> pd.Series:
    """Whole numbers as int64, or float64 with NaN when some are missing (as pandas stacks them)."""
    numbers = pd.to_numeric(values).astype(float)
    return numbers if numbers.isna().any() else numbers.astype("int64")


def _storable(r: AssessmentResults, kind: str) -> bool:
    """Results whose rows may be kept: whole results of the kind asked for (never a partial draft,
    never results as of a moment)."""
    if r.as_of is not None or r.units.empty:
        return False
    if kind == PUBLISHED:
        return r.publication is not None
    return r.publication is None and r.incomplete.empty


def _keep(eng: Engine, scheme_key: str, label: str, kind: str, r: AssessmentResults) -> None:
    """Write a period's rows read the long way, if its results are still these; best effort."""
    if not _storable(r, kind):
        return

    def work(session: Session) -> None:
        now = _marks(session, scheme_key, [label], kind).get(label)
        if now is not None and now[1] == r.fingerprint:
            store_history(session, now[0], kind, r.fingerprint, r.units, leaves)

    try:
        leaves = r.leaves  # (built before the write: the write lock is not held while it is)
        write(eng, work)
    except (ServiceError, DBAPIError) as exc:
        log.warning("unit history not written for %s %s (%s): %s", scheme_key, label, kind, exc)


def histories(scheme_key: str, units: list[str], *, engine: Engine | None = None) -> pd.DataFrame:
    """`units`' total, rank, group size, grade and veto in every native period of the scheme
    that has results for the acting account, oldest first; within a period, in the order of
    that period's results. Columns: COLUMNS."""
    require("results.all")
    eng = engine_or_default(engine)
    kind = reader_kind()
    wanted = list(dict.fromkeys(str(u) for u in units))
    labels = periods_with_values(scheme_key, engine=eng)

    def work(session: Session) -> tuple[dict[str, tuple[int, str]], set[int], pd.DataFrame]:
        marks, valid = current_marks(session, scheme_key, labels, kind)
        return marks, valid, stored_rows(session, valid, kind, wanted)

    marks, valid, rows = read(eng, work)
    period_of = {a: label for label, (a, _) in marks.items() if a in valid}
    frames = [rows.assign(period=rows["assessment_id"].map(period_of))]
    for label in labels:
        if label not in marks or marks[label][0] in valid:
            continue  # stored, or no results of this kind (never published: results() gives None)
        r = results(scheme_key, label, engine=eng)
        if r is None:
            continue
        hit = r.units["unit"].astype(str).isin(wanted).to_numpy()
        frames.append(r.units[hit].assign(period=label, position=np.flatnonzero(hit)))
        _keep(eng, scheme_key, label, kind, r)
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS})
    data = pd.concat([f[[*COLUMNS, "position"]] for f in frames], ignore_index=True)
    # Oldest first; within a period, as in its results (the charts give lines colours in that order).
    data = data.sort_values(["period", "position"], key=lambda c: c.map(labels.index) if c.name == "period" else c)
    return _shaped(data)


# -- warming: rows for every period whose rows are missing or stale (after an upgrade) -----------
def warm_history(
    scheme_key: str | None = None, *, progress: Callable[[str], None] | None = None, engine: Engine | None = None
) -> tuple[int, int]:
    """Write the rows of every period and kind (current, published) whose rows are missing or
    stale, from its stored detail (scored when it is not stored): (written, already current).
    A period whose values cannot be scored yet, or that was never published, has none."""
    eng = engine_or_default(engine)
    names = {v.scheme_key: v.name for v in list_schemes(engine=eng)}
    keys = sorted(names if scheme_key is None else [scheme_key])
    written = current = 0
    for key in keys:
        labels = periods_with_values(key, engine=eng)
        for kind in (CURRENT, PUBLISHED):

            def stale(
                session: Session, key: str = key, kind: str = kind, labels: list[str] = labels
            ) -> tuple[list[str], int]:
                marks = _marks(session, key, labels, kind)
                stamped = stamps(session, [a for a, _ in marks.values()], kind)
                todo = [label for label, (a, fingerprint) in marks.items() if stamped.get(a) != fingerprint]
                return todo, len(marks) - len(todo)

            todo, fresh = read(eng, stale)
            current += fresh
            for i, label in enumerate(todo, 1):
                if progress is not None:
                    what = "已发布结果" if kind == PUBLISHED else "当前结果"
                    progress(f"正在写入单位历史 {names.get(key, key)} {label} {what}（{i}/{len(todo)}）")
                written += _warm_one(eng, key, label, kind)
    return written, current


def _stored_detail(session: Session, scheme_key: str, label: str, kind: str) -> tuple[str, Results] | None:
    """(fingerprint, the detail stored for it) of a period and kind, read past the results memo:
    a warm of a 40,000-unit year would otherwise keep every month's detail and leaf table in
    memory (4.2 GB); this way one month's at a time."""
    if kind == PUBLISHED:
        from services.publishing import _fingerprint

        found = _fingerprint(session, scheme_key, label)
        if found is None:
            return None
        fingerprint, publication, ref = found
        scheme = version_info(session.get(SchemeVersion, publication.scheme_version_id)).load()
        scored = load_detail(session, ref.id, fingerprint, scheme, kind=PUBLISHED)
    else:
        state = _state(session, scheme_key, label)
        if state is None:
            return None
        fingerprint = state.fingerprint
        scored = load_detail(session, state.ref.id, fingerprint, state.version(session).load())
    return None if scored is None else (fingerprint, scored)


def _warm_one(eng: Engine, scheme_key: str, label: str, kind: str) -> int:
    """Write one period's rows of `kind` from its stored detail (else through `results()`): 1
    when written."""
    stored = read(eng, lambda s: _stored_detail(s, scheme_key, label, kind))
    if stored is None:  # no stored detail for the fingerprint now: the results as pages read them
        try:
            r = results(scheme_key, label, published=kind == PUBLISHED, engine=eng)
        except scoring.ScoringInputError:
            return 0
        if r is None or not _storable(r, kind):
            return 0
        _keep(eng, scheme_key, label, kind, r)
        return 1
    fingerprint, scored = stored
    if scored.units.empty:
        return 0
    leaves = scored.leaves

    def work(session: Session) -> int:
        now = _marks(session, scheme_key, [label], kind).get(label)
        if now is None or now[1] != fingerprint:
            return 0  # changed meanwhile: the import or publication that changed it wrote its rows
        store_history(session, now[0], kind, fingerprint, scored.units, leaves)
        return 1

    return write(eng, work)
