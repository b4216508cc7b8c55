"""Stored results of a computed indicator read the unit register's figures of the period's year
(常住人口): the trace names them, and a figure written later rescores the period (fingerprint)."""

from __future__ import annotations

import pandas as pd
from conftest import SMALL_UNITS, SmallDb
from sqlalchemy import Engine

from services import results as results_service
from services.catalog import register_scheme, upsert_units
from services.permissions import trusted
from services.results import results
from services.unit_figures import set_figures

SCHEME = """\
id: f
name: 建档方案
version: "1"
period_type: month
criteria:
  - code: C
    name: 测试指标
    items:
      - {code: D1, name: 直接评分, method: direct, points: 90}
      - code: R1
        name: 建档率
        method: target
        mode: per_shortfall
        points: 10
        target: 90
        unit: "%"
        decimals: 1
        loss_per_step: 0.5
        step: 2
        formula: 建档人数 / 常住人口 * 100
        inputs:
          - {code: R1a, name: 建档人数, unit: 人}
          - {name: 常住人口, unit: 人, source: register}
"""


def _figures(db: SmallDb, year: int, population: float) -> None:
    frame = pd.DataFrame({"unit": ["U1"], "year": [year], "name": ["常住人口"], "value": [population]})
    with trusted():
        set_figures(frame, "测试员", engine=db.engine)


def _total(db: SmallDb, period: str) -> float:
    r = results("f", period, engine=db.engine)
    return float(r.units.set_index("unit").loc["U1", "total"])


def test_a_register_figure_feeds_the_rate_and_a_new_figure_rescores(database: Engine) -> None:
    upsert_units(SMALL_UNITS, "测试员", engine=database)
    db = SmallDb(database, register_scheme(SCHEME, "测试员", engine=database).version.id, "f")
    _figures(db, 2024, 30)
    db.put("2025-03", {"U1": {"D1": 90, "R1a": 27}})
    # 27 ÷ 30 × 100 = 90.0% meets 90 (the 2024 figure: the latest year not after 2025)
    assert _total(db, "2025-03") == 100
    trace = results("f", "2025-03", engine=db.engine).explain("U1").set_index("code")["trace"]["R1"]
    assert "常住人口（2024年）" in trace and "27" in trace and "30" in trace
    # the register gains 2025's figure: 27 ÷ 36 = 75.0%, 15 points short = 7.5 steps → 10 − 3.75
    _figures(db, 2025, 36)
    assert _total(db, "2025-03") == 96.25
    results_service._memo.clear()  # another process: the stored cache must not be reused either
    assert _total(db, "2025-03") == 96.25
