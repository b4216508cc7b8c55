"""审定发布: the results leadership sees are the ones someone reviewed and published.

Imports and rollbacks change the period's working values (the draft, 草稿). Leadership, unit
accounts, the meeting page and exports read the last *publication* of the period instead, which
names the submissions it contains: the published values are, per cell, the latest value among
those submissions, so later imports and rollbacks never change what was published — only a new
publication does.

Publishing is refused, with every unscorable cell located, while the draft cannot be scored; it is
refused to the uploader of data it would publish when the bureau wants four eyes
(`ASSESS_PUBLISH_FOUR_EYES`, see `four_eyes_required`); and it is recorded (who, when, which
submissions) in the publication and the audit trail. `publish_preview` shows what a
(re)publication would change — units, totals, ranks — before it is confirmed, and `publish` takes
the revision that preview showed, so data changed in between is never published unseen.

Publishing and importing lock the same assessment row (PostgreSQL) or take SQLite's single write
lock, so a publication racing an import contains the values from before it or after it, whole.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd
from sqlalchemy import Engine, and_, func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, defer

import scoring
from reports import numbers
from scoring import Results, Scheme
from scoring.periods import period_name, same_period_last_year
from services import audit, messages
from services._db import engine_or_default, local_time, read, scheme_name_lookup, write
from services.catalog import CATALOG_COUNTER, LABELS_COUNTER, SchemeVersionInfo, version_info
from services.errors import Conflict, InvalidInput, NotFound, ServiceError
from services.history_rows import store_history
from services.memo import Memo
from services.periods import period_row, previous_label, refuse_if_locked
from services.permissions import Actor, check, name_of, require_scope
from services.result_detail import PUBLISHED, load_detail, store_detail
from services.results import (
    AssessmentResults,
    _score,
    _units_table,
    _with_names,
    baseline_history,
    engine_code_hash,
    relabel,
)
from services.unit_figures import FIGURES_COUNTER, figures_for_in
from services.values import AssessmentRef, _frame, current_values_in, current_values_of_codes_in, find_assessment
from storage.bulk import fetch_columns
from storage.models import (
    Assessment,
    Period,
    Publication,
    PublicationSubmission,
    ResultDetail,
    SchemeVersion,
    Submission,
)
from storage.models import Scheme as SchemeRow
from storage.sql import counter_value, for_update
from storage.types import utcnow

log = logging.getLogger(__name__)

FOUR_EYES_ENV = "ASSESS_PUBLISH_FOUR_EYES"
NOT_PUBLISHED = "本期考核结果尚未发布"
_MEMO_SIZE = 64


def four_eyes_required(scheme_key: str) -> bool:
    """Whether the publisher must be someone other than the uploaders of the data published.

    `ASSESS_PUBLISH_FOUR_EYES`: unset or 1 — every scheme (the safe default); 0 — none; a
    comma-separated list of scheme ids — those schemes only.
    """
    raw = os.environ.get(FOUR_EYES_ENV, "").strip()
    if raw.lower() in ("", "1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    return scheme_key in {k.strip() for k in raw.replace("，", ",").split(",") if k.strip()}


@dataclass(frozen=True)
class PublicationInfo:
    id: int
    seq: int
    scheme_key: str
    period: str
    revision: int
    published_by: str
    published_at: datetime
    note: str
    submission_ids: tuple[int, ...]

    @property
    def text(self) -> str:
        """'已发布（第 2 次，张三（zhangsan） 于 2026-12-07 10:12）'."""
        return f"已发布（第 {self.seq} 次，{self.published_by} 于 {local_time(self.published_at)}）"


def _info(session: Session, pub: Publication, scheme_key: str, period: str) -> PublicationInfo:
    ids = session.scalars(
        select(PublicationSubmission.submission_id)
        .where(PublicationSubmission.publication_id == pub.id)
        .order_by(PublicationSubmission.submission_id)
    ).all()
    return PublicationInfo(
        pub.id, pub.seq, scheme_key, period, pub.revision, pub.published_by, pub.published_at, pub.note, tuple(ids)
    )


def _latest(session: Session, assessment_id: int) -> Publication | None:
    # `units` (every unit's published total and rank, as JSON: about 1 MB at 40,000 units) is read
    # only by a republication's preview; the fingerprint of every published read asks for up to
    # four publications, which would otherwise decode it each time.
    return session.scalars(
        select(Publication)
        .options(defer(Publication.units))
        .where(Publication.assessment_id == assessment_id)
        .order_by(Publication.seq.desc())
        .limit(1)
    ).first()


# Per cell, the latest value among the publication's submissions.
_PUBLISHED_SQL = (
    "SELECT unit_id, code, assessor, value, na, note, submission_id FROM ("
    " SELECT v.unit_id, v.code, v.assessor, v.value, v.na, v.note, v.submission_id,"
    "  ROW_NUMBER() OVER (PARTITION BY v.unit_id, v.code, v.assessor ORDER BY v.submission_id DESC) AS rn"
    " FROM submission_value v JOIN publication_submission ps ON ps.submission_id = v.submission_id"
    " WHERE ps.publication_id = ? AND v.assessment_id = ?"
    ") latest WHERE rn = 1"
)


def published_values_in(session: Session, pub: Publication, period: str) -> pd.DataFrame:
    """The values a publication contains (same columns as `services.values.current_values`)."""
    cols = fetch_columns(session, _PUBLISHED_SQL, (pub.id, pub.assessment_id))
    return _frame(session, period, cols)


# -- reading the published results -----------------------------------------------------------
_memo: Memo[AssessmentResults] = Memo(_MEMO_SIZE)


def published_baseline(session: Session, ref: AssessmentRef, codes: list[str]) -> pd.DataFrame:
    """A baseline period's values for the published results (增幅 / 逐步提高 leaves): its last
    publication's, so a later import there does not change what was published here; its values
    in force when it was never published (e.g. last year's figures imported only as baselines)."""
    pub = _latest(session, ref.id)
    if pub is None:
        return current_values_of_codes_in(session, ref, codes)
    frame = published_values_in(session, pub, ref.period)
    return frame[frame["code"].astype(str).isin(codes)]


def _baseline_marks(session: Session, scheme_key: str, period: str) -> str:
    """What the baselines (上期, 上年同期) were read from: their last publication, or (never
    published) their values in force, by revision — a change there rescores the published results."""
    marks = []
    for label in (previous_label(period), same_period_last_year(period)):
        ref = find_assessment(session, scheme_key, label) if label else None
        pub = _latest(session, ref.id) if ref is not None else None
        marks.append(_baseline_mark(ref.id, ref.revision, pub.id if pub else None) if ref is not None else "none")
    return ",".join(marks)


def _baseline_mark(assessment_id: int, revision: int, publication_id: int | None) -> str:
    return f"p{publication_id}" if publication_id is not None else f"a{assessment_id}:{revision}"


def _fingerprint_text(publication_id: int, catalog: int, figures: int, previous_id: int | None, base: str) -> str:
    """The published results' fingerprint (one place: `_fingerprint` and `published_fingerprints`)."""
    return f"p{publication_id}|c{catalog}|f{figures}|e{engine_code_hash()}|prev=p{previous_id or 0}|b={base}"


def published_fingerprints(session: Session, scheme_key: str, labels: list[str]) -> dict[str, tuple[int, str]]:
    """{period: (assessment id, the fingerprint `_fingerprint` gives)} of those of `labels` that
    are published: three queries for a scheme's every period instead of about ten per period
    (a trend checks all of them on every rerun)."""
    latest = (
        select(Publication.assessment_id, func.max(Publication.seq).label("seq"))
        .group_by(Publication.assessment_id)
        .subquery()
    )
    rows = session.execute(
        select(Period.label, Assessment.id, Assessment.revision, Publication.id)
        .select_from(Assessment)
        .join(SchemeRow, Assessment.scheme_id == SchemeRow.id)
        .join(Period, Assessment.period_id == Period.id)
        .outerjoin(latest, latest.c.assessment_id == Assessment.id)
        .outerjoin(Publication, and_(Publication.assessment_id == Assessment.id, Publication.seq == latest.c.seq))
        .where(SchemeRow.key == scheme_key)
    ).all()
    found = {label: (a, revision, pub) for label, a, revision, pub in rows}
    catalog = counter_value(session, CATALOG_COUNTER)
    figures = counter_value(session, FIGURES_COUNTER)
    out = {}
    for label in labels:
        own = found.get(label)
        if own is None or own[2] is None:
            continue
        previous = found.get(previous_label(label))
        base = ",".join(
            "none" if x is None else _baseline_mark(*x)
            for x in (found.get(b) if b else None for b in (previous_label(label), same_period_last_year(label)))
        )
        out[label] = (own[0], _fingerprint_text(own[2], catalog, figures, previous[2] if previous else None, base))
    return out


def _score_for_publication(
    session: Session, scheme: Scheme, scheme_key: str, period: str, values: pd.DataFrame, units: pd.DataFrame,
    previous: pd.DataFrame | None,
) -> Results:  # fmt: skip
    """Score values to publish (or published) with the published baselines and the register
    figures: the totals a publication records are the totals its readers are shown."""
    history = baseline_history(session, scheme_key, scheme, period, published_baseline)
    return _score(scheme, values, units, previous, history, figures_for_in(session, scheme))


def _fingerprint(session: Session, scheme_key: str, period: str) -> tuple[str, Publication, AssessmentRef] | None:
    ref = find_assessment(session, scheme_key, period)
    pub = _latest(session, ref.id) if ref is not None else None
    if ref is None or pub is None:
        return None
    prev_ref = find_assessment(session, scheme_key, previous_label(period))
    prev = _latest(session, prev_ref.id) if prev_ref is not None else None
    catalog = counter_value(session, CATALOG_COUNTER)
    figures = counter_value(session, FIGURES_COUNTER)
    base = _baseline_marks(session, scheme_key, period)
    return _fingerprint_text(pub.id, catalog, figures, prev.id if prev else None, base), pub, ref


def _compute(
    session: Session, scheme_key: str, period: str
) -> tuple[str, SchemeVersionInfo, Results, pd.Series, PublicationInfo] | None:
    found = _fingerprint(session, scheme_key, period)
    if found is None:
        return None
    fingerprint, pub, _ = found
    units = _units_table(session)
    previous = None
    prev_ref = find_assessment(session, scheme_key, previous_label(period))
    prev = _latest(session, prev_ref.id) if prev_ref is not None else None
    if prev is not None:
        try:
            prev_version = version_info(session.get(SchemeVersion, prev.scheme_version_id)).load()
            prev_values = published_values_in(session, prev, prev_ref.period)
            previous = _score(
                prev_version, prev_values, units, None, figures=figures_for_in(session, prev_version)
            ).units
        except scoring.ScoringInputError:
            previous = None
    version = version_info(session.get(SchemeVersion, pub.scheme_version_id))
    values = published_values_in(session, pub, period)
    scored = _score_for_publication(session, version.load(), scheme_key, period, values, units, previous)
    return fingerprint, version, scored, units["name"], _info(session, pub, scheme_key, period)


def published_results(scheme_key: str, period: str, *, engine: Engine | None = None) -> AssessmentResults | None:
    """The last published results of the period, or None when nothing is published.

    Callers check the permission (services.results.results does). A publication that cannot be
    scored (only possible for data carried over from before publishing existed) counts as not
    published: leadership never sees an unscorable result.
    """
    eng = engine_or_default(engine)
    key = (eng.url.render_as_string(hide_password=True), scheme_key, period)
    found, labels = read(eng, lambda s: (_fingerprint(s, scheme_key, period), counter_value(s, LABELS_COUNTER)))
    if found is None:
        return None
    hit = _memo.get(key)
    if hit is not None and hit.fingerprint == found[0]:
        return hit if hit.labels == labels else _memo.put(key, relabel(eng, hit, labels))

    def rescore() -> tuple[str, Results]:
        again = read(eng, lambda s: _compute(s, scheme_key, period))
        return ("", None) if again is None else (again[0], again[2])  # type: ignore[return-value]

    # Stored by whoever scored this publication first (the publisher): a read in any process.
    stored = read(eng, lambda s: _stored(s, scheme_key, period))
    if stored is not None:
        fingerprint, version, scored, names, info = stored
        result = AssessmentResults(
            version, period, _with_names(scored.units, names), fingerprint, True, rescore, scored, publication=info,
            labels=labels,
        )  # fmt: skip
        return _memo.put(key, result)
    try:
        computed = read(eng, lambda s: _compute(s, scheme_key, period))
    except scoring.ScoringInputError:
        log.warning("published values of %s %s cannot be scored; shown as not published", scheme_key, period)
        return None
    if computed is None:
        return None
    fingerprint, version, scored, names, info = computed
    _store(eng, scheme_key, period, fingerprint, scored)
    result = AssessmentResults(
        version, period, _with_names(scored.units, names), fingerprint, False, rescore, scored, publication=info,
        labels=labels,
    )  # fmt: skip
    return _memo.put(key, result)


def _stored(
    session: Session, scheme_key: str, period: str
) -> tuple[str, SchemeVersionInfo, Results, pd.Series, PublicationInfo] | None:
    """What `_compute` gives, from the detail stored for the publication's current fingerprint."""
    found = _fingerprint(session, scheme_key, period)
    if found is None:
        return None
    fingerprint, pub, ref = found
    version = version_info(session.get(SchemeVersion, pub.scheme_version_id))
    scored = load_detail(session, ref.id, fingerprint, version.load(), kind=PUBLISHED)
    if scored is None:
        return None
    return fingerprint, version, scored, _units_table(session)["name"], _info(session, pub, scheme_key, period)


def _store(engine: Engine, scheme_key: str, period: str, fingerprint: str, scored: Results) -> None:
    """Keep the published detail and the units' history rows for the other processes; best
    effort (else scored again there)."""

    def work(session: Session) -> None:
        found = _fingerprint(session, scheme_key, period)
        if found is not None and found[0] == fingerprint:  # still the publication it was scored for
            store_detail(session, found[2].id, fingerprint, scored, kind=PUBLISHED)
            store_history(session, found[2].id, PUBLISHED, fingerprint, scored.units, scored.leaves)

    try:
        write(engine, work)
    except (ServiceError, DBAPIError) as exc:
        log.warning("published detail not stored for %s %s: %s", scheme_key, period, exc)


def warm_published(
    scheme_key: str | None = None, *, progress: Callable[[str], None] | None = None, engine: Engine | None = None
) -> tuple[int, int, int]:
    """Score and store the detail of every publication whose stored detail is missing or stale
    (after an upgrade), so leadership's first look is a read: (prepared, already current,
    unscorable — those are shown as not published until republished)."""

    def listing(session: Session) -> list[tuple[str, str, str, bool]]:
        stmt = (
            select(SchemeRow.key, SchemeRow.name, Period.label, ResultDetail.fingerprint)
            .select_from(Assessment)
            .join(SchemeRow, Assessment.scheme_id == SchemeRow.id)
            .join(Period, Assessment.period_id == Period.id)
            .outerjoin(ResultDetail, and_(ResultDetail.assessment_id == Assessment.id, ResultDetail.kind == PUBLISHED))
            .where(select(Publication.id).where(Publication.assessment_id == Assessment.id).exists())
            .order_by(SchemeRow.key, Period.label)
        )
        if scheme_key is not None:
            stmt = stmt.where(SchemeRow.key == scheme_key)
        rows = []
        for key, name, label, stored in session.execute(stmt).all():
            found = _fingerprint(session, key, label)
            rows.append((key, name, label, found is not None and stored == found[0]))
        return rows

    rows = read(engine, listing)
    stale = [(key, name, label) for key, name, label, current in rows if not current]
    unscorable = 0
    for i, (key, name, label) in enumerate(stale, 1):
        if progress is not None:
            progress(f"正在准备已发布结果 {name} {label}（{i}/{len(stale)}）")
        try:
            computed = read(engine, lambda s, key=key, label=label: _compute(s, key, label))
        except scoring.ScoringInputError:
            unscorable += 1
            continue
        if computed is not None:
            _store(engine_or_default(engine), key, label, computed[0], computed[2])
    return len(stale) - unscorable, len(rows) - len(stale), unscorable


def publication(scheme_key: str, period: str, *, engine: Engine | None = None) -> PublicationInfo | None:
    """The publication in force for the period (None: not published)."""

    def work(session: Session) -> PublicationInfo | None:
        ref = find_assessment(session, scheme_key, period)
        pub = _latest(session, ref.id) if ref is not None else None
        return None if pub is None else _info(session, pub, scheme_key, period)

    return read(engine, work)


# -- publishing ------------------------------------------------------------------------------
@dataclass(frozen=True)
class PublishPreview:
    scheme_key: str
    period: str
    revision: int  # pass to `publish` as expected_revision
    problems: list[str]  # unscorable cells, located: publishing is refused while there are any
    blockers: list[str]  # other reasons it is refused (four eyes, nothing new)
    changes: pd.DataFrame  # unit, name, before_total, after_total, before_rank, after_rank, change
    submissions: pd.DataFrame  # id, submitted_by, time, file_name, new (not in the last publication)
    previous: PublicationInfo | None
    units: int = 0  # units in the results to publish
    notes: list[str] = field(default_factory=list)
    scheme_name: str = ""  # for messages: a user never reads the key

    @property
    def up_to_date(self) -> bool:
        """The draft is what was last published: nothing to publish."""
        return self.previous is not None and self.previous.revision == self.revision

    @property
    def can_publish(self) -> bool:
        return not self.problems and not self.blockers

    @property
    def refusal(self) -> str:
        """All reasons publishing is refused, in one located message ('' when it is not)."""
        where = f"{period_name(self.period)}（{self.period}）「{self.scheme_name or self.scheme_key}」"
        lines = list(self.blockers)
        if self.problems:
            lines.append(f"有 {len(self.problems)} 处数据无法计分，请补充或更正后再发布：")
            lines += [f"  {p}" for p in self.problems[:50]]
            if len(self.problems) > 50:
                lines.append(f"  ……另有 {len(self.problems) - 50} 处")
        return f"{where}不能发布：\n" + "\n".join(lines) if lines else ""


def _unit_totals(scored: Results) -> dict[str, list[float | int | None]]:
    out = {}
    for unit, total, rank in zip(
        scored.units["unit"].astype(str), scored.units["total"], scored.units["rank"], strict=True
    ):
        out[unit] = [_num(total), _num(rank)]
    return out


def _num(x: object) -> float | int | None:
    if x is None or (isinstance(x, float) and math.isnan(x)) or pd.isna(x):
        return None
    f = float(x)  # type: ignore[arg-type]
    return int(f) if f.is_integer() else round(f, 6)


def _changes(before: dict[str, list], after: dict[str, list], names: pd.Series, decimals: int) -> pd.DataFrame:
    rows = []
    for unit in sorted(set(before) | set(after)):
        b, a = before.get(unit), after.get(unit)
        if b == a:
            continue
        if b is None:
            what = "新增单位"
        elif a is None:
            what = "不再列入"
        else:
            parts = []
            if b[0] != a[0]:
                parts.append(f"总分 {_fmt(b[0], decimals)} → {_fmt(a[0], decimals)}")
            if b[1] != a[1]:
                parts.append(f"排名 {_fmt(b[1], 0)} → {_fmt(a[1], 0)}")
            what = "，".join(parts)
        rows.append(
            (unit, str(names.get(unit, "")), b[0] if b else None, a[0] if a else None, b[1] if b else None,
             a[1] if a else None, what)
        )  # fmt: skip
    cols = ["unit", "name", "before_total", "after_total", "before_rank", "after_rank", "change"]
    return pd.DataFrame(rows, columns=cols)


def _fmt(x: float | int | None, decimals: int) -> str:
    return numbers.points(x, decimals)  # as the pages write totals (and ranks, decimals 0)


def _standing(session: Session, assessment_id: int) -> list[Submission]:
    return list(
        session.scalars(
            select(Submission)
            .where(Submission.assessment_id == assessment_id, Submission.status != "rolled_back")
            .order_by(Submission.id)
        )
    )


# The draft's totals as a publication would record them, per process, keyed on everything they
# are scored from: a repeat visit of 审定发布 (and the publish that follows it) reads a few
# counters instead of every value of the period (seconds at province size).
_draft_memo: Memo[tuple[list[str], dict[str, list]]] = Memo(16)


def _draft_totals(
    session: Session, ref: AssessmentRef, version: SchemeVersionInfo, units: pd.DataFrame
) -> tuple[list[str], dict[str, list]]:
    """(problems, unit → [total, rank]) of the current values; problems when they cannot be scored."""
    key = (
        session.get_bind().url.render_as_string(hide_password=True),
        ref.id, ref.revision, ref.scheme_version_id, version.sha256,
        counter_value(session, CATALOG_COUNTER), counter_value(session, FIGURES_COUNTER), engine_code_hash(),
        _baseline_marks(session, ref.scheme_key, ref.period),
    )  # fmt: skip
    hit = _draft_memo.get(key)
    if hit is not None:
        return hit
    try:
        values = current_values_in(session, ref)
        scored = _score_for_publication(session, version.load(), ref.scheme_key, ref.period, values, units, None)
        found: tuple[list[str], dict[str, list]] = ([], _unit_totals(scored))
    except scoring.ScoringInputError as exc:
        found = ([str(p) for p in exc.problems], {})
    return _draft_memo.put(key, found)


def _examine(
    session: Session, a: Assessment, scheme_key: str, period: str, who: Actor | None
) -> tuple[PublishPreview, dict[str, list]]:
    """Everything publishing decides on, in the caller's transaction."""
    ref = AssessmentRef(a.id, scheme_key, period, a.revision, a.scheme_version_id)
    last = _latest(session, a.id)
    previous = _info(session, last, scheme_key, period) if last is not None else None
    units = _units_table(session)
    version = version_info(session.get(SchemeVersion, a.scheme_version_id))
    problems, totals = _draft_totals(session, ref, version, units)
    subs = _standing(session, a.id)
    old = set(previous.submission_ids) if previous else set()
    new = [s for s in subs if s.id not in old and s.current_rows > 0]
    blockers = []
    if last is not None and last.revision == a.revision and last.scheme_version_id == a.scheme_version_id:
        blockers.append(f"当前数据与第 {last.seq} 次发布（{local_time(last.published_at)}）完全相同，无需重新发布。")
    if who is not None and four_eyes_required(scheme_key):
        mine = [s.id for s in new if s.submitted_by == who.label]
        if mine:
            listed = "、".join(f"#{i}" for i in mine[:10])
            blockers.append(
                f"本局要求复核与上传分开（四眼原则）：提交 {listed} 由您本人上传，需由另一位有发布权限的人员复核后发布。"
            )
    before = last.units if last is not None else {}
    changes = (
        _changes(before, totals, units["name"], version.load().decimals)
        if totals
        else _changes({}, {}, units["name"], 2)
    )
    submissions = pd.DataFrame(
        {
            "id": [s.id for s in subs if s.current_rows > 0],
            "submitted_by": [s.submitted_by for s in subs if s.current_rows > 0],
            "time": [local_time(s.submitted_at) for s in subs if s.current_rows > 0],
            "file_name": [s.file_name for s in subs if s.current_rows > 0],
            "new": [s.id not in old for s in subs if s.current_rows > 0],
        }
    )
    preview = PublishPreview(
        scheme_key, period, a.revision, problems, blockers, changes, submissions, previous, len(totals),
        scheme_name=_scheme_name(session, scheme_key),
    )  # fmt: skip
    return preview, totals


def _scheme_name(session: Session, scheme_key: str) -> str:
    """The scheme's name for messages (a user never reads its key); the key if it is unknown."""
    return session.scalar(select(SchemeRow.name).where(SchemeRow.key == scheme_key)) or scheme_key


def _assessment(session: Session, scheme_key: str, period: str, *, lock: bool) -> Assessment:
    stmt = (
        select(Assessment)
        .join(SchemeRow, Assessment.scheme_id == SchemeRow.id)
        .join(Period, Assessment.period_id == Period.id)
        .where(SchemeRow.key == scheme_key, Period.label == period)
    )
    if lock:
        stmt = for_update(session, stmt, Assessment)
    a = session.scalars(stmt.execution_options(populate_existing=True)).one_or_none()
    if a is None or a.scheme_version_id is None:
        raise NotFound(
            f"「{_scheme_name(session, scheme_key)}」在 {period_name(period)}（{period}）没有任何有效数据，无可发布"
        )
    return a


def publish_preview(
    scheme_key: str, period: str, *, by: Actor | None = None, engine: Engine | None = None
) -> PublishPreview:
    """What publishing now would publish and change, and why it would be refused (if it would)."""
    who = check(by, "publish")
    require_scope(who, "publish", scheme_key, (), scheme_name=scheme_name_lookup(scheme_key, engine=engine))
    return read(
        engine, lambda s: _examine(s, _assessment(s, scheme_key, period, lock=False), scheme_key, period, who)[0]
    )


@dataclass(frozen=True)
class PublishOutcome:
    publication: PublicationInfo
    changes: pd.DataFrame
    scheme_name: str

    @property
    def message(self) -> str:
        p = self.publication
        changed = f"，与上次发布相比 {len(self.changes)} 个单位有变化" if p.seq > 1 else ""
        return (
            f"已发布{period_name(p.period)}（{p.period}）「{self.scheme_name}」的考核结果（第 {p.seq} 次发布，"
            f"包含 {len(p.submission_ids)} 个提交）{changed}。领导、单位账户、月度通报和导出现在显示这一结果。"
        )


def publish(
    scheme_key: str,
    period: str,
    user: str = "",
    note: str = "",
    *,
    expected_revision: int | None = None,
    by: Actor | None = None,
    engine: Engine | None = None,
) -> PublishOutcome:
    """Publish the period's current values. `expected_revision`: the revision the confirmed
    preview showed; if the data changed since, nothing is published (Conflict).

    Raises InvalidInput (unscorable, every cell located), Conflict (four eyes, nothing new, data
    changed since the preview), PeriodLocked, NotFound (no data), Forbidden.
    """
    who = check(by, "publish")
    require_scope(who, "publish", scheme_key, (), scheme_name=scheme_name_lookup(scheme_key, engine=engine))
    user = name_of(who, user.strip() or "（命令行）")

    def work(session: Session) -> PublishOutcome:
        p = period_row(session, period, lock="share")
        refuse_if_locked(p, "发布考核结果")
        a = _assessment(session, scheme_key, period, lock=True)
        if expected_revision is not None and a.revision != expected_revision:
            raise Conflict(
                f"{period_name(period)}（{period}）的数据在您核对之后又有变化（导入或撤回），未发布。请重新核对变化后再发布。"
            )
        preview, totals = _examine(session, a, scheme_key, period, who)
        if preview.problems:
            raise InvalidInput(preview.refusal)
        if preview.blockers:
            raise Conflict(preview.refusal)
        last = _latest(session, a.id)
        pub = Publication(
            assessment_id=a.id,
            seq=(last.seq + 1) if last is not None else 1,
            revision=a.revision,
            scheme_version_id=a.scheme_version_id,
            published_by=user,
            published_at=utcnow(),
            note=note.strip(),
            units=totals,
        )
        session.add(pub)
        session.flush()
        session.execute(
            text(
                "INSERT INTO publication_submission (publication_id, submission_id)"
                " SELECT :p, id FROM submission WHERE assessment_id = :a AND status <> 'rolled_back'"
            ),
            {"p": pub.id, "a": a.id},
        )
        info = _info(session, pub, scheme_key, period)
        outcome = PublishOutcome(info, preview.changes, preview.scheme_name)
        audit.record(
            session, user, "results.publish", f"publication:{pub.id}", outcome.message,
            scheme=scheme_key, period=period, seq=pub.seq, revision=a.revision,
            submissions=list(info.submission_ids), changed_units=len(preview.changes), note=note.strip(),
        )  # fmt: skip
        _tell_units(session, outcome, list(totals))
        return outcome

    outcome = write(engine, work)
    # Scored and stored now, while the publisher waits: leadership's first look, in any process,
    # is then a read. Best effort — a failure here only means the first reader scores it.
    try:
        published_results(scheme_key, period, engine=engine)
    except (ServiceError, DBAPIError, scoring.ScoringInputError) as exc:
        log.warning("published results of %s %s not prepared: %s", scheme_key, period, exc)
    return outcome


def _tell_units(session: Session, outcome: PublishOutcome, units: list[str]) -> None:
    """站内消息 to the unit accounts of the units in the publication, in its transaction; on a
    republication a unit whose total or rank changed is told what changed."""
    p = outcome.publication
    where = f"{period_name(p.period)} {outcome.scheme_name}"
    key, link = f"published:{p.id}", "pages/my_unit.py"
    if p.seq == 1:
        body = "本单位的考核结果已发布，可在「本单位结果」查看得分、排名和失分明细。"
        messages.notify(session, "published", f"{where} 考核结果已发布", body, units=units, link=link, dedup_key=key)
        return
    title = f"{where} 考核结果已重新发布（第 {p.seq} 次）"
    changed = dict(zip(outcome.changes["unit"].astype(str), outcome.changes["change"].astype(str), strict=True))
    for unit in sorted(set(units) & set(changed)):
        body = f"考核结果经更正后重新发布，本单位有变化：{changed[unit]}。请在「本单位结果」查看。"
        messages.notify(session, "published", title, body, units=[unit], link=link, dedup_key=key)
    body = "考核结果经更正后重新发布，本单位的总分和排名没有变化。"
    rest = [u for u in units if u not in changed]
    messages.notify(session, "published", title, body, units=rest, link=link, dedup_key=key)


def publications(scheme_key: str, period: str, *, engine: Engine | None = None) -> pd.DataFrame:
    """Every publication of the period, newest first: seq, published_by, time, submissions, note."""

    def work(session: Session) -> list[PublicationInfo]:
        ref = find_assessment(session, scheme_key, period)
        if ref is None:
            return []
        pubs = session.scalars(
            select(Publication).where(Publication.assessment_id == ref.id).order_by(Publication.seq.desc())
        )
        return [_info(session, p, scheme_key, period) for p in pubs]

    infos = read(engine, work)
    return pd.DataFrame(
        {
            "seq": [i.seq for i in infos],
            "published_by": [i.published_by for i in infos],
            "time": [local_time(i.published_at) for i in infos],
            "submissions": ["、".join(f"#{s}" for s in i.submission_ids) for i in infos],
            "note": [i.note for i in infos],
        }
    )


def publication_count(scheme_key: str, period: str, *, engine: Engine | None = None) -> int:
    """How many times the period was published (0: never)."""

    def work(session: Session) -> int:
        ref = find_assessment(session, scheme_key, period)
        if ref is None:
            return 0
        return session.scalar(select(func.count()).where(Publication.assessment_id == ref.id)) or 0

    return read(engine, work)


def results_json(scheme_key: str, period: str, *, engine: Engine | None = None) -> dict:
    """The published results as plain data (for `manage.py results --format json`)."""
    found = published_results(scheme_key, period, engine=engine)
    if found is None:
        raise NotFound(f"{period_name(period)}（{period}）：{NOT_PUBLISHED}")
    info = found.publication
    assert isinstance(info, PublicationInfo)
    cols = [c for c in ("unit", "name", "category", "total", "rank", "group_size", "grade", "veto") if c in found.units]
    units = found.units[cols].astype(object).where(found.units[cols].notna(), None)
    return {
        "scheme": scheme_key,
        "version": found.version.version,
        "period": period,
        "publication": {
            "seq": info.seq,
            "published_by": info.published_by,
            "published_at": info.published_at.isoformat(),
            "submissions": list(info.submission_ids),
        },
        "units": [
            {k: (_num(v) if isinstance(v, float) else v) for k, v in row.items()} for row in units.to_dict("records")
        ],
    }
