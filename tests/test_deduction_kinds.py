"""Deductions as real 指标 write them: several kinds under one cap (迟报 0.5 / 漏报 1 / 瞒报 5 分每次，
扣完为止) and a discretionary part (酌情扣 0–M 分) counted inside the same cap, end to end."""

from __future__ import annotations

import copy
import io

import openpyxl
import pandas as pd
import pytest

from scoring import SchemeError, ScoringInputError, scheme_from_dict, score
from services.validation import value_problems
from sheets import build_template, read_scores
from sheets.longfile import read_long_table

PERIOD = "2025-03"
KINDS = [
    {"code": "R1", "name": "迟报", "per_occurrence": 0.5},
    {"code": "R2", "name": "漏报", "per_occurrence": 1},
    {"code": "R3", "name": "瞒报", "per_occurrence": 5},
]
SPEC = {
    "id": "dk",
    "name": "分类扣分示例",
    "version": "1",
    "period_type": "month",
    "criteria": [
        {
            "code": "A",
            "name": "信息报告",
            "items": [
                {"code": "R", "name": "传染病报告", "method": "deduction", "points": 5, "kinds": KINDS},
                {"code": "S", "name": "安全生产", "method": "deduction", "points": 3, "per_occurrence": 1,
                 "discretionary_max": 2, "discretionary_code": "S9"},
                {"code": "F", "name": "其他指标", "method": "direct", "points": 92},
            ],
        }
    ],
}  # fmt: skip
SCHEME = scheme_from_dict(SPEC)
UNITS = pd.DataFrame({"code": ["U1", "U2"], "name": ["甲卫生院", "乙卫生院"]})


def _item(k: int, **changes) -> dict:
    spec = copy.deepcopy(SPEC)
    spec["criteria"][0]["items"][k].update(changes)
    return {key: v for key, v in spec.items()} | {"criteria": spec["criteria"]}


def _without(k: int, key: str, **changes) -> dict:
    spec = _item(k, **changes)
    del spec["criteria"][0]["items"][k][key]
    return spec


def _messages(spec: dict) -> list[str]:
    with pytest.raises(SchemeError) as exc:
        scheme_from_dict(spec)
    return [p.keyed for p in exc.value.problems]  # key path + the Chinese text


# -- scheme validation --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (_item(0, per_occurrence=1), "criteria[0].items[0]: 扣分项的「每次分值」与「扣分类别」只能写一种（分类扣分时每类各写「每次分值」）"),
        (_without(0, "kinds"), "criteria[0].items[0]: 扣分项须写「每次分值」或「扣分类别」，二者选一"),
        (_item(0, kinds=[KINDS[0], KINDS[1] | {"code": "R1"}]), "criteria[0].items[0]: 扣分类别编码重复：R1"),
        (_item(0, kinds=[KINDS[0] | {"code": "F"}]), "编码 F 重复"),
        (_item(1, discretionary_max=3.5), "criteria[0].items[1]: 酌情扣分上限 3.5 分超过本项分值 3 分"),
        (_without(1, "discretionary_max"),
         "criteria[0].items[1]: 写了「酌情扣分编码」却没有「酌情扣分上限」"),
        (_item(0, kinds=[KINDS[0] | {"per_occurrence": 0}]), "criteria[0].items[0].kinds[0].per_occurrence: 必须大于 0"),
    ],
    ids=["both forms", "neither form", "kind code twice", "kind code clashes", "discretionary above points",
         "discretionary code alone", "zero rate"],
)  # fmt: skip
def test_bad_deductions_are_refused_with_located_messages(spec: dict, expected: str) -> None:
    assert _messages(spec) == [expected]


# -- engine and trace ---------------------------------------------------------------------------
def _values(cells: dict[str, float], unit: str = "U1") -> pd.DataFrame:
    base = {"F": 92} | cells
    return pd.DataFrame([(unit, c, float(v)) for c, v in base.items()], columns=["unit", "code", "value"])


def _leaf(cells: dict[str, float], code: str) -> tuple[float, str]:
    results = score(SCHEME, _values(cells))
    row = results.explain("U1").set_index("code").loc[code]
    return row["earned"], row["trace"]


@pytest.mark.parametrize(
    ("cells", "earned", "trace"),
    [
        ({"R1": 2, "R2": 1}, 3, "迟报 2 次 × 0.5 = 1 分；漏报 1 次 × 1 = 1 分；瞒报 0 次；共扣 2 分（最多扣 5 分）→ 得 3 分"),
        ({"R1": 2, "R2": 4}, 0, "迟报 2 次 × 0.5 = 1 分；漏报 4 次 × 1 = 4 分；瞒报 0 次；共扣 5 分（最多扣 5 分）→ 得 0 分"),
        ({"R1": 1, "R3": 1}, 0, "迟报 1 次 × 0.5 = 0.5 分；漏报 0 次；瞒报 1 次 × 5 = 5 分；共扣 5.5 分，超过本项 5 分，扣完为止 → 得 0 分"),
        ({}, 5, "迟报 0 次；漏报 0 次；瞒报 0 次；共扣 0 分（最多扣 5 分）→ 得 5 分"),
    ],
    ids=["under the cap", "cap reached exactly", "cap exceeded", "nothing happened"],
)  # fmt: skip
def test_kinds_are_counted_apart_and_capped_together(cells: dict, earned: float, trace: str) -> None:
    assert _leaf(cells, "R") == (earned, trace)


@pytest.mark.parametrize(
    ("cells", "earned", "trace"),
    [
        ({"S": 1, "S9": 1.5}, 0.5, "发生 1 次 × 1 = 1 分；酌情扣 1.5 分；共扣 2.5 分（最多扣 3 分）→ 得 0.5 分"),
        ({"S9": 2}, 1, "发生 0 次；酌情扣 2 分；共扣 2 分（最多扣 3 分）→ 得 1 分"),
        ({"S": 2, "S9": 2}, 0, "发生 2 次 × 1 = 2 分；酌情扣 2 分；共扣 4 分，超过本项 3 分，扣完为止 → 得 0 分"),
        ({"S": 1}, 2, "发生 1 次 × 1 = 1 分；酌情扣 0 分；共扣 1 分（最多扣 3 分）→ 得 2 分"),
    ],
    ids=["fractional", "at its max", "cap exceeded", "blank discretionary"],
)  # fmt: skip
def test_discretionary_counts_inside_the_same_cap(cells: dict, earned: float, trace: str) -> None:
    assert _leaf(cells, "S") == (earned, trace)


def test_total_and_rule_text() -> None:
    results = score(SCHEME, _values({"R1": 2, "R2": 1, "S": 1, "S9": 1.5}))
    assert results.units["total"].item() == 95.5  # 3 + 0.5 + 92
    rules = results.explain("U1").set_index("code")["rule"]
    assert rules["R"] == "迟报 0.5 分/次，漏报 1 分/次，瞒报 5 分/次；扣完 5 分为止"
    assert rules["S"] == "每发生一次扣 1 分；酌情扣分最多 2 分；扣完 3 分为止"


def test_default_discretionary_code_and_not_applicable_rescales() -> None:
    spec = _without(1, "discretionary_code")
    spec["criteria"][0]["items"][0]["allow_na"] = True
    scheme = scheme_from_dict(spec)
    values = pd.concat([_values({"S酌情": 0.5}), pd.DataFrame([("U1", "R", float("nan"), True)],
                                                              columns=["unit", "code", "value", "na"])])  # fmt: skip
    results = score(scheme, values)
    assert results.leaves.set_index("leaf").loc["S", "earned"] == 2.5
    assert results.units["total"].item() == 99.47  # R 不适用: (92 + 2.5) / 95 × 100 = 99.4737


def test_refused_above_max_and_fractional_counts() -> None:
    with pytest.raises(ScoringInputError) as exc:
        score(SCHEME, _values({"S9": 2.5, "R1": 1.5}))
    text = str(exc.value)
    assert "指标 S9: '2.5' 超出范围 （应在 0 到 2 之间）" in text
    assert "指标 R1: '1.5' 应为整数次数" in text


def test_storage_check_refuses_discretionary_above_max() -> None:
    values = pd.DataFrame({"unit": ["U1", "U1"], "code": ["S9", "R2"], "assessor": ["一组", "一组"],
                           "value": [2.01, 1.0], "na": [False, False], "note": ["", ""]})  # fmt: skip
    problems = value_problems(values, SCHEME, PERIOD)
    assert [p.code for p in problems] == ["S9"]
    assert "2.01" in problems[0].message and "0" in problems[0].message and "2" in problems[0].message


# -- template and upload ------------------------------------------------------------------------
def _book(layout: str = "wide") -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(build_template(SCHEME, PERIOD, UNITS, layout=layout)))


def _wide_cols(ws) -> tuple[dict[str, int], int]:
    row = next(r for r in range(1, 12) if ws.cell(r, 1).value == "单位编码" and ws.cell(r + 1, 1).value == "U1")
    return {str(c.value): c.column for c in ws[row] if c.value}, row + 1


def test_wide_template_has_a_column_per_kind_and_for_the_discretionary_part() -> None:
    ws = _book()["评分"]
    cols, first = _wide_cols(ws)
    assert "R" not in cols  # no 不适用 allowed: the leaf's own column would take nothing
    assert {"R1", "R2", "R3", "S", "S9"} <= set(cols)
    assert ws.cell(first - 2, cols["R1"]).value == "每次扣0.5分 · 填次数"
    assert ws.cell(first - 2, cols["S9"]).value == "酌情扣0–2分 · 填扣分（可有小数）"


def _filled(layout: str, cells: dict[tuple[str, str], object]) -> bytes:
    wb = _book(layout)
    if layout == "wide":
        ws = wb["评分"]
        cols, first = _wide_cols(ws)
        for (unit, code), v in cells.items():
            ws.cell(first + ["U1", "U2"].index(unit), cols[code]).value = v
    else:
        for (unit, code), v in cells.items():
            ws = wb[dict(zip(UNITS["code"], UNITS["name"], strict=True))[unit]]
            r = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == code)
            ws.cell(r, 5).value = v
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _cells(s9_u1: object) -> dict:
    return {("U1", "R1"): 2, ("U1", "R2"): 1, ("U1", "S9"): s9_u1, ("U1", "F"): 92, ("U2", "F"): 92}


@pytest.mark.parametrize("layout", ["wide", "per-unit"])
def test_upload_scores_the_kinds_and_the_discretionary_part(layout: str) -> None:
    parsed = read_scores(_filled(layout, _cells(1.5)), SCHEME, period=PERIOD, units=UNITS, file_name="t.xlsx")
    assert parsed.ok, parsed.error_report()
    totals = score(SCHEME, parsed.values).units.set_index("unit")["total"].to_dict()
    assert totals == {"U1": 96.5, "U2": 100.0}  # U1: R 5 − 2 = 3, S 3 − 1.5 = 1.5


@pytest.mark.parametrize("layout", ["wide", "per-unit"])
def test_upload_refuses_discretionary_above_max_with_a_located_message(layout: str) -> None:
    parsed = read_scores(_filled(layout, _cells(2.5)), SCHEME, period=PERIOD, units=UNITS, file_name="t.xlsx")
    assert not parsed.ok
    assert [e.value for e in parsed.errors] == ["2.5"]
    assert (parsed.errors[0].problem, parsed.errors[0].expected) == ("'2.5' 超出范围", "0–2 之间的分数")
    assert "酌情扣分" in str(parsed.errors[0])


def test_long_file_takes_the_kinds_codes_and_refuses_above_max() -> None:
    rows = ["单位,指标编码,数值", "U1,R1,2", "U1,R3,1", "U1,S9,2", "U1,F,92"]
    parsed = read_long_table("\n".join(rows).encode(), SCHEME, file_name="t.csv")
    assert parsed.ok, parsed.error_report()
    assert score(SCHEME, parsed.values).units["total"].item() == 93  # R: 0.5 + 5 > 5 → 0; S: 3 − 2 = 1; F 92
    bad = read_long_table("\n".join(rows).replace("S9,2", "S9,2.5").encode(), SCHEME, file_name="t.csv")
    assert len(bad.errors) == 1 and "第 4 行" in str(bad.errors[0])


def test_guide_sheet_explains_kinds_and_discretionary() -> None:
    ws = _book()["说明"]
    text = "\n".join(str(c.value) for row in ws.iter_rows() for c in row if c.value)
    assert "每类分别填次数，各类扣分合计在本项分值内扣完为止" in text
    assert "迟报 0.5 分/次，漏报 1 分/次，瞒报 5 分/次；扣完 5 分为止" in text


def test_score_command_reads_kinds_and_refuses_discretionary_above_max(tmp_path, capsys: pytest.CaptureFixture) -> None:
    import json

    import yaml

    from manage import main

    scheme = tmp_path / "scheme.yaml"
    scheme.write_text(yaml.safe_dump(SPEC, allow_unicode=True), encoding="utf-8")
    scores = tmp_path / "scores.csv"
    scores.write_text("单位,指标编码,数值\n甲,R1,2\n甲,R2,1\n甲,S9,1.5\n甲,F,92\n", encoding="utf-8")
    assert main(["score", "--scheme", str(scheme), "--scores", str(scores), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["total"] == 96.5  # 3 + 1.5 + 92
    scores.write_text("单位,指标编码,数值\n甲,S9,2.5\n甲,F,92\n", encoding="utf-8")
    assert main(["score", "--scheme", str(scheme), "--scores", str(scores), "--format", "json"]) != 0
    err = capsys.readouterr().err
    assert "第 2 行" in err and "'2.5' 超出范围" in err
