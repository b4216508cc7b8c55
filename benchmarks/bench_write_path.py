"""An import's own time, and the first `results()` after it in a fresh process (issue 23).

    python benchmarks/bench_write_path.py [--units 5000] [--db PATH]

Builds (or reuses) a database of N units × 2 months of the 40-leaf benchmark scheme
(benchmarks/bench_ranking_page.py `build_database`), then:

- imports a full month of new values into the newest month (nothing after it) and times it;
- in a fresh process (no memo), times the first `results()` of that month and says whether it
  came from the stored results;
- the same for a correction of the older month (the month after it exists and is re-stored too).

Before results were stored at import, the first look after an import paid the whole scoring;
now the import pays it, once, in its own transaction.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(os.environ.get("ASSESS_ROOT", Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_ranking_page import SCHEME_KEY, build_database, month_values, months  # noqa: E402

FIRST_LOOK = """
import sys, time
sys.path.insert(0, {root!r})
from storage.db import make_engine
from services.results import results
engine = make_engine({url!r})
started = time.perf_counter()
r = results({scheme!r}, {period!r}, engine=engine)
print(f"{{time.perf_counter() - started:.2f}} {{r.from_cache}}")
"""


def first_look(url: str, period: str) -> tuple[float, bool]:
    code = FIRST_LOOK.format(root=str(ROOT), url=url, scheme=SCHEME_KEY, period=period)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    seconds, cached = out.stdout.split()[-2:]
    return float(seconds), cached == "True"


def timed_import(url: str, period: str, seed: int, n_units: int) -> float:
    from services.catalog import latest_version
    from services.submissions import import_values
    from storage.db import make_engine

    engine = make_engine(url)
    version = latest_version(SCHEME_KEY, engine=engine).id
    frame = month_values(n_units, seed=seed)
    started = time.perf_counter()
    import_values(period, version, frame, "基准", f"{period}-{seed}.csv", str(seed).encode(), engine=engine)
    took = time.perf_counter() - started
    engine.dispose()
    return took


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=500)
    parser.add_argument("--db", type=Path, default=None)
    parser.add_argument("--seed", type=int, default=100, help="another seed for another run on the same --db")
    args = parser.parse_args()
    path = args.db or Path(tempfile.mkdtemp()) / f"write_path_{args.units}.db"
    url = f"sqlite:///{path}"
    build_database(url, args.units, 2, log=lambda *_: None)
    older, newer = months(2)
    print(f"{args.units} units × 40 leaves ({ROOT})")
    for label, period, seed in (
        ("newest month", newer, args.seed + 1),
        ("older month (next exists)", older, args.seed + 2),
    ):
        took = timed_import(url, period, seed, args.units)
        look, cached = first_look(url, period)
        after = f"; the month after: {first_look(url, newer)[0]:.2f} s" if period != newer else ""
        print(f"  import into the {label}: {took:.2f} s; first results() in a fresh process: {look:.2f} s "
              f"(from stored results: {cached}){after}")  # fmt: skip


if __name__ == "__main__":
    main()
