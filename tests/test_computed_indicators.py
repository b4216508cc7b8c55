"""Computed indicators: a target or peer_rank leaf's actual from a formula over raw inputs and
register figures. Hand-computed boundaries, located problems, 不适用 below a minimum, traces."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest

from scoring import SchemeError, ScoringInputError, scheme_from_dict, score

LEAF = {
    "code": "A1", "name": "建档率", "method": "target", "mode": "per_shortfall", "points": 10,
    "target": 90, "unit": "%", "decimals": 1, "loss_per_step": 0.5, "step": 2,
    "formula": "建档人数 ÷ 常住人口 × 100",
    "inputs": [
        {"code": "A1a", "name": "建档人数", "unit": "人"},
        {"name": "常住人口", "unit": "人", "source": "register"},
    ],
}  # fmt: skip


def _scheme(**changes: object):
    leaf = copy.deepcopy(LEAF) | changes if "method" not in changes else dict(changes)
    return scheme_from_dict(
        {
            "id": "c",
            "name": "计算指标",
            "version": "1",
            "period_type": "month",
            "criteria": [
                {
                    "code": "A",
                    "name": "公共卫生",
                    "items": [leaf, {"code": "F", "name": "其他", "method": "direct", "points": 90}],
                }
            ],
        }
    )


def _values(counts: dict[str, float | None], period: str = "2025-03") -> pd.DataFrame:
    rows = []
    for unit, n in counts.items():
        rows.append((period, unit, "F", 90.0, False))
        rows.append((period, unit, "A1a", np.nan if n is None else n, False))
    return pd.DataFrame(rows, columns=["period", "unit", "code", "value", "na"])


def _figures(**by_unit: float | dict[int, float]) -> pd.DataFrame:
    rows = []
    for unit, v in by_unit.items():
        for year, x in (v if isinstance(v, dict) else {2025: v}).items():
            rows.append((unit, year, "常住人口", x))
    return pd.DataFrame(rows, columns=["unit", "year", "name", "value"])


def _earned(r, unit: str) -> float:
    lv = r.leaves
    return float(lv.loc[(lv["unit"] == unit) & (lv["leaf"] == "A1"), "earned"].iloc[0])


def test_ratio_scored_by_its_method_with_register_population() -> None:
    # 27 ÷ 30 × 100 = 90.0% = target: full 10. 26 ÷ 30 × 100 = 86.67 → 86.7%, 3.3 short of 90:
    # 1.65 steps of 2 × 0.5 = 0.825 off → 9.175.
    r = score(_scheme(), _values({"东城": 27, "西城": 26}), figures=_figures(东城=30, 西城=30))
    assert _earned(r, "东城") == 10
    assert _earned(r, "西城") == pytest.approx(9.175)
    assert float(r.leaves.loc[r.leaves["unit"] == "西城"].set_index("leaf").loc["A1", "value"]) == pytest.approx(
        26 / 30 * 100
    )


def test_computed_value_rounded_to_decimals_before_the_target_is_judged() -> None:
    # 899.5 ÷ 1000 × 100 = 89.95 → 90.0 at one decimal: meets 90. 899.4 → 89.94 → 89.9: short.
    r = score(_scheme(), _values({"甲": 899.5, "乙": 899.4}), figures=_figures(甲=1000, 乙=1000))
    assert _earned(r, "甲") == 10
    assert _earned(r, "乙") == pytest.approx(10 - 0.05 * 0.5)


def test_figure_of_the_period_year_else_latest_earlier() -> None:
    figs = _figures(甲={2023: 10, 2024: 30, 2026: 1}, 乙={2025: 27, 2024: 1000})
    r = score(_scheme(), _values({"甲": 27, "乙": 27}), figures=figs)
    assert _earned(r, "甲") == 10  # 2024's 30 (2026 is later than the period, 2023 older)
    assert _earned(r, "乙") == 10  # its own year's 27: 100%
    trace = r.explain("甲", "2025-03").set_index("code").loc["A1", "trace"]
    assert trace.startswith("建档人数 27 ÷ 常住人口（2024年）30 × 100 = 90% → 实际 90%，目标 ≥ 90%，达标")


def test_zero_denominator_is_a_located_problem_and_nothing_is_scored() -> None:
    with pytest.raises(ScoringInputError) as exc:
        score(_scheme(), _values({"东城社区": 3, "西城": 27}), figures=_figures(东城社区=0, 西城=30))
    [p] = exc.value.problems
    assert (p.unit, p.code, p.period) == ("东城社区", "A1", "2025-03")
    assert p.message == "「常住人口」为 0，无法计算「建档率」"


def test_zero_entered_denominator_is_located_at_its_own_code() -> None:
    scheme = _scheme(
        formula="实巡查 ÷ 应巡查 × 100",
        inputs=[{"code": "S1", "name": "实巡查"}, {"code": "S2", "name": "应巡查"}],
    )
    values = pd.DataFrame(
        [("2025-03", "甲", "F", 90), ("2025-03", "甲", "S1", 0), ("2025-03", "甲", "S2", 0)],
        columns=["period", "unit", "code", "value"],
    )
    with pytest.raises(ScoringInputError) as exc:
        score(scheme, values)
    assert [(p.code, p.message) for p in exc.value.problems] == [("S2", "「应巡查」为 0，无法计算「建档率」")]


def test_below_minimum_not_applicable_at_the_boundary() -> None:
    scheme = _scheme(min_denominator=10, below_minimum="not_applicable")
    figs = _figures(小=9, 整=10)
    r = score(scheme, _values({"小": 9, "整": 9}), figures=figs)
    leaves = r.leaves.set_index(["unit", "leaf"])
    assert not leaves.loc[("小", "A1"), "applicable"]  # 9 < 10: 不适用, total over 90 points
    assert float(r.units.set_index("unit").loc["小", "total"]) == 100
    assert leaves.loc[("整", "A1"), "applicable"]  # exactly 10 is enough: 90% meets the target
    assert _earned(r, "整") == 10
    trace = r.explain("小", "2025-03").set_index("code").loc["A1", "trace"]
    assert trace == "不适用：分母低于最小值 10，无法计算「建档率」，本项 10 分不计入，总分按适用分值折算"


def test_below_minimum_is_an_error_unless_the_scheme_says_not_applicable() -> None:
    with pytest.raises(ScoringInputError) as exc:
        score(_scheme(min_denominator=10), _values({"小": 9}), figures=_figures(小=9))
    assert [p.message for p in exc.value.problems] == ["「常住人口」为 9，低于方案规定的最小值 10，无法计算「建档率」"]


def test_missing_register_figure_and_blank_raw_input_are_located() -> None:
    with pytest.raises(ScoringInputError) as exc:
        score(_scheme(), _values({"甲": 27, "乙": None}), figures=_figures(乙={2026: 30}))
    got = sorted((p.unit, p.code, p.message) for p in exc.value.problems)
    assert got == [
        ("乙", "A1", "单位清单中没有「常住人口」（2025年或更早）的数字，无法计算「建档率」"),
        ("乙", "A1a", "缺少数值（空白不等于 0；如确不适用请填「不适用」）"),
        ("甲", "A1", "单位清单中没有「常住人口」（2025年或更早）的数字，无法计算「建档率」"),
    ]


def test_the_result_itself_may_not_be_entered_but_not_applicable_may() -> None:
    values = pd.concat(
        [
            _values({"甲": 27}),
            pd.DataFrame([("2025-03", "甲", "A1", 90.0, False)], columns=["period", "unit", "code", "value", "na"]),
        ]
    )
    with pytest.raises(ScoringInputError) as exc:
        score(_scheme(), values, figures=_figures(甲=30))
    assert [p.message for p in exc.value.problems] == ["「建档率」由公式计算，请分别填写建档人数，不要直接填写结果"]
    na = pd.DataFrame(
        [("2025-03", "甲", "F", 90.0, False), ("2025-03", "甲", "A1", np.nan, True)],
        columns=["period", "unit", "code", "value", "na"],
    )
    r = score(_scheme(allow_na=True), na, figures=_figures(甲=30))
    assert float(r.units["total"].iloc[0]) == 100


def test_raw_input_must_be_a_number_at_least_zero() -> None:
    with pytest.raises(ScoringInputError) as exc:
        score(_scheme(), _values({"甲": -1}), figures=_figures(甲=30))
    assert [(p.code, p.message) for p in exc.value.problems] == [("A1a", "'-1' 超出范围 （应 ≥ 0）")]


def test_peer_rank_over_a_computed_rate() -> None:
    leaf = {k: v for k, v in LEAF.items() if k not in ("mode", "target", "loss_per_step", "step")}
    scheme = _scheme(**leaf | {"method": "peer_rank", "bands": [{"within": 1, "points": 10}]})
    r = score(scheme, _values({"甲": 20, "乙": 10}), figures=_figures(甲=40, 乙=10))  # 50% vs 100%
    assert (_earned(r, "甲"), _earned(r, "乙")) == (0, 10)


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        (
            {"formula": "建档人数 ÷ 户籍人口"},
            "criteria[0].items[0].formula: 公式「建档人数 ÷ 户籍人口」中的「户籍人口」不是本项的输入项",
        ),
        ({"formula": "建档人数 ÷ 0"}, "criteria[0].items[0].formula: 公式「建档人数 ÷ 0」除以常数 0"),
        ({"formula": "建档人数.__class__"}, "criteria[0].items[0].formula: 公式「建档人数.__class__」不能使用属性访问"),
        ({"formula": None}, "写了「输入项」却没有「计算公式」"),
        ({"inputs": []}, "有「计算公式」的指标须列出「输入项」"),
        ({"inputs": [{"name": "建档人数"}, {"name": "常住人口", "source": "register"}]}, "须写「编码」"),
        ({"formula": "建档人数 + 1", "min_denominator": 5}, "公式中没有除法"),
    ],
)
def test_scheme_refuses_bad_formulas_with_located_messages(changes: dict, says: str) -> None:
    with pytest.raises(SchemeError) as exc:
        _scheme(**changes)
    assert any(says in m for m in [p.keyed for p in exc.value.problems]), [p.keyed for p in exc.value.problems]


def test_input_code_may_not_repeat_another_code() -> None:
    with pytest.raises(SchemeError, match="编码 F 重复"):
        _scheme(inputs=[{"code": "F", "name": "建档人数"}, {"name": "常住人口", "source": "register"}])


@pytest.mark.parametrize("label", ["2025-03", "2025-Q1", "2025", "", "25-03", "abcd", "１２３４", "12.5x", "-202"])
def test_a_period_labels_year_reads_as_pandas_reads_it(label: str) -> None:
    """Four ASCII digits are read directly; anything else as `pd.to_numeric(errors="coerce")`
    reads the first four characters (no number: no year)."""
    from scoring.computed import _NO_YEAR, _label_year

    expected = pd.to_numeric(pd.Series([label]).str[:4], errors="coerce").fillna(_NO_YEAR).astype("int64")[0]
    assert _label_year(label) == expected
