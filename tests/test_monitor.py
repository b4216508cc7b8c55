"""监测指标 (method: monitor): reported and shown, never scored. Mixed schemes keep their totals
exactly; a monitoring-only scheme loads with total 0, scores without totals, grades or ranks."""

from __future__ import annotations

import copy
import math

import pandas as pd
import pytest

from scoring import SchemeError, scheme_from_dict, score
from scoring.errors import ScoringInputError
from scoring.explain import monitor_side, monitor_trace

COST = {"code": "M1", "name": "门诊次均费用", "method": "monitor", "unit": "元", "decimals": 1,
        "direction": "lower", "reference": 250}  # fmt: skip
BEDS = {"code": "M2", "name": "床位使用率", "method": "monitor", "unit": "%", "valid_min": 0, "valid_max": 200}
MIXED = {
    "id": "mx",
    "name": "含监测指标的方案",
    "version": "1",
    "period_type": "year",
    "criteria": [
        {"code": "A", "name": "服务", "items": [{"code": "A1", "name": "工作质量", "method": "direct", "points": 100}]},
        {"code": "M", "name": "监测", "items": [COST, BEDS]},
    ],
}
ONLY = {
    "id": "mon",
    "name": "二级医院绩效监测",
    "version": "1",
    "period_type": "year",
    "criteria": [{"code": "M", "name": "运营效率", "items": [COST, BEDS]}],
}


def _values(rows: list[tuple[str, str, float | None]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["unit", "code", "value"])


def test_monitor_values_never_change_a_total() -> None:
    scheme = scheme_from_dict(MIXED)
    assert scheme.total == 100 and not scheme.monitoring_only
    res = score(scheme, _values([("甲", "A1", 80), ("甲", "M1", 240), ("乙", "A1", 80), ("乙", "M1", 9999)]))
    u = res.units.set_index("unit")
    assert u.loc["甲", "total"] == u.loc["乙", "total"] == 80
    assert u.loc["甲", "rank"] == u.loc["乙", "rank"] == 1  # a wildly different monitor value: still tied
    lv = res.leaves.set_index(["unit", "leaf"])
    assert lv.loc[("乙", "M1"), "value"] == 9999 and lv.loc[("乙", "M1"), "earned"] == 0
    assert lv.loc[("乙", "M1"), "lost"] == 0


def test_blank_monitor_is_allowed_and_shown_as_not_filled() -> None:
    res = score(scheme_from_dict(MIXED), _values([("甲", "A1", 90)]))
    assert res.units["total"].iloc[0] == 90
    trace = res.explain("甲").set_index("code")["trace"]
    assert trace["M2"] == "未填；监测指标，不计分"


def test_required_monitor_blank_is_a_located_problem() -> None:
    spec = copy.deepcopy(MIXED)
    spec["criteria"][1]["items"][1]["required"] = True
    with pytest.raises(ScoringInputError) as err:
        score(scheme_from_dict(spec), _values([("甲", "A1", 90), ("甲", "M1", 1)]))
    [p] = err.value.problems
    assert (p.unit, p.code) == ("甲", "M2") and "缺少数值" in p.message


def test_monitor_value_outside_its_range_is_refused() -> None:
    with pytest.raises(ScoringInputError) as err:
        score(scheme_from_dict(MIXED), _values([("甲", "A1", 90), ("甲", "M2", 200.5)]))
    assert [p.code for p in err.value.problems] == ["M2"]
    score(scheme_from_dict(MIXED), _values([("甲", "A1", 90), ("甲", "M2", 200)]))  # the bound itself is fine


@pytest.mark.parametrize(
    ("value", "side"),
    [(240, "优于参考值"), (250.04, "等于参考值"), (250.05, "差于参考值"), (float("nan"), "")],
)
def test_side_of_reference_at_the_displayed_precision(value: float, side: str) -> None:
    # lower is better, 1 decimal: 250.04 shows as 250 (equal), 250.05 rounds half up to 250.1 (worse)
    leaf = scheme_from_dict(MIXED).leaf("M1")
    assert monitor_side(leaf, value) == side


def test_trace_wording() -> None:
    leaf = scheme_from_dict(MIXED).leaf("M1")
    assert monitor_trace(leaf, 240) == "实际 240元，参考值 250元，优于参考值；监测指标，不计分"
    beds = scheme_from_dict(MIXED).leaf("M2")
    assert monitor_trace(beds, 91.456) == "实际 91.46%；监测指标，不计分"


def test_monitor_with_points_is_refused() -> None:
    spec = copy.deepcopy(MIXED)
    spec["criteria"][1]["items"][0]["points"] = 5
    with pytest.raises(SchemeError) as err:
        scheme_from_dict(spec)
    assert "监测指标不计分" in str(err.value)


def test_monitoring_only_scheme_loads_with_total_zero_and_one_grade() -> None:
    scheme = scheme_from_dict(ONLY)
    assert scheme.monitoring_only and scheme.total == 0
    assert [g.name for g in scheme.grades] == ["不计分"] and scheme.bottom.threshold is None


def test_monitoring_only_scheme_refuses_a_total_or_bottom_line() -> None:
    with pytest.raises(SchemeError) as err:
        scheme_from_dict({**ONLY, "total": 100})
    assert "监测方案" in str(err.value)
    with pytest.raises(SchemeError) as err:
        scheme_from_dict({**ONLY, "bottom": {"lowest_n": 1}})
    assert "不能设末位" in str(err.value)


def test_total_zero_needs_a_monitoring_only_scheme() -> None:
    with pytest.raises(SchemeError) as err:
        scheme_from_dict({**MIXED, "total": 0})
    assert "总分须大于 0" in str(err.value)


def test_monitoring_only_scheme_scores_without_totals() -> None:
    res = score(scheme_from_dict(ONLY), _values([("甲", "M1", 240), ("乙", "M2", 80), ("丙", "M1", 300)]))
    u = res.units.set_index("unit")
    assert u["total"].isna().all() and u["score_rate"].isna().all()
    assert set(u["grade"].astype(str)) == {"不计分"} and not u["bottom"].any()
    assert set(u["rank"]) == {1}  # nobody is ranked above anybody
    lv = res.leaves.set_index(["unit", "leaf"])["value"]
    assert lv[("丙", "M1")] == 300 and math.isnan(lv[("乙", "M1")])
