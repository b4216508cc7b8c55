"""`python manage.py export-bulletin`: the bulletin of a period from the database (published
results only) — one scheme's Excel bulletin, the 全区 Excel workbook (a 全区 sheet plus one per
scheme) or the official 全区通报 in Word."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from datetime import datetime
from pathlib import Path

from cli import CommandError
from scoring.periods import period_type

FORMATS = {"xlsx": ".xlsx", "docx": ".docx"}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "export-bulletin",
        help="导出某一期的考核通报：单个方案的 Excel 通报，或全区所有方案的 Excel 汇总、Word 通报",
        description=(
            "--format xlsx 且只给一个 --scheme：该方案的 Excel 通报（排名、明细、未达标、末位与否决、趋势、资金）；"
            "不给 --scheme 或给多个：全区 Excel（全区汇总表加每个方案一张排名表）。"
            "--format docx：全区考核情况通报（Word），默认包括该期所有已发布结果的方案。"
        ),
    )
    p.add_argument(
        "--scheme",
        action="append",
        help="方案 id，如 community_monthly；可重复或用逗号分隔多个；不给则为该期所有已发布的方案",
    )
    p.add_argument("--period", required=True, help="期间，如 2025-12、2025-Q3、2025")
    p.add_argument("--format", choices=sorted(FORMATS), help="xlsx（Excel）或 docx（Word）；默认按输出文件的扩展名")
    p.add_argument("--out", required=True, help="输出文件（.xlsx 或 .docx）")
    p.add_argument("--by", help="生成人（默认：当前系统用户）")
    p.set_defaults(handler=run)


def _user(args: argparse.Namespace) -> str:
    return args.by or os.environ.get("ASSESS_USER") or getpass.getuser()


def _now() -> datetime:
    from services._db import DISPLAY_TZ

    return datetime.now(DISPLAY_TZ)


def _schemes(args: argparse.Namespace) -> list[str]:
    """--scheme a --scheme b,c → [a, b, c] (repeats dropped, order kept)."""
    keys = [k.strip() for value in args.scheme or [] for k in value.split(",") if k.strip()]
    return list(dict.fromkeys(keys))


def _format(args: argparse.Namespace, out: Path) -> str:
    suffix = out.suffix.lower()
    kind = args.format or next((k for k, s in FORMATS.items() if s == suffix), None)
    if kind is None:
        raise CommandError(f"输出文件应以 .xlsx 结尾（Word 通报为 .docx）：{out}")
    if suffix != FORMATS[kind]:
        raise CommandError(f"输出文件应以 {FORMATS[kind]} 结尾：{out}")
    return kind


def run(args: argparse.Namespace) -> int:
    from services.district_bulletin import district_docx, district_workbook
    from services.errors import ServiceError
    from services.meeting import bulletin_workbook

    if period_type(args.period) is None:
        raise CommandError(f"期间「{args.period}」格式不对：应写作 2025-08（月）、2025-Q3（季度）或 2025（年度）")
    out = Path(args.out)
    kind = _format(args, out)
    if not out.parent.is_dir():
        raise CommandError(f"输出目录不存在：{out.parent}")
    schemes = _schemes(args)
    try:
        if kind == "xlsx" and len(schemes) == 1:  # one scheme: its full bulletin, as before
            bulletin, data = bulletin_workbook(schemes[0], args.period, _user(args), _now())
            what = f"{bulletin.scheme_name} {bulletin.period_name} 通报（{bulletin.headline.assessed} 个单位"
        else:
            make = district_docx if kind == "docx" else district_workbook
            district, data = make(args.period, schemes or None, _user(args), _now())
            names = "、".join(p.scheme.name for p in district.parts)
            what = f"{district.period_name} 全区考核通报（{'Word' if kind == 'docx' else 'Excel'}，{names}"
    except ServiceError as exc:
        raise CommandError(str(exc)) from None
    partial = out.with_name(out.name + ".part")
    try:
        partial.write_bytes(data)
        partial.replace(out)  # a reader never sees half a file
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise CommandError(f"无法写入 {out}：{exc.strerror or exc}") from None
    print(f"已导出 {what}，{len(data) // 1024} KB）：{out}", file=sys.stdout)
    return 0
