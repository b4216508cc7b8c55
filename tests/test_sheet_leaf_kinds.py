"""The newer leaf kinds through a real template: computed indicators (formula + inputs), 同类排名
and category variants — built with `build_template`, filled with openpyxl as a person would, read
back through `read_scores` and scored, with hand-computed values and located Chinese messages."""

from __future__ import annotations

import io

import openpyxl
import pandas as pd
import pytest

from scoring import scheme_from_dict, score
from sheets import build_template, read_scores

PERIOD = "2025-03"
COMPUTED = {
    "code": "A1", "name": "建档率", "method": "target", "mode": "per_shortfall", "points": 10,
    "target": 90, "unit": "%", "decimals": 1, "loss_per_step": 0.5, "step": 2,
    "formula": "建档人数 ÷ 常住人口 × 100",
    "inputs": [{"code": "A1a", "name": "建档人数", "unit": "人"},
               {"name": "常住人口", "unit": "人", "source": "register"}],
}  # fmt: skip
TWO = pd.DataFrame({"code": ["U1", "U2"], "name": ["东城", "西城"], "aliases": ["", ""]})
FORMULA_NOTE = "建档率 = 建档人数 ÷ 常住人口 × 100（常住人口取自单位清单）"


def _scheme(leaf: dict, rest: float = 90, period_type: str = "month", **extra) -> object:
    other = {"code": "F", "name": "其他", "method": "direct", "points": rest}
    return scheme_from_dict({"id": "k", "name": "新指标", "version": "1", "period_type": period_type, **extra,
                             "criteria": [{"code": "A", "name": "公共卫生", "items": [leaf, other]}]})  # fmt: skip


def _figures(**population: float) -> pd.DataFrame:
    return pd.DataFrame(
        [(u, 2025, "常住人口", v) for u, v in population.items()], columns=["unit", "year", "name", "value"]
    )


def _wide_cols(ws) -> tuple[dict[str, int], int]:
    """Code → column of the wide sheet, and the first unit row (the code row is the last 单位编码 row)."""
    key = max(r for r in range(1, 12) if ws.cell(r, 1).value == "单位编码")
    return {ws.cell(key, c).value: c for c in range(3, ws.max_column + 1)}, key + 1


def _filled(scheme, units: pd.DataFrame, layout: str, cells: dict[tuple[str, str], object]) -> bytes:
    wb = openpyxl.load_workbook(io.BytesIO(build_template(scheme, PERIOD if scheme.period_type == "month" else "2025",
                                                          units, layout=layout)))  # fmt: skip
    codes = list(units["code"])
    for (unit, code), v in cells.items():
        if layout == "wide":
            ws = wb["评分"]
            cols, first = _wide_cols(ws)
            ws.cell(first + codes.index(unit), cols[code]).value = v
        else:
            ws = wb[units.set_index("code").loc[unit, "name"]]
            r = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == code)
            ws.cell(r, 5).value = v
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _read(scheme, units, layout, cells, figures=None, period=PERIOD):
    data = _filled(scheme, units, layout, cells)
    return read_scores(data, scheme, period=period, units=units, file_name="评分.xlsx", figures=figures)


# -- computed indicators ----------------------------------------------------------------------------------
def test_wide_template_offers_the_raw_input_with_the_formula_not_the_leaf() -> None:
    wb = openpyxl.load_workbook(io.BytesIO(build_template(_scheme(COMPUTED), PERIOD, TWO)))
    ws = wb["评分"]
    cols, first = _wide_cols(ws)
    assert "A1" not in cols and "A1a" in cols  # the rate itself is worked out, never typed in
    assert ws.cell(first - 2, cols["A1a"]).value == f"填建档人数(人)，不小于0 · {FORMULA_NOTE}"
    assert ws.cell(first - 3, cols["A1a"]).value == "建档人数"


def test_per_unit_template_closes_the_leaf_row_and_lists_the_input() -> None:
    wb = openpyxl.load_workbook(io.BytesIO(build_template(_scheme(COMPUTED), PERIOD, TWO, layout="per-unit")))
    rows = {r[0]: r for r in wb["东城"].iter_rows(min_row=6, values_only=True) if r[0]}
    assert rows["A1a"][1:4] == ("\u3000· 建档人数", "—", f"填建档人数(人)，不小于0 · {FORMULA_NOTE}")
    dv_cells = {str(r) for dv in wb["东城"].data_validations.dataValidation for r in dv.sqref.ranges}
    assert "E7" not in dv_cells  # A1's own cell (row 7) takes nothing: no allow_na


@pytest.mark.parametrize("layout", ["wide", "per-unit"])
def test_computed_round_trip_scores_the_hand_computed_rate(layout: str) -> None:
    # 东城 27 ÷ 30 × 100 = 90.0% = target → 10. 西城 26 ÷ 30 × 100 = 86.7% (1 decimal), 3.3 short:
    # 1.65 steps of 2 × 0.5 = 0.825 off → 9.175.
    scheme = _scheme(COMPUTED)
    cells = {("U1", "A1a"): 27, ("U2", "A1a"): 26, ("U1", "F"): 90, ("U2", "F"): 80}
    parsed = _read(scheme, TWO, layout, cells, _figures(U1=30, U2=30))
    assert parsed.ok, parsed.error_report()
    results = score(scheme, parsed.values, figures=_figures(U1=30, U2=30))
    lv = results.leaves[results.leaves["leaf"] == "A1"].set_index("unit")["earned"]
    assert lv["U1"] == 10 and lv["U2"] == pytest.approx(9.175)
    totals = results.units.set_index("unit")["total"]
    assert totals["U1"] == 100 and totals["U2"] == 89.18  # 9.175 + 80, totals kept to 2 decimals (half up)


@pytest.mark.parametrize("layout", ["wide", "per-unit"])
def test_computed_inputs_are_numbers_not_below_zero(layout: str) -> None:
    cells = {("U1", "A1a"): -1, ("U2", "A1a"): "二十", ("U1", "F"): 90, ("U2", "F"): 80}
    parsed = _read(_scheme(COMPUTED), TWO, layout, cells, _figures(U1=30, U2=30))
    assert [e.problem for e in parsed.errors] == ["'-1' 是负数", "'二十' 不是数字"]
    assert all("「建档人数」" in str(e) for e in parsed.errors)
    assert parsed.errors[0].expected == "不小于 0 的数字"  # in 人, not a percentage


@pytest.mark.parametrize("layout", ["wide", "per-unit"])
def test_zero_population_is_located_with_the_engine_message(layout: str) -> None:
    cells = {("U1", "A1a"): 27, ("U2", "A1a"): 0, ("U1", "F"): 90, ("U2", "F"): 80}
    parsed = _read(_scheme(COMPUTED), TWO, layout, cells, _figures(U1=30, U2=0))
    assert [(e.unit, e.problem) for e in parsed.errors] == [("U2", "「常住人口」为 0，无法计算「建档率」")]
    sheet = "评分" if layout == "wide" else "西城"
    assert str(parsed.errors[0]).startswith(f"表「{sheet}」第 ")


def test_a_number_in_the_computed_leafs_own_row_is_refused_naming_the_inputs() -> None:
    cells = {("U1", "A1"): 95, ("U1", "A1a"): 27, ("U2", "A1a"): 27, ("U1", "F"): 90, ("U2", "F"): 80}
    parsed = _read(_scheme(COMPUTED), TWO, "per-unit", cells, _figures(U1=30, U2=30))
    assert [e.problem for e in parsed.errors] == ["'95' 不能填在这一列（本指标由公式计算，请分别填写建档人数）"]


@pytest.mark.parametrize("layout", ["wide", "per-unit"])
def test_computed_leaf_with_allow_na_takes_only_na_in_its_own_cell(layout: str) -> None:
    # 西城 不适用 on 建档率: its 10 points are left out and F's 80 of 90 is scaled to 100 → 88.89.
    scheme = _scheme(COMPUTED | {"allow_na": True})
    wb = openpyxl.load_workbook(io.BytesIO(build_template(scheme, PERIOD, TWO)))
    cols, first = _wide_cols(wb["评分"])
    assert "A1" in cols and wb["评分"].cell(first - 2, cols["A1"]).value == "10分 · 由公式计算，不填数字 · 可填不适用"
    cells = {("U1", "A1a"): 27, ("U2", "A1"): "不适用", ("U1", "F"): 90, ("U2", "F"): 80}
    parsed = _read(scheme, TWO, layout, cells, _figures(U1=30, U2=30))
    assert parsed.ok, parsed.error_report()
    totals = score(scheme, parsed.values, figures=_figures(U1=30, U2=30)).units.set_index("unit")["total"]
    assert totals["U1"] == 100 and totals["U2"] == pytest.approx(80 / 90 * 100, abs=0.01)


# -- 同类排名 ------------------------------------------------------------------------------------------------
PEER = {"code": "A1", "name": "门诊量", "method": "peer_rank", "points": 10, "unit": "人次",
        "bands": [{"within_pct": 20, "points": 10}, {"within_pct": 50, "points": 6}]}  # fmt: skip
FIVE = pd.DataFrame({"code": [f"P{i}" for i in range(5)], "name": [f"中心{i}" for i in range(5)],
                     "category": ["社区卫生服务中心"] * 5, "aliases": [""] * 5})  # fmt: skip


@pytest.mark.parametrize("layout", ["wide", "per-unit"])
def test_peer_rank_round_trip(layout: str) -> None:
    # 5 peers: rank 1 = 20% → 10; rank 2 = 40% → 6; ranks 3–5 (60%, 80%, 100%) → 0.
    scheme = _scheme(PEER)
    values = [1200, 3000, 800, 2500.5, 100]  # ranks 3, 1, 4, 2, 5
    cells = {(f"P{i}", "A1"): v for i, v in enumerate(values)} | {(f"P{i}", "F"): 90 for i in range(5)}
    parsed = _read(scheme, FIVE, layout, cells)
    assert parsed.ok, parsed.error_report()
    lv = score(scheme, parsed.values).leaves
    earned = lv[lv["leaf"] == "A1"].set_index("unit")["earned"]
    assert earned.to_dict() == {"P0": 0, "P1": 10, "P2": 0, "P3": 6, "P4": 0}


def test_peer_rank_cell_must_be_a_number() -> None:
    cells = {(f"P{i}", "A1"): 100 for i in range(5)} | {(f"P{i}", "F"): 90 for i in range(5)} | {("P2", "A1"): "很多"}
    parsed = _read(_scheme(PEER), FIVE, "wide", cells)
    assert [e.problem for e in parsed.errors] == ["'很多' 不是数字"]
    assert "第 10 行" in str(parsed.errors[0]) and "「门诊量」" in str(parsed.errors[0])


# -- category variants -------------------------------------------------------------------------------------
HOSP = {"code": "A1", "name": "手术占比", "method": "target", "mode": "proportional", "points": 10, "target": 40,
        "unit": "%", "variants": {"精神专科医院": {"applicable": False}}}  # fmt: skip
CATS = ["综合医院", "精神专科医院"]
HOSPITALS = pd.DataFrame({"code": ["综", "精"], "name": ["一院", "三院"], "category": CATS, "aliases": ["", ""]})


def _hosp():
    return _scheme(HOSP, period_type="year", categories=CATS)


@pytest.mark.parametrize("layout", ["wide", "per-unit"])
@pytest.mark.parametrize("cell", [None, "不适用"])
def test_a_leaf_off_for_the_category_takes_a_blank_or_na(layout: str, cell: object) -> None:
    # 一院: 30 of 40 → 7.5 + 80 = 87.5. 三院 not assessed on 手术占比: 72 of 90 → 80.
    cells = {("综", "A1"): 30, ("综", "F"): 80, ("精", "A1"): cell, ("精", "F"): 72}
    parsed = _read(_hosp(), HOSPITALS, layout, cells, period="2025")
    assert parsed.ok, parsed.error_report()
    totals = score(_hosp(), parsed.values, categories=HOSPITALS.set_index("code")["category"]).units
    assert totals.set_index("unit")["total"].to_dict() == {"综": 87.5, "精": pytest.approx(80)}


@pytest.mark.parametrize("layout", ["wide", "per-unit"])
def test_a_number_on_a_leaf_off_for_the_category_is_refused(layout: str) -> None:
    cells = {("综", "A1"): 30, ("综", "F"): 80, ("精", "A1"): 25, ("精", "F"): 72}
    parsed = _read(_hosp(), HOSPITALS, layout, cells, period="2025")
    assert [(e.unit, e.problem) for e in parsed.errors] == [
        ("精", "精神专科医院不考核本项（方案规定不适用），请留空或填「不适用」")
    ]
    assert "「手术占比」" in str(parsed.errors[0])


def test_the_other_category_still_must_fill_the_leaf() -> None:
    cells = {("综", "A1"): None, ("综", "F"): 80, ("精", "A1"): None, ("精", "F"): 72}
    parsed = _read(_hosp(), HOSPITALS, "wide", cells, period="2025")
    assert [(e.unit, e.problem) for e in parsed.errors] == [("综", "未填写（空白不等于 0）")]
    na = _read(_hosp(), HOSPITALS, "wide", cells | {("综", "A1"): "不适用"}, period="2025")
    assert [(e.unit, e.problem) for e in na.errors] == [("综", "本指标不允许填「不适用」")]


# -- compare / improvement -----------------------------------------------------------------------------------
IMPROVE = {"code": "A1", "name": "门诊人次", "method": "improvement", "points": 4, "compare": "previous",
           "improvement": {"up": 4, "same": 2, "down": 0}}  # fmt: skip
GROWTH = {"code": "A1", "name": "业务收入增幅", "method": "target", "mode": "all_or_nothing", "points": 5,
          "target": 10, "unit": "万元", "compare": "last_year", "as": "growth_pct"}  # fmt: skip


def _history(period: str, values: dict[str, float]) -> pd.DataFrame:
    return pd.DataFrame([(u, period, "A1", v) for u, v in values.items()], columns=["unit", "period", "code", "value"])


@pytest.mark.parametrize("layout", ["wide", "per-unit"])
def test_improvement_round_trip_reads_this_periods_value(layout: str) -> None:
    # Last month 100 for both: 东城 101 rose → 4; 西城 100 held → 2.
    scheme = _scheme(IMPROVE, rest=96)
    wb = openpyxl.load_workbook(io.BytesIO(build_template(scheme, PERIOD, TWO)))
    cols, first = _wide_cols(wb["评分"])
    assert wb["评分"].cell(first - 2, cols["A1"]).value.startswith("4分 · 填本期实际值 · ")
    cells = {("U1", "A1"): 101, ("U2", "A1"): 100, ("U1", "F"): 90, ("U2", "F"): 90}
    parsed = _read(scheme, TWO, layout, cells)
    assert parsed.ok, parsed.error_report()
    lv = score(scheme, parsed.values, history=_history("2025-02", {"U1": 100, "U2": 100})).leaves
    assert lv[lv["leaf"] == "A1"].set_index("unit")["earned"].to_dict() == {"U1": 4, "U2": 2}


@pytest.mark.parametrize("layout", ["wide", "per-unit"])
def test_growth_target_round_trip_against_last_year(layout: str) -> None:
    # 2024-03 was 1000 万元 for both: 1100 is +10.0% = target → 5; 1099 is +9.9% → 0 (all or nothing).
    scheme = _scheme(GROWTH, rest=95)
    cells = {("U1", "A1"): 1100, ("U2", "A1"): 1099, ("U1", "F"): 90, ("U2", "F"): 90}
    parsed = _read(scheme, TWO, layout, cells)
    assert parsed.ok, parsed.error_report()
    lv = score(scheme, parsed.values, history=_history("2024-03", {"U1": 1000, "U2": 1000})).leaves
    assert lv[lv["leaf"] == "A1"].set_index("unit")["earned"].to_dict() == {"U1": 5, "U2": 0}
