"""The current values of a month read cold, and the service calls of the pages that read them
(issue 23), each in a fresh process (no memo, nothing in memory).

    python benchmarks/bench_value_snapshot.py --db PATH [--period 2024-12] [--root DIR] [--pack]

`--db` is a SQLite database built by `bench_ranking_page.build_database` (or bench_pages.py),
migrated and warmed (`python manage.py results warm`) by the code under `--root` (default this
repository: point it at an export of an older commit to measure "before" the same way). Each
call runs in its own process started from `--root` and the seconds printed are its own time.
`--pack` also times packing and unpacking the month's snapshot in this process, and its size.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCHEME_KEY = "bench"

CALLS = {
    "current_values (all values of the month)": "from services.values import current_values as f; f(S, P, engine=E)",
    "填报进度 progress": "from services.progress import progress as f; f(S, P, engine=E)",
    "核对考核组 reconciliation": "from services.reconcile import reconciliation as f; f(S, P, engine=E)",
    "核对考核组 existing_teams": "from services.teams import existing_teams as f; f(S, P, engine=E)",
    "审定发布 publish_preview": "from services.publishing import publish_preview as f; f(S, P, engine=E)",
    "模拟测算 simulate (no edit)": "from services.whatif import Edits, simulate as f; f(S, P, Edits(), engine=E)",
    "方案管理 preview": (
        "from services.scheme_admin import preview as f; from services.catalog import latest_version;"
        " f(latest_version(S, engine=E).load(), engine=E)"
    ),
}

TEMPLATE = """
import sys, time
sys.path.insert(0, {root!r})
from storage.db import make_engine
E, S, P = make_engine({url!r}), {scheme!r}, {period!r}
{setup}
started = time.perf_counter()
{call}
print(f"{{time.perf_counter() - started:.2f}}")
"""


def timed(root: Path, url: str, period: str, call: str) -> float:
    setup, _, last = call.rpartition(";")
    code = TEMPLATE.format(root=str(root), url=url, scheme=SCHEME_KEY, period=period, setup=setup, call=last.strip())
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root)
    if out.returncode != 0:
        raise SystemExit(out.stderr[-2000:])
    return float(out.stdout.split()[-1])


def pack_figures(url: str, period: str) -> None:
    import numpy as np

    sys.path.insert(0, str(ROOT))
    from services import value_snapshot as vs
    from services.values import _current_columns, _frame, _snapshot_frame, find_assessment
    from storage.db import make_engine, reading

    engine = make_engine(url)
    with reading(engine) as s:
        ref = find_assessment(s, SCHEME_KEY, period)
        started = time.perf_counter()
        cols = _current_columns(s, ref)
        frame = _frame(s, period, cols)
        selected = time.perf_counter() - started
        started = time.perf_counter()
        payload = vs.pack(frame, np.asarray(cols[0], dtype=np.int32))
        packed = time.perf_counter() - started
        started = time.perf_counter()
        back = _snapshot_frame(s, period, vs.unpack(payload))
        unpacked = time.perf_counter() - started
    assert back.equals(frame)
    size = f"{len(payload) / 1e6:.1f} MB for {len(frame):,} values"
    print(f"select {selected:.2f} s, pack {packed:.2f} s, unpack {unpacked:.2f} s, {size}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--period", default="2024-12")
    parser.add_argument("--root", type=Path, default=ROOT)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--pack", action="store_true")
    args = parser.parse_args()
    url = f"sqlite:///{args.db.resolve()}"
    print(f"{args.db.name} {args.period}, code at {args.root}")
    if args.pack:
        pack_figures(url, args.period)
    for name, call in CALLS.items():
        seconds = [timed(args.root.resolve(), url, args.period, call) for _ in range(args.runs)]
        print(f"{name:<42} " + " ".join(f"{x:6.2f}" for x in seconds))


if __name__ == "__main__":
    main()
