"""Scoring + ranking speed against a bare pandas groupby-sum of the same frame.

    python benchmarks/bench_scoring.py [--rows 1000000 10000000] [--scheme real|basic]

Each size builds a long frame (period, unit, code, value as categoricals/floats, as the loaders
produce), times `scoring.score` and `frame.groupby("unit").value.sum()` in the same run, and
prints rows/s, the ratio and the peak resident memory. Target (issue 2): ratio ≤ 3.

`--scheme real` (the default) is `real_scheme.py`: formulas over raw inputs and a register
figure, 同类排名, 定性分档, 分类扣分, tags, a category variant and a 逐步提高 leaf with last
month's values. `--scheme basic` is the 40-leaf scheme of every base method below.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scoring import scheme_from_dict, score  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from real_scheme import real_frame, real_scheme  # noqa: E402

N_LEAVES = 40


def bench_scheme(n_leaves: int = N_LEAVES) -> dict:
    """`n_leaves` leaves worth 100/n_leaves points each (2.5 for 40), covering
    every base method and target mode."""
    modes = ["all_or_nothing", "proportional", "linear", "bands", "per_shortfall"]
    points = 100 / n_leaves
    items = []
    for i in range(n_leaves):
        code = f"L{i:02d}"
        kind = i % 4
        if kind == 0:
            items.append({"code": code, "name": f"直接{i}", "method": "direct", "points": points})
        elif kind == 1:
            mode = modes[(i // 4) % len(modes)]
            leaf = {
                "code": code,
                "name": f"目标{i}",
                "method": "target",
                "points": points,
                "mode": mode,
                "target": 60,
                "unit": "%",
                "direction": "higher" if i % 8 == 1 else "lower",
            }
            if mode == "linear":
                leaf["floor"] = 30 if leaf["direction"] == "higher" else 90
            if mode == "bands":
                leaf["bands"] = [
                    {"threshold": 60, "points": points},
                    {"threshold": 50 if leaf["direction"] == "higher" else 70, "points": 1},
                ]
            if mode == "per_shortfall":
                leaf["loss_per_step"] = 0.5
            items.append(leaf)
        elif kind == 2:
            items.append(
                {"code": code, "name": f"扣分{i}", "method": "deduction", "points": points, "per_occurrence": 0.5}
            )
        elif i == 3:  # one 同类排名 leaf: its direct-score values serve as actuals to rank
            bands = [{"within_pct": 20, "points": points}, {"within_pct": 50, "points": points / 2}]
            items.append({"code": code, "name": f"排名{i}", "method": "peer_rank", "points": points,
                          "allow_na": True, "bands": bands})  # fmt: skip
        else:
            items.append({"code": code, "name": f"直接{i}", "method": "direct", "points": points, "allow_na": True})
    return {
        "id": "bench",
        "name": "基准方案",
        "version": "1",
        "period_type": "month",
        "bottom": {"threshold": 80, "lowest_pct": 10},
        "criteria": [
            {"code": f"D{d}", "name": f"维度{d}", "items": items[d * n_leaves // 4 : (d + 1) * n_leaves // 4]}
            for d in range(4)
        ],
    }


def bench_values(n_units: int, n_leaves: int, rng: np.random.Generator) -> np.ndarray:
    """Unit-major values for `bench_scheme(n_leaves)`: a plausible mix of good and poor scores."""
    rows = n_units * n_leaves
    points = 100 / n_leaves
    kind = np.tile(np.arange(n_leaves), n_units) % 4
    value = np.where(kind == 0, rng.uniform(0, points, rows), 0.0)
    value = np.where(kind == 1, rng.uniform(20, 100, rows), value)
    value = np.where(kind == 2, rng.integers(0, 4, rows).astype(float), value)
    return np.where(kind == 3, np.round(rng.uniform(0, points, rows), 1), value)


def bench_frame(rows: int, seed: int = 1, n_leaves: int = N_LEAVES) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(seed)
    n_units = rows // n_leaves
    rows = n_units * n_leaves
    units = np.array([f"U{i:07d}" for i in range(n_units)])
    codes = np.array([f"L{i:02d}" for i in range(n_leaves)])
    unit_idx = np.repeat(np.arange(n_units), n_leaves)
    leaf_idx = np.tile(np.arange(n_leaves), n_units)
    value = bench_values(n_units, n_leaves, rng)
    frame = pd.DataFrame(
        {
            "unit": pd.Categorical.from_codes(unit_idx, units),
            "code": pd.Categorical.from_codes(leaf_idx, codes),
            "value": value,
        }
    )
    categories = pd.Series(np.array(["甲类", "乙类", "丙类", "丁类"])[np.arange(n_units) % 4], index=units)
    return frame, categories


def best_of(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--scheme", choices=["real", "basic"], default="real")
    args = parser.parse_args()
    scheme = scheme_from_dict(real_scheme() if args.scheme == "real" else bench_scheme())
    print(f"{'rows':>12} {'score s':>9} {'rows/s':>12} {'groupby s':>10} {'ratio':>6} {'peak MB':>8}")
    for rows in args.rows:
        if args.scheme == "real":
            frame, categories, figures, history = real_frame(rows)
        else:
            (frame, categories), figures, history = bench_frame(rows), None, None
        repeat = 7 if rows <= 2_000_000 else 3  # the first runs pay for fresh memory pages
        kw = {"categories": categories, "figures": figures, "history": history}
        t_score = best_of(lambda f=frame, kw=kw: score(scheme, f, **kw), repeat)
        peak = peak_mb()
        t_base = best_of(lambda f=frame: f.groupby("unit", observed=True)["value"].sum(), repeat)
        rows = len(frame)
        print(
            f"{rows:>12,} {t_score:>9.3f} {rows / t_score:>12,.0f} {t_base:>10.3f} {t_score / t_base:>6.2f} {peak:>8,.0f}"
        )


if __name__ == "__main__":
    main()
