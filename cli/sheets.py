"""`python manage.py template` and `validate`: scoresheet templates and upload checks, no database.

    python manage.py template --scheme data/schemes/community_monthly.yaml --period 2025-03 \\
        --units units.csv [--layout wide|per-unit] --out 评分表.xlsx
    python manage.py validate --scheme data/schemes/community_monthly.yaml --period 2025-03 \\
        --units units.csv [--assessor 考核一组] [--annotate 标注.xlsx] 评分表.xlsx

`validate` prints every located error and exits with 1 when there are any (2 for bad arguments).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from cli import CommandError
from scoring import Scheme, SchemeError, load_scheme
from scoring.periods import period_type
from sheets.messages import PERIOD_KINDS

EXIT_INVALID = 1


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("template", help="按方案生成评分表模板（Excel）")
    p.add_argument("--scheme", required=True, help="方案 YAML 文件")
    p.add_argument("--period", required=True, help="考核期间，如 2025-03、2025-Q1、2025")
    p.add_argument("--units", required=True, help="单位清单 CSV/XLSX：单位编码、单位名称[、类别、别名]")
    p.add_argument(
        "--layout", choices=["wide", "per-unit"], default="wide", help="wide：每行一个单位；per-unit：每单位一张表"
    )
    p.add_argument("--assessor", help="预填考核人")
    p.add_argument("--out", required=True, help="输出的 .xlsx 文件")
    p.set_defaults(handler=run_template)

    v = sub.add_parser("validate", help="逐格检查一份评分表，列出所有错误（不写数据库）")
    v.add_argument("--scheme", required=True, help="方案 YAML 文件")
    v.add_argument("--period", required=True, help="考核期间")
    v.add_argument("--units", required=True, help="单位清单 CSV/XLSX")
    v.add_argument("--assessor", help="考核人（表中未注明时使用）")
    v.add_argument("--annotate", help="另存一份标注了错误单元格的工作簿")
    v.add_argument("file", help="要检查的评分表（.xlsx 或 .csv）")
    v.set_defaults(handler=run_validate)


def _scheme(path: str) -> Scheme:
    try:
        return load_scheme(path)
    except SchemeError as exc:
        raise CommandError("方案文件有误：\n" + "\n".join(f"  {m}" for m in exc.messages)) from None


def _period(scheme: Scheme, period: str) -> str:
    if period_type(period) != scheme.period_type:
        kind, example = PERIOD_KINDS[scheme.period_type]
        raise CommandError(f"期间 {period} 不是{kind}期间：方案「{scheme.name}」按{kind}考核，期间应写作 {example}")
    return period


def _units(path: str) -> pd.DataFrame:
    from sheets.units import UnitsFileError, read_units

    try:
        return read_units(Path(path))
    except UnitsFileError as exc:
        raise CommandError(str(exc)) from None


def run_template(args: argparse.Namespace) -> int:
    from sheets.template import build_template

    scheme = _scheme(args.scheme)
    period = _period(scheme, args.period)
    units = _units(args.units)
    skipped = 0
    if scheme.categories and (units["category"] != "").any():
        inside = units["category"].isin(scheme.categories)
        skipped = int((~inside).sum())
        units = units[inside]
    if units.empty:
        raise CommandError(
            f"单位清单中没有适用于方案「{scheme.name}」的单位（适用类别：{'、'.join(scheme.categories)}）"
        )
    data = build_template(scheme, period, units, layout=args.layout, assessor=args.assessor)
    out = Path(args.out)
    try:
        out.write_bytes(data)
    except OSError as exc:
        raise CommandError(f"无法写入 {out}：{exc.strerror}") from None
    note = f"（另有 {skipped} 个单位不属于本方案适用类别，未列入）" if skipped else ""
    print(f"已生成 {out}：{len(units)} 个单位{note}")
    return 0


def run_validate(args: argparse.Namespace) -> int:
    from sheets.reader import read_scores

    scheme = _scheme(args.scheme)
    period = _period(scheme, args.period)
    units = _units(args.units)
    path = Path(args.file)
    if not path.is_file():
        raise CommandError(f"找不到文件 {path}")
    data = _file_bytes(path)
    parsed = read_scores(data, scheme, period=period, units=units, file_name=path.name, assessor=args.assessor)
    if args.annotate and parsed.errors:
        _annotate(data, parsed.errors, path.name, args.annotate)
    if parsed.errors:
        head = f"{path.name}：发现 {parsed.total_errors or len(parsed.errors)} 处错误，整份表格不能导入："
        raise CommandError(head + "\n" + "\n".join(f"  {e}" for e in parsed.errors), exit_code=EXIT_INVALID)
    units_covered = parsed.values["unit"].nunique() if len(parsed.values) else 0
    print(
        f"{path.name}：检查通过（{_layout_name(parsed.layout)}，{units_covered} 个单位，{len(parsed.values)} 个单元格）"
    )
    return 0


def _file_bytes(path: Path) -> bytes:
    """The file, refused (in Chinese) when larger than an upload may be, before it is read whole."""
    from sheets.package import PackageRefused
    from sheets.table import read_file

    try:
        return read_file(path)
    except PackageRefused as exc:
        raise CommandError(f"{path.name}：{exc.problem}，整份表格不能导入", exit_code=EXIT_INVALID) from None
    except OSError as exc:
        raise CommandError(f"无法读取 {path}：{exc.strerror}") from None


def _annotate(data: bytes, errors: list, file_name: str, target: str) -> None:
    """Write the annotated copy; when it cannot be made, say why and go on: the error list stands."""
    from sheets.annotate import annotate_workbook
    from sheets.package import PackageRefused

    try:
        annotated = annotate_workbook(data, errors, file_name=file_name)
    except PackageRefused as exc:
        hint = f"（{exc.suggestion}）" if exc.suggestion else ""
        print(f"未生成标注副本：{exc.problem}{hint}", file=sys.stderr)
        return
    except MemoryError:
        print("未生成标注副本：文件太大，内存不足", file=sys.stderr)
        return
    except Exception:  # noqa: BLE001 - openpyxl may fail on a file calamine reads; the error list stands
        print("未生成标注副本：该文件无法用于生成标注副本", file=sys.stderr)
        return
    try:
        Path(target).write_bytes(annotated)
    except OSError as exc:
        raise CommandError(f"无法写入 {target}：{exc.strerror}") from None


def _layout_name(layout: str) -> str:
    from sheets.messages import LAYOUT_NAMES

    return LAYOUT_NAMES.get(layout, layout)
