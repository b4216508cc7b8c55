"""Scheme files: a wrong scheme is rejected with located Chinese messages, never a traceback.

Each row of the main table takes a valid scheme, breaks one thing, and names the message expected
(`key.path: reason`). The valid base scheme is two leaves: T1 (target 60, 80 points), D1 (direct, 20).
"""

from __future__ import annotations

import copy
import re
import textwrap

import pytest
from scheme_factory import bonus, checklist, direct, scheme_dict, target, veto

from scoring import Scheme, SchemeError, load_scheme, parse_scheme, scheme_from_dict

BASE = scheme_dict(target("T1", 80, target=60), direct("D1", 20))
NOT_POSITIVE = "必须大于 0（只有越低越好的零容忍指标，目标才可以为 0）"


def item(i: int):
    """A mutation's helper: the i-th leaf of the base scheme's only criterion."""
    return lambda d: d["criteria"][0]["items"][i]


def messages_for(mutate) -> list[str]:
    data = copy.deepcopy(BASE)
    mutate(data)
    with pytest.raises(SchemeError) as exc:
        scheme_from_dict(data)
    assert all(isinstance(m, str) and m for m in exc.value.messages)
    return [p.keyed for p in exc.value.problems]  # key path + the Chinese text


ZERO_TARGET_PARAMETERS = {
    "all_or_nothing": {},
    "proportional": {},
    "linear": {"floor": 2},
    "bands": {"bands": [{"threshold": 0, "points": 80}, {"threshold": 1, "points": 40}]},
    "per_shortfall": {"loss_per_step": 10},
}


@pytest.mark.parametrize("mode", ZERO_TARGET_PARAMETERS)
def test_lower_is_better_target_of_zero_is_accepted_in_every_mode(mode):
    leaf = target("T1", 80, target=0, mode=mode, direction="lower", **ZERO_TARGET_PARAMETERS[mode])
    assert scheme_from_dict(scheme_dict(leaf, direct("D1", 20))).leaf("T1").target == 0


@pytest.mark.parametrize(
    ("spelling", "rule"),
    [
        ({}, "fraction"),
        ({"whole_steps": True}, "started"),
        ({"whole_steps": False}, "fraction"),
        ({"steps": "completed"}, "completed"),
        ({"steps": "started", "whole_steps": True}, "started"),
    ],
)
def test_step_rule_reads_both_spellings(spelling, rule):
    leaf = target("T1", 80, target=60, mode="per_shortfall", loss_per_step=1, **spelling)
    assert scheme_from_dict(scheme_dict(leaf, direct("D1", 20))).leaf("T1").step_rule == rule


def test_base_scheme_is_valid():
    s = scheme_from_dict(copy.deepcopy(BASE))
    assert isinstance(s, Scheme)
    assert [leaf.code for leaf in s.leaves] == ["T1", "D1"]
    assert s.total == 100


BAD_SCHEMES = [
    # points must add up to the declared total
    ("points short", lambda d: d.update(total=90), "评分细则分值合计 100，与方案总分 90 不一致"),
    ("points over", lambda d: item(1)(d).update(points=30), "评分细则分值合计 110，与方案总分 100 不一致"),
    # targets
    ("target zero", lambda d: item(0)(d).update(target=0), f"criteria[0].items[0].target: {NOT_POSITIVE}"),
    ("target negative", lambda d: item(0)(d).update(target=-5), f"criteria[0].items[0].target: {NOT_POSITIVE}"),
    ("target text", lambda d: item(0)(d).update(target="六十"), "criteria[0].items[0].target: 必须是数字"),
    (
        "unknown mode",
        lambda d: item(0)(d).update(mode="magic"),
        "criteria[0].items[0].mode: 必须是 达标得满分、按比例得分、线性得分、分档得分、每差一档扣分 之一",
    ),
    (
        "linear without floor",
        lambda d: item(0)(d).update(mode="linear"),
        "criteria[0].items[0]: 「线性得分」需要「起评值」",
    ),
    (
        "floor above target",
        lambda d: item(0)(d).update(mode="linear", floor=70),
        "criteria[0].items[0]: 「起评值」必须比「目标值」更差（越高越好时小于目标值，越低越好时大于目标值）",
    ),
    (
        "floor below target, lower is better",
        lambda d: item(0)(d).update(mode="linear", floor=50, direction="lower"),
        "criteria[0].items[0]: 「起评值」必须比「目标值」更差（越高越好时小于目标值，越低越好时大于目标值）",
    ),
    ("bands empty", lambda d: item(0)(d).update(mode="bands"), "criteria[0].items[0]: 「分档得分」需要至少一个档次"),
    (
        "band above leaf points",
        lambda d: item(0)(d).update(mode="bands", bands=[{"threshold": 60, "points": 81}]),
        "criteria[0].items[0]: 档次分值不能超过本项分值",
    ),
    (
        "lower target negative",
        lambda d: item(0)(d).update(target=-1, direction="lower"),
        "criteria[0].items[0].target: 不能小于 0",
    ),
    (
        "zero target exclusive",
        lambda d: item(0)(d).update(target=0, direction="lower", inclusive=False),
        "criteria[0].items[0]: 目标为 0 时「达到目标值即达标」必须为「是」（低于 0 无法达到）",
    ),
    (
        "zero target with stretch",
        lambda d: (
            item(0)(d).update(target=0, direction="lower", stretch={"target": -1, "points": 2}),
            d.update(bonus_cap=5),
        ),
        "criteria[0].items[0]: 目标为 0 时不能再设「力争目标」",
    ),
    (
        "steps misspelt",
        lambda d: item(0)(d).update(mode="per_shortfall", loss_per_step=1, steps="whole"),
        "criteria[0].items[0].steps: 必须是 不足一档按比例扣、不足一档按一档扣、满一档才扣 之一",
    ),
    (
        "whole_steps against steps",
        lambda d: item(0)(d).update(mode="per_shortfall", loss_per_step=1, whole_steps=True, steps="completed"),
        "criteria[0].items[0]: 「按整档扣分」即「不足一档按一档扣」，与「不足一档时」写的「满一档才扣」矛盾，请只写「不足一档时」",
    ),
    (
        "per_shortfall without loss",
        lambda d: item(0)(d).update(mode="per_shortfall"),
        "criteria[0].items[0]: 「每差一档扣分」需要「每档扣分」（每差一个「每档差距」扣的分）",
    ),
    (
        "stretch not beyond target",
        lambda d: (item(0)(d).update(stretch={"target": 50, "points": 2}), d.update(bonus_cap=5)),
        "criteria[0].items[0]: 「力争目标值」必须比「目标值」更高（越低越好时更低）",
    ),
    (
        "stretch not below target, lower is better",
        lambda d: (item(0)(d).update(direction="lower", stretch={"target": 70, "points": 2}), d.update(bonus_cap=5)),
        "criteria[0].items[0]: 「力争目标值」必须比「目标值」更高（越低越好时更低）",
    ),
    (
        "stretch without bonus cap",
        lambda d: item(0)(d).update(stretch={"target": 70, "points": 2}),
        "方案含加分项或力争目标，须设置「加分上限」",
    ),
    (
        "valid range reversed",
        lambda d: item(0)(d).update(valid_min=100, valid_max=0),
        "criteria[0].items[0]: 「有效下限」不能大于「有效上限」",
    ),
    ("decimals not integer", lambda d: item(0)(d).update(decimals=1.5), "criteria[0].items[0].decimals: 必须是整数"),
    (
        "inclusive not bool",
        lambda d: item(0)(d).update(inclusive="maybe"),
        "criteria[0].items[0].inclusive: 必须填「是」或「否」",
    ),
    # leaves in general
    (
        "unknown method",
        lambda d: item(1)(d).update(method="guess"),
        "criteria[0].items[1]: 「评分方法」必须是 直接评分、目标值、任务清单、定性分档、扣分项、加分项、一票否决、同类排名、逐步提高、监测指标 之一",
    ),
    ("method missing", lambda d: item(1)(d).pop("method"), "criteria[0].items[1]: 缺少「评分方法」"),
    (
        "unknown leaf key",
        lambda d: item(1)(d).update(colour="red"),
        "criteria[0].items[1].colour: 此处不能写这一项（名称写错了，或这里没有这一项）",
    ),
    ("direct zero points", lambda d: item(1)(d).update(points=0), "criteria[0].items[1].points: 必须大于 0"),
    ("leaf name empty", lambda d: item(1)(d).update(name=""), "criteria[0].items[1].name: 不能为空"),
    (
        "leaf not a mapping",
        lambda d: d["criteria"][0]["items"].__setitem__(1, "D1 20分"),
        "criteria[0].items[1]: 必须是键值映射",
    ),
    ("duplicate leaf code", lambda d: item(1)(d).update(code="T1"), "编码 T1 重复"),
    ("leaf code equals criterion code", lambda d: d["criteria"][0].update(code="D1"), "编码 D1 重复"),
    (
        "task code equals leaf code",
        lambda d: d["criteria"][0]["items"].__setitem__(1, checklist("K", {"D2": 10, "T1": 10})),
        "编码 T1 重复",
    ),
    (
        "tasks do not add up",
        lambda d: item(1)(d).update(checklist("K", {"k1": 10, "k2": 10}), points=15),
        "criteria[0].items[1]: 任务分值合计 20 与本项分值 15 不一致",
    ),
    (
        "bonus with base points",
        lambda d: (d["criteria"][0]["items"].append({**bonus("B", 1, 3), "points": 2}), d.update(bonus_cap=3)),
        "criteria[0].items[2].points: 加分项不计入基础分，「分值」应为 0（用「上限」设加分上限）",
    ),
    (
        "bonus without scheme cap",
        lambda d: d["criteria"][0]["items"].append(bonus("B", 1, 3)),
        "方案含加分项或力争目标，须设置「加分上限」",
    ),
    (
        "veto with points",
        lambda d: d["criteria"][0]["items"].append({**veto("V"), "points": 5}),
        "criteria[0].items[2].points: 否决项不计分，「分值」应为 0",
    ),
    # scheme level
    (
        "unknown top-level key",
        lambda d: d.update(colour="red"),
        "colour: 此处不能写这一项（名称写错了，或这里没有这一项）",
    ),
    ("id missing", lambda d: d.pop("id"), "id: 缺少必填项"),
    (
        "unknown period type",
        lambda d: d.update(period_type="week"),
        "period_type: 必须是 按月、按季度、按年 之一",
    ),
    (
        "total zero",
        lambda d: d.update(total=0),
        "total: 方案总分须大于 0（只有全部为监测指标的监测方案，总分才可以为 0）",
    ),
    ("decimals too many", lambda d: d.update(decimals=7), "decimals: 必须小于或等于 4"),
    ("no criteria", lambda d: d.update(criteria=[]), "criteria: 至少需要 1 项"),
    (
        "empty criterion",
        lambda d: d["criteria"].append({"code": "E", "name": "空"}),
        "criteria[1]: 指标下至少要有一个子指标或评分细则",
    ),
    ("criterion not a mapping", lambda d: d["criteria"].__setitem__(0, "A 基本医疗"), "criteria[0]: 必须是键值映射"),
    (
        "grades out of order",
        lambda d: d.update(
            grades=[{"name": "合格", "min": 60}, {"name": "优秀", "min": 90}, {"name": "不合格", "min": 0}]
        ),
        "grades: 等级须按下限从高到低排列，且下限互不相同",
    ),
    (
        "lowest grade not from 0",
        lambda d: d.update(grades=[{"name": "合格", "min": 60}]),
        "grades: 最低等级的下限必须为 0",
    ),
    ("bottom pct over 100", lambda d: d.update(bottom={"lowest_pct": 120}), "bottom.lowest_pct: 必须小于或等于 100"),
    ("bottom n zero", lambda d: d.update(bottom={"lowest_n": 0}), "bottom.lowest_n: 必须大于或等于 1"),
    (
        "misspelt bottom key",
        lambda d: d.update(bottom={"threshhold": 70}),
        "bottom.threshhold: 此处不能写这一项（名称写错了，或这里没有这一项）",
    ),
    ("bad combine", lambda d: d.update(combine="median"), "combine: 必须是 平均、去掉最高最低后平均 之一"),
    ("bad missing", lambda d: d.update(missing="ignore"), "missing: 必须是 提示错误、按 0 分、按不适用 之一"),
]


@pytest.mark.parametrize(("case", "mutate", "expected"), BAD_SCHEMES, ids=[c[0] for c in BAD_SCHEMES])
def test_bad_scheme_is_rejected_with_located_message(case, mutate, expected):
    assert messages_for(mutate) == [expected], case


def test_nested_criteria_are_located_by_full_path():
    def mutate(d):
        d["criteria"] = [
            {
                "code": "A",
                "name": "公共卫生",
                "children": [
                    {"code": "A1", "name": "健康档案", "items": [direct("D1", 20)]},
                    {"code": "A2", "name": "慢病管理", "items": [target("T1", 80, target=0)]},
                ],
            }
        ]

    assert messages_for(mutate) == [f"criteria[0].children[1].items[0].target: {NOT_POSITIVE}"]


def test_every_problem_is_reported_not_just_the_first():
    def mutate(d):
        item(0)(d).update(target=0)
        item(1)(d).update(points=-1, colour="red")
        d.update(period_type="week")

    assert sorted(messages_for(mutate)) == sorted(
        [
            "period_type: 必须是 按月、按季度、按年 之一",
            f"criteria[0].items[0].target: {NOT_POSITIVE}",
            "criteria[0].items[1].points: 必须大于 0",
            "criteria[0].items[1].colour: 此处不能写这一项（名称写错了，或这里没有这一项）",
        ]
    )


def test_scheme_error_is_a_value_error_whose_text_lists_the_messages():
    with pytest.raises(ValueError, match=re.escape(f"一级指标「c」 › 指标 T1「目标T1」的「目标值」: {NOT_POSITIVE}")):
        scheme_from_dict(
            {**copy.deepcopy(BASE), "criteria": [{"code": "C", "name": "c", "items": [target("T1", 100, 0)]}]}
        )


# -- YAML text and files --------------------------------------------------------------------------

GOOD_YAML = textwrap.dedent(
    """\
    # 乡镇卫生院年度考核（测试）
    id: township
    name: 乡镇卫生院年度绩效考核
    version: "2025.1"
    categories: [乡镇卫生院, 中心卫生院]
    period_type: year
    total: 100
    bonus_cap: 3
    bottom: {threshold: 80, lowest_n: 2, combine: all, consequence: 约谈院长}
    criteria:
      - code: A
        name: 基本公共卫生
        children:
          - code: A1
            name: 健康档案
            items:
              - {code: A1.1, name: 电子健康档案建档率, method: target, points: 60, mode: all_or_nothing, target: 60, unit: "%"}
      - code: B
        name: 重点工作
        items:
          - code: B1
            name: 标准化创建
            method: checklist
            points: 40
            ineligible_if_unmet: 标准化创建验收不合格，不得评先评优
            tasks:
              - {code: B1.1, name: 通过验收, points: 30}
              - {code: B1.2, name: 资料归档, points: 10}
          - {code: B2, name: 市级表彰, method: bonus, per_occurrence: 1, cap: 2}
          - {code: B3, name: 发生重大医疗事故, method: veto}
    """
)


def test_yaml_scheme_parses():
    s = parse_scheme(GOOD_YAML)
    assert s.id == "township" and s.version == "2025.1" and s.period_type == "year"
    assert s.categories == ["乡镇卫生院", "中心卫生院"]
    assert [leaf.code for leaf in s.leaves] == ["A1.1", "B1", "B2", "B3"]
    assert s.bottom.lowest_n == 2 and s.bottom.combine == "all" and s.bottom.consequence == "约谈院长"
    assert [c.code for c in s.leaf_paths()["A1.1"]] == ["A", "A1"]
    assert s.lowest_grade == "不合格"
    assert s.leaf("B1").ineligible_if_unmet.startswith("标准化创建验收不合格")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("id: x\nname: [unclosed\n", "第 3 行第 1 列: 方案文本格式错误"),
        ("id: t\n  name: x\n bad", "第 2 行第 7 列: 方案文本格式错误"),
        ("- a\n- b\n", "方案文件的顶层必须是键值映射（方案编码、名称、指标等）"),
        ("", "方案文件的顶层必须是键值映射（方案编码、名称、指标等）"),
        (
            GOOD_YAML.replace("target: 60", "target: 0"),
            f"一级指标「基本公共卫生」 › 二级指标「健康档案」 › 指标 A1.1「电子健康档案建档率」的「目标值」: {NOT_POSITIVE}",
        ),
        (
            GOOD_YAML.replace("method: veto", "method: vote"),
            "一级指标「重点工作」 › 指标 B3「发生重大医疗事故」: 「评分方法」必须是 直接评分、",
        ),
    ],
)
def test_bad_yaml_text(text, expected):
    with pytest.raises(SchemeError) as exc:
        parse_scheme(text)
    assert len(exc.value.messages) == 1
    assert exc.value.messages[0].startswith(expected)


def test_load_scheme_from_file(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(GOOD_YAML, encoding="utf-8")
    assert load_scheme(path).name == "乡镇卫生院年度绩效考核"


def test_load_scheme_missing_file(tmp_path):
    with pytest.raises(SchemeError) as exc:
        load_scheme(tmp_path / "nope.yaml")
    assert exc.value.messages[0].startswith("找不到方案文件")


def test_load_scheme_not_utf8(tmp_path):
    path = tmp_path / "gbk.yaml"
    path.write_bytes(GOOD_YAML.encode("gbk"))
    with pytest.raises(SchemeError) as exc:
        load_scheme(path)
    assert "不是 UTF-8 文本" in exc.value.messages[0]


def test_scheme_is_frozen():
    s = scheme_from_dict(copy.deepcopy(BASE))
    with pytest.raises(Exception):  # noqa: B017 — pydantic's frozen-instance error
        s.total = 50
