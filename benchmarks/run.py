"""One harness for every speed figure: each step of the product against its floor, one table.

    python benchmarks/run.py [--size county|city|province] [--no-postgres] [--keep DIR]

Sizes (units × leaves × monthly periods): county 40 × 50 × 12, city 500 × 50 × 12,
province 40,000 × 40 × 12 (19.2M values). Each step runs in a subprocess of its own, so its
peak memory (the child's maximum resident set, read with `resource.getrusage` right after the
product's part and before the floor's) is the step's own. Ratios compare with a floor measured
in the same run, on the same data:

| step            | product                                     | floor                                     |
| upload          | `sheets.read_scores` of one period's sheet  | python-calamine's bare read of the sheet  |
| scoring         | `scoring.score` of all periods (+ ranking)  | pandas groupby-sum of the same values     |
| load sqlite/pg  | `import_values`, one submission per period  | executemany / COPY of the same rows into a copy of the table (same keys and indexes) |
| read sqlite/pg  | `current_values` of the newest period       | the bare SELECT of the same rows          |
| ranking page    | a rerun of pages/ranking.py in the app      | a page of the app showing the same precomputed table |
| bulletin        | `write_bulletin` (formatted workbook)       | the same cells written bare (xlsxwriter)  |

The load steps build the databases the later steps read (SQLite in the work directory,
PostgreSQL in a throw-away cluster from tests/pg.py with default durability). Uploads are one
file per period (the product's unit of work), so the upload step times one period's sheet.
The machine's load average is printed next to each step: figures taken while other work runs
are slower, and the ratio (taken in the same minute) is the figure to compare.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

SIZES = {  # units, leaves, periods
    "county": (40, 50, 12),
    "city": (500, 50, 12),
    "province": (40_000, 40, 12),
}
STEPS = ["upload", "scoring", "load_sqlite", "load_postgres", "read_sqlite", "read_postgres", "page", "bulletin"]
STEP_NAMES = {
    "upload": "upload parse + validate",
    "scoring": "scoring + ranking",
    "load_sqlite": "load into SQLite",
    "load_postgres": "load into PostgreSQL",
    "read_sqlite": "read one period (SQLite)",
    "read_postgres": "read one period (PostgreSQL)",
    "page": "ranking page rerun",
    "bulletin": "bulletin export",
}


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def median_time(fn: Callable[[], object], runs: int) -> float:
    return statistics.median(timed(fn) for _ in range(runs))


def months(n: int) -> list[str]:
    from bench_ranking_page import months as labels

    return labels(n)


# -- the steps (each runs in a child process) --------------------------------------------------
def step_upload(units: int, leaves: int, periods: int, **_: str) -> dict:
    try:
        from bench_upload import measure
    except ImportError:
        measure = None
    if measure is not None:
        r = measure(units, leaves, repeat=2 if units > 10_000 else 3, pandas_repeat=0)
        return {"product": r["sheets_s"], "floor": r["calamine_s"], "floor_name": "calamine bare read",
                "peak": peak_mb(), "note": f"one period: {r['cells']:,} cells, {r['file_bytes'] / 1e6:.1f} MB"}  # fmt: skip
    raise RuntimeError("benchmarks/bench_upload.py with measure(rows, leaves) is needed for this step")


def score_inputs(units: int, leaves: int, periods: int):  # noqa: ANN201 - (scheme, frame, categories)
    import numpy as np
    import pandas as pd
    from bench_ranking_page import CATEGORIES
    from bench_scoring import bench_scheme, bench_values

    from scoring import scheme_from_dict

    scheme = scheme_from_dict(bench_scheme(leaves))
    rng = np.random.default_rng(1)
    codes = np.array([f"U{i:07d}" for i in range(units)])
    per = units * leaves
    value = np.concatenate([bench_values(units, leaves, rng) for _ in range(periods)])
    frame = pd.DataFrame(
        {
            "period": pd.Categorical.from_codes(np.repeat(np.arange(periods), per), months(periods)),
            "unit": pd.Categorical.from_codes(np.tile(np.repeat(np.arange(units), leaves), periods), codes),
            "code": pd.Categorical.from_codes(
                np.tile(np.arange(leaves), units * periods), [f"L{i:02d}" for i in range(leaves)]
            ),
            "value": value,
        }
    )
    categories = pd.Series(np.array(CATEGORIES)[np.arange(units) % len(CATEGORIES)], index=codes)
    return scheme, frame, categories


def step_scoring(units: int, leaves: int, periods: int, **_: str) -> dict:
    from scoring import score

    scheme, frame, categories = score_inputs(units, leaves, periods)
    repeat = 3 if len(frame) <= 2_000_000 else 2  # the first run also pays for fresh memory pages
    product = min(timed(lambda: score(scheme, frame, categories=categories)) for _ in range(repeat))
    peak = peak_mb()
    floor = min(timed(lambda: frame.groupby(["period", "unit"], observed=True)["value"].sum()) for _ in range(repeat))
    return {"product": product, "floor": floor, "floor_name": "pandas groupby-sum", "peak": peak,
            "note": f"{len(frame):,} values, all periods at once"}  # fmt: skip


def _engine(url: str):  # noqa: ANN202
    from storage.db import make_engine, migrate

    engine = make_engine(url)
    migrate(engine)
    return engine


def _bare_table(engine, postgres: bool) -> None:  # noqa: ANN001
    """bench_indexed: submission_value's columns, keys and indexes (it has no foreign keys)."""
    from storage.db import writing

    with writing(engine) as s:
        conn = s.connection()
        conn.exec_driver_sql("DROP TABLE IF EXISTS bench_indexed")
        if postgres:
            conn.exec_driver_sql("CREATE TABLE bench_indexed (LIKE submission_value INCLUDING ALL)")
        else:
            ddl = conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE tbl_name = 'submission_value'").all()
            for (sql,) in ddl:
                if sql:
                    conn.exec_driver_sql(sql.replace("submission_value", "bench_indexed"))


def _bare_load(engine, rows: list[tuple], postgres: bool) -> None:  # noqa: ANN001
    from storage.bulk import _PG_TYPES, VALUE_COLUMNS, copy_rows, driver_connection
    from storage.db import writing

    with writing(engine) as s:
        dbapi = driver_connection(s)
        if postgres:
            copy_rows(dbapi, "bench_indexed", VALUE_COLUMNS, _PG_TYPES, rows)
        else:
            marks = ", ".join("?" * len(VALUE_COLUMNS))
            dbapi.cursor().executemany(f"INSERT INTO bench_indexed ({', '.join(VALUE_COLUMNS)}) VALUES ({marks})", rows)


def step_load(units: int, leaves: int, periods: int, url: str, **_: str) -> dict:
    from bench_ranking_page import month_values, scheme_source, unit_register

    from services.catalog import register_scheme, upsert_units
    from services.submissions import import_values
    from storage.db import writing

    postgres = url.startswith("postgresql")
    engine = _engine(url)
    version = register_scheme(scheme_source(leaves), "基准", engine=engine).version.id
    upsert_units(unit_register(units), "基准", engine=engine)
    product = 0.0
    for i, month in enumerate(months(periods)):
        frame = month_values(units, seed=i + 1, n_leaves=leaves)
        product += timed(lambda f=frame, m=month: import_values(m, version, f, "基准", f"{m}.csv", m.encode(), engine=engine))  # fmt: skip
    peak = peak_mb()
    with writing(engine) as s:
        ids = dict(s.connection().exec_driver_sql("SELECT code, id FROM unit").all())
        sub, assessment = s.connection().exec_driver_sql("SELECT id, assessment_id FROM submission LIMIT 1").one()
    _bare_table(engine, postgres)
    floor = 0.0
    for i in range(periods):
        frame = month_values(units, seed=i + 1, n_leaves=leaves)
        n = len(frame)
        rows = list(
            zip([sub] * n, [assessment] * n, [ids[u] for u in frame["unit"]], frame["code"].tolist(), [""] * n,
                frame["value"].tolist(), [False] * n, [None] * n, [True] * n, strict=True)
        )  # fmt: skip
        floor += timed(lambda r=rows: _bare_load(engine, r, postgres))
    with writing(engine) as s:
        s.connection().exec_driver_sql("DROP TABLE bench_indexed")
        if postgres:
            s.connection().exec_driver_sql("ANALYZE")
    engine.dispose()
    return {"product": product, "floor": floor, "floor_name": "COPY, same indexes" if postgres else
            "executemany, same indexes", "peak": peak, "note": f"{periods} submissions of {units * leaves:,} values"}  # fmt: skip


def step_read(units: int, leaves: int, periods: int, url: str, **_: str) -> dict:
    from services.values import _CURRENT_SQL, current_values, find_assessment
    from storage.bulk import fetch_columns
    from storage.db import reading

    engine = _engine(url)
    period = months(periods)[-1]
    got = current_values("bench", period, engine=engine)
    assert len(got) == units * leaves, (len(got), units * leaves)
    runs = 3 if units > 10_000 else 7
    product = median_time(lambda: current_values("bench", period, engine=engine), runs)
    peak = peak_mb()
    with reading(engine) as s:
        ref = find_assessment(s, "bench", period)

    def bare() -> None:
        with reading(engine) as s:
            fetch_columns(s, _CURRENT_SQL, (ref.id,))

    floor = median_time(bare, runs)
    engine.dispose()
    return {"product": product, "floor": floor, "floor_name": "bare SELECT", "peak": peak,
            "note": f"{len(got):,} values of {period}"}  # fmt: skip


def step_page(units: int, leaves: int, periods: int, url: str, **_: str) -> dict:
    from bench_ranking_page import measure

    r = measure(url, repeat=5)
    return {"product": r["page"], "floor": r["shell"], "floor_name": "precomputed-table page", "peak": peak_mb(),
            "note": f"{r['rows_shown']} rows shown; first visit {r['first']:.1f} s; vs a one-line table script "
                    f"{r['ratio_table']:.2f}×"}  # fmt: skip


def step_bulletin(units: int, leaves: int, periods: int, **_: str) -> dict:
    import bench_bulletin

    if hasattr(bench_bulletin, "measure"):
        r = bench_bulletin.measure(units, leaves, repeat=1 if units > 10_000 else 3)
        product = r.get("formatted_s", r.get("write_s"))
        floor = r.get("bare_s")
        if product is None or floor is None:
            raise RuntimeError(f"bench_bulletin.measure gave {sorted(r)}")
        return {"product": product, "floor": floor, "floor_name": "bare xlsxwriter cells", "peak": peak_mb(),
                "note": f"{units:,} units × {leaves} leaves"}  # fmt: skip
    # Until bench_bulletin.measure exists: its own pieces (40 leaves, the bulletin benchmark's scheme).
    arguments = bench_bulletin.inputs(units)
    product = timed(lambda: bench_bulletin.write_bulletin(*arguments))
    peak = peak_mb()
    sheets = bench_bulletin.cells_of(bench_bulletin.write_bulletin(*arguments))
    floor = min(
        timed(lambda: bench_bulletin.write_bare(sheets, constant_memory=False)),
        timed(lambda: bench_bulletin.write_bare(sheets, constant_memory=True)),
    )
    return {"product": product, "floor": floor, "floor_name": "bare xlsxwriter cells", "peak": peak,
            "note": f"{units:,} units × 40 leaves (bench_bulletin's scheme)"}  # fmt: skip


CHILD = {
    "upload": step_upload,
    "scoring": step_scoring,
    "load_sqlite": step_load,
    "load_postgres": step_load,
    "read_sqlite": step_read,
    "read_postgres": step_read,
    "page": step_page,
    "bulletin": step_bulletin,
}


def child(step: str, size: str, url: str) -> None:
    units, leaves, periods = SIZES[size]
    result = CHILD[step](units, leaves, periods, url=url)
    print("RESULT " + json.dumps(result), flush=True)


# -- the parent: one child per step, one table -------------------------------------------------
def run_step(step: str, size: str, url: str, log: Path) -> dict:
    load = os.getloadavg()[0]
    started = time.perf_counter()
    with log.open("a") as out:
        out.write(f"\n== {step}\n")
        out.flush()
        proc = subprocess.run(
            [sys.executable, __file__, "--child", step, "--size", size, "--url", url],
            stdout=subprocess.PIPE, stderr=out, text=True, cwd=ROOT,
        )  # fmt: skip
        out.write(proc.stdout)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        return {"error": f"failed (exit {proc.returncode}), see {log}", "load": load}
    result = json.loads(lines[-1].removeprefix("RESULT "))
    result["load"] = max(load, os.getloadavg()[0])
    result["wall"] = time.perf_counter() - started
    return result


def fmt_s(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def print_table(size: str, results: dict[str, dict]) -> None:
    units, leaves, periods = SIZES[size]
    print(f"\nsize {size}: {units:,} units × {leaves} leaves × {periods} months = {units * leaves * periods:,} values")
    print(f"{'step':<30} {'time':>10} {'floor':>10} {'ratio':>6} {'peak MB':>8} {'load':>5}  floor / note")
    for step, r in results.items():
        if "error" in r:
            print(f"{STEP_NAMES[step]:<30} {r['error']}")
            continue
        ratio = r["product"] / r["floor"] if r["floor"] else float("nan")
        print(f"{STEP_NAMES[step]:<30} {fmt_s(r['product']):>10} {fmt_s(r['floor']):>10} {ratio:>6.2f} "
              f"{r['peak']:>8.0f} {r['load']:>5.2f}  {r['floor_name']}; {r['note']}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", choices=list(SIZES), default="county")
    parser.add_argument("--steps", nargs="+", choices=STEPS, default=STEPS)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--keep", help="work directory to keep (SQLite database, log)")
    parser.add_argument("--child", choices=STEPS, help=argparse.SUPPRESS)
    parser.add_argument("--url", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.size, args.url)
        return
    steps = [s for s in args.steps if not (args.no_postgres and s.endswith("postgres"))]
    work = Path(args.keep or tempfile.mkdtemp(prefix=f"bench-{args.size}-"))
    work.mkdir(parents=True, exist_ok=True)
    sqlite_url = f"sqlite:///{work / 'bench.db'}"
    (work / "bench.db").unlink(missing_ok=True)
    log = work / "run.log"
    print(f"work directory {work} (log: {log})", flush=True)
    pg = None
    pg_url = ""
    if any(s.endswith("postgres") for s in steps):
        from tests.pg import PgCluster

        pg = PgCluster(fast=False).start()
        pg_url = pg.create_database("bench")
    results: dict[str, dict] = {}
    try:
        for step in steps:
            url = pg_url if step.endswith("postgres") else sqlite_url
            print(f"  {STEP_NAMES[step]} …", end=" ", flush=True)
            results[step] = run_step(step, args.size, url, log)
            print(results[step].get("error") or f"{results[step]['wall']:.0f} s", flush=True)
    finally:
        if pg is not None:
            pg.stop()
    print_table(args.size, results)


if __name__ == "__main__":
    main()
