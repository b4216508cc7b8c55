"""`python manage.py status`: the filling progress (填报进度) of one scheme and period, and
`python manage.py deadline` to set the period's due date.

Exit codes: 0 printed; 2 the arguments are wrong (unknown scheme, bad period or date).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date

from cli import CommandError
from scoring.periods import period_type


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("status", help="填报进度：各单位各考核组的填报情况、缺项、冲突和截止日期")
    p.add_argument("--scheme", required=True, help="方案 id，如 community_monthly")
    p.add_argument("--period", required=True, help="期间，如 2025-08")
    p.add_argument("--format", choices=["text", "json"], default="text", help="输出格式（默认 text）")
    p.set_defaults(handler=run_status)
    d = sub.add_parser("deadline", help="设置某一期间的填报截止日期（--clear 取消）")
    d.add_argument("--period", required=True, help="期间，如 2025-08")
    d.add_argument("--date", help="截止日期，如 2025-09-05")
    d.add_argument("--clear", action="store_true", help="取消截止日期")
    d.add_argument("--by", default="", help="操作人")
    d.set_defaults(handler=run_deadline)


def _period(label: str) -> str:
    if period_type(label) is None:
        raise CommandError(f"期间「{label}」格式不对：应写作 2025-08（月）、2025-Q3（季度）或 2025（年度）")
    return label


def run_status(args: argparse.Namespace) -> int:
    from services.errors import ServiceError
    from services.progress import progress, team_name

    try:
        found = progress(args.scheme, _period(args.period))
    except ServiceError as exc:
        raise CommandError(str(exc)) from None
    if args.format == "json":
        json.dump(found.as_dict(), sys.stdout, ensure_ascii=False, indent=2, default=str)
        print()
        return 0
    print(found.summary)
    teams = [team_name(t) for t in found.teams]
    print(f"考核组：{'、'.join(teams) if teams else '（尚无数据）'}；每个单位需填 {found.required} 项")
    for r in found.units.to_dict("records"):
        filled = "，".join(f"{t} {r[t]} 项" for t in teams)
        line = f"  [{r['status']}] {r['name']}（{r['unit']}）" + (f"：{filled}" if filled else "")
        if r["missing_codes"]:
            line += f"；缺：{r['missing_codes']}"
        print(line)
    for c in found.conflicts.to_dict("records"):
        print(f"  冲突：{c['name']}（{c['unit']}）{c['code']} {c['item']}：{c['detail']}")
    return 0


def run_deadline(args: argparse.Namespace) -> int:
    from services.errors import ServiceError
    from services.progress import set_deadline

    if args.clear == bool(args.date):
        raise CommandError("请给出 --date 截止日期，或用 --clear 取消截止日期（二选一）")
    try:
        when = None if args.clear else date.fromisoformat(args.date)
    except ValueError:
        raise CommandError(f"截止日期「{args.date}」格式不对，应写作 2025-09-05") from None
    try:
        set_deadline(_period(args.period), when, args.by)
    except ServiceError as exc:
        raise CommandError(str(exc)) from None
    print(f"已设置 {args.period} 的填报截止日期：{when or '（无）'}")
    return 0
