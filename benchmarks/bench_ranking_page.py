"""Ranking page rerun against a page that only shows the same precomputed table.

    python benchmarks/bench_ranking_page.py [--units 5000] [--periods 24] [--db PATH] [--postgres]

Builds a database of N units × P months of the 40-leaf benchmark scheme
(benchmarks/bench_scoring.py; four peer groups, 20 parent units) through the services
(`register_scheme`, `upsert_units`, `import_values`), or reuses `--db` when it already holds
them. Then, under `streamlit.testing.v1.AppTest`:

- the real app (app.py → pages/ranking.py on the newest month, signed in as a leadership
  account) is run once to warm it (scoring or the results cache, imports), then rerun R times;
- the floor: a page of the same app that only shows the table the ranking page showed (the same
  rows, computed beforehand and loaded from a pickle) with a bare `st.dataframe` — same page
  config, sign-in check, navigation and sidebar filters, none of the ranking page's own work.

It prints the median of each and the ratio; target (issue 5): ratio ≤ 2. For context it also
prints the table alone in a one-line script (no app around it) and with the page's column
settings. As on a real server, compiled scripts are cached across reruns (AppTest would
otherwise recompile every page on every run, a cost the server does not have).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_scoring import N_LEAVES, bench_scheme  # noqa: E402

APP = str(ROOT / "app.py")
SCHEME_KEY = "bench"
CATEGORIES = ["甲类", "乙类", "丙类", "丁类"]
N_PARENTS = 20


def months(n: int, start_year: int = 2024) -> list[str]:
    return [f"{start_year + i // 12}-{i % 12 + 1:02d}" for i in range(n)]


def scheme_source(n_leaves: int = N_LEAVES) -> str:
    return yaml.safe_dump(bench_scheme(n_leaves) | {"categories": CATEGORIES}, allow_unicode=True, sort_keys=False)


def unit_register(n_units: int) -> pd.DataFrame:
    """Parents first (they must exist before their children), then the assessed units."""
    parents = pd.DataFrame(
        {"code": [f"P{i:03d}" for i in range(N_PARENTS)], "name": [f"第{i}片区" for i in range(N_PARENTS)],
         "category": "片区", "parent": ""}
    )  # fmt: skip
    idx = np.arange(n_units)
    units = pd.DataFrame(
        {
            "code": [f"U{i:07d}" for i in idx],
            "name": [f"第{i}号卫生院" for i in idx],
            "category": np.array(CATEGORIES)[idx % len(CATEGORIES)],
            "parent": [f"P{i % N_PARENTS:03d}" for i in idx],
        }
    )
    return pd.concat([parents, units], ignore_index=True)


def month_values(n_units: int, seed: int, n_leaves: int = N_LEAVES) -> pd.DataFrame:
    """One month's long values for the benchmark scheme: most units near or above the line."""
    rng = np.random.default_rng(seed)
    rows = n_units * n_leaves
    points = 100 / n_leaves
    leaf = np.tile(np.arange(n_leaves), n_units)
    kind = leaf % 4
    value = np.where(kind == 0, np.round(rng.uniform(0.6, 1, rows) * points, 1), 0.0)
    value = np.where(kind == 1, np.round(rng.uniform(40, 100, rows), 1), value)
    value = np.where(kind == 2, rng.integers(0, 3, rows).astype(float), value)
    value = np.where(kind == 3, np.round(rng.uniform(0.6, 1, rows) * points, 1), value)
    return pd.DataFrame(
        {
            "unit": np.repeat([f"U{i:07d}" for i in range(n_units)], n_leaves),
            "code": np.array([f"L{i:02d}" for i in range(n_leaves)])[leaf],
            "value": value,
        }
    )


def build_database(url: str, n_units: int, n_periods: int, n_leaves: int = N_LEAVES, log=print) -> None:  # noqa: ANN001
    """Create (or complete) the benchmark database: idempotent, so a file can be reused."""
    from services.catalog import register_scheme, upsert_units
    from services.submissions import import_values
    from services.values import periods_with_values
    from storage.db import make_engine, migrate

    engine = make_engine(url)
    migrate(engine)
    version = register_scheme(scheme_source(n_leaves), "基准", engine=engine).version.id
    have = set(periods_with_values(SCHEME_KEY, engine=engine))
    todo = [m for m in months(n_periods) if m not in have]
    if todo:
        upsert_units(unit_register(n_units), "基准", engine=engine)
    started = time.perf_counter()
    for i, month in enumerate(todo):
        frame = month_values(n_units, seed=i + 1, n_leaves=n_leaves)
        import_values(month, version, frame, "基准", f"{month}.csv", month.encode(), engine=engine)
        _publish(month, engine)  # leadership (the page's reader) sees published results only
        log(f"  imported {month}: {len(frame):,} values ({time.perf_counter() - started:.0f} s so far)")
    engine.dispose()


def _publish(month: str, engine) -> None:  # noqa: ANN001
    try:
        from services.publishing import publish
    except ImportError:  # an older tree, before 审定发布
        return
    publish(SCHEME_KEY, month, "基准", engine=engine)


# -- the two pages -----------------------------------------------------------------------------
# The floor: a script that only shows the precomputed frame.
TABLE_PAGE = textwrap.dedent(
    """
    import pandas as pd
    import streamlit as st

    rows = pd.read_pickle(TABLE_PATH)
    st.title("排名")
    st.dataframe(rows, hide_index=True)
    """
)
# The same frame with the ranking page's column settings (its look: formats, grade colours).
STYLED_PAGE = textwrap.dedent(
    """
    import pandas as pd
    import streamlit as st
    from ui.palette import grade_colors
    from ui.tables import ranking_columns

    rows = pd.read_pickle(TABLE_PATH)
    st.title("排名")
    st.dataframe(rows, hide_index=True, column_config=ranking_columns(grade_colors(GRADES), DECIMALS))
    """
)
# The floor: the app's own shell (as app.py: page config, sign-in check, navigation, the signed-in
# name and logout button, sidebar filters) around a page that only shows the precomputed frame.
SHELL_PAGE = textwrap.dedent(
    """
    import pandas as pd
    import streamlit as st
    from ui.filters import filter_bar
    from ui.guard import mark_shell, signed_in

    st.set_page_config(page_title="卫生健康绩效考核", layout="wide")

    @st.cache_resource
    def table():
        return pd.read_pickle(TABLE_PATH)

    def ranking():
        st.title("排名")
        st.dataframe(table(), hide_index=True)

    mark_shell()
    actor = signed_in()
    page = st.navigation([st.Page(ranking, title="排名")])
    with st.sidebar:
        st.text(f"{actor.display_name}（{actor.role_name}）")
        st.button("退出登录", key="logout")
    filter_bar()
    page.run()
    """
)


def _patch_pages_manager() -> None:
    """As tests/test_pages.py: behave like a running server once app.py has called st.navigation;
    and keep one script cache for every run, as the server's runtime does."""
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache
    from streamlit.testing.v1 import app_test, local_script_runner

    shared = ScriptCache()
    app_test.ScriptCache = local_script_runner.ScriptCache = lambda: shared

    original = PagesManager.__init__

    def init(self, *args, **kwargs) -> None:  # noqa: ANN001, ANN002, ANN003
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    PagesManager.__init__ = init


def _sign_in(at, url: str) -> None:  # noqa: ANN001
    """With accounts (issue 7), pages need a signed-in user: a leadership (viewer) account, who this page is for."""
    try:
        from services.accounts import authenticate, create_account
        from services.errors import Conflict
        from services.permissions import trusted
        from storage.db import make_engine
        from ui import guard
    except ImportError:
        return
    engine = make_engine(url)
    password = "Ranking-Viewer-Tulip-2025"  # must pass the password rules (not contain the user name)
    with trusted():
        try:
            actor = create_account("bench", "基准测试", "viewer", password, engine=engine)
        except Conflict:
            actor = None
        token = authenticate("bench", password, engine=engine)
    engine.dispose()
    at.session_state[guard.TOKEN_KEY] = token
    if actor is not None:
        at.session_state[guard.ACTOR_KEY] = actor


def _timed_runs(at, repeat: int) -> list[float]:  # noqa: ANN001
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - started)
        assert not at.exception, at.exception
    return times


def measure(url: str, repeat: int = 7) -> dict:
    """Median seconds of a ranking-page rerun and of a precomputed-table page rerun, and their ratio."""
    import os

    from streamlit.testing.v1 import AppTest

    os.environ["DATABASE_URL"] = url
    os.environ["ASSESS_SEED_DEMO"] = "0"
    _patch_pages_manager()
    at = AppTest.from_file(APP, default_timeout=600)
    _sign_in(at, url)
    started = time.perf_counter()
    at.run()
    assert not at.exception, at.exception
    at.switch_page("pages/ranking.py")
    at.run()  # the first visit scores the newest month (or reads it from the results cache)
    first = time.perf_counter() - started
    assert not at.exception, at.exception
    assert at.title[0].value == "排名", [t.value for t in at.title]
    shown = at.dataframe[0].value
    page_times = _timed_runs(at, repeat)

    from services.catalog import latest_version

    scheme = latest_version(SCHEME_KEY).load()
    floors = {}
    with tempfile.TemporaryDirectory() as tmp:
        table_path = Path(tmp) / "table.pkl"
        pd.DataFrame(shown).to_pickle(table_path)
        for name, script in (("table", TABLE_PAGE), ("styled", STYLED_PAGE), ("shell", SHELL_PAGE)):
            source = (
                script.replace("TABLE_PATH", repr(str(table_path)))
                .replace("GRADES", repr([g.name for g in scheme.grades]))
                .replace("DECIMALS", str(scheme.decimals))
            )
            bare = AppTest.from_string(source, default_timeout=600)
            if name == "shell":
                _sign_in(bare, url)
            bare.run()
            assert not bare.exception, bare.exception
            floors[name] = statistics.median(_timed_runs(bare, repeat))
    page = statistics.median(page_times)
    return {"first": first, "page": page, **floors, "ratio": page / floors["shell"], "rows_shown": len(shown),
            "ratio_table": page / floors["table"], "ratio_styled": page / floors["styled"]}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--units", type=int, default=5000)
    parser.add_argument("--periods", type=int, default=24)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--db", help="SQLite file to build or reuse (default: a temporary file)")
    parser.add_argument("--postgres", action="store_true", help="use a throw-away PostgreSQL cluster instead")
    args = parser.parse_args()

    def run(url: str) -> None:
        print(f"building {args.units:,} units × {args.periods} months × {N_LEAVES} leaves …", flush=True)
        t0 = time.perf_counter()
        build_database(url, args.units, args.periods)
        print(f"  database ready in {time.perf_counter() - t0:.0f} s", flush=True)
        r = measure(url, args.repeat)
        print(f"first visit (scores the month)      {r['first']:7.3f} s")
        print(f"ranking page rerun (median of {args.repeat})   {r['page']:7.3f} s  ({r['rows_shown']:,} rows shown)")
        print(f"precomputed table, page of the app  {r['shell']:7.3f} s  → ratio {r['ratio']:.2f}")
        print(f"  the table alone, one-line script   {r['table']:7.3f} s  → ratio {r['ratio_table']:.2f}")
        print(f"  with the page's column settings    {r['styled']:7.3f} s  → ratio {r['ratio_styled']:.2f}")
        print(f"ratio {r['ratio']:.2f} (target ≤ 2) {'OK' if r['ratio'] <= 2 else 'TOO SLOW'}")

    if args.postgres:
        from tests.pg import PgCluster

        with PgCluster(fast=True) as pg:
            run(pg.create_database("bench"))
    elif args.db:
        run(f"sqlite:///{Path(args.db).resolve()}")
    else:
        with tempfile.TemporaryDirectory() as tmp:
            run(f"sqlite:///{tmp}/bench.db")


if __name__ == "__main__":
    main()
