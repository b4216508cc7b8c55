"""`python manage.py scheme export|import`: a scheme as its 评分细则 workbook, and back.

    python manage.py scheme export community_monthly [--version 2025.1] --out 细则.xlsx
    python manage.py scheme export data/schemes/community_monthly.yaml --out 细则.xlsx   (no database)
    python manage.py scheme import 细则.xlsx --check          (no database: validate, list warnings)
    python manage.py scheme import 细则.xlsx --out 方案.yaml  (no database: write the YAML)
    python manage.py scheme import 细则.xlsx                  (register a new version, with a note)
    python manage.py scheme import 评分细则.docx --out 草稿.yaml (a table not made here: a draft)

A workbook with errors prints every located message on stderr, exits 1 and writes nothing.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path

from cli import CommandError
from scoring import SchemeError, load_scheme, parse_scheme
from scoring.lint import lint
from scoring.scheme import Scheme

EXIT_INVALID = 1


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("scheme", help="方案与评分细则工作簿（Excel）互相转换：导出、导入")
    inner = p.add_subparsers(dest="scheme_command", required=True, metavar="<export|import>")
    ex = inner.add_parser("export", help="导出方案的评分细则工作簿（可打印的细则表和可编辑的参数表）")
    ex.add_argument("scheme", help="已登记方案的 id（如 community_monthly），或方案 YAML 文件（无需数据库）")
    ex.add_argument("--version", help="已登记方案的版本号（默认：最新版本）")
    ex.add_argument("--out", required=True, help="输出的 .xlsx 文件")
    ex.set_defaults(handler=run_export)
    im = inner.add_parser("import", help="读入评分细则工作簿：校验、写成 YAML，或登记为方案的新版本")
    im.add_argument("file", help="评分细则工作簿（.xlsx），或单位已有的评分细则表（.docx / .xlsx，读成草稿）")
    im.add_argument("--out", help="写出方案 YAML 文件，不登记（无需数据库）")
    im.add_argument("--check", action="store_true", help="只校验并列出提示，不写任何东西（无需数据库）")
    im.add_argument("--note", help="登记新版本时的说明（默认：由评分细则工作簿导入）")
    im.add_argument("--by", help="登记人（默认：当前系统用户）")
    im.set_defaults(handler=run_import)


def _stored(key: str, version: str | None) -> Scheme:
    from services.catalog import latest_version, scheme_versions
    from services.errors import ServiceError

    try:
        if version is None:
            return latest_version(key).load()
        found = [v for v in scheme_versions(key) if v.version == version]
        if not found:
            known = "、".join(v.version for v in scheme_versions(key)) or "无"
            raise CommandError(f"方案 {key} 没有版本 {version}（已登记的版本：{known}）", EXIT_INVALID)
        return found[-1].load()
    except ServiceError as exc:
        raise CommandError(str(exc), EXIT_INVALID) from None


def run_export(args: argparse.Namespace) -> int:
    from sheets.scheme_book import write_scheme_book

    path = Path(args.scheme)
    if path.suffix.lower() in (".yaml", ".yml") or path.is_file():
        if args.version:
            raise CommandError("--version 只用于已登记的方案；方案文件的版本写在文件中", EXIT_INVALID)
        try:
            scheme = load_scheme(path)
        except SchemeError as exc:
            lines = "\n".join(f"  {m}" for m in exc.messages)
            raise CommandError(f"{path}：方案有误，未导出\n{lines}", EXIT_INVALID) from None
    else:
        scheme = _stored(args.scheme, args.version)
    out = Path(args.out)
    if out.suffix.lower() != ".xlsx":
        raise CommandError(f"输出文件须是 .xlsx：{out}", EXIT_INVALID)
    out.write_bytes(write_scheme_book(scheme))
    print(f"已导出「{scheme.name}」版本 {scheme.version} 的评分细则工作簿：{out}（{len(scheme.leaves)} 个评分细则）")
    return 0


def _import_draft(path: Path, data: bytes, args: argparse.Namespace) -> int:
    """A 评分细则表 not made by this product (Word, or Excel without 评分参数): a draft, written or
    checked, never registered — a person decides what the report asks before it is saved."""
    from sheets.scheme_draft import DraftRefused, read_draft
    from sheets.scheme_draft.report import report_lines

    try:
        draft = read_draft(data, path.name)
    except DraftRefused as exc:
        return _refuse(path, [str(exc)])
    print(f"{path}：不是本系统导出的工作簿，按已有的评分细则表读成方案草稿")
    print("\n".join(report_lines(draft)))
    if args.out:
        Path(args.out).write_text(draft.to_yaml(), encoding="utf-8")
        print(f"已写出方案草稿：{args.out}（请核对后在「方案管理」中保存）")
        return 0
    if args.check:
        return 0
    print("草稿须经人工核对后保存：请加 --out 写出草稿，核对修改后再登记。", file=sys.stderr)
    return EXIT_INVALID


def _refuse(path: Path, messages: list[str]) -> int:
    print(f"{path}：有 {len(messages)} 处问题，未导入", file=sys.stderr)
    print("\n".join(f"  {m}" for m in messages), file=sys.stderr)
    return EXIT_INVALID


def run_import(args: argparse.Namespace) -> int:
    from sheets.scheme_book import NotOurBook, SchemeBookError, read_scheme_book, scheme_yaml

    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError:
        raise CommandError(f"找不到或无法读取文件：{path}", EXIT_INVALID) from None
    try:
        text = scheme_yaml(read_scheme_book(data), path.name)
    except SchemeBookError as exc:
        return _refuse(path, exc.messages)
    except NotOurBook:
        return _import_draft(path, data, args)
    scheme = parse_scheme(text)  # valid: the reader checked it
    warnings = lint(scheme)
    print(f"{path}：校验通过（{scheme.name} 版本 {scheme.version}，共 {len(scheme.leaves)} 个评分细则）")
    if warnings:
        print(f"  请核对以下 {len(warnings)} 处（不影响使用）：")
        print("\n".join(f"  提示 {w}" for w in warnings))
    if args.check:
        return 0
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"已写出方案文件：{args.out}")
        return 0
    from services.catalog import register_scheme
    from services.errors import ServiceError

    actor = args.by or os.environ.get("ASSESS_USER") or getpass.getuser()
    try:
        done = register_scheme(text, actor, note=args.note or f"由评分细则工作簿「{path.name}」导入")
    except ServiceError as exc:
        raise CommandError(str(exc), EXIT_INVALID) from None
    print(done.message)
    return 0
