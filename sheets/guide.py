"""The Chinese text of a template's 说明 sheet, built from the methods a scheme uses."""

from __future__ import annotations

from scoring.explain import fmt
from scoring.names import METHOD_NAMES  # noqa: F401  (re-exported: the template and tests read it here)
from scoring.periods import period_name
from scoring.scheme import Scheme
from sheets import messages as msg

GENERAL_RULES = [
    "只在白色单元格中填写；灰色的表头、编码、单位名称已锁定，请不要修改，也不要插入、删除或移动行列。",
    "空白不等于 0：需要评分的指标必须填写，本项没有得分请填 0。",
    f"只有标注「可填{msg.NA_WORD}」的指标才能填「{msg.NA_WORD}」；不适用的指标不计入总分，总分按适用指标的分值折算。",
    "百分比指标直接填百分数，如 92.5 表示 92.5%（填 92.5% 也可以）。",
    f"是/否类指标可填：{msg.YESNO_ACCEPTED}。",
    "扣分、加分项填发生次数（整数），没有发生可留空；一票否决项发生时填「是」，没有发生可留空。",
    "扣分、加分、否决项右侧的「说明」列请写明事由，便于复核和公示。",
    "同一考核人不能对同一单位重复评分；多个考核组分别评分时，各自填写本组的表格后上传。",
    "请勿修改表中的考核期间、方案和版本：上传时系统据此核对，期间或方案不符会被拒绝。",
    "上传后系统逐格检查，并指出有问题的单元格（第几行、哪一列、应填什么）；有任何错误时整份表格都不会导入。",
]

METHOD_TEXT = {
    "direct": "直接评分：考核组对照评分标准直接给分，填 0 到该项分值之间的分数，可以有小数（如 8.5）。",
    "target": "目标值：填实际完成值（完成率、人数、金额等），系统按目标值和计分方式自动算分，不要填得分。",
    "checklist": "任务清单：逐项填写任务是否完成（是/否），完成得该任务的分值，未完成不得分。",
    "levels": "定性分档：从下拉列表中选择一个档次（也可填档次名称或该档次的分值），得该档次的分数。",
    "peer_rank": "同类排名：填实际完成值（不要填得分），系统在同类单位中排名后按名次或位次档次算分；并列的单位名次相同、得分相同，填「不适用」的不参加排名。",
    "improvement": "逐步提高：填本期实际值（不要填得分），系统与本单位上期或上年同期的数值比较，按提高、持平、下降给分；没有基期数据时按方案规定处理。",
    "monitor": "监测指标：填实际值（按表头所示单位），只报告和展示，不计分、不计入总分；没有数据可留空，显示为「未填」。",
    "deduction": "扣分项：填发生次数，每次扣相应分值，本项扣完为止，不会扣成负分。",
    "bonus": "加分项：填发生次数，每次加相应分值；本项和全方案都有加分上限，超过部分不计。",
    "veto": "一票否决：发生即评为最低等级，并取消评先评优资格；发生填「是」，没有发生可留空。",
}

MODE_TEXT = {
    "all_or_nothing": "达标得满分，不达标不得分",
    "proportional": "按实际值与目标值的比例得分",
    "linear": "在起评值和目标值之间按线性比例得分",
    "bands": "按所在档次得分",
    "per_shortfall": "每差一定幅度扣一定分数，扣完为止",
}
# per_shortfall: how a part of a step counts (TargetLeaf.step_rule).
STEP_TEXT = {
    "fraction": "每差一定幅度扣分的指标：不足一档的差距按比例扣分",
    "started": "每差一定幅度扣分的指标：不足一档按一档扣分",
    "completed": "每差一定幅度扣分的指标：满一档才扣分，不足一档不扣",
}
ZERO_TARGET_TEXT = (
    "目标为 0 的零容忍指标（如重大医疗纠纷 0 起）：实际为 0 才达标；按比例计分的，实际为 0 得满分，大于 0 不得分"
)
NA_TEXT = (
    f"不适用：标注「可填{msg.NA_WORD}」的指标在本单位确实不适用时填「{msg.NA_WORD}」，该项不计入总分，"
    "总分按适用指标的分值折算为百分制，不会按 0 分计算。"
)


def guide_lines(scheme: Scheme, period: str) -> list[tuple[str, str]]:
    """(style, text) lines of the 说明 sheet: 'title', 'heading', 'text' or 'item'."""
    lines = [
        ("title", f"{scheme.name} — 填表说明"),
        ("text", f"方案：{scheme.name}（版本 {scheme.version}）"),
        ("text", f"考核期间：{period_name(period)}（{period}）"),
        (
            "text",
            f"总分 {fmt(scheme.total)} 分；等级："
            + "，".join(f"{g.name} ≥ {fmt(g.min)}" for g in scheme.grades[:-1])
            + f"，其余为{scheme.grades[-1].name}",
        ),
        ("heading", "填写要求"),
    ]
    lines += [("item", f"{i}. {rule}") for i, rule in enumerate(GENERAL_RULES, start=1)]
    lines.append(("heading", "本方案用到的评分方法"))
    methods = [m for m in METHOD_TEXT if any(leaf.method == m for leaf in scheme.leaves)]
    for m in methods:
        lines.append(("item", METHOD_TEXT[m]))
        if m == "target":
            modes = dict.fromkeys(leaf.mode for leaf in scheme.leaves if leaf.method == "target")
            lines += [("item", f"　　· {MODE_TEXT[mode]}") for mode in modes]
            targets = [leaf for leaf in scheme.leaves if leaf.method == "target"]
            rules = dict.fromkeys(leaf.step_rule for leaf in targets if leaf.mode == "per_shortfall")
            lines += [("item", f"　　· {STEP_TEXT[rule]}") for rule in rules]
            if any(leaf.target == 0 for leaf in targets):
                lines.append(("item", f"　　· {ZERO_TARGET_TEXT}"))
            if any(getattr(leaf, "stretch", None) for leaf in scheme.leaves):
                lines.append(("item", "　　· 设有力争目标的指标，达到力争目标另加分（计入加分上限）"))
            if any(getattr(leaf, "direction", "higher") == "lower" for leaf in scheme.leaves):
                lines.append(("item", "　　· 标注「越低越好」的指标（如院感发生率），实际值低于目标值为达标"))
        if m == "checklist" and any(getattr(leaf, "all_required", False) for leaf in scheme.leaves):
            lines.append(("item", "　　· 标注「全部完成才得分」的清单：有 1 项不符合要求，整项不得分"))
        if m == "deduction" and any(getattr(leaf, "kinds", None) for leaf in scheme.leaves):
            lines.append(
                ("item", "　　· 分类扣分的指标（如迟报、漏报、瞒报）：每类分别填次数，各类扣分合计在本项分值内扣完为止")
            )
        if m == "deduction" and any(getattr(leaf, "discretionary_max", None) for leaf in scheme.leaves):
            lines.append(
                (
                    "item",
                    "　　· 酌情扣分：直接填扣分数（可有小数，不超过该项写明的上限），与计次扣分合计在本项分值内扣完为止",
                )
            )
        if m == "deduction" and any(getattr(leaf, "from_total", False) for leaf in scheme.leaves):
            lines.append(
                (
                    "item",
                    "　　· 标注「从总分扣」的指标：填发生次数，扣分直接从总分（折算和加分之后）中扣除，总分最低为 0",
                )
            )
        if m == "bonus" and any(getattr(leaf, "discretionary", False) for leaf in scheme.leaves):
            lines.append(("item", "　　· 酌情加分：直接填加分数（可有小数，不超过该项写明的上限），不填次数"))
    if any(leaf.allow_na for leaf in scheme.leaves) or scheme.missing == "not_applicable":
        lines.append(("item", NA_TEXT))
    if scheme.bonus_cap:
        lines.append(("item", f"全方案加分合计最多 {fmt(scheme.bonus_cap)} 分。"))
    lines += tag_lines(scheme)
    lines.append(("heading", "评分细则一览（见下表）"))
    return lines


def tag_lines(scheme: Scheme) -> list[tuple[str, str]]:
    """The 说明 sheet's 标签 part: each tag with its mark and meaning, then the tag rules in words."""
    if not scheme.tag_names:
        return []
    lines = [("heading", "指标标签")]
    for t in scheme.tag_names:
        about = next((d.description for d in scheme.tags if d.name == t and d.description), "")
        items = "、".join(leaf.code for leaf in scheme.leaves if t in leaf.tags)
        lines.append(("item", f"{scheme.tag_mark(t)}{t}" + (f"：{about}" if about else "") + f"（{items}）"))
    for rule in scheme.tag_rules:
        then = f"等级至多评为{rule.grade}" if rule.grade is not None else rule.ineligible
        lines.append(("item", f"　　· {rule.tag}得分率低于 {rule.below_pct:g}%：{then}"))
    return lines


GUIDE_TABLE_HEADER = ["编码", "一级指标", "指标", "评分方法", "分值", "评分标准", "填写要求"]
