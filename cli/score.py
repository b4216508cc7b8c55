"""`python manage.py score`: score a long-format file against a scheme, without a database."""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import pandas as pd

from cli import CommandError
from scoring import SchemeError, ScoringInputError, load_scheme, score
from scoring.engine import Results

# Columns printed by --format table, in order, with their Chinese headings.
_TABLE = [
    ("period", "期间"),
    ("rank", "同类排名"),
    ("unit", "单位"),
    ("category", "类别"),
    ("total", "总分"),
    ("grade", "等级"),
    ("bottom_label", "末位"),
    ("veto_label", "否决"),
]
_JSON_KEYS = [
    "unit",
    "category",
    "period",
    "total",
    "rank",
    "rank_overall",
    "grade",
    "grade_cap_reason",
    "bottom",
    "bottom_reason",
    "consequence",
    "veto",
    "veto_reason",
    "award_eligible",
    "award_reason",
    "score_rate",
    "bonus",
    "unmet_targets",
    "gap_next_grade",
    "gap_bottom_line",
    "delta_total",
    "delta_rank",
]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("score", help="按方案为长表评分（不需要数据库）")
    p.add_argument("--scheme", required=True, help="方案 YAML 文件")
    p.add_argument("--scores", required=True, help="长表 CSV 或 XLSX：单位、指标编码、数值[、考核人、期间、类别、备注]")
    p.add_argument("--units", help="单位清单（单位编码/单位名称、类别），决定同类分组")
    p.add_argument("--period", help="只计算这一期间")
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.add_argument("--out", help="写入文件而不是标准输出")
    p.set_defaults(handler=run)


def _category_map(path: str, values: pd.DataFrame) -> pd.Series:
    """unit (as written in the scores file, code or name) -> category, from a units file."""
    from sheets.units import UnitsFileError, read_units

    try:
        units = read_units(Path(path))
    except UnitsFileError as exc:
        raise CommandError(str(exc)) from None
    by_code = dict(zip(units["code"].astype(str), units["category"].astype(str), strict=True))
    by_name = dict(zip(units["name"].astype(str), units["category"].astype(str), strict=True))
    written = pd.unique(values["unit"].astype(str))
    return pd.Series({u: by_code.get(u, by_name.get(u)) for u in written}).dropna()


def _figures(path: str, scheme: object) -> pd.DataFrame | None:
    """Register figures for computed indicators from the units file's extra columns (sheets/figures.py)."""
    from sheets.figures import read_figures, register_names
    from sheets.units import UnitsFileError

    names = register_names(scheme)
    if not names:
        return None
    try:
        return read_figures(Path(path), names)
    except UnitsFileError as exc:
        raise CommandError(str(exc)) from None


def _plain(value: object) -> object:
    """JSON-safe scalars: NaN becomes null, numpy scalars become Python ones."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _monitor_text(results: Results, form: str) -> str:
    """A monitoring-only scheme's values: one row per unit (table) or per unit and indicator (json)."""
    from reports.monitor import MONITOR_ONLY_NOTE, monitor_values, monitor_wide

    if form == "json":
        rows = monitor_values(results.leaves, results.scheme)
        keys = {"期间": "period", "单位编码": "unit", "指标编码": "code", "指标": "name", "计量单位": "unit_of_measure"}
        out = [{**{k: r[c] for c, k in keys.items()}, "value": _plain(r["_value"])} for _, r in rows.iterrows()]
        return json.dumps(out, ensure_ascii=False, indent=2)
    table = monitor_wide(results.leaves, results.scheme).drop(columns="单位")  # the name is the code here
    return f"{MONITOR_ONLY_NOTE}\n" + table.to_string(index=False)


def run(args: argparse.Namespace) -> int:
    from sheets.longfile import read_long_table
    from sheets.package import PackageRefused
    from sheets.table import read_file

    try:
        scheme = load_scheme(args.scheme)
    except SchemeError as exc:
        raise CommandError("方案文件有误：\n" + "\n".join(f"  {m}" for m in exc.messages)) from None
    path = Path(args.scores)
    if not path.is_file():
        raise CommandError(f"找不到评分文件 {path}")
    try:
        data = read_file(path)  # refused when larger than an upload may be, before it is read whole
    except PackageRefused as exc:
        raise CommandError(f"评分文件 {path.name}：{exc}") from None
    parsed = read_long_table(data, scheme, file_name=path.name)
    if parsed.errors:
        raise CommandError(
            f"评分文件 {path.name} 有 {len(parsed.errors)} 处错误：\n" + "\n".join(f"  {e}" for e in parsed.errors)
        )
    values, history = parsed.values, None
    if args.period:
        # The other periods stay at hand as history: a 增幅 / 逐步提高 leaf's baseline (上期, 上年同期)
        # is often in the same file, and filtering it out would score every unit as having none.
        history = values[values["period"].astype(str) != args.period]
        values = values[values["period"].astype(str) == args.period]
        if values.empty:
            raise CommandError(f"评分文件中没有期间 {args.period} 的数据")
    categories = _category_map(args.units, values) if args.units else None
    figures = _figures(args.units, scheme) if args.units else None
    try:
        results = score(scheme, values, categories=categories, figures=figures, history=history)
    except ScoringInputError as exc:
        raise CommandError(
            f"无法计分，共 {len(exc.problems)} 个问题：\n" + "\n".join(f"  {p}" for p in exc.problems[:200])
        ) from None

    units = results.units.sort_values(["period", "category", "rank", "unit"])
    if scheme.monitoring_only:  # nothing scored: the values themselves, not totals or ranks
        text = _monitor_text(results, args.format)
    elif args.format == "json":
        rows = [{k: _plain(row[k]) for k in _JSON_KEYS} for _, row in units.astype(object).iterrows()]
        text = json.dumps(rows, ensure_ascii=False, indent=2)
    else:
        shown = units.assign(
            bottom_label=units["bottom"].map({True: "末位", False: ""}),
            veto_label=units["veto"].map({True: "否决", False: ""}),
            total=units["total"].map(lambda v: f"{v:.{scheme.decimals}f}"),
        )
        table = shown[[c for c, _ in _TABLE]].rename(columns=dict(_TABLE))
        text = table.to_string(index=False)
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")
    else:
        sys.stdout.write(text + "\n")
    return 0
