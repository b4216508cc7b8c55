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


# A settlement block's own options (scoring/settlement.py), as 模拟测算 names them.
SETTLEMENT_MODE_NAMES = {
    "base_times_score": "基数 × 得分率",
    "grade_coefficient": "基数 × 等级系数",
    "pool": "资金池按得分分配",
}
ON_VETO_NAMES = {"keep": "按结果结算", "zero": "不予拨付"}

# The Chinese name of every field a scheme can write (the key as written in the YAML), for located
# messages (「指标 A1「建档率」的「分值」」) and the editor's column headers. A key meaning something
# else inside a block is named in FIELD_NAMES_WITHIN.
FIELD_NAMES: dict[str, str] = {
    # the scheme
    "id": "方案编码",
    "name": "名称",
    "version": "版本",
    "categories": "适用单位类别",
    "period_type": "考核周期",
    "total": "方案总分",
    "decimals": "保留小数位数",
    "grades": "等级",
    "bottom": "末位规则",
    "bonus_cap": "加分上限",
    "combine": "多人评分合并方式",
    "missing": "缺项处理",
    "criteria": "指标",
    "settlement": "资金结算",
    "objection_days": "申诉期（工作日）",
    "tags": "标签",
    "tag_rules": "标签规则",
    # grades, bottom line, tags
    "min": "下限",
    "threshold": "分界值",
    "lowest_n": "末位名数",
    "lowest_pct": "末位比例（%）",
    "consequence": "处理措施",
    "mark": "标记",
    "tag": "标签",
    "below_pct": "得分率低于（%）",
    "grade": "等级至多评为",
    "ineligible": "不得评优的理由",
    # criteria
    "code": "编码",
    "children": "下级指标",
    "items": "评分细则",
    "points": "分值",
    "bonus_points": "加分分值",
    # every leaf
    "method": "评分方法",
    "description": "指标定义",
    "allow_na": "允许不适用",
    "ineligible_if_unmet": "未达标不得评优的理由",
    "evidence_required": "须有书面材料",
    "variants": "按单位类别调整",
    "applicable": "是否适用",
    # computed indicators
    "inputs": "输入项",
    "formula": "计算公式",
    "min_denominator": "最小分母",
    "below_minimum": "分母不足时",
    "source": "数据来源",
    "unit": "单位",
    # targets and other measured leaves
    "mode": "计分方式",
    "direction": "指标方向",
    "target": "目标值",
    "inclusive": "达到目标值即达标",
    "floor": "起评值",
    "bands": "档次",
    "loss_per_step": "每档扣分",
    "step": "每档差距",
    "steps": "不足一档时",
    "whole_steps": "按整档扣分（旧写法）",
    "stretch": "力争目标",
    "valid_min": "有效下限",
    "valid_max": "有效上限",
    "compare": "比较基期",
    "as": "比较方式",
    "no_baseline": "无基期数据时",
    "improvement": "逐步提高分值",
    "up": "提高得分",
    "same": "持平得分",
    "down": "下降得分",
    "tolerance": "持平容差",
    "within": "前几名",
    "within_pct": "前百分之几",
    "reference": "参考值",
    "required": "必须填写",
    # checklists, levels, deductions, bonus
    "tasks": "任务",
    "all_required": "全部完成才得分",
    "levels": "档次",
    "label": "档次名称",
    "kinds": "扣分类别",
    "per_occurrence": "每次分值",
    "discretionary_max": "酌情扣分上限",
    "discretionary_code": "酌情扣分编码",
    "from_total": "从总分扣分",
    "cap": "上限",
    "discretionary": "酌情加分",
    # settlement
    "on_veto": "一票否决时",
    "base": "基数",
    "base_attribute": "基数取自单位信息",
    "base_by_category": "各类别基数",
    "allow_above_base": "超出满分可多拨付",
    "coefficients": "各等级系数",
    "pool": "资金总额",
    "weight_attribute": "权重取自单位信息",
    "default_weight": "默认权重",
}
# (block, key) -> name where a key means something else inside that block.
FIELD_NAMES_WITHIN: dict[tuple[str, str], str] = {
    ("bottom", "threshold"): "末位线",
    ("bottom", "combine"): "条件组合",
    ("settlement", "mode"): "结算方式",
    ("settlement", "floor"): "保底",
    ("settlement", "cap"): "封顶",
    ("settlement", "name"): "资金名称",
    ("stretch", "points"): "力争加分",
    ("stretch", "target"): "力争目标值",
}
# (block, key) -> the option table of a key whose values depend on its block.
_VALUES_WITHIN: dict[tuple[str, str], dict] = {
    ("bottom", "combine"): BOTTOM_COMBINE_NAMES,
    ("settlement", "mode"): SETTLEMENT_MODE_NAMES,
    ("settlement", "on_veto"): ON_VETO_NAMES,
}


def field_name(key: str, within: str = "") -> str:
    """The Chinese name of a scheme key (inside block `within`, e.g. "bottom"); the key itself
    when it is not one the format knows (a typo is shown as the user wrote it)."""
    return FIELD_NAMES_WITHIN.get((within, key)) or FIELD_NAMES.get(key, key)


def options_of(key: str, within: str = "") -> dict:
    """The value → label table of a key (inside block `within`); {} for a free value."""
    if (within, key) in _VALUES_WITHIN:
        return _VALUES_WITHIN[(within, key)]
    if key == "combine":
        return ASSESSOR_COMBINE_NAMES
    return FIELD_VALUE_NAMES.get(key, {})


# The editor's labels: the field names above, the two columns its tables add, and the names a
# field takes for one method (per_occurrence: 每次扣分 / 每次加分).
FIELD_LABELS = {**FIELD_NAMES, "parent": "上级编码", "criterion": "所属指标"}
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
    """The editor's Chinese name of a scheme field (for `method`'s leaves where it differs)."""
    within = FIELD_NAMES_WITHIN.get((method or "", field))  # method may name a block: bottom, stretch …
    return METHOD_FIELD_LABELS.get((method, field)) or within or FIELD_LABELS.get(field, field)
