"""The scheme format's Chinese vocabulary: one label for every method, mode and option value.

Every place a user meets a scheme (templates, exports, the editor, the 评分细则 workbook) names a
method or an option through these tables, so an English key never reaches a user and a workbook
written with these labels reads back to the same value (`value_for`)."""

from __future__ import annotations

METHOD_NAMES = {
    "direct": "直接评分",
    "target": "目标值",
    "checklist": "任务清单",
    "levels": "定性分档",
    "peer_rank": "同类排名",
    "improvement": "逐步提高",
    "monitor": "监测指标",
    "deduction": "扣分项",
    "bonus": "加分项",
    "veto": "一票否决",
}
MODE_NAMES = {
    "all_or_nothing": "达标得满分",
    "proportional": "按比例得分",
    "linear": "线性得分",
    "bands": "分档得分",
    "per_shortfall": "每差一档扣分",
}
DIRECTION_NAMES = {"higher": "越高越好", "lower": "越低越好"}
PERIOD_TYPE_NAMES = {"month": "按月", "quarter": "按季度", "year": "按年"}
STEP_NAMES = {"fraction": "不足一档按比例扣", "started": "不足一档按一档扣", "completed": "满一档才扣"}
COMPARE_NAMES = {"previous": "与上期比", "last_year": "与上年同期比"}
COMPARE_AS_NAMES = {"growth_pct": "增幅（%）", "change": "增减量"}
NO_BASELINE_NAMES = {"not_applicable": "不适用", "full": "得满分", "zero": "不得分"}
SOURCE_NAMES = {"scoresheet": "考核表填报", "register": "单位登记数据"}
BELOW_MINIMUM_NAMES = {"error": "提示错误", "not_applicable": "不适用"}
BOTTOM_COMBINE_NAMES = {"any": "满足任一条件", "all": "同时满足全部条件"}
ASSESSOR_COMBINE_NAMES = {"mean": "平均", "trimmed_mean": "去掉最高最低后平均"}
MISSING_NAMES = {"error": "提示错误", "zero": "按 0 分", "not_applicable": "按不适用"}
YES_NO_NAMES = {True: "是", False: "否"}
SETTLEMENT_MODE_NAMES = {
    "base_times_score": "基数 × 得分率",
    "grade_coefficient": "基数 × 等级系数",
    "pool": "资金池按得分分配",
}
ON_VETO_NAMES = {"keep": "按结果结算", "zero": "不拨付"}

# Which table names the values of which scheme field (the field as written in the YAML).
FIELD_VALUE_NAMES: dict[str, dict] = {
    "method": METHOD_NAMES,
    "mode": MODE_NAMES,
    "direction": DIRECTION_NAMES,
    "period_type": PERIOD_TYPE_NAMES,
    "steps": STEP_NAMES,
    "compare": COMPARE_NAMES,
    "as": COMPARE_AS_NAMES,
    "no_baseline": NO_BASELINE_NAMES,
    "source": SOURCE_NAMES,
    "below_minimum": BELOW_MINIMUM_NAMES,
    "missing": MISSING_NAMES,
}


def label_for(field: str, value: object) -> str:
    """The Chinese label of `value` in `field`; the value itself where the field has no table."""
    return str(FIELD_VALUE_NAMES.get(field, {}).get(value, value))


def value_for(field: str, label: str) -> object | None:
    """The stored value a Chinese label (or the stored value itself) stands for; None if neither."""
    table = FIELD_VALUE_NAMES.get(field, {})
    text = label.strip()
    if text in table:
        return text
    return next((value for value, name in table.items() if name == text), None)
