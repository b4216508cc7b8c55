"""指标释义: what assessment teams print and carry on inspections — per leaf its definition, formula,
data source, unit, rule and points. The rule is the same sentence the template and the drill-down
show (scoring.explain.rule_text); option words come from scoring.names."""

from __future__ import annotations

import pandas as pd

from scoring.explain import fmt, rule_text
from scoring.names import SOURCE_NAMES
from scoring.scheme import Leaf, Scheme

GLOSSARY_COLUMNS = [
    "编码",
    "一级指标",
    "指标名称",
    "指标定义",
    "计算公式",
    "数据来源",
    "单位",
    "评分标准",
    "分值",
    "标签",
]
SOURCE_TAG = "数据来源"  # a tag 「数据来源：国家平台」 names where a leaf's figure comes from
NO_POINTS = "不计分"


def formula_text(leaf: Leaf) -> str:
    """「建档人数（人）÷ 常住人口（人）× 100」: the formula with each input's unit; '' without one."""
    if getattr(leaf, "formula", None) is None:
        return ""
    shown = {i.name: f"{i.name}（{i.unit}）" if i.unit else i.name for i in leaf.inputs}
    return leaf.compiled().render(shown)


def source_text(leaf: Leaf) -> str:
    """Where the figure comes from: per input 考核表填报 / 单位登记数据, and any 数据来源 tag."""
    tagged = [t.split("：", 1)[-1].split(":", 1)[-1].strip() for t in leaf.tags if t.startswith(SOURCE_TAG)]
    tagged = [t for t in tagged if t and t != SOURCE_TAG]
    if getattr(leaf, "formula", None) is not None:
        parts = [f"{i.name}：{SOURCE_NAMES[i.source]}" for i in leaf.inputs]
    else:
        parts = [SOURCE_NAMES["scoresheet"]]
    return "；".join(parts + tagged)


def points_text(leaf: Leaf) -> str:
    if leaf.method == "monitor" or leaf.method == "veto":
        return NO_POINTS if leaf.method == "monitor" else "否决项"
    if leaf.method == "bonus":
        return f"加分，最多 {fmt(leaf.cap)}"
    if leaf.method == "deduction" and leaf.from_total:
        return "从总分扣" + (f"，最多 {fmt(leaf.cap)}" if leaf.cap is not None else "")
    return fmt(leaf.points)


def glossary_rows(scheme: Scheme) -> pd.DataFrame:
    """One row per leaf, in the scheme's order, with GLOSSARY_COLUMNS."""
    paths = scheme.leaf_paths()
    rows = [
        {
            "编码": leaf.code,
            "一级指标": paths[leaf.code][0].name,
            "指标名称": scheme.tagged_label(leaf),
            "指标定义": leaf.description.strip(),
            "计算公式": formula_text(leaf),
            "数据来源": source_text(leaf),
            "单位": getattr(leaf, "unit", "") or "",
            "评分标准": rule_text(leaf),
            "分值": points_text(leaf),
            "标签": "、".join(t for t in leaf.tags if not t.startswith(SOURCE_TAG)),
        }
        for leaf in scheme.leaves
    ]
    return pd.DataFrame(rows, columns=GLOSSARY_COLUMNS)
