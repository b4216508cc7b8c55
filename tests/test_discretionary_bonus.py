"""酌情奖分: a bonus leaf whose points the assessor enters directly (0–cap, fractions allowed),
refused outside that range in every way values arrive, traced, and still under the scheme's bonus_cap."""

from __future__ import annotations

import copy
import io
import json

import openpyxl
import pandas as pd
import pytest
import yaml

from scoring import SchemeError, ScoringInputError, scheme_from_dict, score
from services.validation import value_problems
from sheets import build_template, read_scores
from sheets.longfile import read_long_table

PERIOD = "2025-03"
SPEC = {
    "id": "db",
    "name": "酌情加分示例",
    "version": "1",
    "period_type": "month",
    "bonus_cap": 3,
    "criteria": [
        {
            "code": "A",
            "name": "综合",
            "items": [
                {"code": "F", "name": "日常工作", "method": "direct", "points": 100},
                {"code": "J", "name": "工作创新", "method": "bonus", "discretionary": True, "cap": 2},
                {"code": "K", "name": "上级表彰", "method": "bonus", "per_occurrence": 1, "cap": 2},
            ],
        }
    ],
}
SCHEME = scheme_from_dict(SPEC)
UNITS = pd.DataFrame({"code": ["U1", "U2"], "name": ["甲卫生院", "乙卫生院"]})


def _item(k: int, **changes) -> dict:
    spec = copy.deepcopy(SPEC)
    spec["criteria"][0]["items"][k].update(changes)
    return spec


def _messages(spec: dict) -> list[str]:
    with pytest.raises(SchemeError) as exc:
        scheme_from_dict(spec)
    return [p.keyed for p in exc.value.problems]  # key path + the Chinese text


def test_a_discretionary_bonus_takes_no_per_occurrence_and_a_counted_one_needs_it() -> None:
    assert _messages(_item(1, per_occurrence=1)) == ["criteria[0].items[1]: 酌情加分直接填加分数，不能再写「每次分值」"]
    spec = _item(2)
    del spec["criteria"][0]["items"][2]["per_occurrence"]
    assert _messages(spec) == ["criteria[0].items[2]: 加分项须写「每次分值」，或设为「酌情加分」（直接填分数）"]


def _values(cells: dict[str, float], unit: str = "U1") -> pd.DataFrame:
    base = {"F": 90} | cells
    return pd.DataFrame([(unit, c, float(v)) for c, v in base.items()], columns=["unit", "code", "value"])


@pytest.mark.parametrize(
    ("cells", "earned", "total", "trace"),
    [
        ({"J": 1.5}, 1.5, 91.5, "酌情加 1.5 分（最多 2 分，全方案加分合计另有上限）"),
        ({"J": 2}, 2, 92, "酌情加 2 分（最多 2 分，全方案加分合计另有上限）"),
        ({"J": 0}, 0, 90, "酌情加 0 分（最多 2 分，全方案加分合计另有上限）"),
        ({}, 0, 90, "酌情加 0 分（最多 2 分，全方案加分合计另有上限）"),  # blank: nothing given
        ({"J": 1.75, "K": 2}, 1.75, 93, "酌情加 1.75 分（最多 2 分，全方案加分合计另有上限）"),  # 1.75 + 2 > 3
    ],
    ids=["fraction", "at its cap", "zero", "blank", "scheme cap applies"],
)
def test_discretionary_points_are_the_bonus(cells: dict, earned: float, total: float, trace: str) -> None:
    results = score(SCHEME, _values(cells))
    row = results.explain("U1").set_index("code").loc["J"]
    assert (row["earned"], row["trace"]) == (earned, trace)
    assert results.units["total"].item() == total
    assert row["rule"] == "酌情加分，本项最多加 2 分"


def test_several_assessors_are_averaged() -> None:
    values = pd.DataFrame(
        [("U1", "F", 90.0, "一组"), ("U1", "J", 1.0, "一组"), ("U1", "F", 90.0, "二组"), ("U1", "J", 2.0, "二组")],
        columns=["unit", "code", "value", "assessor"],
    )
    assert score(SCHEME, values).units["total"].item() == 91.5


def test_engine_refuses_above_cap_and_negative() -> None:
    with pytest.raises(ScoringInputError) as exc:
        score(SCHEME, pd.concat([_values({"J": 2.01}), _values({"J": -0.5}, "U2")]))
    text = str(exc.value)
    assert "指标 J: '2.01' 超出范围 （应在 0 到 2 之间）" in text
    assert "指标 J: '-0.5' 超出范围 （应在 0 到 2 之间）" in text


def test_storage_check_refuses_above_cap_but_takes_a_fraction() -> None:
    values = pd.DataFrame({"unit": ["U1", "U2"], "code": ["J", "J"], "assessor": ["一组", "一组"],
                           "value": [2.5, 1.25], "na": [False, False], "note": ["", ""]})  # fmt: skip
    problems = value_problems(values, SCHEME, PERIOD)
    assert [(p.unit, p.code, p.message) for p in problems] == [("U1", "J", "'2.5' 超出范围（应在 0 到 2 之间）")]


# -- template and upload ------------------------------------------------------------------------
def _book(layout: str = "wide") -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(build_template(SCHEME, PERIOD, UNITS, layout=layout)))


def _wide_cols(ws) -> tuple[dict[str, int], int]:
    row = next(r for r in range(1, 12) if ws.cell(r, 1).value == "单位编码" and ws.cell(r + 1, 1).value == "U1")
    return {str(c.value): c.column for c in ws[row] if c.value}, row + 1


def test_templates_ask_for_points_not_occurrences() -> None:
    ws = _book()["评分"]
    cols, first = _wide_cols(ws)
    assert ws.cell(first - 2, cols["J"]).value == "酌情加0–2分 · 填加分（可有小数）"
    assert ws.cell(first - 2, cols["K"]).value == "每次加1分，最多2分 · 填次数"
    guide = "\n".join(str(c.value) for row in _book()["说明"].iter_rows() for c in row if c.value)
    assert "酌情加分：直接填加分数（可有小数，不超过该项写明的上限），不填次数" in guide


def _filled(layout: str, j_u1: object) -> bytes:
    wb = _book(layout)
    cells = {("U1", "F"): 90, ("U2", "F"): 95, ("U1", "J"): j_u1}
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


@pytest.mark.parametrize("layout", ["wide", "per-unit"])
def test_upload_takes_a_fractional_bonus(layout: str) -> None:
    parsed = read_scores(_filled(layout, 1.5), SCHEME, period=PERIOD, units=UNITS, file_name="t.xlsx")
    assert parsed.ok, parsed.error_report()
    assert score(SCHEME, parsed.values).units.set_index("unit")["total"].to_dict() == {"U1": 91.5, "U2": 95.0}


@pytest.mark.parametrize("layout", ["wide", "per-unit"])
@pytest.mark.parametrize("bad", [2.5, -1])
def test_upload_refuses_points_outside_zero_to_cap_with_its_cell(layout: str, bad: float) -> None:
    parsed = read_scores(_filled(layout, bad), SCHEME, period=PERIOD, units=UNITS, file_name="t.xlsx")
    assert not parsed.ok
    assert [e.value for e in parsed.errors] == [f"{bad:g}"]
    assert parsed.errors[0].expected == "0–2 之间的分数"
    assert "工作创新" in str(parsed.errors[0])


def test_long_file_refuses_above_cap_with_its_line() -> None:
    rows = ["单位,指标编码,数值", "U1,F,90", "U1,J,1.5"]
    parsed = read_long_table("\n".join(rows).encode(), SCHEME, file_name="t.csv")
    assert parsed.ok, parsed.error_report()
    assert score(SCHEME, parsed.values).units["total"].item() == 91.5
    bad = read_long_table("\n".join(rows).replace("J,1.5", "J,3").encode(), SCHEME, file_name="t.csv")
    assert len(bad.errors) == 1 and "第 3 行" in str(bad.errors[0])


def test_score_command_scores_and_refuses(tmp_path, capsys: pytest.CaptureFixture) -> None:
    from manage import main

    scheme = tmp_path / "scheme.yaml"
    scheme.write_text(yaml.safe_dump(SPEC, allow_unicode=True), encoding="utf-8")
    scores = tmp_path / "scores.csv"
    scores.write_text("单位,指标编码,数值\n甲,F,90\n甲,J,0.5\n", encoding="utf-8")
    assert main(["score", "--scheme", str(scheme), "--scores", str(scores), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["total"] == 90.5
    scores.write_text("单位,指标编码,数值\n甲,F,90\n甲,J,2.5\n", encoding="utf-8")
    assert main(["score", "--scheme", str(scheme), "--scores", str(scores), "--format", "json"]) != 0
    err = capsys.readouterr().err
    assert "第 3 行" in err and "'2.5' 超出范围" in err
