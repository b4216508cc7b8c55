"""The columns of the 评分细则 workbook: one definition that the writer and the reader both follow.

Every field of a scheme has a home here: a label/value row of 「方案信息」, a column of 「指标」 or
「评分参数」 (one row per leaf), or a child sheet keyed by the leaf's code (分档, 任务 …). A column
names the field as the YAML writes it (`as`, not `compare_as`; `stretch.target` for a nested one)
and its kind; choice columns take their labels from scoring.names, so a dropdown offers exactly
the words the reader accepts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from scoring import names

# Kinds: text, number, int, bool (是/否), choice (labels from `names`), list (separated by 、),
# mapping (「类别：金额；…」). A number cell may say 「无」 where the field may be empty but its
# default is not (the bottom line: no threshold at all).
NONE_WORD = "无"
LIST_SEP = "、"
PAIR_SEP = "；"


@dataclass(frozen=True)
class Col:
    key: str
    header: str
    kind: str = "text"
    names: dict = field(default_factory=dict)
    width: int = 10
    note: str = ""


def _choice(key: str, header: str, table: dict, width: int = 12, note: str = "") -> Col:
    return Col(key, header, "choice", table, width, note)


PARENT = "_parent"  # the criterion a row belongs to (not a scheme field: the tree's shape)
LEAF = "_leaf"  # the leaf a child row belongs to

# 「方案信息」: label/value rows.
INFO_SHEET = "方案信息"
INFO_ROWS = [
    Col("id", "方案编码"),
    Col("name", "方案名称"),
    Col("version", "版本"),
    Col("categories", "适用单位类别", "list", note="多个类别用「、」分隔"),
    _choice("period_type", "考核周期", names.PERIOD_TYPE_NAMES),
    Col("total", "总分", "number"),
    Col("decimals", "得分保留小数位数", "int"),
    Col("bonus_cap", "全方案加分上限", "number"),
    _choice("combine", "多个考核人评分的合并", names.ASSESSOR_COMBINE_NAMES),
    _choice("missing", "未填写的指标", names.MISSING_NAMES),
    Col("objection_days", "公示期（工作日）", "int"),
    Col("bottom.threshold", "末位线（分）", "number", note=f"低于此分为末位；不设分数线填「{NONE_WORD}」"),
    Col("bottom.lowest_n", "末位：同类最后几名", "int"),
    Col("bottom.lowest_pct", "末位：同类最后百分之几", "number"),
    _choice("bottom.combine", "末位条件", names.BOTTOM_COMBINE_NAMES),
    Col("bottom.consequence", "末位的后果"),
    _choice("settlement.mode", "资金结算方式", names.SETTLEMENT_MODE_NAMES),
    Col("settlement.name", "资金名称"),
    _choice("settlement.on_veto", "被否决单位的资金", names.ON_VETO_NAMES),
    Col("settlement.base", "资金基数（元）", "number"),
    Col("settlement.base_attribute", "基数取自单位数据项"),
    Col(
        "settlement.base_by_category",
        "各类别基数（元）",
        "mapping",
        note="如「乡镇卫生院：200000；社区卫生服务中心：150000」",
    ),
    Col("settlement.allow_above_base", "超过满分可多得资金", "bool"),
    Col("settlement.coefficients", "各等级系数", "mapping", note="如「优秀：1；良好：0.95」"),
    Col("settlement.pool", "资金池总额（元）", "number"),
    Col("settlement.weight_attribute", "分配权重取自单位数据项"),
    Col("settlement.default_weight", "缺少权重时按", "number"),
    Col("settlement.floor", "每单位保底（元）", "number"),
    Col("settlement.cap", "每单位封顶（元）", "number"),
]

CRITERIA_SHEET = "指标"
CRITERIA_COLUMNS = [
    Col("code", "编码"),
    Col("name", "名称", width=28),
    Col(PARENT, "上级指标编码", width=14, note="一级指标留空"),
    Col("points", "分值", "number", note="表中写明的小计，可不填；填了须与所属细则合计一致"),
    Col("bonus_points", "加分分值", "number"),
]

PARAMS_SHEET = "评分参数"
LEAF_COLUMNS = [
    Col("code", "编码"),
    Col("name", "名称", width=28),
    Col(PARENT, "所属指标编码", width=14),
    _choice("method", "评分方法", names.METHOD_NAMES),
    Col("points", "分值", "number"),
    _choice("mode", "计分方式", names.MODE_NAMES, 14),
    _choice("direction", "方向", names.DIRECTION_NAMES),
    Col("target", "目标值", "number"),
    Col("inclusive", "含目标值", "bool", note="「是」：等于目标值即达标"),
    Col("unit", "单位"),
    Col("decimals", "小数位数", "int"),
    Col("floor", "起评值", "number"),
    Col("step", "每档幅度", "number"),
    Col("loss_per_step", "每档扣分", "number"),
    _choice("steps", "不足一档", names.STEP_NAMES, 18),
    Col("whole_steps", "不足一档按一档计（旧写法）", "bool"),
    Col("stretch.target", "力争目标值", "number"),
    Col("stretch.points", "力争加分", "number"),
    _choice("compare", "比较基期", names.COMPARE_NAMES),
    _choice("as", "比较方式", names.COMPARE_AS_NAMES),
    _choice("no_baseline", "无基期数据时", names.NO_BASELINE_NAMES),
    Col("improvement.up", "提高得分", "number"),
    Col("improvement.same", "持平得分", "number"),
    Col("improvement.down", "下降得分", "number"),
    Col("tolerance", "持平容差", "number"),
    Col("formula", "计算公式", width=24),
    Col("min_denominator", "最小分母", "number"),
    _choice("below_minimum", "分母过小时", names.BELOW_MINIMUM_NAMES),
    Col("all_required", "全部完成才得分", "bool"),
    Col("per_occurrence", "每次扣（加）分", "number"),
    Col("cap", "最多扣（加）分", "number"),
    Col("discretionary_max", "酌情扣分上限", "number"),
    Col("discretionary_code", "酌情扣分编码"),
    Col("from_total", "从总分扣", "bool"),
    Col("discretionary", "酌情加分", "bool"),
    Col("reference", "参考值", "number"),
    Col("required", "必须填报", "bool"),
    Col("valid_min", "有效值下限", "number"),
    Col("valid_max", "有效值上限", "number"),
    Col("allow_na", "可填不适用", "bool"),
    Col("evidence_required", "须附书面材料", "bool"),
    Col("ineligible_if_unmet", "未达标时不得评优（理由）", width=20),
    Col("tags", "标签", "list", width=14, note="多个标签用「、」分隔"),
    Col("description", "说明", width=40),
]
LEAF_NESTED = ("stretch", "improvement")  # one-per-leaf sub-models, written as plain columns


@dataclass(frozen=True)
class ChildSheet:
    """Rows of a leaf's list field (its bands, tasks …), keyed by the leaf's code."""

    name: str
    key: str  # the leaf field the rows make up
    methods: tuple[str, ...]  # the leaf methods whose `key` this sheet holds
    columns: list[Col]


_OWNER = Col(LEAF, "所属编码", note="评分参数表中的编码")
CHILD_SHEETS = [
    ChildSheet(
        "分档", "bands", ("target",), [_OWNER, Col("threshold", "达到", "number"), Col("points", "得分", "number")]
    ),
    ChildSheet(
        "同类排名档次",
        "bands",
        ("peer_rank",),
        [
            _OWNER,
            Col("within", "前几名", "int"),
            Col("within_pct", "前百分之几", "number"),
            Col("points", "得分", "number"),
        ],
    ),
    ChildSheet(
        "定性档次", "levels", ("levels",), [_OWNER, Col("label", "档次", width=24), Col("points", "分值", "number")]
    ),
    ChildSheet(
        "任务",
        "tasks",
        ("checklist",),
        [_OWNER, Col("code", "任务编码"), Col("name", "任务名称", width=36), Col("points", "分值", "number")],
    ),
    ChildSheet(
        "扣分种类",
        "kinds",
        ("deduction",),
        [
            _OWNER,
            Col("code", "种类编码"),
            Col("name", "种类名称", width=24),
            Col("per_occurrence", "每次扣分", "number"),
        ],
    ),
    ChildSheet(
        "公式输入",
        "inputs",
        ("target", "peer_rank"),
        [
            _OWNER,
            Col("code", "输入项编码"),
            Col("name", "输入项名称", width=20),
            Col("unit", "单位"),
            _choice("source", "来源", names.SOURCE_NAMES, 14),
        ],
    ),
]

# Category variants: one row per (leaf, category, parameter). 适用 takes 是/否; 分档 and 力争目标
# take 「阈值:得分」 pairs separated by 「；」; the other parameters a number.
VARIANTS_SHEET = "类别差异"
APPLICABLE = "适用"
VARIANT_PARAMS = {
    "applicable": APPLICABLE,
    "target": "目标值",
    "floor": "起评值",
    "bands": "分档",
    "loss_per_step": "每档扣分",
    "step": "每档幅度",
    "stretch": "力争目标",
    "per_occurrence": "每次扣分",
    "cap": "最多扣（加）分",
}
VARIANT_COLUMNS = [
    _OWNER,
    Col("category", "单位类别", width=16),
    _choice("param", "参数", VARIANT_PARAMS, 14),
    Col("value", "值", width=20, note="适用填是/否；分档、力争目标填「阈值:得分」，多档用「；」分隔"),
]

GRADES_SHEET = "等级"
GRADE_COLUMNS = [Col("name", "等级"), Col("min", "下限（分）", "number")]
TAGS_SHEET = "标签"
TAG_COLUMNS = [Col("name", "标签", width=14), Col("mark", "标记"), Col("description", "含义", width=40)]
TAG_RULES_SHEET = "标签规则"
TAG_RULE_COLUMNS = [
    Col("tag", "标签", width=14),
    Col("below_pct", "得分率低于（%）", "number"),
    Col("grade", "等级至多评为"),
    Col("ineligible", "不得评优（理由）", width=30),
]

PRINT_SHEET = "评分细则"
# Sheets the reader needs; the others may be left out when empty.
REQUIRED_SHEETS = (INFO_SHEET, CRITERIA_SHEET, PARAMS_SHEET)
REQUIRED_HEADERS = {
    CRITERIA_SHEET: ("code", "name", PARENT),
    PARAMS_SHEET: ("code", "name", PARENT, "method"),
}
