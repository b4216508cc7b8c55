"""Database commands: init, seed-demo, history, rollback, lock, unlock, backup, check.

They work on the database of DATABASE_URL (default: the SQLite file var/assessment.db).
"""

from __future__ import annotations

import argparse
import getpass
import os
import sqlite3
import time
from pathlib import Path

from cli import CommandError
from services.errors import ServiceError


def _user(args: argparse.Namespace) -> str:
    name = args.user or os.environ.get("ASSESS_USER") or getpass.getuser()
    return f"{name}（命令行）"


def _engine():  # noqa: ANN202 - sqlalchemy Engine, imported lazily to keep `--help` fast
    from storage.db import get_engine, migrate

    engine = get_engine()
    migrate(engine)
    return engine


def _where(engine) -> str:  # noqa: ANN001
    return engine.url.render_as_string(hide_password=True)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("init", help="创建或升级数据库结构")
    p.set_defaults(handler=run_init)

    p = sub.add_parser("seed-demo", help="载入演示数据（清河区），可重复运行")
    p.add_argument("--user", help="操作人（默认：当前系统用户）")
    p.set_defaults(handler=run_seed_demo)

    p = sub.add_parser("history", help="列出数据提交记录")
    p.add_argument("--scheme", help="只看这个方案（方案 id，如 community_monthly）")
    p.add_argument("--period", help="只看这个期间（如 2025-03）")
    p.add_argument("--limit", type=int, default=50, help="最多列出多少条（默认 50）")
    p.set_defaults(handler=run_history)

    p = sub.add_parser("rollback", help="撤回一次提交，恢复被它覆盖的数值")
    p.add_argument("submission", type=int, help="提交编号（见 history）")
    p.add_argument("--reason", default="", help="撤回原因（记入审计日志）")
    p.add_argument("--user", help="操作人（默认：当前系统用户）")
    p.set_defaults(handler=run_rollback)

    for name, text in (("lock", "锁定期间：不再接受导入和撤回"), ("unlock", "解锁期间")):
        p = sub.add_parser(name, help=text)
        p.add_argument("period", help="期间，如 2025-03、2025-Q1、2025")
        p.add_argument("--reason", required=True, help="原因（必填，记入审计日志）")
        p.add_argument("--user", help="操作人（默认：当前系统用户）")
        p.set_defaults(handler=run_lock if name == "lock" else run_unlock)

    p = sub.add_parser("check", help="检查数据库的一致性（如进程异常终止后）")
    p.set_defaults(handler=run_check)

    p = sub.add_parser("backup", help="在线备份 SQLite 数据库到文件（PostgreSQL 请用 pg_dump）")
    p.add_argument("path", help="备份文件路径")
    p.add_argument("--force", action="store_true", help="覆盖已存在的文件")
    p.set_defaults(handler=run_backup)


def database_problem() -> str:
    """What an operator should do when a command failed in the database: most often the release
    was upgraded and `init` not run yet (a table or column the code expects is missing)."""
    from storage.db import current_revision, get_engine, head_revision

    try:
        engine = get_engine()
        have, need = current_revision(engine), head_revision()
    except Exception:  # noqa: BLE001 - the database cannot even be reached: say so below
        have, need = None, ""
    if have is None and not need:
        return "数据库操作失败：无法连接数据库。请检查 DATABASE_URL 和数据库服务是否正常。"
    if have != need:
        return (
            f"数据库结构不是本版本所需的（数据库为 {have or '空'}，本版本需要 {need}）："
            "请先运行 python manage.py init 升级数据库，再重试。"
        )
    return (
        "数据库操作失败（数据库结构已是最新）：请检查数据库服务和磁盘空间，或运行 python manage.py check 检查一致性。"
    )


def run_init(args: argparse.Namespace) -> int:
    from storage.db import get_engine, head_revision, migrate

    engine = get_engine()
    applied = migrate(engine)
    state = "已创建/升级" if applied else "已是最新"
    print(f"数据库结构{state}（版本 {head_revision()}）：{_where(engine)}")
    return 0


def run_seed_demo(args: argparse.Namespace) -> int:
    from services.seed import seed_demo

    engine = _engine()
    try:
        report = seed_demo(engine=engine, user=_user(args))
    except ServiceError as exc:
        raise CommandError(f"载入演示数据失败：{exc}") from None
    print(report.message)
    return 0


def run_history(args: argparse.Namespace) -> int:
    from services.submissions import history

    engine = _engine()
    table = history(args.scheme, args.period, limit=args.limit, engine=engine)
    if table.empty:
        print("没有提交记录")
        return 0
    shown = table.assign(
        current=[f"{c}/{r}" for c, r in zip(table["current_rows"], table["rows"], strict=True)],
        id=[f"#{i}" for i in table["id"]],
    )[["id", "period", "scheme", "version", "time", "submitted_by", "file_name", "current", "status_name"]]
    shown.columns = ["编号", "期间", "方案", "版本", "提交时间", "提交人", "文件", "当前/行数", "状态"]
    print(shown.to_string(index=False))
    return 0


def run_rollback(args: argparse.Namespace) -> int:
    from services.submissions import rollback

    try:
        outcome = rollback(args.submission, _user(args), args.reason, engine=_engine())
    except ServiceError as exc:
        raise CommandError(str(exc)) from None
    print(outcome.message)
    return 0


def run_lock(args: argparse.Namespace) -> int:
    from services.periods import lock_period

    try:
        info = lock_period(args.period, _user(args), args.reason, engine=_engine())
    except ServiceError as exc:
        raise CommandError(str(exc)) from None
    print(f"{info.name}：{info.state_text}")
    return 0


def run_unlock(args: argparse.Namespace) -> int:
    from services.periods import unlock_period

    try:
        info = unlock_period(args.period, _user(args), args.reason, engine=_engine())
    except ServiceError as exc:
        raise CommandError(str(exc)) from None
    print(f"{info.name}：{info.state_text}")
    return 0


def run_check(args: argparse.Namespace) -> int:
    from storage.integrity import check

    engine = _engine()
    problems = check(engine)
    if problems:
        raise CommandError(f"发现 {len(problems)} 处不一致：\n" + "\n".join(f"  {p}" for p in problems), exit_code=1)
    print(f"数据库一致性检查通过：{_where(engine)}")
    return 0


def run_backup(args: argparse.Namespace) -> int:
    from storage.db import get_engine, is_sqlite

    engine = get_engine()
    if not is_sqlite(engine):
        url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        raise CommandError(
            "当前数据库是 PostgreSQL，请用 PostgreSQL 自带的 pg_dump 备份，例如：\n"
            f"  pg_dump --format=custom --file={args.path} '{url}'\n"
            "恢复时用 pg_restore（见 docs/deployment.md）。"
        )
    source = Path(engine.url.database or "")
    if not source.is_file():
        raise CommandError(f"数据库文件 {source} 不存在，没有可备份的内容（先运行 python manage.py init）")
    target = Path(args.path)
    if target.exists() and not args.force:
        raise CommandError(f"备份文件 {target} 已存在；如要覆盖请加 --force")
    target.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    # The online backup API copies a consistent snapshot while the app keeps reading and writing.
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(partial)
    try:
        src.backup(dst, pages=4096, sleep=0.01)
        check = dst.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        dst.close()
        src.close()
    if check != "ok":
        partial.unlink(missing_ok=True)
        raise CommandError(f"备份文件校验失败（{check}），未写入 {target}")
    partial.replace(target)
    size = target.stat().st_size / 1024 / 1024
    print(f"已备份到 {target}（{size:.1f} MB，用时 {time.monotonic() - started:.1f} 秒，完整性检查通过）")
    return 0
