"""Storage speed on SQLite and PostgreSQL, each against a bare driver call on the same rows.

    python benchmarks/bench_storage.py                      # both databases, 1M values
    python benchmarks/bench_storage.py --rows 200000 --only sqlite
    python benchmarks/bench_storage.py --pg-url postgresql://user@host/db   # an existing server

1. Loading: `import_values` of one file of N values (N/40 units × 40 leaves) → rows/s, against
   a bare executemany (SQLite) / COPY (PostgreSQL) of the same rows into a table with the same
   columns and primary key only ("bare"), and into a copy of `submission_value` with its
   indexes and foreign keys ("bare + indexes"). The ratio is import time / bare time.
2. Reading: `current_values` of one period of 5,000 units × 40 leaves (after a second import
   superseded a tenth of it), against a bare SELECT of the same rows through the driver.

Without --pg-url, PostgreSQL is a throw-away cluster started with the tests' helper
(tests/pg.py), with default durability settings (fsync on). SQLite uses a temporary file with
this project's settings (WAL, synchronous=FULL). Run by hand; not part of the test suite.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from services.catalog import register_scheme, upsert_units  # noqa: E402
from services.submissions import import_values  # noqa: E402
from services.values import current_values  # noqa: E402
from storage.bulk import VALUE_COLUMNS, copy_rows, driver_connection, fetch_columns  # noqa: E402
from storage.db import make_engine, migrate, writing  # noqa: E402

N_LEAVES = 40
READ_UNITS = 5_000
_PG_TYPES = ["int4", "int4", "int4", "text", "text", "float8", "bool", "text", "bool"]


def bench_scheme() -> str:
    items = "\n".join(
        f"      - {{code: L{i:02d}, name: 指标{i:02d}, method: direct, points: 2.5}}" for i in range(N_LEAVES)
    )
    return f"""id: bench
name: 基准方案
version: "1"
period_type: month
categories: [基准类]
criteria:
  - code: A
    name: 全部指标
    items:
{items}
"""


def values_frame(n_units: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    units = np.repeat([f"B{i:06d}" for i in range(n_units)], N_LEAVES)
    codes = np.tile([f"L{i:02d}" for i in range(N_LEAVES)], n_units)
    return pd.DataFrame(
        {"unit": units, "code": codes, "value": np.round(rng.uniform(0, 2.5, len(units)) * 2) / 2, "assessor": ""}
    )


def timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def median_time(fn: Callable[[], object], runs: int = 5) -> float:
    return statistics.median(timed(fn) for _ in range(runs))


def bare_tables(engine, postgres: bool) -> None:  # noqa: ANN001
    with writing(engine) as s:
        conn = s.connection()
        cols = "submission_id INTEGER, assessment_id INTEGER, unit_id INTEGER, code VARCHAR(64), " \
               "assessor VARCHAR(100), value FLOAT, na BOOLEAN, note TEXT, current BOOLEAN"  # fmt: skip
        pk = "id BIGSERIAL PRIMARY KEY" if postgres else "id INTEGER PRIMARY KEY"
        conn.exec_driver_sql(f"CREATE TABLE bench_bare ({pk}, {cols})")
        if postgres:
            conn.exec_driver_sql("CREATE TABLE bench_indexed (LIKE submission_value INCLUDING ALL)")
            for fk in ("submission_id", "assessment_id", "unit_id"):
                parent = fk.removesuffix("_id")
                conn.exec_driver_sql(f"ALTER TABLE bench_indexed ADD FOREIGN KEY ({fk}) REFERENCES {parent} (id)")
        else:
            ddl = conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE tbl_name = 'submission_value'").all()
            for (sql,) in ddl:
                if sql:
                    conn.exec_driver_sql(sql.replace("submission_value", "bench_indexed"))


def bare_load(engine, table: str, rows: list[tuple], postgres: bool) -> float:  # noqa: ANN001
    def load() -> None:
        with writing(engine) as s:
            dbapi = driver_connection(s)
            if postgres:
                copy_rows(dbapi, table, VALUE_COLUMNS, _PG_TYPES, rows)
            else:
                cur = dbapi.cursor()
                marks = ", ".join("?" * len(VALUE_COLUMNS))
                cur.executemany(f"INSERT INTO {table} ({', '.join(VALUE_COLUMNS)}) VALUES ({marks})", rows)

    return timed(load)


def run(name: str, url: str, rows: int) -> None:
    postgres = url.startswith("postgresql")
    engine = make_engine(url)
    migrate(engine)
    n_units = max(rows // N_LEAVES, READ_UNITS)
    codes = [f"B{i:06d}" for i in range(n_units)]
    t_units = timed(
        lambda: upsert_units(pd.DataFrame({"code": codes, "name": codes, "category": "基准类"}), "基准", engine=engine)
    )
    version = register_scheme(bench_scheme(), "基准", engine=engine).version.id
    print(f"\n== {name}: {url.split('@')[-1]}")
    print(f"   {n_units:,} units registered in {t_units:.1f} s")

    frame = values_frame(rows // N_LEAVES, seed=1)
    t_import = timed(lambda: import_values("2025-01", version, frame, "基准", "load.csv", b"x", engine=engine))
    unit_ids = dict(zip(codes, range(1, n_units + 1), strict=True))
    tuples = list(
        zip([1] * len(frame), [1] * len(frame), [unit_ids[u] for u in frame["unit"]], frame["code"].tolist(),
            [""] * len(frame), frame["value"].tolist(), [False] * len(frame), [None] * len(frame), [True] * len(frame),
            strict=True)
    )  # fmt: skip
    bare_tables(engine, postgres)
    t_bare = bare_load(engine, "bench_bare", tuples, postgres)
    t_indexed = bare_load(engine, "bench_indexed", tuples, postgres)
    n = len(frame)
    print(f"   load {n:,} values: import_values {n / t_import:>10,.0f} rows/s ({t_import:.2f} s)")
    print(f"   bare {'COPY' if postgres else 'executemany'}, primary key only {n / t_bare:>10,.0f} rows/s "
          f"({t_bare:.2f} s) → ratio {t_import / t_bare:.2f}")  # fmt: skip
    print(f"   bare {'COPY' if postgres else 'executemany'}, same indexes + FKs {n / t_indexed:>9,.0f} rows/s "
          f"({t_indexed:.2f} s) → ratio {t_import / t_indexed:.2f}")  # fmt: skip

    read = values_frame(READ_UNITS, seed=2)
    import_values("2025-02", version, read, "基准", "read.csv", b"r1", engine=engine)
    tenth = read.iloc[: len(read) // 10].assign(value=1.0)
    import_values("2025-02", version, tenth, "基准", "fix.csv", b"r2", engine=engine)
    with writing(engine) as s:
        assessment = (
            s.connection()
            .exec_driver_sql(
                "SELECT a.id FROM assessment a JOIN period p ON p.id = a.period_id WHERE p.label = '2025-02'"
            )
            .scalar()
        )
        if postgres:
            s.connection().exec_driver_sql("ANALYZE")
    sql = "SELECT unit_id, code, assessor, value, na, note, submission_id FROM submission_value WHERE assessment_id = ? AND current"

    def bare_select() -> None:
        with writing(engine) as s:
            fetch_columns(s, sql, (assessment,))

    got = current_values("bench", "2025-02", engine=engine)
    assert len(got) == len(read), (len(got), len(read))
    t_service = median_time(lambda: current_values("bench", "2025-02", engine=engine))
    t_select = median_time(bare_select)
    print(f"   read {len(read):,} current values ({READ_UNITS:,} units × {N_LEAVES} leaves): current_values "
          f"{t_service * 1000:.0f} ms, bare SELECT {t_select * 1000:.0f} ms → ratio {t_service / t_select:.2f}")  # fmt: skip
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument("--pg-url", help="use this PostgreSQL database instead of a throw-away cluster")
    args = parser.parse_args()
    if args.only != "postgresql":
        with tempfile.TemporaryDirectory() as tmp:
            run("SQLite", f"sqlite:///{tmp}/bench.db", args.rows)
    if args.only != "sqlite":
        if args.pg_url:
            run("PostgreSQL", args.pg_url.replace("postgresql://", "postgresql+psycopg://", 1), args.rows)
        else:
            from tests.pg import PgCluster

            with PgCluster(fast=False) as pg:
                run("PostgreSQL (throw-away cluster)", pg.create_database("bench"), args.rows)


if __name__ == "__main__":
    main()
