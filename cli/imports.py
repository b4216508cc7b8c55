"""`python manage.py import`: check a scoresheet against a stored scheme, preview it, import it.

    python manage.py import --scheme community_monthly --period 2025-03 [--version 2025.1] \\
        [--user 张三] [--note 3月考核] [--assessor 考核一组] [--dry-run] [--annotate 标注.xlsx] 评分表.xlsx

The file may be any template layout (wide, per-unit) or a long table (CSV or XLSX: 单位, 指标编码,
数值[, 考核人, 备注]). Every located error is printed and the exit code is 1; nothing is stored.
`--dry-run` prints what the import would change and stores nothing.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cli import CommandError
from services.errors import ServiceError

EXIT_INVALID = 1
_PREVIEW_ROWS = 40


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("import", help="检查并导入一份评分表（宽表、每单位一张表或长表）到数据库")
    p.add_argument("--scheme", required=True, help="已登记的方案 id，如 community_monthly")
    p.add_argument("--version", help="方案版本（默认：该期间已在用的版本，否则最新版本）")
    p.add_argument("--period", required=True, help="考核期间，如 2025-03、2025-Q1、2025")
    p.add_argument("--user", help="提交人（默认：当前系统用户）")
    p.add_argument("--note", default="", help="提交说明")
    p.add_argument("--assessor", help="考核人（表中未注明时使用）")
    p.add_argument(
        "--as", dest="mode", choices=["correction", "new_team"], default="auto",
        help="correction：更正（替换同一考核组的数值）；new_team：新的考核组（与已有考核组合并计分）",
    )  # fmt: skip
    p.add_argument("--dry-run", action="store_true", help="只检查并列出将要发生的变化，不导入")
    p.add_argument("--annotate", help="有错误时另存一份标注了错误单元格的工作簿")
    p.add_argument("file", help="评分表文件（.xlsx 或 .csv）")
    p.set_defaults(handler=run_import)


def run_import(args: argparse.Namespace) -> int:
    from cli.db import _engine, _user
    from services import uploads

    path = Path(args.file)
    if not path.is_file():
        raise CommandError(f"找不到文件 {path}")
    engine = _engine()
    try:
        if args.version:
            version = uploads.find_version(args.scheme, args.version, engine=engine)
        else:
            uploads.find_version(args.scheme, engine=engine)  # a clear message for an unknown scheme
            version = uploads.version_for(args.scheme, args.period, engine=engine)
        check = uploads.check_upload(
            _file_bytes(path), path.name, version.id, args.period, assessor=args.assessor, mode=args.mode,
            engine=engine,
        )  # fmt: skip
    except ServiceError as exc:
        raise CommandError(str(exc)) from None
    if not check.ok:
        _annotate(check, args.annotate)
        head = f"{path.name}：发现 {check.total_errors} 处错误，整份表格不能导入（数据库未做任何修改）："
        raise CommandError(head + "\n" + "\n".join(f"  {e}" for e in check.errors), exit_code=EXIT_INVALID)
    print(f"{path.name}：检查通过（{_layout_name(check.layout)}；{version.label}；{args.period}）")
    _print_preview(check.preview)
    if args.dry_run:
        print("（试运行：未导入任何数据）")
        return 0
    try:
        outcome = uploads.commit(check, _user(args), args.note, engine=engine)
    except ServiceError as exc:
        raise CommandError(str(exc)) from None
    print(outcome.message)
    return 0


def _file_bytes(path: Path) -> bytes:
    """The file, refused (in Chinese) when larger than an upload may be, before it is read whole."""
    from sheets.package import PackageRefused
    from sheets.table import read_file

    try:
        return read_file(path)
    except PackageRefused as exc:
        raise CommandError(
            f"{path.name}：{exc.problem}，整份表格不能导入（数据库未做任何修改）", exit_code=EXIT_INVALID
        ) from None
    except OSError as exc:
        raise CommandError(f"无法读取 {path}：{exc.strerror}") from None


def _annotate(check, target: str | None) -> None:  # noqa: ANN001 - services.uploads.UploadCheck
    if not target:
        return
    data = check.annotated()
    if data is None:
        print("（文件无法打开，未生成标注副本）", file=sys.stderr)
        return
    try:
        Path(target).write_bytes(data)
    except OSError as exc:
        raise CommandError(f"无法写入 {target}：{exc.strerror}") from None
    print(f"已另存标注副本：{target}", file=sys.stderr)


def _print_preview(preview) -> None:  # noqa: ANN001 - services.uploads.Preview
    print(preview.summary)
    if preview.blocked:
        print(f"注意：{preview.blocked}")
    changed = preview.changes[preview.changes["change"] == "changed"]  # new cells are only counted
    if len(changed):
        print("\n变化的单元格（原值 → 新值）：")
        for r in changed.head(_PREVIEW_ROWS).itertuples():
            who = f" [{r.assessor}]" if r.assessor else ""
            before = r.before or "—"
            print(f"  {r.unit} {r.name} · {r.code} {r.item}{who}：{before} → {r.after}（{r.change_name}）")
        if len(changed) > _PREVIEW_ROWS:
            print(f"  ……另有 {len(changed) - _PREVIEW_ROWS} 个")
    if preview.score_problems:
        print("\n导入后暂时无法计算总分：")
        for p in preview.score_problems:
            print(f"  {p}")
    moved = preview.effect[preview.effect["status"] != "same"]
    if len(moved):
        print("\n总分与名次的变化：")
        for r in moved.head(_PREVIEW_ROWS).itertuples():
            if r.status == "new":
                print(f"  {r.unit} {r.name}：新参评，总分 {r.total_after:g}，名次 {r.rank_after}/{r.group_size}")
            else:
                why = f"；{r.why}" if getattr(r, "why", "") else ""
                print(
                    f"  {r.unit} {r.name}：总分 {r.total_before:g} → {r.total_after:g}（{r.delta:+g}），"
                    f"名次 {r.rank_before} → {r.rank_after}/{r.group_size}{why}"
                )
        if len(moved) > _PREVIEW_ROWS:
            print(f"  ……另有 {len(moved) - _PREVIEW_ROWS} 个单位")
    elif not preview.score_problems and not preview.blocked:
        print("各单位总分与名次不变")


def _layout_name(layout: str) -> str:
    from sheets.messages import LAYOUT_NAMES

    return LAYOUT_NAMES.get(layout, layout)
