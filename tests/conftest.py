"""Database fixtures: every storage and services test runs on SQLite and on PostgreSQL.

- `database`: an empty, migrated database (a fresh SQLite file, or a fresh PostgreSQL database
  in a throw-away cluster this session starts on 127.0.0.1 and removes at the end).
- `demo_database`: the same with the demo district loaded (units, four schemes, all values).

Each test gets its own database, cloned from a template made once per session (a file copy on
SQLite, CREATE DATABASE … TEMPLATE on PostgreSQL), so tests cannot see each other's data.

Without PostgreSQL binaries the postgresql cases fail, saying how to install them, unless
ASSESS_SKIP_POSTGRES=1 is set (then they are skipped). `-m "not postgres"` deselects them.
"""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pg import MISSING_HINT, PgCluster, PostgresUnavailable, find_bin_dir
from sqlalchemy import Engine

from storage.db import make_engine, migrate

pytest_plugins = ["browser_kit"]
# A page that fails raises in the tests (users see a plain message instead: ui/guard.run_page).
os.environ.setdefault("ASSESS_RAISE_PAGE_ERRORS", "1")

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
_names = itertools.count(1)


def url_of(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    if find_bin_dir() is None:
        if os.environ.get("ASSESS_SKIP_POSTGRES") == "1":
            pytest.skip("PostgreSQL binaries not installed and ASSESS_SKIP_POSTGRES=1")
        pytest.fail(MISSING_HINT, pytrace=False)
    cluster = PgCluster()
    try:
        cluster.start()
    except PostgresUnavailable as exc:
        pytest.fail(f"could not start the throw-away PostgreSQL cluster: {exc}", pytrace=False)
    yield cluster
    cluster.stop()


class _Templates:
    """Migrated (and optionally seeded) template databases, made on first use."""

    def __init__(self, base: Path):
        self.base = base
        self.sqlite: dict[str, Path] = {}
        self.postgres: dict[str, str] = {}

    def _fill(self, engine: Engine, kind: str) -> None:
        migrate(engine)
        if kind == "demo":
            from services.seed import seed_demo

            seed_demo(engine=engine)

    def sqlite_file(self, kind: str) -> Path:
        if kind not in self.sqlite:
            path = self.base / f"template_{kind}.db"
            engine = make_engine(f"sqlite:///{path}")
            self._fill(engine, kind)
            with engine.connect() as conn:  # fold the WAL into the file, so copying the file is enough
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            engine.dispose()
            self.sqlite[kind] = path
        return self.sqlite[kind]

    def postgres_name(self, cluster: PgCluster, kind: str) -> str:
        if kind not in self.postgres:
            name = f"template_{kind}"
            engine = make_engine(cluster.create_database(name))
            self._fill(engine, kind)
            engine.dispose()  # a template cannot be copied while anyone is connected to it
            self.postgres[kind] = name
        return self.postgres[kind]


@pytest.fixture(scope="session")
def _templates(tmp_path_factory: pytest.TempPathFactory) -> _Templates:
    return _Templates(tmp_path_factory.mktemp("db_templates"))


def _fresh(request: pytest.FixtureRequest, tmp_path: Path, kind: str) -> Iterator[Engine]:
    templates: _Templates = request.getfixturevalue("_templates")
    if request.param == "sqlite":
        path = tmp_path / "assessment.db"
        shutil.copyfile(templates.sqlite_file(kind), path)
        engine = make_engine(f"sqlite:///{path}")
        yield engine
        engine.dispose()
        return
    cluster: PgCluster = request.getfixturevalue("pg_cluster")
    name = f"test_{next(_names)}_{os.getpid()}"
    engine = make_engine(cluster.create_database(name, template=templates.postgres_name(cluster, kind)))
    yield engine
    engine.dispose()
    cluster.drop_database(name)


@pytest.fixture(params=BACKENDS)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty, migrated database; the engine to reach it."""
    yield from _fresh(request, tmp_path, "empty")


@pytest.fixture(params=BACKENDS)
def demo_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A database with the demo district loaded."""
    yield from _fresh(request, tmp_path, "demo")


# -- a small scheme and a handful of units, for tests that state their values cell by cell -----
SMALL_SCHEME = """\
id: t
name: 测试方案
version: "1"
period_type: month
categories: [测试类, 测试类二]
criteria:
  - code: C
    name: 测试指标
    items:
      - {code: D1, name: 直接评分一, method: direct, points: 50}
      - {code: D2, name: 直接评分二, method: direct, points: 30, allow_na: true}
      - {code: K1, name: 扣分项, method: deduction, points: 20, per_occurrence: 5}
"""
SMALL_UNITS = pd.DataFrame(
    {
        "code": ["U1", "U2", "U3", "U4", "X1", "Z9"],
        "name": ["甲中心", "乙中心", "丙中心", "丁中心", "外类单位", "已撤并中心"],
        "category": ["测试类"] * 4 + ["其他类", "测试类"],
        "parent": [""] * 6,
        "population": pd.array([1000, 2000, None, 4000, None, None], dtype="Int64"),
        "aliases": ["甲|甲社区", "乙", "", "", "", ""],
        "active": [True] * 5 + [False],
    }
)
NA = "不适用"


@dataclass
class SmallDb:
    """A database with SMALL_SCHEME registered (version `version_id`) and SMALL_UNITS loaded."""

    engine: Engine
    version_id: int
    scheme_key: str = "t"

    @property
    def url(self) -> str:
        return url_of(self.engine)

    @staticmethod
    def frame(cells: dict[str, dict[str, float | str | None]], assessor: str = "") -> pd.DataFrame:
        """{unit: {code: value}} as a long frame; NA marks 不适用, None a blank cell."""
        rows = [
            (u, c, np.nan if v in (NA, None) else float(v), v == NA, assessor, f"备注{u}{c}" if c == "K1" else "")
            for u, codes in cells.items()
            for c, v in codes.items()
        ]
        return pd.DataFrame(rows, columns=["unit", "code", "value", "na", "assessor", "note"])

    def put(self, period: str, cells: dict, assessor: str = "", user: str = "测试员", version_id: int | None = None):
        """Import `cells` as one submission; returns the ImportOutcome."""
        from services.submissions import import_values

        frame = self.frame(cells, assessor)
        data = frame.to_csv(index=False).encode()
        return import_values(period, version_id or self.version_id, frame, user, "考核表.csv", data, engine=self.engine)

    def current(self, period: str) -> dict[tuple[str, str, str], float | str]:
        """{(unit, code, assessor): value or NA} of the current values."""
        from services.values import current_values

        v = current_values(self.scheme_key, period, engine=self.engine)
        return {
            (str(u), str(c), a): NA if n else x
            for u, c, a, x, n in zip(v["unit"], v["code"], v["assessor"], v["value"], v["na"], strict=True)
        }


@pytest.fixture
def small(database: Engine) -> SmallDb:
    from services.catalog import register_scheme, upsert_units

    upsert_units(SMALL_UNITS, "测试员", engine=database)
    version = register_scheme(SMALL_SCHEME, "测试员", engine=database).version
    return SmallDb(database, version.id)
