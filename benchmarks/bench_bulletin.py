"""Excel bulletin speed against writing the same cells bare with xlsxwriter.

    python benchmarks/bench_bulletin.py [--units 5000] [--repeat 3]

Scores the 40-leaf benchmark scheme (benchmarks/bench_scoring.py) for two months, builds the
bulletin of the second with a pool settlement, and times `exports.bulletin_xlsx.write_bulletin`.
The workbook is then read back and exactly its cells (every number and string of every sheet)
are written again with xlsxwriter without any format, conditional format, chart or page setup —
in the default mode and in constant_memory mode. The ratio is taken against the faster of the
two. Target (issue 6): ratio ≤ 1.5.
"""

from __future__ import annotations

import argparse
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

from bench_scoring import bench_frame, bench_scheme  # noqa: E402

from exports.bulletin_xlsx import write_bulletin  # noqa: E402
from reports.bulletin import build_bulletin  # noqa: E402
from scoring import scheme_from_dict, score  # noqa: E402
from scoring.settlement import settle  # noqa: E402

MONTHS = ("2025-07", "2025-08")


def inputs(n_units: int):  # noqa: ANN201 - a tuple of the writer's arguments
    spec = bench_scheme() | {"settlement": {"mode": "pool", "pool": 50_000_000, "weight_attribute": "population",
                                            "floor": 2_000, "cap": 30_000}}  # fmt: skip
    scheme = scheme_from_dict(spec)
    frames = []
    for seed, month in enumerate(MONTHS, start=1):
        frame, categories = bench_frame(n_units * 40, seed=seed)
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


def best_of(fn, repeat: int) -> float:  # noqa: ANN001
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--units", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"building {args.units} units × 40 leaves × {len(MONTHS)} months …", flush=True)
    arguments = inputs(args.units)
    bulletin = arguments[0]
    start = time.perf_counter()
    data = write_bulletin(*arguments)
    first = time.perf_counter() - start
    sheets = cells_of(data)
    n_cells = sum(len(c) for _, c in sheets)
    formatted = min(first, best_of(lambda: write_bulletin(*arguments), args.repeat))
    bare_default = best_of(lambda: write_bare(sheets, constant_memory=False), args.repeat)
    bare_constant = best_of(lambda: write_bare(sheets, constant_memory=True), args.repeat)
    bare = min(bare_default, bare_constant)
    print(f"bulletin {bulletin.period}: {len(bulletin.ranking)} units, {n_cells:,} cells in {len(sheets)} sheets, "
          f"{len(data) / 1e6:.1f} MB")  # fmt: skip
    print(f"  write_bulletin (formatted)     {formatted:7.3f} s")
    print(f"  bare xlsxwriter, default mode   {bare_default:7.3f} s")
    print(f"  bare xlsxwriter, constant_memory {bare_constant:6.3f} s")
    ratio = formatted / bare
    scheme, units, money = arguments[2], arguments[1].units, arguments[5]
    month = units[units["period"] == MONTHS[-1]]
    attributes = pd.DataFrame({"code": money["unit"], "population": money["weight"]})
    settling = best_of(lambda: settle(scheme.settlement, month, attributes), args.repeat)
    print(f"  (settle, pool with floor and cap  {settling:6.3f} s)")
    print(f"ratio {ratio:.2f} (target ≤ 1.5) {'OK' if ratio <= 1.5 else 'TOO SLOW'}")


if __name__ == "__main__":
    main()
