"""`python manage.py tasks remind`: tell units of their 整改 tasks due within 3 days and of
overdue ones — once each, however often it runs (schedule it daily, e.g. with cron).

Exit codes: 0 done (also when nothing was due); 2 the arguments are wrong; 3 the database refused
(busy).
"""

from __future__ import annotations

import argparse
from datetime import date

from cli import CommandError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("tasks", help="整改任务：发送到期和逾期提醒（站内消息）")
    actions = p.add_subparsers(dest="tasks_command", required=True, metavar="<操作>")
    r = actions.add_parser("remind", help="给 3 天内到期和已逾期的整改任务所属单位发送站内消息提醒（每项提醒只发一次）")
    r.add_argument("--date", help="按哪一天计算到期和逾期（默认：今天，本局时区），如 2026-12-07")
    r.set_defaults(handler=run_remind)


def run_remind(args: argparse.Namespace) -> int:
    from services.rectification import REMIND_DAYS, send_reminders

    today = None
    if args.date:
        try:
            today = date.fromisoformat(args.date)
        except ValueError:
            raise CommandError(f"日期「{args.date}」格式不对：应写作 2026-12-07") from None
    from services.errors import ServiceError

    try:
        sent = send_reminders(today=today)
    except ServiceError as exc:
        raise CommandError(str(exc), 3) from None
    print(f"已发送整改任务提醒 {sent} 条（{REMIND_DAYS} 天内到期或已逾期、尚未提交的任务；已提醒过的不再重复发送）。")
    return 0
