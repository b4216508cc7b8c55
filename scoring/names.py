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


# The Chinese name of every field a person edits (the scheme editor's labels and column headers).
# A field whose name depends on the method (per_occurrence: 每次扣分 / 每次加分) is in
# METHOD_FIELD_LABELS; sub-record fields (a band's threshold, a task's code) are named here too.
FIELD_LABELS = {
    # scheme
    "id": "方案编码",
    "name": "名称",
    "version": "版本",
    "categories": "适用类别",
    "period_type": "考核周期",
    "total": "总分",
    "grades": "等级",
    "bottom": "末位规则",
    "bonus_cap": "加分上限",
    "combine": "多名考核人时",
    "missing": "空白单元格",
    "objection_days": "公示期（工作日）",
    "threshold": "分数线",
    "lowest_n": "末 N 名",
    "lowest_pct": "末百分之几",
    "consequence": "后果",
    "min": "下限",
    # criteria and leaves
    "code": "编码",
    "parent": "上级编码",
    "criterion": "所属指标",
    "method": "评分方法",
    "points": "分值",
    "bonus_points": "声明加分",
    "description": "说明",
    "allow_na": "允许填不适用",
    "ineligible_if_unmet": "未得满分则不得评优（理由）",
    "evidence_required": "须附书面材料",
    "tags": "标签",
    "variants": "按单位类别的差异",
    # target and friends
    "mode": "计分方式",
    "direction": "方向",
    "target": "目标值",
    "inclusive": "等于目标值算达标",
    "decimals": "小数位",
    "unit": "单位",
    "floor": "起评值",
    "bands": "分档",
    "loss_per_step": "每档扣分",
    "step": "每档幅度",
    "steps": "不足一档时",
    "whole_steps": "按整档扣分（旧写法）",
    "stretch": "力争目标",
    "valid_min": "有效值下限",
    "valid_max": "有效值上限",
    "compare": "比较基准",
    "as": "比较方式",
    "no_baseline": "无基期数据时",
    "inputs": "输入项",
    "formula": "计算公式",
    "min_denominator": "最小分母",
    "below_minimum": "分母不足时",
    "source": "数据来源",
    # other methods
    "tasks": "任务",
    "all_required": "全部完成才得分",
    "levels": "档次",
    "label": "档次名称",
    "within": "前几名",
    "within_pct": "前百分之几",
    "improvement": "提高 / 持平 / 下降得分",
    "up": "提高得分",
    "same": "持平得分",
    "down": "下降得分",
    "tolerance": "持平容差",
    "per_occurrence": "每次分值",
    "kinds": "扣分类别",
    "discretionary_max": "酌情扣分上限",
    "discretionary_code": "酌情扣分编码",
    "from_total": "从总分扣",
    "cap": "上限",
    "discretionary": "酌情加分（直接填分数）",
    "reference": "参考值",
    "required": "必须填写",
}
METHOD_FIELD_LABELS = {
    ("deduction", "per_occurrence"): "每次扣分",
    ("deduction", "points"): "本项分值（扣完为止）",
    ("deduction", "cap"): "最多扣分（从总分扣时）",
    ("bonus", "per_occurrence"): "每次加分",
    ("bonus", "cap"): "本项加分上限",
    ("target", "bands"): "分档（达到值 → 得分）",
    ("peer_rank", "bands"): "排名分档",
    ("bottom", "combine"): "几个条件之间",  # inside 末位规则 (the scheme's own combine is the assessors')
}


def field_label(field: str, method: str | None = None) -> str:
    """The Chinese name of a scheme field (for `method`'s leaves where it differs)."""
    return METHOD_FIELD_LABELS.get((method, field)) or FIELD_LABELS.get(field, field)
