"""Excel bulletin speed against writing the same cells bare with xlsxwriter.

    python benchmarks/bench_bulletin.py [--units 5000] [--leaves 40] [--repeat 3]

Scores the 40-leaf benchmark scheme (benchmarks/bench_scoring.py) for two months, builds the
bulletin of the second with a pool settlement, and times `exports.bulletin_xlsx.write_bulletin`.
The workbook is then read back and exactly its cells (every number and string of every sheet)
are written again with xlsxwriter without any format, conditional format, chart or page setup —
in the default mode and in constant_memory mode. The ratio is taken against the faster of the
two, in CPU seconds (best of --repeat, interleaved). Target (issue 6): ratio ≤ 1.5.
`measure(units, leaves)` returns the figures as a dict, for a harness that collects them.
"""

from __future__ import annotations

import argparse
import gc
import io
import sys
import time
from datetime import datetime
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import xlsxwriter

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_scoring import N_LEAVES, bench_frame, bench_scheme  # noqa: E402

from exports.bulletin_xlsx import write_bulletin  # noqa: E402
from reports.bulletin import build_bulletin  # noqa: E402
from scoring import scheme_from_dict, score  # noqa: E402
from scoring.settlement import settle  # noqa: E402

MONTHS = ("2025-07", "2025-08")
TARGET = 1.5


def inputs(n_units: int, n_leaves: int = N_LEAVES):  # noqa: ANN201 - a tuple of the writer's arguments
    spec = bench_scheme(n_leaves) | {"settlement": {"mode": "pool", "pool": 10_000 * n_units, "weight_attribute": "population",
                                            "floor": 2_000, "cap": 30_000}}  # fmt: skip
    scheme = scheme_from_dict(spec)
    frames = []
    for seed, month in enumerate(MONTHS, start=1):
        frame, categories = bench_frame(n_units * n_leaves, seed=seed, n_leaves=n_leaves)
        frames.append(frame.assign(period=month))
    values = pd.concat(frames, ignore_index=True)
    results = score(scheme, values, categories=categories)
    units = categories.index.astype(str)
    names = {u: f"第{i}号卫生院" for i, u in enumerate(units)}
    names[units[0]] = '=HYPERLINK("http://x","y")'
    rng = np.random.default_rng(7)
    attributes = pd.DataFrame({"code": units, "population": rng.integers(1_000, 60_000, len(units))})
    bulletin = build_bulletin(results, MONTHS[-1], names)
    money = settle(scheme.settlement, results.units[results.units["period"] == MONTHS[-1]], attributes)
    return bulletin, results, scheme, names, results.units, money, "基准测试", datetime(2025, 9, 1, 9, 0)


def cells_of(data: bytes) -> list[tuple[str, list[tuple[int, int, object]]]]:
    """Every non-empty cell of every sheet, in row order, as (row, col, value)."""
    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    out = []
    for ws in wb.worksheets:
        cells = [
            (cell.row - 1, cell.column - 1, cell.value)
            for row in ws.iter_rows()
            for cell in row
            if getattr(cell, "value", None) is not None
        ]
        out.append((ws.title, cells))
    wb.close()
    return out


def write_bare(sheets: list[tuple[str, list[tuple[int, int, object]]]], constant_memory: bool) -> bytes:
    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer, {"constant_memory": constant_memory})
    for title, cells in sheets:
        ws = wb.add_worksheet(title)
        for r, c, v in cells:
            if isinstance(v, str):
                ws.write_string(r, c, v)
            elif isinstance(v, datetime):
                ws.write_datetime(r, c, v)
            else:
                ws.write_number(r, c, v)
    wb.close()
    return buffer.getvalue()


def timed(fn) -> float:  # noqa: ANN001
    """CPU seconds of one call, garbage collector paused (as timeit does). CPU time rather than
    wall time: on a shared machine another process's load would otherwise land in either figure."""
    gc.collect()
    gc.disable()
    try:
        start = time.process_time()
        fn()
        return time.process_time() - start
    finally:
        gc.enable()


def best_of(fn, repeat: int) -> float:  # noqa: ANN001
    return min(timed(fn) for _ in range(repeat))


def measure(units: int, leaves: int = N_LEAVES, repeat: int = 3) -> dict:
    """Time the formatted bulletin against the same cells written bare; every figure in a dict."""
    arguments = inputs(units, leaves)
    bulletin = arguments[0]
    data = write_bulletin(*arguments)
    sheets = cells_of(data)
    # interleaved, so a burst of load elsewhere hits both sides alike; the best of each is kept
    formatted, bare_default, bare_constant = [], [], []
    for _ in range(repeat):
        formatted.append(timed(lambda: write_bulletin(*arguments)))
        bare_default.append(timed(lambda: write_bare(sheets, constant_memory=False)))
        bare_constant.append(timed(lambda: write_bare(sheets, constant_memory=True)))
    formatted, bare_default, bare_constant = min(formatted), min(bare_default), min(bare_constant)
    bare = min(bare_default, bare_constant)
    scheme, money = arguments[2], arguments[5]
    month = arguments[1].units[arguments[1].units["period"] == MONTHS[-1]]
    attributes = pd.DataFrame({"code": money["unit"], "population": money["weight"]})
    settling = best_of(lambda: settle(scheme.settlement, month, attributes), repeat)
    ratio = formatted / bare
    return {
        "units": len(bulletin.ranking),
        "leaves": leaves,
        "cells": sum(len(c) for _, c in sheets),
        "sheets": len(sheets),
        "size_mb": len(data) / 1e6,
        "formatted_s": formatted,
        "bare_default_s": bare_default,
        "bare_constant_memory_s": bare_constant,
        "bare_s": bare,
        "ratio": ratio,
        "target": TARGET,
        "ok": ratio <= TARGET,
        "settle_s": settling,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--units", type=int, default=5000)
    parser.add_argument("--leaves", type=int, default=N_LEAVES)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"building {args.units} units × {args.leaves} leaves × {len(MONTHS)} months …", flush=True)
    m = measure(args.units, args.leaves, args.repeat)
    print(f"bulletin {MONTHS[-1]}: {m['units']} units, {m['cells']:,} cells in {m['sheets']} sheets, "
          f"{m['size_mb']:.1f} MB")  # fmt: skip
    print("CPU seconds, best of", args.repeat)
    print(f"  write_bulletin (formatted)        {m['formatted_s']:7.3f} s")
    print(f"  bare xlsxwriter, default mode     {m['bare_default_s']:7.3f} s")
    print(f"  bare xlsxwriter, constant_memory  {m['bare_constant_memory_s']:7.3f} s")
    print(f"  (settle, pool with floor and cap  {m['settle_s']:7.3f} s)")
    print(f"ratio {m['ratio']:.2f} (target ≤ {TARGET}) {'OK' if m['ok'] else 'TOO SLOW'}")


if __name__ == "__main__":
    main()
