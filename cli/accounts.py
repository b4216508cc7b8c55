"""Account commands: create-user (the first administrator), set-password, list-users.

The password is asked for twice on the terminal (never on the command line, where it would be
kept in the shell history), unless ASSESS_NEW_PASSWORD is set (for scripted installs). It must
pass services/password_rules.py, whichever way it comes; a refusal says why.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from cli import CommandError
from services.errors import ServiceError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("create-user", help="创建账户（首次安装时创建管理员）")
    p.add_argument("username", help="用户名（字母、数字、_ . @ -）")
    p.add_argument(
        "--role", default="admin", choices=["admin", "assessor", "viewer", "unit"], help="角色（默认 admin）"
    )
    p.add_argument("--name", default="", help="姓名（默认同用户名）")
    p.add_argument("--unit", help="所属单位编码（单位账户必填）")
    p.add_argument("--scheme", action="append", default=[], help="考核员负责的方案 id（可重复）")
    p.add_argument("--category", action="append", default=[], help="考核员负责的单位类别（可重复）")
    p.set_defaults(handler=run_create_user)

    p = sub.add_parser("set-password", help="重置账户密码（并解除锁定）")
    p.add_argument("username")
    p.set_defaults(handler=run_set_password)

    p = sub.add_parser("list-users", help="列出账户")
    p.set_defaults(handler=run_list_users)


def _engine():  # noqa: ANN202
    from storage.db import get_engine, migrate

    engine = get_engine()
    migrate(engine)
    return engine


def _password() -> str:
    given = os.environ.get("ASSESS_NEW_PASSWORD")
    if given:
        return given
    from services.password_rules import RULES_TEXT

    print(f"{RULES_TEXT}。", file=sys.stderr)  # before typing, not after a refusal
    first = getpass.getpass("密码：")
    if getpass.getpass("再次输入密码：") != first:
        raise CommandError("两次输入的密码不一致")
    return first


def run_create_user(args: argparse.Namespace) -> int:
    from services.accounts import create_account

    engine = _engine()
    try:
        made = create_account(
            args.username, args.name or args.username, args.role, _password(), unit_code=args.unit,
            schemes=args.scheme, categories=args.category, actor=f"{getpass.getuser()}（命令行）", engine=engine,
        )  # fmt: skip
    except ServiceError as exc:
        raise CommandError(str(exc)) from None
    print(f"已创建账户 {made.username}（{made.role_name}）")
    return 0


def run_set_password(args: argparse.Namespace) -> int:
    from services.accounts import reset_password

    try:
        reset_password(args.username, _password(), engine=_engine())
    except ServiceError as exc:
        raise CommandError(str(exc)) from None
    print(f"已重置 {args.username} 的密码")
    return 0


def run_list_users(args: argparse.Namespace) -> int:
    from services.accounts import list_accounts

    table = list_accounts(engine=_engine())
    if table.empty:
        print("还没有账户：python manage.py create-user 用户名 --role admin")
        return 0
    shown = table[["username", "display_name", "role_name", "unit", "active", "locked", "last_login"]]
    shown.columns = ["用户名", "姓名", "角色", "单位", "启用", "锁定", "最近登录"]
    print(shown.to_string(index=False))
    return 0
