"""The fields each method's form shows, with their kind and a Chinese help line. Pure data: the
labels come from scoring.names, the widgets from `editor`."""

from __future__ import annotations

from dataclasses import dataclass

from scoring.names import FIELD_VALUE_NAMES


@dataclass(frozen=True)
class Spec:
    key: str  # as written in the scheme (`as` by its alias)
    kind: str  # number | int | bool | choice | text | tags | records | pair
    help: str = ""
    columns: tuple[tuple[str, str], ...] = ()  # records / pair: (sub-field, kind)

    @property
    def options(self) -> list[object]:
        return list(FIELD_VALUE_NAMES.get(self.key, {}))


_COMMON = (
    Spec("tags", "tags", "如 核心指标、国家监测；多个标签用顿号或逗号隔开"),
    Spec("allow_na", "bool", "允许考核表上对本项填「不适用」，总分按适用项折算"),
    Spec("evidence_required", "bool", "「无书面材料不得分」：得分须附证明材料"),
    Spec("ineligible_if_unmet", "text", "未得满分时不得评优，写明理由；不写则不影响评优"),
)
_RANGE = (
    Spec("valid_min", "number", "低于此值的填报视为错误（如百分率填 0）"),
    Spec("valid_max", "number", "高于此值的填报视为错误（如百分率填 100）"),
)
_COMPUTED = (
    Spec(
        "inputs",
        "records",
        "计算指标的原始数据：在考核表上填写的写编码；取自单位年度数据的选「单位登记数据」，不写编码",
        (("code", "text"), ("name", "text"), ("unit", "text"), ("source", "choice")),
    ),
    Spec("formula", "text", "用输入项名称写公式，如 建档人数 / 常住人口 * 100"),
    Spec("min_denominator", "number", "分母小于此值时无法评价（样本太少）"),
    Spec("below_minimum", "choice", "分母不足最小分母时如何处理"),
)
_COMPARE = (
    Spec("compare", "choice", "与本单位上期或上年同期的数值比较；不比较则留空"),
    Spec("as", "choice", "按增幅（%）还是按增减量评分"),
    Spec("no_baseline", "choice", "新单位、第一期等没有基期数据时"),
)

METHOD_FIELDS: dict[str, tuple[Spec, ...]] = {
    "direct": (),
    "target": (
        Spec("mode", "choice", "达标得满分、按比例、线性、分档或每差一档扣分"),
        Spec("direction", "choice", "越高越好（如建档率）或越低越好（如感染率）"),
        Spec("target", "number", "达到此值得满分"),
        Spec("inclusive", "bool", "实际值恰好等于目标值时算达标"),
        Spec("unit", "text", "如 %、人、次"),
        Spec("decimals", "int", "实际值先按此小数位四舍五入再评分"),
        Spec("floor", "number", "线性得分：达到起评值得 0 分，到目标值得满分"),
        Spec(
            "bands",
            "records",
            "分档得分：达到某值得某分，从高档到低档排列",
            (("threshold", "number"), ("points", "number")),
        ),
        Spec("loss_per_step", "number", "每差一档扣分：每差一个「每档幅度」扣的分"),
        Spec("step", "number", "每差一档扣分：一档的幅度，如 2（个百分点）"),
        Spec("steps", "choice", "不足一档时按比例扣、按一档扣，还是满一档才扣"),
        Spec("stretch", "pair", "力争目标：达到更高的目标另得加分", (("target", "number"), ("points", "number"))),
        *_COMPARE,
        *_COMPUTED,
        *_RANGE,
    ),
    "checklist": (
        Spec(
            "tasks",
            "records",
            "每项任务的编码、名称和分值（分值合计等于本项分值）",
            (("code", "text"), ("name", "text"), ("points", "number")),
        ),
        Spec("all_required", "bool", "「有 1 项不符合要求，不得分」：全部完成才得分，任务可不写分值"),
    ),
    "levels": (
        Spec(
            "levels",
            "records",
            "考核组只能从这些档次中选一个；最高档分值等于本项分值",
            (("label", "text"), ("points", "number")),
        ),
    ),
    "peer_rank": (
        Spec("direction", "choice", "越高越好还是越低越好（决定谁排在前面）"),
        Spec(
            "bands",
            "records",
            "按同类单位中的名次得分：写前几名或前百分之几（二选一），范围从小到大",
            (("within", "int"), ("within_pct", "number"), ("points", "number")),
        ),
        Spec("unit", "text", "如 %、人、次"),
        Spec("decimals", "int", "实际值先按此小数位四舍五入再排名"),
        *_COMPUTED,
        *_RANGE,
    ),
    "improvement": (
        *_COMPARE,
        Spec("direction", "choice", "数值越高越好还是越低越好"),
        Spec(
            "improvement",
            "pair",
            "提高得分等于本项分值；提高 ≥ 持平 ≥ 下降",
            (("up", "number"), ("same", "number"), ("down", "number")),
        ),
        Spec("tolerance", "number", "变化不超过此值视为持平"),
        Spec("unit", "text", "如 %、人、次"),
        Spec("decimals", "int", "比较前按此小数位四舍五入"),
        *_RANGE,
    ),
    "deduction": (
        Spec("per_occurrence", "number", "每发生一次扣的分，扣完本项分值为止；分类扣分时不填"),
        Spec(
            "kinds",
            "records",
            "几类问题共用本项分值（迟报 0.5 / 漏报 1），每类在考核表上单独填次数",
            (("code", "text"), ("name", "text"), ("per_occurrence", "number")),
        ),
        Spec("discretionary_max", "number", "酌情扣分：考核组可在此范围内直接扣分"),
        Spec("discretionary_code", "text", "酌情扣分在考核表上的编码；不填则为本项编码加「酌情」"),
        Spec("from_total", "bool", "「从总分扣」：本项不占分值（分值填 0），扣分从总分中扣"),
        Spec("cap", "number", "从总分扣时最多扣多少分"),
    ),
    "bonus": (
        Spec("per_occurrence", "number", "每发生一次加的分；酌情加分时不填"),
        Spec("discretionary", "bool", "酌情加分：考核组直接填加分数（可有小数）"),
        Spec("cap", "number", "本项最多加多少分（另受方案加分上限限制）"),
    ),
    "veto": (),
    "monitor": (
        Spec("unit", "text", "如 %、人、次"),
        Spec("decimals", "int", "显示的小数位"),
        Spec("direction", "choice", "显示时哪个方向算好"),
        Spec("reference", "number", "显示在数值旁的参考值，不计分"),
        Spec("required", "bool", "必须填写（否则可以留空，显示「未填」）"),
        *_RANGE,
    ),
}


def specs_for(method: str) -> tuple[Spec, ...]:
    """The form of a leaf of `method`: its own fields, then those every leaf has."""
    return METHOD_FIELDS.get(method, ()) + _COMMON
