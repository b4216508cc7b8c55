"""从总分扣分: a deduction leaf (points 0) whose points come off the unit's total after 按适用项折算
and bonus, total floored at 0 — in the engine, its trace, the 各维度得分 breakdown (a line of its own
that adds up to the total), the unit report, the template and the upload."""

from __future__ import annotations

import copy
import io

import openpyxl
import pandas as pd
import pytest

from reports.unit import dimension_subtotals
from scoring import SchemeError, ScoringInputError, scheme_from_dict, score
from sheets import build_template, read_scores

PERIOD = "2025-03"
SPEC = {
    "id": "ft",
    "name": "从总分扣分示例",
    "version": "1",
    "period_type": "month",
    "bonus_cap": 3,
    "criteria": [
        {
            "code": "A",
            "name": "日常工作",
            "items": [
                {"code": "F", "name": "日常管理", "method": "direct", "points": 60},
                {"code": "G", "name": "中医药服务", "method": "direct", "points": 40, "allow_na": True},
                {"code": "J", "name": "工作创新", "method": "bonus", "discretionary": True, "cap": 2},
            ],
        },
        {
            "code": "B",
            "name": "扣分事项",
            "items": [
                {"code": "X", "name": "信息迟报", "method": "deduction", "from_total": True,
                 "per_occurrence": 1, "cap": 3},
            ],
        },
    ],
}  # fmt: skip
SCHEME = scheme_from_dict(SPEC)
UNITS = pd.DataFrame({"code": ["U1", "U2"], "name": ["甲卫生院", "乙卫生院"]})


def _leaf_spec(**changes) -> dict:
    spec = copy.deepcopy(SPEC)
    spec["criteria"][1]["items"][0].update(changes)
    return spec


def _messages(spec: dict) -> list[str]:
    with pytest.raises(SchemeError) as exc:
        scheme_from_dict(spec)
    return [p.keyed for p in exc.value.problems]  # key path + the Chinese text


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"points": 2}, "从总分扣分不占基础分，「分值」应为 0（用「上限」设最多扣多少分）"),
        ({"kinds": [{"code": "X1", "name": "迟报", "per_occurrence": 1}], "per_occurrence": None},
         "从总分扣分只能写「每次分值」，不能写「扣分类别」或酌情扣分"),
        ({"from_total": False}, "「上限」（最多扣分）只用于从总分扣分；本项扣分以「分值」为限"),
        ({"from_total": False, "cap": None},
         "扣分项须设置大于 0 的「分值」；从总分扣分的请把「从总分扣分」设为「是」"),
    ],
    ids=["points written", "kinds", "cap without from_total", "no points without from_total"],
)  # fmt: skip
def test_bad_from_total_deductions_are_refused_with_located_messages(changes: dict, expected: str) -> None:
    spec = _leaf_spec(**changes)
    item = spec["criteria"][1]["items"][0]
    for key in [k for k, v in item.items() if v is None]:
        del item[key]
    if "points" in changes and changes["points"]:  # base points then no longer add up to 100 either
        assert f"criteria[1].items[0]: {expected}" in _messages(spec)
    else:
        assert _messages(spec) == [f"criteria[1].items[0]: {expected}"]


def _values(cells: dict[str, object], unit: str = "U1") -> pd.DataFrame:
    rows = [(unit, c, float("nan") if v == "不适用" else float(v), v == "不适用") for c, v in cells.items()]
    return pd.DataFrame(rows, columns=["unit", "code", "value", "na"]).assign(period=PERIOD)


@pytest.mark.parametrize(
    ("cells", "total", "deducted", "trace"),
    [
        ({"F": 50, "G": 30, "X": 2}, 78, 2, "发生 2 次 × 1 分，从总分扣 2 分"),
        ({"F": 50, "G": 30}, 80, 0, "未发生，不从总分扣分"),
        ({"F": 50, "G": 30, "X": 3}, 77, 3, "发生 3 次 × 1 分，从总分扣 3 分"),  # exactly the cap
        ({"F": 50, "G": 30, "X": 5}, 77, 3, "发生 5 次 × 1 分 = 5 分，超过最多扣的 3 分，从总分扣 3 分"),
        # 不适用 rescales first: 50 × 100 ÷ 60 = 83.333…, + 1.5 bonus, − 1 → 83.8333 → 83.83
        ({"F": 50, "G": "不适用", "J": 1.5, "X": 1}, 83.83, 1, "发生 1 次 × 1 分，从总分扣 1 分"),
        ({"F": 0, "G": 1, "X": 3}, 0, 3, "发生 3 次 × 1 分，从总分扣 3 分"),  # 1 − 3: floored at 0
    ],
    ids=["under the cap", "blank", "at the cap", "beyond the cap", "after scaling and bonus", "floored at 0"],
)
def test_the_deduction_comes_off_the_total(cells: dict, total: float, deducted: float, trace: str) -> None:
    results = score(SCHEME, _values(cells))
    unit = results.units.iloc[0]
    assert (unit["total"], unit["deducted"]) == (total, deducted)
    row = results.explain("U1", PERIOD).set_index("code").loc["X"]
    assert (row["points"], row["earned"], row["lost"], row["trace"]) == (0, 0, 0, trace)
    assert row["rule"] == "每发生一次从总分扣 1 分，最多扣 3 分（总分最低为 0）"


def test_it_is_not_a_base_leaf_in_the_scaling() -> None:
    unit = score(SCHEME, _values({"F": 50, "G": "不适用", "X": 1})).units.iloc[0]
    assert (unit["earned_base"], unit["applicable_points"]) == (50, 60)  # X adds no points to either


def test_a_unit_with_only_the_deduction_applicable_cannot_be_scored() -> None:
    spec = copy.deepcopy(SPEC)
    spec["criteria"][0]["items"][0]["allow_na"] = True
    with pytest.raises(ScoringInputError) as exc:
        score(scheme_from_dict(spec), _values({"F": "不适用", "G": "不适用", "X": 1}))
    assert "所有评分细则均为不适用，无法计分" in str(exc.value)


def test_fractional_occurrences_are_refused() -> None:
    with pytest.raises(ScoringInputError) as exc:
        score(SCHEME, _values({"F": 50, "G": 30, "X": 1.5}))
    assert "指标 X: '1.5' 应为整数次数" in str(exc.value)


def _subtotals(cells: dict) -> list[tuple[str, float, str]]:
    explained = score(SCHEME, _values(cells)).explain("U1", PERIOD)
    table = dimension_subtotals(explained)
    return [(r.维度, r.得分, r.说明) for r in table.itertuples()]


def test_breakdown_has_its_own_line_and_adds_up_to_the_total() -> None:
    lines = _subtotals({"F": 50, "G": "不适用", "J": 1.5, "X": 1})
    assert [(d, s) for d, s, _ in lines] == [
        ("日常工作", 50),  # the deduction's own criterion has no points: no dimension line
        ("按适用项折算", 33.33),  # 50 × 100 ÷ 60 − 50
        ("加分", 1.5),
        ("从总分扣分", -1),
        ("总分", 83.83),
    ]
    assert lines[3][2] == "从总分扣 1.00 分"
    assert round(sum(s for _, s, _ in lines[:-1]), 2) == lines[-1][1]


def test_breakdown_when_the_total_is_floored() -> None:
    lines = _subtotals({"F": 0, "G": 1, "X": 3})
    assert [(d, s) for d, s, _ in lines] == [("日常工作", 1), ("从总分扣分", -1), ("总分", 0)]
    assert lines[1][2] == "从总分扣 3.00 分，总分最低为 0"


def test_no_line_without_a_deduction() -> None:
    assert [d for d, _, _ in _subtotals({"F": 50, "G": 30})] == ["日常工作", "总分"]


def test_unit_report_shows_the_deduction_from_the_total() -> None:
    from exports.unit_report import write_unit_report

    data = write_unit_report(score(SCHEME, _values({"F": 50, "G": 30, "X": 2})), "U1", PERIOD, {"U1": "甲卫生院"})
    book = openpyxl.load_workbook(io.BytesIO(data))
    tree = [r for r in book["评分明细"].iter_rows(values_only=True) if r]
    foot = {r[1]: r[7] for r in tree if r[1] in ("从总分扣分", "总分")}
    assert foot["从总分扣分"] == "扣 2.00 分（总分最低为 0）"
    assert foot["总分"] == "78.00（基础分 × 100 ÷ 适用分值 + 加分 − 从总分扣分）"
    x = next(r for r in tree if r[0] == "X")
    assert x[7] == "发生 2 次 × 1 分，从总分扣 2 分"
    text = [c for ws in book.worksheets for r in ws.iter_rows(values_only=True) for c in r if c is not None]
    assert "从总分扣分" in text and "从总分扣 2.00 分" in text  # the 各维度得分 table of the summary


# -- template and upload ------------------------------------------------------------------------
def _wide() -> tuple[openpyxl.Workbook, dict[str, int], int]:
    wb = openpyxl.load_workbook(io.BytesIO(build_template(SCHEME, PERIOD, UNITS)))
    ws = wb["评分"]
    row = next(r for r in range(1, 12) if ws.cell(r, 1).value == "单位编码" and ws.cell(r + 1, 1).value == "U1")
    return wb, {str(c.value): c.column for c in ws[row] if c.value}, row + 1


def _upload(x_u1: object) -> object:
    wb, cols, first = _wide()
    ws = wb["评分"]
    for r, (f, g) in enumerate([(50, 30), (60, 40)]):
        ws.cell(first + r, cols["F"]).value = f
        ws.cell(first + r, cols["G"]).value = g
    ws.cell(first, cols["X"]).value = x_u1
    out = io.BytesIO()
    wb.save(out)
    return read_scores(out.getvalue(), SCHEME, period=PERIOD, units=UNITS, file_name="t.xlsx")


def test_template_says_it_comes_off_the_total() -> None:
    wb, cols, first = _wide()
    assert wb["评分"].cell(first - 2, cols["X"]).value == "从总分扣 · 每次扣1分，最多3分 · 填次数"
    guide = "\n".join(str(c.value) for row in wb["说明"].iter_rows() for c in row if c.value)
    assert "扣分直接从总分（折算和加分之后）中扣除，总分最低为 0" in guide


def test_upload_scores_it_and_refuses_a_fraction_with_its_cell() -> None:
    parsed = _upload(2)
    assert parsed.ok, parsed.error_report()
    assert score(SCHEME, parsed.values).units.set_index("unit")["total"].to_dict() == {"U1": 78, "U2": 100}
    bad = _upload(1.5)
    assert [e.value for e in bad.errors] == ["1.5"] and "信息迟报" in str(bad.errors[0])
