"""`python manage.py export-bulletin`: the Excel bulletin of one scheme and period, from the database."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from datetime import datetime
from pathlib import Path

from cli import CommandError
from scoring.periods import period_type


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "export-bulletin", help="导出某一期的 Excel 考核通报（排名、明细、未达标、末位与否决、趋势、资金）"
    )
    p.add_argument("--scheme", required=True, help="方案 id，如 community_monthly")
    p.add_argument("--period", required=True, help="期间，如 2025-08、2025-Q3、2025")
    p.add_argument("--out", required=True, help="输出文件（.xlsx）")
    p.add_argument("--by", help="生成人（默认：当前系统用户）")
    p.set_defaults(handler=run)


def _user(args: argparse.Namespace) -> str:
    return args.by or os.environ.get("ASSESS_USER") or getpass.getuser()


def _now() -> datetime:
    from services._db import DISPLAY_TZ

    return datetime.now(DISPLAY_TZ)


def run(args: argparse.Namespace) -> int:
    from services.errors import ServiceError
    from services.meeting import bulletin_workbook

    if period_type(args.period) is None:
        raise CommandError(f"期间「{args.period}」格式不对：应写作 2025-08（月）、2025-Q3（季度）或 2025（年度）")
    out = Path(args.out)
    if out.suffix.lower() != ".xlsx":
        raise CommandError(f"输出文件应以 .xlsx 结尾：{out}")
    if not out.parent.is_dir():
        raise CommandError(f"输出目录不存在：{out.parent}")
    try:
        bulletin, data = bulletin_workbook(args.scheme, args.period, _user(args), _now())
    except ServiceError as exc:
        raise CommandError(str(exc)) from None
    partial = out.with_name(out.name + ".part")
    try:
        partial.write_bytes(data)
        partial.replace(out)  # a reader never sees half a workbook
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise CommandError(f"无法写入 {out}：{exc.strerror or exc}") from None
    print(
        f"已导出 {bulletin.scheme_name} {bulletin.period_name} 通报：{out}"
        f"（{bulletin.headline.assessed} 个单位，{len(data) // 1024} KB）",
        file=sys.stdout,
    )
    return 0
