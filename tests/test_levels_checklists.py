"""定性分档 (method: levels) and all-or-nothing checklists (all_required), end to end.

Scheme validation, the engine and its traces, the template's dropdown, the upload (wide,
per-unit and long files) and the storage check, with hand-computed values at the boundaries.
Scheme: A1 健康教育 levels 3 / 1 / 0 (3 points), A2 制度建设 all_required over three tasks
(5 points), F a direct filler of 92 points: 100 in all.
"""

from __future__ import annotations

import copy
import io

import numpy as np
import openpyxl
import pandas as pd
import pytest

from scoring import SchemeError, ScoringInputError, scheme_from_dict, score
from services.validation import value_problems
from sheets import build_template, read_scores
from sheets.longfile import read_long_table

PERIOD = "2025-03"
LEVELS = [{"label": "有计划并实施", "points": 3}, {"label": "部分落实", "points": 1}, {"label": "无", "points": 0}]
TASKS = [
    {"code": "A2-1", "name": "制度上墙"},
    {"code": "A2-2", "name": "台账齐全"},
    {"code": "A2-3", "name": "人员到位"},
]
SPEC = {
    "id": "lv",
    "name": "定性分档示例",
    "version": "1",
    "period_type": "month",
    "criteria": [
        {
            "code": "A",
            "name": "公共卫生",
            "items": [
                {"code": "A1", "name": "健康教育", "method": "levels", "points": 3, "levels": LEVELS},
                {"code": "A2", "name": "制度建设", "method": "checklist", "points": 5, "all_required": True,
                 "tasks": TASKS},
                {"code": "F", "name": "其他指标", "method": "direct", "points": 92},
            ],
        }
    ],
}  # fmt: skip
SCHEME = scheme_from_dict(SPEC)
UNITS = pd.DataFrame({"code": ["U1", "U2"], "name": ["甲卫生院", "乙卫生院"]})


def _leaf(**changes) -> dict:
    spec = copy.deepcopy(SPEC)
    spec["criteria"][0]["items"][0].update(changes)
    return spec


def _checklist(**changes) -> dict:
    spec = copy.deepcopy(SPEC)
    spec["criteria"][0]["items"][1].update(changes)
    return spec


def _messages(spec: dict) -> list[str]:
    with pytest.raises(SchemeError) as exc:
        scheme_from_dict(spec)
    return [p.keyed for p in exc.value.problems]  # key path + the Chinese text


# -- scheme validation --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (_leaf(levels=[{"label": "有", "points": 3}]), "criteria[0].items[0]: 定性分档至少需要两个档次"),
        (_leaf(levels=[{"label": "有", "points": 3}, {"label": "有", "points": 1}]),
         "criteria[0].items[0]: 档次名称重复：有"),
        (_leaf(levels=[{"label": "好", "points": 3}, {"label": "中", "points": 1}, {"label": "差", "points": 1}]),
         "criteria[0].items[0]: 档次分值重复：1 分（每个分值只能对应一个档次）"),
        (_leaf(levels=[{"label": "好", "points": 2}, {"label": "差", "points": 0}]),
         "criteria[0].items[0]: 最高档次 2 分应等于本项分值 3 分"),
        (_leaf(levels=[{"label": "好", "points": 3}, {"label": "差", "points": -1}]),
         "criteria[0].items[0].levels[1].points: 必须大于或等于 0"),
        (_leaf(levels=[{"label": "好", "points": 3}, {"label": "不适用", "points": 0}]),
         "criteria[0].items[0]: 档次名称不能是「不适用」（不适用请设「允许不适用」）"),
        (_leaf(levels=None), "criteria[0].items[0].levels: 必须是列表"),
        (_checklist(all_required=False), "criteria[0].items[1]: 任务「制度上墙、台账齐全、人员到位」缺少「分值」"),
        (_checklist(tasks=[TASKS[0] | {"points": 2}, TASKS[1], TASKS[2]]),
         "criteria[0].items[1]: 全部完成才得分的任务清单：任务分值要么都写、要么都不写（不写时只按本项分值计分）"),
        (_checklist(tasks=[t | {"points": 1} for t in TASKS]), "criteria[0].items[1]: 任务分值合计 3 与本项分值 5 不一致"),
    ],
    ids=["one level", "same label", "same points", "top below points", "negative", "na label", "no levels",
         "unpriced tasks", "partly priced", "priced, not adding up"],
)  # fmt: skip
def test_bad_levels_and_checklists_are_refused_with_located_messages(spec: dict, expected: str) -> None:
    assert _messages(spec) == [expected]


def test_all_required_task_points_that_add_up_are_accepted_and_ignored() -> None:
    spec = _checklist(tasks=[TASKS[0] | {"points": 3}, TASKS[1] | {"points": 1}, TASKS[2] | {"points": 1}])
    results = score(scheme_from_dict(spec), _values({"A2-1": 1, "A2-2": 1, "A2-3": 0}))
    assert _earned(results, "A2") == 0  # a task worth 3 done does not earn its 3: one miss, no points


# -- engine -------------------------------------------------------------------------------------
def _values(cells: dict[str, float], unit: str = "U1") -> pd.DataFrame:
    base = {"A1": 3, "A2-1": 1, "A2-2": 1, "A2-3": 1, "F": 92} | cells
    return pd.DataFrame([(unit, c, float(v)) for c, v in base.items()], columns=["unit", "code", "value"])


def _earned(results, code: str) -> float:
    lv = results.leaves
    return float(lv.loc[lv["leaf"] == code, "earned"].item())


@pytest.mark.parametrize(("points", "label"), [(3, "有计划并实施"), (1, "部分落实"), (0, "无")])
def test_a_level_earns_its_points_and_says_which(points: float, label: str) -> None:
    results = score(SCHEME, _values({"A1": points}))
    assert _earned(results, "A1") == points
    assert results.units["total"].item() == 97 + points
    row = results.explain("U1").set_index("code").loc["A1"]
    assert row["trace"] == f"{label} → {points} 分"
    assert row["rule"] == "定性分档：有计划并实施 3 分，部分落实 1 分，无 0 分"
    assert row["lost"] == 3 - points


@pytest.mark.parametrize("value", [2, 0.5, 4, -1, 2.999])
def test_a_value_between_or_beyond_levels_is_refused(value: float) -> None:
    with pytest.raises(ScoringInputError) as exc:
        score(SCHEME, _values({"A1": value}))
    assert str(exc.value).endswith(f"'{value:g}' 不是允许的档次（有计划并实施 3 分 / 部分落实 1 分 / 无 0 分）")


def test_two_assessors_levels_average_and_the_trace_says_so() -> None:
    rows = _values({"A1": 3}).assign(assessor="一组")
    rows.loc[len(rows)] = ("U1", "A1", 1.0, "二组")
    results = score(SCHEME, rows)
    assert _earned(results, "A1") == 2  # (3 + 1) / 2
    assert results.explain("U1").set_index("code").loc["A1", "trace"] == "多名考核人评定档次的平均分 2 分 → 2 分"


@pytest.mark.parametrize(
    ("done", "earned", "trace"),
    [
        ((1, 1, 1), 5, "完成 3/3 项，全部符合要求，得 5 分"),
        ((1, 1, 0), 0, "未完成：人员到位 → 有 1 项不符合要求，不得分"),
        ((0, 0, 1), 0, "未完成：制度上墙、台账齐全 → 有 2 项不符合要求，不得分"),
        ((0, 0, 0), 0, "未完成：制度上墙、台账齐全、人员到位 → 有 3 项不符合要求，不得分"),
    ],
)
def test_all_required_checklist_is_all_or_nothing(done: tuple, earned: float, trace: str) -> None:
    results = score(SCHEME, _values(dict(zip(["A2-1", "A2-2", "A2-3"], done, strict=True))))
    assert _earned(results, "A2") == earned
    assert results.units["total"].item() == 95 + earned
    assert results.units["unmet_targets"].item() == (0 if earned else 1)
    assert results.explain("U1").set_index("code").loc["A2", "trace"] == trace


def test_levels_leaf_not_applicable_rescales() -> None:
    scheme = scheme_from_dict(_leaf(allow_na=True))
    values = _values({}).assign(na=False)
    values.loc[values["code"] == "A1", ["value", "na"]] = (np.nan, True)
    results = score(scheme, values)
    assert results.units["total"].item() == 100  # 97 of 97 applicable points


# -- template and upload ------------------------------------------------------------------------
def _book(layout: str = "wide", values: pd.DataFrame | None = None) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(build_template(SCHEME, PERIOD, UNITS, layout=layout, values=values)))


def _wide_cols(ws) -> dict[str, int]:
    row = next(r for r in range(1, 12) if ws.cell(r, 1).value == "单位编码" and ws.cell(r + 1, 1).value == "U1")
    return {str(c.value): c.column for c in ws[row] if c.value}, row + 1


def test_wide_template_offers_the_levels_as_a_dropdown() -> None:
    ws = _book()["评分"]
    cols, first = _wide_cols(ws)
    letter = openpyxl.utils.get_column_letter(cols["A1"])
    dv = next(dv for dv in ws.data_validations.dataValidation if f"{letter}{first}" in dv.sqref)
    assert dv.type == "list"
    assert dv.formula1 == '"有计划并实施（3分）,部分落实（1分）,无（0分）"'
    assert ws.cell(first - 2, cols["A1"]).value == "3分 · 下拉选择档次"
    # The all-or-nothing checklist's tasks say what a miss costs, not points of their own.
    assert ws.cell(first - 2, cols["A2-1"]).value == "全部完成才得分 · 是/否"


def test_prefilled_level_shows_as_the_dropdown_text() -> None:
    ws = _book(values=pd.DataFrame([("U1", "A1", 1.0)], columns=["unit", "code", "value"]))["评分"]
    cols, first = _wide_cols(ws)
    assert ws.cell(first, cols["A1"]).value == "部分落实（1分）"


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


def _full(a1_u1: object, a1_u2: object) -> dict:
    cells = {}
    for unit, a1 in (("U1", a1_u1), ("U2", a1_u2)):
        cells |= {(unit, "A1"): a1, (unit, "A2-1"): "是", (unit, "A2-2"): "是", (unit, "A2-3"): "否", (unit, "F"): 92}
    return cells


@pytest.mark.parametrize("layout", ["wide", "per-unit"])
def test_upload_accepts_a_label_the_dropdown_text_or_the_points(layout: str) -> None:
    parsed = read_scores(_filled(layout, _full("部分落实", "有计划并实施（3分）")), SCHEME, period=PERIOD,
                         units=UNITS, file_name="t.xlsx")  # fmt: skip
    assert parsed.ok, parsed.error_report()
    v = parsed.values.set_index(["unit", "code"])["value"]
    assert (v["U1", "A1"], v["U2", "A1"]) == (1.0, 3.0)  # stored as the level's points
    results = score(SCHEME, parsed.values)
    assert results.units.set_index("unit")["total"].to_dict() == {"U1": 93.0, "U2": 95.0}  # A2 earns 0: 人员到位 否


@pytest.mark.parametrize("layout", ["wide", "per-unit"])
def test_upload_refuses_anything_else_naming_the_allowed_levels(layout: str) -> None:
    parsed = read_scores(_filled(layout, _full(2, "较好")), SCHEME, period=PERIOD, units=UNITS, file_name="t.xlsx")
    problems = [(e.value, e.problem) for e in parsed.errors]
    allowed = "（有计划并实施 3 分 / 部分落实 1 分 / 无 0 分）"
    assert problems == [("2", f"'2' 不是允许的档次{allowed}"), ("较好", f"'较好' 不是允许的档次{allowed}")]
    assert "「健康教育」" in str(parsed.errors[0])


def test_long_file_takes_labels_and_refuses_other_values() -> None:
    rows = ["单位,指标编码,数值", "U1,A1,部分落实", "U1,A2-1,是", "U1,A2-2,是", "U1,A2-3,是", "U1,F,92"]
    parsed = read_long_table("\n".join(rows).encode(), SCHEME, file_name="t.csv")
    assert parsed.ok, parsed.error_report()
    assert score(SCHEME, parsed.values).units["total"].item() == 98  # 1 + 5 + 92
    bad = read_long_table("\n".join(rows).replace("部分落实", "2分").encode(), SCHEME, file_name="t.csv")
    assert [e.problem for e in bad.errors] == ["'2分' 不是允许的档次（有计划并实施 3 分 / 部分落实 1 分 / 无 0 分）"]
    assert "第 2 行" in str(bad.errors[0])


def test_storage_check_refuses_points_that_are_no_level() -> None:
    values = pd.DataFrame({"unit": ["U1", "U1"], "code": ["A1", "A1"], "assessor": ["一组", "二组"],
                           "value": [1.0, 2.0], "na": [False, False], "note": ["", ""]})  # fmt: skip
    problems = value_problems(values, SCHEME, PERIOD)
    assert [(p.code, p.message) for p in problems] == [
        ("A1", "'2' 不是允许的档次（有计划并实施 3 分 / 部分落实 1 分 / 无 0 分）")
    ]


def test_guide_sheet_explains_both() -> None:
    ws = _book()["说明"]
    text = "\n".join(str(c.value) for row in ws.iter_rows() for c in row if c.value)
    assert "定性分档：从下拉列表中选择一个档次（也可填档次名称或该档次的分值），得该档次的分数。" in text
    assert "标注「全部完成才得分」的清单：有 1 项不符合要求，整项不得分" in text
    assert "定性分档：有计划并实施 3 分，部分落实 1 分，无 0 分" in text


def test_per_unit_template_task_rows_of_an_all_required_checklist() -> None:
    ws = _book("per-unit")["甲卫生院"]
    row = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "A2-1")
    assert (ws.cell(row, 3).value, ws.cell(row, 4).value) == ("—", "须全部完成，有 1 项不符合要求本项不得分")


def test_every_method_is_named_in_chinese_wherever_methods_are_named() -> None:
    from typing import get_args

    from exports import bulletin_xlsx, unit_report
    from scoring.scheme import Leaf
    from services import whatif
    from sheets import guide

    union = get_args(Leaf)[0]
    methods = {get_args(cls.model_fields["method"].annotation)[0] for cls in get_args(union)}
    assert "levels" in methods
    for table in (guide.METHOD_NAMES, guide.METHOD_TEXT, whatif.METHOD_NAMES, unit_report.METHOD_NAMES,
                  bulletin_xlsx.METHOD_NAMES):  # fmt: skip
        assert methods <= set(table)
    assert guide.METHOD_NAMES["levels"] == unit_report.METHOD_NAMES["levels"] == "定性分档"


def test_unit_report_shows_the_level_by_name_with_its_trace() -> None:
    from exports.unit_report import write_unit_report

    values = _values({"A1": 1, "A2-3": 0}).assign(period=PERIOD)
    data = write_unit_report(score(SCHEME, values), "U1", PERIOD, {"U1": "甲卫生院"})
    ws = openpyxl.load_workbook(io.BytesIO(data))["评分明细"]
    rows = {r[0]: r for r in ws.iter_rows(values_only=True) if r and r[0] in ("A1", "A2")}
    assert rows["A1"][2:6] == ("定性分档", 3, "部分落实", 1)
    assert rows["A1"][7] == "部分落实 → 1 分"
    assert rows["A2"][5] == 0 and rows["A2"][7] == "未完成：人员到位 → 有 1 项不符合要求，不得分"
