"""A leaf scored on change (增幅 against 上年同期) reads last year's stored value on every path a
user meets a result: the published results, results as of a moment, the what-if page and the
upload preview all agree with `results()` — and none of them scores the growth as 无基期.

U1: last year 1000, now 1100 → +10% ≥ 10 → 5 points; U2: 1000 → 1050 → +5% → 0.
Without the baseline both would get 0 (no_baseline: zero): U1 would show 90, not 95.
"""

from __future__ import annotations

import io
import time
from datetime import UTC, datetime

import pandas as pd
from conftest import SMALL_UNITS, SmallDb
from sqlalchemy import Engine

from services.catalog import register_scheme, upsert_units
from services.permissions import Actor
from services.publishing import publish, publish_preview, published_results
from services.results import results
from services.uploads import check_upload
from services.whatif import Edits, simulate

SCHEME = """\
id: g
name: 增幅方案
version: "1"
period_type: month
criteria:
  - code: C
    name: 测试指标
    items:
      - {code: D1, name: 直接评分, method: direct, points: 95}
      - {code: G1, name: 业务收入增幅, method: target, mode: all_or_nothing, points: 5, target: 10, unit: 万元,
         compare: last_year, as: growth_pct, no_baseline: zero}
"""
LAST_YEAR, NOW = "2025-03", "2026-03"
REVIEWER = Actor(2, "admin2", "管理员乙", "admin")  # not the uploader (four eyes)
EXPECTED = {"U1": 95.0, "U2": 90.0}


def _db(database: Engine) -> SmallDb:
    upsert_units(SMALL_UNITS, "测试员", engine=database)
    db = SmallDb(database, register_scheme(SCHEME, "测试员", engine=database).version.id, "g")
    db.put(LAST_YEAR, {"U1": {"D1": 90, "G1": 1000}, "U2": {"D1": 90, "G1": 1000}})
    db.put(NOW, {"U1": {"D1": 90, "G1": 1100}, "U2": {"D1": 90, "G1": 1050}})
    return db


def _totals(units: pd.DataFrame, total: str = "total") -> dict[str, float]:
    return dict(zip(units["unit"].astype(str), units[total].astype(float), strict=True))


def test_the_working_results_measure_growth_against_last_year(database: Engine) -> None:
    db = _db(database)
    assert _totals(results("g", NOW, published=False, engine=db.engine).units) == EXPECTED


def test_published_results_read_the_published_baseline(database: Engine) -> None:
    db = _db(database)
    # last year never published: its values in force are the baseline
    assert (
        publish_preview("g", NOW, by=REVIEWER, engine=db.engine).changes.set_index("unit")["after_total"].to_dict()
        == EXPECTED
    )
    publish("g", NOW, by=REVIEWER, engine=db.engine)
    assert _totals(published_results("g", NOW, engine=db.engine).units) == EXPECTED
    # once last year is published, a later correction there stays out of this year's published
    # results until last year is published again (1100 vs 1050: +4.76% → 0)
    publish("g", LAST_YEAR, by=REVIEWER, engine=db.engine)
    assert _totals(published_results("g", NOW, engine=db.engine).units) == EXPECTED
    db.put(LAST_YEAR, {"U1": {"G1": 1050}})
    assert _totals(results("g", NOW, published=False, engine=db.engine).units) == {"U1": 90.0, "U2": 90.0}
    assert _totals(published_results("g", NOW, engine=db.engine).units) == EXPECTED
    publish("g", LAST_YEAR, by=REVIEWER, engine=db.engine)
    assert _totals(published_results("g", NOW, engine=db.engine).units) == {"U1": 90.0, "U2": 90.0}


def test_results_as_of_a_moment_use_the_baseline_of_that_moment(database: Engine) -> None:
    db = _db(database)
    time.sleep(0.002)
    then = datetime.now(UTC)
    time.sleep(0.002)
    db.put(LAST_YEAR, {"U1": {"G1": 1050}})  # after `then`: not yet in force at that moment
    assert _totals(results("g", NOW, as_of=then, engine=db.engine).units) == EXPECTED
    assert _totals(results("g", NOW, as_of=datetime.now(UTC), engine=db.engine).units) == {"U1": 90.0, "U2": 90.0}


def test_what_if_scores_the_baseline_as_results_do(database: Engine) -> None:
    db = _db(database)
    sim = simulate("g", NOW, Edits(points={"D1": 95}), engine=db.engine)
    assert _totals(sim.table, "total_before") == EXPECTED
    assert _totals(sim.table, "total_after") == EXPECTED


def test_the_upload_preview_keeps_the_growth_points(database: Engine) -> None:
    db = _db(database)
    rows = [("U1", "D1", 90, ""), ("U2", "D1", 91, "")]
    data = pd.DataFrame(rows, columns=["单位", "指标编码", "数值", "考核人"]).to_csv(index=False).encode("utf-8-sig")
    check = check_upload(io.BytesIO(data).getvalue(), "更正.csv", db.version_id, NOW, engine=db.engine)
    assert check.ok and check.preview.blocked is None, check.errors or check.preview.blocked
    effect = check.preview.effect.set_index("unit")
    assert effect.loc["U1", "total_before"] == 95 and effect.loc["U1", "total_after"] == 95
    assert effect.loc["U1", "status"] == "same"
    assert effect.loc["U2", "total_after"] == 91 and effect.loc["U2", "status"] == "total"
