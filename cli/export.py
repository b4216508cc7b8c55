"""`python manage.py export-bulletin`: the Excel bulletin of one scheme and period, from the database."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from cli import CommandError
from scoring import Results
from scoring.periods import period_name, period_type

if TYPE_CHECKING:
    from sqlalchemy import Engine

HISTORY_PERIODS = 12  # periods charted in 趋势, up to the exported one


@dataclass(frozen=True)
class BulletinInputs:
    results: Results  # of the period
    names: dict[str, str]  # unit code -> name
    history: pd.DataFrame  # Results.units of the periods up to this one
    attributes: pd.DataFrame  # the unit register (code, name, category, population …), for settlement


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "export-bulletin", help="导出某一期的 Excel 考核通报（排名、明细、未达标、末位与否决、趋势、资金）"
    )
    p.add_argument("--scheme", required=True, help="方案 id，如 community_monthly")
    p.add_argument("--period", required=True, help="期间，如 2025-08、2025-Q3、2025")
    p.add_argument("--out", required=True, help="输出文件（.xlsx）")
    p.add_argument("--by", help="生成人（默认：当前系统用户）")
    p.set_defaults(handler=run)


def load_bulletin_inputs(scheme_id: str, period: str, *, engine: Engine | None = None) -> BulletinInputs:
    """Everything the bulletin needs, read through the results and catalog services.

    Raises CommandError when the scheme has no values in the period or they cannot be scored.
    """
    from scoring import ScoringInputError
    from services.catalog import list_units
    from services.errors import ServiceError
    from services.results import results, results_over_periods
    from services.values import periods_with_values

    try:
        found = results(scheme_id, period, engine=engine)
        if found is None:
            raise CommandError(
                f"方案「{scheme_id}」在 {period_name(period)}（{period}）没有考核数据，请检查方案 id 和期间"
            )
        scored = found.scored
        earlier = [p for p in periods_with_values(scheme_id, engine=engine) if p <= period][-HISTORY_PERIODS:]
        history = results_over_periods(scheme_id, earlier, engine=engine)
        units = list_units(engine=engine)
    except ScoringInputError as exc:
        lines = "\n".join(f"  {p}" for p in exc.problems[:50])
        raise CommandError(f"{period_name(period)} 的数据无法计分，共 {len(exc.problems)} 个问题：\n{lines}") from None
    except ServiceError as exc:
        raise CommandError(str(exc)) from None
    names = dict(zip(units["code"].astype(str), units["name"].astype(str), strict=True))
    return BulletinInputs(scored, names, history, units)


def _user(args: argparse.Namespace) -> str:
    return args.by or os.environ.get("ASSESS_USER") or getpass.getuser()


def _now() -> datetime:
    from services._db import DISPLAY_TZ

    return datetime.now(DISPLAY_TZ)


def run(args: argparse.Namespace) -> int:
    from exports.bulletin_xlsx import write_bulletin
    from reports.bulletin import build_bulletin
    from scoring.settlement import SettlementError, settle

    if period_type(args.period) is None:
        raise CommandError(f"期间「{args.period}」格式不对：应写作 2025-08（月）、2025-Q3（季度）或 2025（年度）")
    out = Path(args.out)
    if out.suffix.lower() != ".xlsx":
        raise CommandError(f"输出文件应以 .xlsx 结尾：{out}")
    if not out.parent.is_dir():
        raise CommandError(f"输出目录不存在：{out.parent}")
    inputs = load_bulletin_inputs(args.scheme, args.period)
    results = inputs.results
    scheme = results.scheme
    previous = inputs.history[inputs.history["period"].astype(str) < args.period] if len(inputs.history) else None
    bulletin = build_bulletin(results, args.period, inputs.names, previous=previous)
    money = None
    if scheme.settlement is not None:
        try:
            money = settle(scheme.settlement, results.units, inputs.attributes)
        except SettlementError as exc:
            raise CommandError(f"资金结算失败：{exc}") from None
    data = write_bulletin(bulletin, results, scheme, inputs.names, inputs.history, money, _user(args), _now())
    partial = out.with_name(out.name + ".part")
    try:
        partial.write_bytes(data)
        partial.replace(out)  # a reader never sees half a workbook
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise CommandError(f"无法写入 {out}：{exc.strerror or exc}") from None
    h = bulletin.headline
    print(
        f"已导出 {scheme.name} {bulletin.period_name} 通报：{out}（{h.assessed} 个单位，{len(data) // 1024} KB）",
        file=sys.stdout,
    )
    return 0
