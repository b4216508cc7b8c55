"""A monitoring-only scheme end to end through storage: register → import → results (cached and
recomputed) → the values table. Values blank for a unit are allowed and shown as 「未填」."""

from __future__ import annotations

import math

import pandas as pd
import yaml
from conftest import SMALL_UNITS
from sqlalchemy import Engine
from test_monitor import ONLY

from reports.monitor import monitor_wide
from services import results as results_service
from services.catalog import register_scheme, upsert_units
from services.results import results
from services.submissions import import_values

P = "2025"


def _setup(engine: Engine) -> int:
    upsert_units(SMALL_UNITS, "测试员", engine=engine)
    return register_scheme(yaml.safe_dump(ONLY, allow_unicode=True), "测试员", engine=engine).version.id


def _put(engine: Engine, version: int, rows: list[tuple[str, str, float]]) -> None:
    frame = pd.DataFrame(
        [(u, c, v, False, "", "") for u, c, v in rows], columns=["unit", "code", "value", "na", "assessor", "note"]
    )
    import_values(P, version, frame, "测试员", "监测.csv", frame.to_csv(index=False).encode(), engine=engine)


def test_monitoring_scheme_through_the_results_service(database: Engine) -> None:
    version = _setup(database)
    _put(database, version, [("U1", "M1", 240.0), ("U2", "M2", 80.0), ("U3", "M1", 300.0)])
    for fresh in (True, False):  # computed, then again from the result cache
        if fresh:
            results_service._memo.clear()
        r = results("mon", P, engine=database)
        assert r is not None and r.scheme.monitoring_only
        units = r.units.set_index("unit")
        assert sorted(units.index) == ["U1", "U2", "U3"]
        assert all(math.isnan(x) for x in units["total"])
        assert set(units["grade"].astype(str)) == {"不计分"}
    results_service._memo.clear()
    r = results("mon", P, engine=database)
    wide = monitor_wide(r.leaves, r.scheme, dict(zip(r.units["unit"], r.units["name"], strict=True))).set_index("单位")
    assert wide.loc["甲中心", "门诊次均费用（元）"] == "240元" and wide.loc["乙中心", "门诊次均费用（元）"] == "未填"
    assert "监测指标，不计分" in r.explain("U1").set_index("code").loc["M1", "trace"]
