"""Scheme messages in the bureau's words: located by the indicator's name, every key and option in
Chinese (scoring/located.py, scoring/names.FIELD_NAMES), the key path kept beside for programs."""

from __future__ import annotations

import copy
import re

import pydantic
import pytest

import scoring.scheme
import scoring.settlement
from scoring import SchemeError, scheme_from_dict
from scoring.names import FIELD_NAMES

BASE = {
    "id": "t",
    "name": "测试方案",
    "version": "1",
    "period_type": "year",
    "criteria": [
        {
            "code": "A",
            "name": "基本公共卫生",
            "items": [
                {
                    "code": "A1",
                    "name": "建档率",
                    "method": "target",
                    "points": 60,
                    "mode": "proportional",
                    "target": 90,
                },
                {"code": "A2", "name": "随访", "method": "direct", "points": 40},
            ],
        }
    ],
}


def _problems(mutate) -> list:
    data = copy.deepcopy(BASE)
    mutate(data)
    with pytest.raises(SchemeError) as exc:
        scheme_from_dict(data)
    assert exc.value.messages == [p.message for p in exc.value.problems]
    return exc.value.problems


def _leaf(i: int):
    return lambda d: d["criteria"][0]["items"][i]


def test_every_field_of_every_model_has_a_chinese_name() -> None:
    models = [
        m
        for module in (scoring.scheme, scoring.settlement)
        for m in vars(module).values()
        if isinstance(m, type) and issubclass(m, pydantic.BaseModel) and m.__module__ == module.__name__
    ]
    keys = {f.alias or name for m in models for name, f in m.model_fields.items()}
    assert len(models) > 20 and len(keys) > 80
    assert sorted(k for k in keys if k not in FIELD_NAMES) == []
    assert all(re.search(r"[\u4e00-\u9fff]", name) for name in FIELD_NAMES.values())


def test_a_wrong_number_names_the_criterion_the_indicator_and_the_field() -> None:
    [p] = _problems(lambda d: _leaf(0)(d).update(points="六十"))
    assert p.message == "一级指标「基本公共卫生」 › 指标 A1「建档率」的「分值」: 必须是数字"
    assert (p.path, p.text) == ("criteria[0].items[0].points", "必须是数字")


def test_options_are_listed_by_their_chinese_labels() -> None:
    [p] = _problems(lambda d: _leaf(0)(d).update(mode="magic"))
    assert p.message == (
        "一级指标「基本公共卫生」 › 指标 A1「建档率」的「计分方式」: "
        "必须是 达标得满分、按比例得分、线性得分、分档得分、每差一档扣分 之一"
    )
    [p] = _problems(lambda d: d.update(bottom={"combine": "either"}))
    assert p.message == "「末位规则」的「条件组合」: 必须是 满足任一条件、同时满足全部条件 之一"


def test_a_rule_of_the_method_reads_in_chinese() -> None:
    [p] = _problems(lambda d: _leaf(0)(d).update(mode="linear"))
    assert p.message == "一级指标「基本公共卫生」 › 指标 A1「建档率」: 「线性得分」需要「起评值」"


def test_a_part_without_a_name_falls_back_to_its_position() -> None:
    def mutate(d: dict) -> None:
        d["criteria"].append({"code": "B", "items": [{"code": "B1", "method": "direct", "points": 0}]})

    messages = [p.message for p in _problems(mutate)]
    assert "第 2 个一级指标的「名称」: 缺少必填项" in messages
    assert "第 2 个一级指标 › 指标 B1的「名称」: 缺少必填项" in messages
    assert "第 2 个一级指标 › 指标 B1的「分值」: 必须大于 0" in messages
    added = [p.message for p in _problems(lambda d: _leaf(-1)(d).update(code=None, name=""))]
    assert added == [
        "一级指标「基本公共卫生」 › 第 2 个评分细则的「编码」: 必须是文字",
        "一级指标「基本公共卫生」 › 第 2 个评分细则的「名称」: 不能为空",
    ]


def test_checks_across_the_scheme_are_located_too() -> None:
    def mutate(d: dict) -> None:
        d["criteria"][0]["points"] = 90
        d["grades"] = [{"name": "优秀", "min": 120}, {"name": "其他", "min": 0}]

    messages = [p.message for p in _problems(mutate)]
    assert messages == [
        "一级指标「基本公共卫生」的「分值」: 各细则合计 100 分，方案中写 90 分",
        "等级「优秀」的「下限」: 等级「优秀」的下限 120 分高于方案总分 100 分",
    ]


BROKEN = [
    lambda d: _leaf(0)(d).update(mode="x"),
    lambda d: _leaf(0)(d).update(method="x"),
    lambda d: _leaf(0)(d).pop("method"),
    lambda d: _leaf(0)(d).update(direction="up"),
    lambda d: _leaf(0)(d).update(mode="per_shortfall"),
    lambda d: _leaf(0)(d).update(mode="per_shortfall", loss_per_step=1, steps="x"),
    lambda d: _leaf(0)(d).update(mode="per_shortfall", loss_per_step=1, whole_steps=True, steps="completed"),
    lambda d: _leaf(0)(d).update(stretch={"target": 80, "points": 1}),
    lambda d: _leaf(0)(d).update(valid_min=5, valid_max=1),
    lambda d: _leaf(0)(d).update(compare="x"),
    lambda d: _leaf(0)(d).update(no_baseline="full"),
    lambda d: _leaf(0)(d).update(inputs=[{"name": "人数"}], formula="人数"),
    lambda d: _leaf(0)(d).update(inclusive="maybe"),
    lambda d: d.update(period_type="week", combine="x", missing="x"),
    lambda d: d.update(categories=["甲"], criteria=[{**d["criteria"][0], "items": [
        {**d["criteria"][0]["items"][0], "variants": {"乙": {"points": 1}}}, d["criteria"][0]["items"][1]]}]),
    lambda d: _leaf(0)(d).update(variants={"乙": {}}),
    lambda d: d.update(settlement={"mode": "pool"}),
    lambda d: d.update(settlement={"mode": "base_times_score", "base": 1, "pool": 3}),
    lambda d: d.update(tag_rules=[{"tag": "核心", "below_pct": 50}]),
    lambda d: _leaf(1)(d).update(method="deduction", per_occurrence=1, cap=2),
    lambda d: _leaf(1)(d).update(method="bonus", points=0),
]  # fmt: skip


@pytest.mark.parametrize("mutate", BROKEN)
def test_no_key_or_option_of_the_format_reaches_the_message(mutate) -> None:
    for p in _problems(mutate):
        english = re.findall(r"[A-Za-z_]{2,}", p.message)
        assert english == [], p.message
