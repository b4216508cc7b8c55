"""`python manage.py scheme-draft`: a bureau's own 评分细则表 (Word / Excel) → a draft scheme YAML.

    python manage.py scheme-draft 评分细则.docx --out draft.yaml

Writes the draft (nothing goes into the database) and prints, row by row, what was recognised and
what a person must decide. A file that cannot be read gets one Chinese message, exit code 2.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from cli import CommandError
from sheets.scheme_draft import DraftRefused, read_draft
from sheets.scheme_draft.report import report_lines


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("scheme-draft", help="把已有的评分细则表（Word / Excel）转成方案草稿（YAML），不写数据库")
    p.add_argument("file", help="评分细则表（.docx 或 .xlsx）")
    p.add_argument("--out", required=True, help="草稿写到的 YAML 文件")
    p.set_defaults(handler=run_draft)


def run_draft(args: argparse.Namespace) -> int:
    source = Path(args.file)
    try:
        data = source.read_bytes()
    except OSError:
        raise CommandError(f"无法读取文件 {source}") from None
    try:
        draft = read_draft(data, source.name)
    except DraftRefused as exc:
        raise CommandError(f"{source.name}：{exc}") from None
    out = Path(args.out)
    try:
        out.write_text(draft.to_yaml(), encoding="utf-8")
    except OSError:
        raise CommandError(f"无法写入 {out}") from None
    print(f"已生成方案草稿 {out}（未保存到系统，请核对后在「方案管理」中保存）")
    print("\n".join(report_lines(draft)))
    return 0
