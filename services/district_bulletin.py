"""全区通报: every scheme's bulletin of one period in one document — the official 通报 in Word
(exports/bulletin_docx.py) and one Excel workbook with a 全区 sheet plus one sheet per scheme
(exports/district_xlsx.py) — for the meeting page and `python manage.py export-bulletin`.

Only published results are read (the same `services.meeting.load_bulletin_inputs` the per-scheme
Excel bulletin uses), so every number equals what the results pages and the meeting page show.
A scheme without a publication in the period is left out when all schemes are asked for, and
refused (located) when it was chosen by name. Each export is checked (the export permission) and
written to the audit trail, as the per-scheme bulletin is.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy import Engine

from exports.bulletin_docx import write_district_docx
from exports.district_xlsx import write_district_workbook
from exports.progress import Progress, part
from reports.bulletin import build_bulletin
from reports.district import DistrictBulletin, SchemeBulletin
from scoring.periods import period_name
from services import branding
from services._db import DISPLAY_TZ
from services.branding import DEFAULT_BUREAU  # noqa: F401 - the 落款 when none is configured
from services.catalog import list_schemes
from services.errors import NotFound
from services.meeting import _exporter, _record_export, load_bulletin_inputs
from services.permissions import Actor, trusted
from services.publishing import publication

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
GATHER_SHARE = 0.8  # of a 全区通报's progress: reading every scheme's results (the writing is short)


def bureau_name() -> str:
    """The issuing bureau (落款): the one the login page names (ASSESS_BUREAU_NAME, services.branding)."""
    return branding.bureau_name()


def published_schemes(period: str, *, engine: Engine | None = None) -> list[tuple[str, str]]:
    """(scheme key, scheme name) of every scheme with published results in `period`."""
    return [
        (v.scheme_key, v.name) for v in list_schemes(engine=engine) if publication(v.scheme_key, period, engine=engine)
    ]


def published_fingerprint(period: str, *, engine: Engine | None = None) -> str:
    """Changes whenever a scheme's publication in `period` does (a 全区通报 made before is stale)."""
    found = ((v.scheme_key, publication(v.scheme_key, period, engine=engine)) for v in list_schemes(engine=engine))
    return ";".join(f"{key}#{info.id}" for key, info in found if info is not None)


def _scheme_bulletin(scheme_key: str, period: str, engine: Engine | None) -> SchemeBulletin:
    """One scheme's bulletin built as the per-scheme Excel bulletin builds it (published only)."""
    from services.objections import objection_summary  # both import the results services
    from services.rectification import with_rectification

    inputs = load_bulletin_inputs(scheme_key, period, engine=engine)
    history = inputs.history
    previous = history[history["period"].astype(str) < period] if len(history) else None
    bulletin = build_bulletin(inputs.results, period, inputs.names, previous=previous)
    bulletin = replace(bulletin, objections=objection_summary(scheme_key, period, engine=engine))
    bulletin = with_rectification(bulletin, engine=engine)
    return SchemeBulletin(bulletin, inputs.results.scheme)


def gather(
    period: str,
    schemes: list[str] | None = None,
    actor: str = "",
    *,
    by: Actor | None = None,
    engine: Engine | None = None,
    progress: Progress | None = None,
) -> tuple[str, DistrictBulletin]:
    """(who exports, the bulletins of `period`): all published schemes, or the chosen ones;
    `progress(fraction, message)` hears each scheme as it is read (「正在汇总「方案名」」).

    Raises Forbidden without the export permission; NotFound when nothing is published in the
    period, or a chosen scheme is unknown or not published in it.
    """
    who = _exporter(by, actor)
    with trusted():  # checked above: the reads below act for that account, on any thread
        catalogue = {v.scheme_key: v.name for v in list_schemes(engine=engine)}
        published = [key for key, _ in published_schemes(period, engine=engine)]
        if schemes:
            unknown = [s for s in schemes if s not in catalogue]
            if unknown:
                raise NotFound(f"没有考核方案「{'」「'.join(unknown)}」，请检查方案 id")
            missing = [catalogue[s] for s in schemes if s not in published]
            if missing:
                raise NotFound(
                    f"{period_name(period)}（{period}）{'、'.join(missing)}的考核结果尚未发布，不能列入全区通报"
                )
            keys = [key for key in published if key in set(schemes)]
        else:
            keys = published
        if not keys:
            raise NotFound(f"{period_name(period)}（{period}）没有已发布的考核结果，无法生成全区通报")
        parts = []
        for i, key in enumerate(keys):
            if progress is not None:
                progress(i / len(keys), f"正在汇总「{catalogue.get(key, key)}」")
            parts.append(_scheme_bulletin(key, period, engine))
        if progress is not None:
            progress(1.0, "各方案已汇总")
    return who, DistrictBulletin(period, bureau_name(), parts)


def district_docx(
    period: str,
    schemes: list[str] | None = None,
    actor: str = "",
    at: datetime | None = None,
    *,
    by: Actor | None = None,
    engine: Engine | None = None,
    progress: Progress | None = None,
) -> tuple[DistrictBulletin, bytes]:
    """The 全区通报 as a Word document (docx bytes); audited under the exporting account.
    `progress`: one step per scheme read, then the writing (as `gather`)."""
    who, district = gather(period, schemes, actor, by=by, engine=engine, progress=part(progress, 0.0, GATHER_SHARE))
    if progress is not None:
        progress(GATHER_SHARE, "正在生成 Word 文件")
    data = write_district_docx(district, at or datetime.now(DISPLAY_TZ))
    if progress is not None:
        progress(1.0, "Word 文件已生成")
    _audit(who, district, "Word", engine)
    return district, data


def district_workbook(
    period: str,
    schemes: list[str] | None = None,
    actor: str = "",
    at: datetime | None = None,
    *,
    by: Actor | None = None,
    engine: Engine | None = None,
    progress: Progress | None = None,
) -> tuple[DistrictBulletin, bytes]:
    """The 全区通报 as one Excel workbook (全区 sheet plus one per scheme); audited.
    `progress`: one step per scheme read, then the writing (as `gather`)."""
    who, district = gather(period, schemes, actor, by=by, engine=engine, progress=part(progress, 0.0, GATHER_SHARE))
    if progress is not None:
        progress(GATHER_SHARE, "正在生成 Excel 文件")
    data = write_district_workbook(district, who, at or datetime.now(DISPLAY_TZ))
    if progress is not None:
        progress(1.0, "Excel 文件已生成")
    _audit(who, district, "Excel", engine)
    return district, data


def _audit(who: str, district: DistrictBulletin, kind: str, engine: Engine | None) -> None:
    names = "、".join(p.scheme.name for p in district.parts)
    _record_export(
        who,
        "district:" + district.period,
        f"导出 {district.period_name} 全区考核通报（{kind}，{names}）",
        engine,
        period=district.period,
        schemes=[p.scheme.id for p in district.parts],
    )
