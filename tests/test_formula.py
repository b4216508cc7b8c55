"""scoring/formula.py: formulas of computed indicators are checked at load (Chinese messages,
hostile input refused) and evaluated over whole numpy columns."""

from __future__ import annotations

import numpy as np
import pytest

from scoring.formula import FormulaError, parse_formula

NAMES = ["建档人数", "常住人口", "65岁以上人口"]


def _eval(text: str, **cols: list[float]) -> np.ndarray:
    return parse_formula(text, NAMES).evaluate({k: np.array(v, dtype=float) for k, v in cols.items()})


def test_ratio_over_columns_in_document_notation() -> None:
    got = _eval("建档人数 ÷ 常住人口 × 100", 建档人数=[27, 1, 0], 常住人口=[30, 3, 5])
    assert got.tolist() == pytest.approx([90.0, 100 / 3, 0.0])


def test_ascii_operators_parentheses_and_precedence() -> None:
    # (27 + 3) / (30 - 10) * 100 = 150; without parentheses 27 + 3/30 - 10*100 = -972.9
    assert _eval("(建档人数 + 3) / (常住人口 - 10) * 100", 建档人数=[27], 常住人口=[30]).tolist() == [150.0]
    assert _eval("建档人数 + 3 / 常住人口 - 10 * 100", 建档人数=[27], 常住人口=[30]).tolist() == pytest.approx([-972.9])
    assert _eval("-建档人数 + 1", 建档人数=[2]).tolist() == [-1.0]


def test_a_name_starting_with_a_digit_and_a_name_inside_another() -> None:
    # 65岁以上人口 is not a Python identifier; 人口-like overlaps must not split 常住人口.
    got = _eval("65岁以上人口 ÷ 常住人口 × 100", **{"65岁以上人口": [12], "常住人口": [48]})
    assert got.tolist() == [25.0]


def test_functions_sum_avg_min_max_round() -> None:
    cols = {"建档人数": [1, 5], "常住人口": [4, 2]}
    assert _eval("sum(建档人数, 常住人口, 1)", **cols).tolist() == [6.0, 8.0]
    assert _eval("avg(建档人数, 常住人口)", **cols).tolist() == [2.5, 3.5]
    assert _eval("min(建档人数, 常住人口)", **cols).tolist() == [1.0, 2.0]
    assert _eval("max(建档人数, 常住人口)", **cols).tolist() == [4.0, 5.0]
    # half up, as a person reads it (numpy would give 2 for 2.5)
    assert _eval("round(建档人数 ÷ 常住人口 × 10)", **cols).tolist() == [3.0, 25.0]
    assert _eval("round(建档人数 ÷ 常住人口, 1)", 建档人数=[1], 常住人口=[8]).tolist() == [0.1]


def test_zero_divisor_gives_nan_and_is_reported_by_divisors() -> None:
    f = parse_formula("建档人数 ÷ 常住人口 × 100", NAMES)
    cols = {"建档人数": np.array([3.0, 0.0]), "常住人口": np.array([0.0, 0.0])}
    assert np.isnan(f.evaluate(cols)).all()  # 3/0 and 0/0 alike: never inf, never a number
    [(text, value)] = f.divisors(cols)
    assert text == "常住人口" and value.tolist() == [0.0, 0.0]


def test_render_with_values() -> None:
    f = parse_formula("(建档人数 - 1) / (常住人口 * 2)", NAMES)
    assert f.render() == "(建档人数 - 1) ÷ (常住人口 × 2)"
    assert f.render({"建档人数": "建档人数 27"}) == "(建档人数 27 - 1) ÷ (常住人口 × 2)"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("建档人数 +", "写法有误"),
        ("", "不能为空"),
        ("建档人数 ÷ 户籍人口", "「户籍人口」不是本项的输入项"),
        ("建档人数 ÷ 0", "除以常数 0"),
        ("建档人数 ÷ (2 - 2)", "除以常数 0"),
        ("建档人数 ** 2", "乘方"),
        ("9 ** 9 ** 9", "乘方"),  # huge exponent: refused before anything is computed
        ("建档人数 // 2", "整除"),
        ("建档人数 % 2", "取余"),
        ("建档人数.real", "属性访问"),
        ("().__class__.__bases__", "属性访问"),
        ('__import__("os").system("ls")', "只能调用这些函数"),
        ('__import__("os")', "只能调用这些函数"),
        ("open(建档人数)", "只能调用这些函数"),
        ("eval('1')", "只能调用这些函数"),
        ("max(x=建档人数)", "只能调用这些函数"),
        ("(lambda: 1)()", "只能调用这些函数"),
        ("lambda: 1", "lambda"),
        ("[x for x in 建档人数]", "推导式"),
        ("sum(x for x in 建档人数)", "推导式"),
        ("建档人数[0]", "下标"),
        ("建档人数 > 1", "比较"),
        ("'abc'", "只能出现数字"),
        ("True + 1", "只能出现数字"),
        ("1e300 * 建档人数", "数字过大"),
        ("round(建档人数, 常住人口)", "round 的第二个参数"),
        ("min(建档人数)", "参数个数不对"),
        ("_v0 + 1", "不认识的名称"),
        ("建档人数 ÷ 常住人口" + " + 1" * 300, "过长"),
    ],
)
def test_refused_at_load_in_chinese(text: str, says: str) -> None:
    with pytest.raises(FormulaError) as exc:
        parse_formula(text, NAMES)
    assert says in str(exc.value)


def test_deep_nesting_refused() -> None:
    with pytest.raises(FormulaError, match="过于复杂"):
        parse_formula("+".join(["1"] * 150), NAMES)  # 299 nodes in 299 characters
