"""Stored values: a period scored on change reads its baseline period's stored values, and a
correction in the baseline period rescores the period that depends on it (fingerprint)."""

from __future__ import annotations

from conftest import SMALL_UNITS, SmallDb
from sqlalchemy import Engine

from services import results as results_service
from services.catalog import register_scheme, upsert_units
from services.results import results

SCHEME = """\
id: g
name: 增幅方案
version: "1"
period_type: month
criteria:
  - code: C
    name: 测试指标
    items:
      - {code: D1, name: 直接评分, method: direct, points: 90}
      - {code: G1, name: 业务收入增幅, method: target, mode: all_or_nothing, points: 5, target: 10, unit: 万元,
         compare: last_year, as: growth_pct, no_baseline: zero}
      - {code: M1, name: 门诊人次, method: improvement, points: 5, compare: previous,
         improvement: {up: 5, same: 2.5, down: 0}}
"""


def _db(database: Engine) -> SmallDb:
    upsert_units(SMALL_UNITS, "测试员", engine=database)
    return SmallDb(database, register_scheme(SCHEME, "测试员", engine=database).version.id, "g")


def _total(db: SmallDb, period: str) -> float:
    r = results("g", period, engine=db.engine)
    return float(r.units.set_index("unit").loc["U1", "total"])


def test_baselines_come_from_stored_periods_and_corrections_rescore(database: Engine) -> None:
    db = _db(database)
    db.put("2025-03", {"U1": {"D1": 90, "G1": 1000, "M1": 100}})
    db.put("2026-02", {"U1": {"D1": 90, "G1": 1000, "M1": 100}})
    db.put("2026-03", {"U1": {"D1": 90, "G1": 1100, "M1": 101}})
    # 1100 vs 1000 of 2025-03: +10% → 5; 101 vs 100 of 2026-02: 提高 → 5
    assert _total(db, "2026-03") == 100
    trace = results("g", "2026-03", engine=db.engine).explain("U1").set_index("code")["trace"]
    assert trace["G1"].startswith("本期 1100万元，上年同期（2025年3月）1000万元，增幅 10% →")
    # a correction a year back (not the previous period) must rescore 2026-03: +4.76% → 0
    db.put("2025-03", {"U1": {"G1": 1050}})
    assert _total(db, "2026-03") == 95
    results_service._memo.clear()  # another process: the stored cache must not be reused either
    assert _total(db, "2026-03") == 95
    # the previous month corrected upwards: 101 vs 102 is 下降 → 0
    db.put("2026-02", {"U1": {"M1": 102}})
    assert _total(db, "2026-03") == 90


def test_no_stored_baseline_follows_the_scheme(database: Engine) -> None:
    db = _db(database)
    db.put("2026-03", {"U1": {"D1": 90, "G1": 1100, "M1": 101}})
    # G1 no baseline → zero; M1 no baseline → 不适用 (95 applicable points, 90 earned → 94.74)
    assert _total(db, "2026-03") == 94.74
