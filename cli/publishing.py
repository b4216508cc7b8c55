"""`python manage.py publish` and `python manage.py results`: the monthly cycle, scriptable;
`python manage.py results warm [--scheme S]` packs missing value snapshots, then scores and stores
every stale stored result.

Exit codes: 0 done; 2 the arguments are wrong; 3 publishing refused (data unscorable, nothing new
to publish, period locked — the reasons are printed, located); 4 nothing to publish or nothing
published yet for that scheme and period.
"""

from __future__ import annotations

import argparse
import csv
import getpass
import json
import os
import sys

from cli import CommandError
from scoring.periods import period_type

EXIT_REFUSED = 3
EXIT_NOTHING = 4
EPILOG = (
    "退出码：0 成功；2 参数有误；3 拒绝发布（数据无法计分、无新变化或期间已锁定，原因逐条列出）；4 没有数据或尚未发布。"
)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "publish", help="复核并发布某一方案某一期的考核结果（领导、单位、通报和导出看到的结果）", epilog=EPILOG
    )
    p.add_argument("--scheme", required=True, help="方案 id，如 community_monthly")
    p.add_argument("--period", required=True, help="期间，如 2025-08")
    p.add_argument("--by", help="发布人（默认：当前系统用户）")
    p.add_argument("--note", default="", help="发布说明（可选）")
    p.add_argument("--dry-run", action="store_true", help="只显示将发布的内容和变化，不发布")
    p.set_defaults(handler=run_publish)
    r = sub.add_parser(
        "results", help="输出某一方案某一期已发布的考核结果；results warm 重新计算并保存过期的结果", epilog=EPILOG
    )
    r.add_argument(
        "action",
        nargs="?",
        choices=["warm"],
        help="warm：计算并保存所有过期的结果及数据快照（如升级后），可用 --scheme 限定方案",
    )
    r.add_argument("--scheme", help="方案 id")
    r.add_argument("--period", help="期间，如 2025-08")
    r.add_argument("--format", choices=["json", "csv"], default="json", help="输出格式（默认 json）")
    r.set_defaults(handler=run_results)


def _check_period(label: str) -> None:
    if period_type(label) is None:
        raise CommandError(f"期间「{label}」格式不对：应写作 2025-08（月）、2025-Q3（季度）或 2025（年度）")


def _user(args: argparse.Namespace) -> str:
    return args.by or os.environ.get("ASSESS_USER") or getpass.getuser()


def run_publish(args: argparse.Namespace) -> int:
    from services.errors import Conflict, InvalidInput, NotFound, PeriodLocked
    from services.publishing import publish, publish_preview

    _check_period(args.period)
    try:
        preview = publish_preview(args.scheme, args.period)
    except NotFound as exc:
        raise CommandError(str(exc), EXIT_NOTHING) from None
    if len(preview.changes):
        print(f"与上次发布相比有变化的单位（{len(preview.changes)} 个）：")
        for row in preview.changes.itertuples():
            print(f"  {row.name or row.unit}（{row.unit}）：{row.change}")
    if args.dry_run:
        print(preview.refusal or f"可以发布：{preview.units} 个单位，{len(preview.submissions)} 个提交。")
        return 0 if preview.can_publish else EXIT_REFUSED
    try:
        out = publish(args.scheme, args.period, _user(args), args.note, expected_revision=preview.revision)
    except (InvalidInput, Conflict, PeriodLocked) as exc:
        raise CommandError(str(exc), EXIT_REFUSED) from None
    except NotFound as exc:
        raise CommandError(str(exc), EXIT_NOTHING) from None
    print(out.message)
    return 0


def run_results(args: argparse.Namespace) -> int:
    from services.errors import NotFound
    from services.publishing import results_json

    if args.action == "warm":
        return run_warm(args.scheme)
    if not args.scheme or not args.period:
        raise CommandError("请给出 --scheme 方案和 --period 期间（或用 results warm 计算并保存过期的结果）")
    _check_period(args.period)
    try:
        data = results_json(args.scheme, args.period)
    except NotFound as exc:
        raise CommandError(str(exc), EXIT_NOTHING) from None
    if args.format == "json":
        json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
        print()
        return 0
    cols = ["unit", "name", "category", "total", "rank", "group_size", "grade", "veto"]
    heads = ["单位编码", "单位", "类别", "总分", "排名", "组内单位数", "等级", "否决"]
    present = [i for i, c in enumerate(cols) if any(c in u for u in data["units"])]
    out = csv.writer(sys.stdout)
    out.writerow([heads[i] for i in present])
    for u in data["units"]:
        out.writerow(["" if u.get(cols[i]) is None else u.get(cols[i]) for i in present])
    return 0


def run_warm(scheme_key: str | None) -> int:
    from services.catalog import list_schemes
    from services.publishing import warm_published
    from services.results import warm_stored
    from services.unit_history import warm_history

    if scheme_key is not None and scheme_key not in {v.scheme_key for v in list_schemes()}:
        raise CommandError(f"没有方案「{scheme_key}」")
    out = warm_stored(scheme_key, progress=lambda line: print(line, flush=True))
    print(out.message)
    prepared, current, unscorable = warm_published(scheme_key, progress=lambda line: print(line, flush=True))
    extra = f"；{unscorable} 期已发布的数据无法计分，请重新发布" if unscorable else ""
    print(f"已准备 {prepared} 期已发布结果，{current} 期原已是最新{extra}")
    written, fresh = warm_history(scheme_key, progress=lambda line: print(line, flush=True))
    print(f"已写入 {written} 期单位历史（趋势、单位详情用），{fresh} 期原已是最新")
    return 0
