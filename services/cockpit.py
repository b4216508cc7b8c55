"""全区总览 (the bureau cockpit): every scheme of one month on one page, from published results only.

For the chosen month each scheme shows its own period that contains it (a monthly scheme the
month, a quarterly one its quarter, an annual one its year): units, average, 末位, 一票否决, unmet
targets and the change against the period before, per scheme and per peer group; one red/black list
across schemes (reports/cockpit.RED_BLACK_RULE); every 末位 or vetoed unit with its consequence;
where the period stands in the review workflow (published, new data waiting to be published, 填报进度
for whoever may see drafts) and its 公示, 申诉 and 整改 counts.

One pass per scheme: `services.dashboard.period_view` under `published_only()` (cached results),
so drafts never reach leadership. Lists are bounded (`LIST_SIZE`, `FLAGGED_SIZE`): at 5,000 units
the page shows counts and the first rows, never every unit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from reports.bulletin import STAFF_CATEGORIES, RectificationSummary
from reports.cockpit import (
    FLAGGED_COLUMNS,
    LIST_COLUMNS,
    GroupLine,
    black_candidates,
    flagged,
    group_lines,
    red_black,
    red_candidates,
)
from scoring.periods import period_name, period_type, quarter_of, year_of
from services._db import engine_or_default, local_today, read
from services.catalog import list_schemes
from services.dashboard import PeriodView, period_view
from services.errors import Forbidden, ServiceError
from services.memo import Memo
from services.objections import objection_summary
from services.permissions import Actor, check
from services.progress import progress
from services.publicity import current_publicity
from services.rectification import rectification_summary
from services.results import published_only
from storage.models import Assessment, Period, Publication
from storage.models import Scheme as SchemeRow

LIST_SIZE = 10  # units on each of 红榜 and 黑榜
FLAGGED_SIZE = 50  # 末位 and vetoed units listed; more are counted, and the ranking page has them all
_KIND_ORDER = {"month": 0, "quarter": 1, "year": 2}


@dataclass(frozen=True)
class Workflow:
    """Where a scheme's period stands in the review workflow."""

    has_values: bool
    published_at: datetime | None  # the publication in force (None: not published)
    publications: int  # how many times it was published
    newer_draft: bool  # values changed since that publication (only said to who may see drafts)

    @property
    def published(self) -> bool:
        return self.published_at is not None


@dataclass(frozen=True)
class SchemeSummary:
    key: str
    name: str
    period_type: str
    period: str  # the scheme's own period shown for the chosen month ('' when it has none)
    decimals: int
    full_points: float
    workflow: Workflow
    lines: list[GroupLine] = field(default_factory=list)  # whole scheme first, then each peer group
    progress: tuple[int, int] | None = None  # (units complete, units) for who may see drafts
    publicity: str = ""  # 公示 state in words ('' never put on 公示)
    objections: dict[str, int] = field(default_factory=dict)  # status name -> count
    rectification: RectificationSummary | None = None
    flagged: int = 0  # 末位 or vetoed units

    @property
    def period_name(self) -> str:
        return period_name(self.period) if self.period else ""


@dataclass(frozen=True)
class Cockpit:
    month: str  # the period chosen
    schemes: list[SchemeSummary]
    red: pd.DataFrame  # reports.cockpit.LIST_COLUMNS, best first
    black: pd.DataFrame  # LIST_COLUMNS, worst first
    flagged: pd.DataFrame  # FLAGGED_COLUMNS, at most FLAGGED_SIZE rows
    flagged_total: int  # all 末位 and vetoed units of the month (a unit in two schemes counts twice)

    @property
    def published(self) -> list[SchemeSummary]:
        return [s for s in self.schemes if s.lines]


def own_period(chosen: str, scheme_period_type: str) -> str | None:
    """The scheme's period that contains `chosen` (None: it has none, e.g. a month in a year chosen)."""
    kind = period_type(chosen)
    if kind == scheme_period_type:
        return chosen
    if kind == "month" and scheme_period_type == "quarter":
        return quarter_of(chosen)
    if kind in ("month", "quarter") and scheme_period_type == "year":
        return year_of(chosen)
    return None


def _published(session: Session) -> list[tuple[str, str]]:
    rows = session.execute(
        select(SchemeRow.key, Period.label)
        .join(Assessment, Assessment.scheme_id == SchemeRow.id)
        .join(Period, Period.id == Assessment.period_id)
        .join(Publication, Publication.assessment_id == Assessment.id)
        .distinct()
    ).all()
    return [(str(k), str(p)) for k, p in rows]


def cockpit_periods(*, by: Actor | None = None, engine: Engine | None = None) -> list[str]:
    """What the month chooser offers, newest first: the months with published results; without a
    monthly scheme, the quarters, else the years."""
    check(by, "results.all")
    labels = {p for _, p in read(engine, _published)}
    for kind in ("month", "quarter", "year"):
        found = sorted((p for p in labels if period_type(p) == kind), reverse=True)
        if found:
            return found
    return []


def _workflows(session: Session, labels: dict[str, str]) -> dict[str, Workflow]:
    """Per scheme key: its assessment of the period in `labels` and that assessment's publications."""
    out: dict[str, Workflow] = {}
    if not labels:
        return out
    rows = session.execute(
        select(SchemeRow.key, Period.label, Assessment.revision, Assessment.id)
        .join(Assessment, Assessment.scheme_id == SchemeRow.id)
        .join(Period, Period.id == Assessment.period_id)
        .where(Period.label.in_(set(labels.values())))
    ).all()
    for key, label, revision, assessment_id in rows:
        if labels.get(key) != label:
            continue
        pub = session.execute(
            select(Publication.published_at, Publication.revision, func.count().over())
            .where(Publication.assessment_id == assessment_id)
            .order_by(Publication.seq.desc())
            .limit(1)
        ).first()
        out[key] = Workflow(
            has_values=revision > 0,
            published_at=pub[0] if pub else None,
            publications=int(pub[2]) if pub else 0,
            newer_draft=bool(pub) and revision > pub[1],
        )
    return out


def _publicity_text(scheme_key: str, period: str, by: Actor | None, engine: Engine | None) -> str:
    w = current_publicity(scheme_key, period, by=by, engine=engine)
    if w is None:
        return ""
    if w.closed_at is not None:
        return "公示已结束"
    today = local_today()
    if w.starts_on > today:
        return f"公示将于 {w.starts_on:%Y-%m-%d} 开始"
    if today <= w.ends_on:
        return f"公示中（至 {w.ends_on:%Y-%m-%d}）"
    return "公示期已满，待结束公示"


def _progress(scheme_key: str, period: str, who: Actor | None, engine: Engine | None) -> tuple[int, int] | None:
    """(complete, units) from the draft values, for whoever may see drafts (their schemes only)."""
    if who is not None and not who.can("results.draft"):
        return None
    try:
        p = progress(scheme_key, period, by=who, engine=engine)
    except Forbidden:  # an assessor: another team's scheme
        return None
    return p.complete, len(p.units)


def _from_results(
    view: PeriodView, key: str, name: str, period: str, decimals: int, n: int, engine: Engine | None
) -> tuple[list, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """A scheme's group lines, 红黑榜 candidates and flagged units, kept per state of its results
    (the view's key changes with the scores and the names): the cockpit is the landing page, and a
    province's 36,000 flagged units took half a second of every rerun."""
    memo_key = (engine_or_default(engine).url.render_as_string(hide_password=True), view.key, key, name, period, n)
    hit = _parts.get(memo_key) if view.key else None
    if hit is None:
        units = view.units
        ranked = units[~units["category"].astype(str).isin(STAFF_CATEGORIES)]  # 红黑榜: units, not staff
        hit = (
            group_lines(units),
            red_candidates(ranked, key, name, period, decimals, n),
            black_candidates(ranked, key, name, period, decimals, n),
            flagged(units, key, name, period, decimals),
        )
        if view.key:
            _parts.put(memo_key, hit)
    return hit


_parts: Memo[tuple[list, pd.DataFrame, pd.DataFrame, pd.DataFrame]] = Memo(32)


def cockpit(month: str, *, by: Actor | None = None, engine: Engine | None = None, n: int = LIST_SIZE) -> Cockpit:
    """The bureau cockpit for `month` (see the module docstring). Refused without results.all."""
    who = check(by, "results.all")
    schemes = sorted(list_schemes(engine=engine), key=lambda v: (_KIND_ORDER.get(v.period_type, 3), v.name))
    labels = {v.scheme_key: p for v in schemes if (p := own_period(month, v.period_type))}
    flows = read(engine, lambda s: _workflows(s, labels))
    summaries: list[SchemeSummary] = []
    reds: list[pd.DataFrame] = []
    blacks: list[pd.DataFrame] = []
    flags: list[pd.DataFrame] = []
    for v in schemes:
        period = labels.get(v.scheme_key, "")
        flow = flows.get(v.scheme_key, Workflow(False, None, 0, False))
        scheme = v.load()
        base = dict(
            key=v.scheme_key,
            name=v.name,
            period_type=v.period_type,
            period=period,
            decimals=scheme.decimals,
            full_points=scheme.total,
            workflow=flow,
        )
        if not period:
            summaries.append(SchemeSummary(**base))
            continue
        view = None
        if flow.published:
            with published_only():  # leadership reads published results only, whoever asks
                view = period_view(v.scheme_key, period, engine=engine)
        extra: dict = {}
        if flow.has_values and (not flow.published or flow.newer_draft):  # reporting still under way
            extra["progress"] = _progress(v.scheme_key, period, who, engine)
        if view is not None and len(view.units):
            lines, red, black, flag = _from_results(view, v.scheme_key, v.name, period, scheme.decimals, n, engine)
            extra["lines"] = lines
            reds.append(red)
            blacks.append(black)
            extra["flagged"] = len(flag)
            flags.append(flag)
            extra["publicity"] = _publicity_text(v.scheme_key, period, who, engine)
            objections = objection_summary(v.scheme_key, period, by=who, engine=engine)
            extra["objections"] = {str(k): int(c) for k, c in objections["status"].value_counts().items()}
            try:
                extra["rectification"] = rectification_summary(v.scheme_key, period, by=who, engine=engine)
            except ServiceError:
                extra["rectification"] = None
        summaries.append(SchemeSummary(**base, **extra))
    red, black = red_black(reds, blacks, n)
    every_flag = [f for f in flags if len(f)]
    all_flags = pd.concat(every_flag, ignore_index=True) if every_flag else pd.DataFrame(columns=FLAGGED_COLUMNS)
    # vetoed first, then 末位; within each, schemes in the order above (totals of different schemes
    # are not comparable) and each scheme's own order (lowest total first)
    if len(all_flags):
        all_flags = all_flags.assign(_v=all_flags["kind"].str.contains("一票否决")).sort_values(
            "_v", ascending=False, kind="stable"
        )[FLAGGED_COLUMNS]
    return Cockpit(
        month=month,
        schemes=summaries,
        red=red if len(red) else pd.DataFrame(columns=LIST_COLUMNS),
        black=black if len(black) else pd.DataFrame(columns=LIST_COLUMNS),
        flagged=all_flags.head(FLAGGED_SIZE).reset_index(drop=True),
        flagged_total=len(all_flags),
    )
