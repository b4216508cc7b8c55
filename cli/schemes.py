"""`python manage.py check-scheme`: check scheme files as 方案管理 does, without a database.

    python manage.py check-scheme data/schemes/township_annual.yaml [more.yaml …]

Prints every located error (exit code 1 when any file has one) and the warnings of the valid
files (scoring.lint: worth a look, not a reason to refuse).
"""

from __future__ import annotations

import argparse

from scoring import SchemeError, load_scheme
from scoring.lint import lint

EXIT_INVALID = 1


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("check-scheme", help="校验方案文件（YAML），列出错误和提示，不写数据库")
    p.add_argument("files", nargs="+", help="方案 YAML 文件")
    p.set_defaults(handler=run_check)


def run_check(args: argparse.Namespace) -> int:
    failed = 0
    for path in args.files:
        try:
            scheme = load_scheme(path)
        except SchemeError as exc:
            failed += 1
            print(f"{path}：有 {len(exc.messages)} 处错误，不能使用")
            print("\n".join(f"  {m}" for m in exc.messages))
            continue
        warnings = lint(scheme)
        print(f"{path}：校验通过（{scheme.name} 版本 {scheme.version}，共 {len(scheme.leaves)} 个评分细则）")
        if warnings:
            print(f"  请核对以下 {len(warnings)} 处（不影响使用）：")
            print("\n".join(f"  提示 {w}" for w in warnings))
    return EXIT_INVALID if failed else 0
