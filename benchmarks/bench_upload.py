"""Reading an uploaded wide scoresheet: `sheets.read_scores` against python-calamine and pandas.

    python benchmarks/bench_upload.py [--rows 100000] [--leaves 30] [--repeat 3]

Builds a filled wide template (one row per unit, one column per leaf; numbers, 是/否 and a few
blanks as a real upload would hold), then times in the same run:
- sheets: `read_scores` — package checks, calamine read, every cell normalised and checked,
  units matched (cross-check by the scoring engine off, as it is not parsing);
- calamine: python-calamine's bare read of the same sheet (`to_python`);
- pandas: `pandas.read_excel(engine="openpyxl")` of the same sheet.
Targets (issue 4): sheets ≤ 2× calamine, and ≥ 8× faster than pandas + openpyxl.
`measure(rows, leaves)` returns the figures as a dict for a benchmark harness.
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import python_calamine

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scoring import Scheme, scheme_from_dict  # noqa: E402
from sheets import build_template, read_scores  # noqa: E402
from sheets.template import WIDE_SHEET  # noqa: E402

PERIOD = "2025-03"


def bench_scheme(leaves: int) -> Scheme:
    """`leaves` leaves cycling through direct, target (%), deduction, bonus and veto."""
    items = []
    for i in range(leaves):
        code = f"L{i:02d}"
        kind = i % 5
        if kind == 0:
            items.append({"code": code, "name": f"直接评分{i}", "method": "direct", "points": 5})
        elif kind == 1:
            items.append({"code": code, "name": f"目标完成率{i}", "method": "target", "points": 5, "mode": "proportional",
                          "target": 80, "unit": "%", "valid_min": 0, "valid_max": 100})  # fmt: skip
        elif kind == 2:
            items.append({"code": code, "name": f"扣分{i}", "method": "deduction", "points": 5, "per_occurrence": 1})
        elif kind == 3:
            items.append({"code": code, "name": f"加分{i}", "method": "bonus", "per_occurrence": 1, "cap": 2})
        else:
            items.append({"code": code, "name": f"否决{i}", "method": "veto"})
    scored = sum(1 for i in range(leaves) if i % 5 in (0, 1, 2))
    groups = [items[g : g + 10] for g in range(0, leaves, 10)]
    return scheme_from_dict({
        "id": "bench_upload", "name": "上传基准方案", "version": "1", "period_type": "month",
        "total": 5 * scored, "bonus_cap": 10,
        "criteria": [{"code": f"D{d}", "name": f"维度{d}", "items": g} for d, g in enumerate(groups)],
    })  # fmt: skip


def bench_units(rows: int) -> pd.DataFrame:
    codes = [f"U{i:06d}" for i in range(rows)]
    return pd.DataFrame({"code": codes, "name": [f"第{i}号卫生院" for i in range(rows)], "aliases": ""})


def bench_values(scheme: Scheme, units: pd.DataFrame, seed: int = 1) -> pd.DataFrame:
    """A long frame of plausible values for every unit and leaf."""
    rng = np.random.default_rng(seed)
    parts = []
    n = len(units)
    for leaf in scheme.leaves:
        if leaf.method == "direct":
            v = np.round(rng.uniform(0, leaf.points, n), 1)
        elif leaf.method == "target":
            v = np.round(rng.uniform(20, 100, n), 1)
        elif leaf.method in ("deduction", "bonus"):
            v = rng.integers(0, 3, n).astype(float)
            v[rng.random(n) < 0.5] = np.nan  # nothing happened: left blank
        else:
            v = np.where(rng.random(n) < 0.02, 1.0, 0.0)  # veto: 是 / 否
        parts.append(pd.DataFrame({"unit": units["code"], "code": leaf.code, "value": v, "na": False}))
    return pd.concat(parts, ignore_index=True)


def build_sheet(rows: int, leaves: int) -> tuple[bytes, Scheme, pd.DataFrame]:
    scheme = bench_scheme(leaves)
    units = bench_units(rows)
    data = build_template(scheme, PERIOD, units, layout="wide", values=bench_values(scheme, units))
    return data, scheme, units


def _best(fn, repeat: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def measure(rows: int, leaves: int, repeat: int = 3, pandas_repeat: int = 1) -> dict:
    """Seconds for sheets (parse + validate), bare calamine and pandas+openpyxl, and the ratios.

    Best of `repeat` runs (of `pandas_repeat` for pandas, which is slow; 0 skips it: None).
    """
    t0 = time.perf_counter()
    data, scheme, units = build_sheet(rows, leaves)
    t_build = time.perf_counter() - t0

    def sheets_read():
        return read_scores(data, scheme, period=PERIOD, units=units, file_name="bench.xlsx", cross_check=False)

    def calamine_read():
        book = python_calamine.CalamineWorkbook.from_object(io.BytesIO(data))
        return book.get_sheet_by_name(WIDE_SHEET).to_python(skip_empty_area=False)

    def pandas_read():
        return pd.read_excel(io.BytesIO(data), sheet_name=WIDE_SHEET, engine="openpyxl", header=None)

    t_sheets, parsed = _best(sheets_read, repeat)
    if parsed.errors:
        raise RuntimeError("benchmark sheet has errors: " + parsed.error_report(5))
    t_calamine, _ = _best(calamine_read, repeat)
    t_pandas = _best(pandas_read, pandas_repeat)[0] if pandas_repeat else None
    return {
        "rows": rows,
        "leaves": leaves,
        "cells": len(parsed.values),
        "file_bytes": len(data),
        "build_s": t_build,
        "sheets_s": t_sheets,
        "calamine_s": t_calamine,
        "pandas_openpyxl_s": t_pandas,
        "sheets_over_calamine": t_sheets / t_calamine,
        "pandas_over_sheets": t_pandas / t_sheets if t_pandas else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--leaves", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    m = measure(args.rows, args.leaves, args.repeat)
    print(f"wide sheet: {m['rows']:,} rows × {m['leaves']} leaves, {m['file_bytes'] / 2**20:.1f} MB, "
          f"{m['cells']:,} values (built in {m['build_s']:.1f} s)")  # fmt: skip
    print(f"  sheets.read_scores (parse + validate): {m['sheets_s']:8.3f} s")
    print(f"  python-calamine bare read:             {m['calamine_s']:8.3f} s")
    print(f"  pandas.read_excel(engine='openpyxl'):  {m['pandas_openpyxl_s']:8.3f} s")
    print(f"  sheets / calamine: {m['sheets_over_calamine']:5.2f}×   (target ≤ 2)")
    print(f"  pandas / sheets:   {m['pandas_over_sheets']:5.1f}×   (target ≥ 8)")


if __name__ == "__main__":
    main()
