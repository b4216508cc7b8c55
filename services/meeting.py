"""The monthly meeting (月度例会): one period's bulletin for the meeting page, and its downloads
(the Excel bulletin, the CSV ranking, a one-unit report), for pages and the command line.

Built on `services.results` and `services.dashboard`; every export is written to the audit trail.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, replace
from datetime import datetime

import pandas as pd
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from exports.bulletin_xlsx import write_bulletin
from exports.csv_export import ranking_csv
from exports.progress import Progress, part
from exports.unit_report import write_unit_report
from reports.bulletin import Bulletin, build_bulletin
from scoring import Results, Scheme, ScoringInputError
from scoring.periods import period_name
from scoring.settlement import SettlementError, settle
from services import audit
from services._db import DISPLAY_TZ, engine_or_default, scheme_name_lookup, write
from services.catalog import list_units
from services.dashboard import PeriodView, period_view
from services.errors import InvalidInput, NotFound
from services.periods import previous_label
from services.permissions import Actor, acting, check, name_of, require_unit, trusted
from services.publishing import NOT_PUBLISHED
from services.results import published_only, results, results_over_periods
from services.values import periods_with_values

HISTORY_PERIODS = 12  # periods charted in 趋势, up to the exported one
# Shares of an Excel bulletin's progress: reading the results up to READ_SHARE, building the
# bulletin up to BUILD_SHARE, then writing the workbook (the longest part at any size).
READ_SHARE, BUILD_SHARE = 0.15, 0.25


@dataclass(frozen=True)
class BulletinInputs:
    results: Results  # of the period
    names: dict[str, str]  # unit code -> name
    history: pd.DataFrame  # Results.units of the periods up to this one
    attributes: pd.DataFrame  # the unit register (code, name, category, population …), for settlement


class _Rolled:
    """A quarter or year rolled up from months, shaped like `Results` for `build_bulletin`:
    unit totals only, no leaves (so no unmet-target detail)."""

    def __init__(self, scheme: Scheme, units: pd.DataFrame) -> None:
        self.scheme = scheme
        self.units = units
        self.leaves = pd.DataFrame(
            {
                "period": pd.Series(dtype=str),
                "unit": pd.Series(dtype=str),
                "leaf": pd.Series(dtype=str),
                "applicable": pd.Series(dtype=bool),
                "met": pd.Series(dtype=float),
                "value": pd.Series(dtype=float),
                "lost": pd.Series(dtype=float),
            }
        )


def _names(view: PeriodView) -> dict[str, str]:
    return dict(zip(view.units["unit"].astype(str), view.units["name"].astype(str), strict=True))


# Bulletins built for a view's fingerprint (which changes with the values, the scheme version, the
# previous period and the unit register) are reused: a rerun of the meeting page at city or
# province scale then does not rebuild the leaf detail.
_bulletins: OrderedDict[tuple[str, str, str, str], Bulletin] = OrderedDict()
_bulletins_lock = threading.Lock()
_BULLETINS_SIZE = 8


def view_bulletin(view: PeriodView, *, engine: Engine | None = None) -> Bulletin:
    """The bulletin of a period view (what the meeting page shows).

    A native period is compared with the period right before (status changes included); a roll-up
    keeps the changes of its months' mean and has no unmet-target detail.
    """
    fingerprint = view.key
    memo = (
        engine_or_default(engine).url.render_as_string(hide_password=True),
        view.scheme.id,
        view.period,
        fingerprint,
    )
    with _bulletins_lock:
        hit = _bulletins.get(memo) if fingerprint else None
    if hit is not None:
        return hit
    bulletin = _build(view, engine)
    if fingerprint:
        with _bulletins_lock:
            _bulletins[memo] = bulletin
            while len(_bulletins) > _BULLETINS_SIZE:
                _bulletins.popitem(last=False)
    return bulletin


def _build(view: PeriodView, engine: Engine | None) -> Bulletin:
    if view.detail is None:
        return build_bulletin(_Rolled(view.scheme, view.units), view.period, _names(view))  # type: ignore[arg-type]
    try:
        with published_only():
            prev = results(view.scheme.id, previous_label(view.period), engine=engine)
    except ScoringInputError:
        prev = None  # an incomplete period before gives no status changes, not an error
    before = prev.units if prev is not None else None
    return build_bulletin(view.detail.scored, view.period, _names(view), previous=before)


def meeting_bulletin(scheme_key: str, period: str, *, engine: Engine | None = None) -> Bulletin:
    """The bulletin of one scheme and period (published results). Raises NotFound without them."""
    with published_only():
        view = period_view(scheme_key, period, engine=engine)
    if view is None or view.units.empty:
        raise NotFound(_nothing_published(scheme_key, period, engine))
    return view_bulletin(view, engine=engine)


def load_bulletin_inputs(scheme_key: str, period: str, *, engine: Engine | None = None) -> BulletinInputs:
    """Everything the Excel bulletin of a native period needs.

    Raises NotFound without values in the period, InvalidInput when they cannot be scored.
    """
    try:
        with published_only():  # the meeting and every export show published results only
            found = results(scheme_key, period, engine=engine)
            if found is None:
                raise NotFound(_nothing_published(scheme_key, period, engine))
            scored = found.scored
            earlier = [p for p in periods_with_values(scheme_key, engine=engine) if p <= period][-HISTORY_PERIODS:]
            history = results_over_periods(scheme_key, earlier, engine=engine)
    except ScoringInputError as exc:
        lines = "\n".join(f"  {p}" for p in exc.problems[:50])
        raise InvalidInput(f"{period_name(period)} 的数据无法计分，共 {len(exc.problems)} 个问题：\n{lines}") from None
    units = list_units(engine=engine)
    names = dict(zip(units["code"].astype(str), units["name"].astype(str), strict=True))
    return BulletinInputs(scored, names, history, units)


def _nothing_published(scheme_key: str, period: str, engine: Engine | None) -> str:
    name = scheme_name_lookup(scheme_key, engine=engine)()  # the name a user knows; an unknown key as typed
    where = f"方案「{name or scheme_key}」在 {period_name(period)}（{period}）"
    if period in periods_with_values(scheme_key, engine=engine):
        return f"{where}：{NOT_PUBLISHED}（数据已录入，待复核发布）"
    return f"{where}没有考核数据，请检查所选方案和期间"


def _exporter(by: Actor | None, actor: str) -> str:
    """Who exports (refused without the export permission): the account, else the caller's name."""
    return name_of(check(by, "export"), actor or "系统（命令行）")


def _record_export(actor: str, target: str, message: str, engine: Engine | None, **detail: object) -> None:
    def work(session: Session) -> None:
        audit.record(session, actor, "export", target, message, **detail)

    write(engine, work)


def bulletin_workbook(
    scheme_key: str,
    period: str,
    actor: str = "",
    at: datetime | None = None,
    *,
    by: Actor | None = None,
    engine: Engine | None = None,
    progress: Progress | None = None,
) -> tuple[Bulletin, bytes]:
    """The Excel bulletin of a native period as (bulletin, xlsx bytes); the export is audited
    under the account `by` (else the signed-in one, else `actor`: the command line's --by).
    `progress(fraction, message)`, when given, hears each step: reading the results, building the
    bulletin, then each sheet written (exports.bulletin_xlsx), the fraction rising to 1.0.

    Raises Forbidden (no export permission), NotFound / InvalidInput (no or unscorable values),
    InvalidInput when the scheme's settlement cannot be computed.
    """
    actor = _exporter(by, actor)
    if progress is not None:
        progress(0.0, "正在读取考核结果")
    with trusted():  # checked above: the reads below act for that account, on any thread
        inputs = load_bulletin_inputs(scheme_key, period, engine=engine)
    if progress is not None:
        progress(READ_SHARE, "正在汇总通报内容")
    scheme = inputs.results.scheme
    history = inputs.history
    previous = history[history["period"].astype(str) < period] if len(history) else None
    bulletin = build_bulletin(inputs.results, period, inputs.names, previous=previous)
    # 申诉处理情况 and 整改落实情况 (issue 20), read for the account checked above.
    from services.objections import objection_summary  # both import the results services
    from services.rectification import with_rectification

    with trusted():
        bulletin = replace(bulletin, objections=objection_summary(scheme_key, period, engine=engine))
        bulletin = with_rectification(bulletin, engine=engine)
    money = None
    if scheme.settlement is not None:
        try:
            money = settle(scheme.settlement, inputs.results.units, inputs.attributes)
        except SettlementError as exc:
            raise InvalidInput(f"资金结算失败：{exc}") from None
    when = at or datetime.now(DISPLAY_TZ)
    writing = part(progress, BUILD_SHARE, 1.0)
    data = write_bulletin(bulletin, inputs.results, scheme, inputs.names, history, money, actor, when, writing)
    _record_export(
        actor,
        f"scheme:{scheme_key}",
        f"导出 {scheme.name} {period_name(period)} 考核通报（Excel）",
        engine,
        period=period,
    )
    return bulletin, data


def bulletin_csv(
    bulletin: Bulletin, actor: str = "", *, by: Actor | None = None, engine: Engine | None = None
) -> bytes:
    """The ranking as CSV; the export is audited (who: as for `bulletin_workbook`)."""
    actor = _exporter(by, actor)
    data = ranking_csv(bulletin)
    _record_export(
        actor,
        f"scheme:{bulletin.scheme_id}",
        f"导出 {bulletin.scheme_name} {bulletin.period_name} 排名（CSV）",
        engine,
        period=bulletin.period,
    )
    return data


def unit_report(
    scheme_key: str,
    period: str,
    unit: str,
    actor: str = "",
    at: datetime | None = None,
    *,
    by: Actor | None = None,
    engine: Engine | None = None,
) -> bytes:
    """One unit's workbook (result, full criteria tree with traces, history); the export is
    audited (who: as for `bulletin_workbook`). A unit account may export only its own unit."""
    actor = _exporter(by, actor)
    require_unit(acting(by), unit)
    with trusted():  # checked above: the reads below act for that account, on any thread
        inputs = load_bulletin_inputs(scheme_key, period, engine=engine)
    try:
        data = write_unit_report(
            inputs.results, unit, period, inputs.names, inputs.history, actor, at or datetime.now(DISPLAY_TZ)
        )
    except KeyError as exc:
        raise NotFound(exc.args[0]) from None
    name = inputs.names.get(unit, unit)
    _record_export(actor, f"unit:{unit}", f"导出 {name} {period_name(period)} 考核结果（Excel）", engine, period=period)
    return data
