"""Assessment scheme (考核方案) models.

A scheme is data: a tree of criteria whose leaves each carry one scoring method. The models
validate a scheme completely on load, so the engine can trust every number it reads.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator

from scoring.derived import once
from scoring.formula import Formula, FormulaError, parse_formula
from scoring.names import field_name, label_for
from scoring.settlement import SchemeSettlement

PeriodType = Literal["month", "quarter", "year"]
Direction = Literal["higher", "lower"]
# per_shortfall: how a shortfall of 1.75 steps counts — as 1.75 (fraction), as 2 (every started
# step, 不足一档按一档计) or as 1 (only completed steps, 满一档才扣).
StepRule = Literal["fraction", "started", "completed"]
# A leaf scored on change (增幅 / 逐步提高): its actual is compared with the unit's previous period
# or the same period last year, as a growth in % or a plain difference; without a baseline
# (a new unit, the first period, a growth from 0) the leaf is 不适用, full or zero, as written.
Compare = Literal["previous", "last_year"]
CompareAs = Literal["growth_pct", "change"]
NoBaseline = Literal["not_applicable", "full", "zero"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Grade(_Model):
    """A grade band: totals >= min earn this grade (优秀 ≥ 90 …)."""

    name: str = Field(min_length=1)
    min: float = Field(ge=0)


class BottomRule(_Model):
    """The bottom-ranking rule (末位). Any configured criterion flags a unit, or all of them."""

    threshold: float | None = 80  # in a scheme: 80 % of its total unless written (Scheme._defaults_follow_total)
    lowest_n: int | None = Field(default=None, ge=1)
    lowest_pct: float | None = Field(default=None, gt=0, le=100)
    combine: Literal["any", "all"] = "any"
    consequence: str = ""


class Band(_Model):
    threshold: float
    points: float = Field(ge=0)


class Stretch(_Model):
    """A striving target (力争): meeting it earns extra points, counted as bonus."""

    target: float
    points: float = Field(gt=0)


class Task(_Model):
    code: str = Field(min_length=1)
    name: str = Field(min_length=1)
    # Required, except in an all-or-nothing checklist (all_required), where a task earns nothing
    # on its own; ChecklistLeaf checks which.
    points: float | None = Field(default=None, gt=0)


class Level(_Model):
    """One allowed grade of a qualitative leaf (定性分档): 有计划并实施 3 分."""

    label: str = Field(min_length=1)
    points: float = Field(ge=0)


class _LeafBase(_Model):
    code: str = Field(min_length=1)
    name: str = Field(min_length=1)
    points: float = Field(default=0, ge=0)
    description: str = ""
    allow_na: bool = False
    # Failing this leaf (earning less than its points) removes award eligibility, with this reason.
    ineligible_if_unmet: str | None = None
    # 「无书面材料不得分」: a value that earns points needs evidence attached to the unit's item.
    evidence_required: bool = False
    # Marks the published table puts on a leaf (★核心指标, 国家监测, 数据来源：…): free Chinese
    # strings; results carry a subtotal and score rate per tag, and tag_rules act on those rates.
    tags: list[Annotated[str, Field(min_length=1)]] = []
    # Per unit category (the scheme's `categories`), parameters that differ from the leaf's own:
    # {专科医院: {target: 500}, 精神专科医院: {applicable: false}}. See `variant_for`.
    variants: dict[str, dict[str, Any]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _variants_valid(self) -> _LeafBase:
        for category, override in self.variants.items():
            _check_override(self, category, override)
        return self

    def variant_for(self, category: str) -> _LeafBase | None:
        """The leaf as it applies to units of `category`: itself, a copy with the category's
        parameters, or None when the category is not assessed on it (不适用)."""
        override = self.variants.get(category)
        if override is None:
            return self
        if override.get("applicable", True) is False:
            return None
        # Validated once per leaf and category: scoring asks for it on every call.
        return once(self, f"variant_for:{category}", lambda: self._variant(override))

    def _variant(self, override: dict) -> _LeafBase:
        # As written (unset fields stay unset, `as` keeps its name): validators that look at what
        # a scheme wrote, such as compare's, see the same leaf.
        data = self.model_dump(exclude={"variants"}, exclude_unset=True, by_alias=True)
        data.update({k: v for k, v in override.items() if k != "applicable"})
        return type(self).model_validate(data)


# What a category variant may change: the numbers of a rule, never its points (the points are
# the scheme's weights, and must add up to its total for every unit) nor its method.
VARIANT_FIELDS = (
    "target",
    "floor",
    "bands",
    "loss_per_step",
    "step",
    "stretch",
    "per_occurrence",
    "cap",
)


def _check_override(leaf: _LeafBase, category: str, override: Any) -> None:
    """One category's override: known, overridable fields that leave a valid leaf."""
    where = f"variants.{category}"
    if not isinstance(override, dict) or not override:
        raise ValueError(f"{where}: 须写要改变的参数，如「目标值」500，或「是否适用」否")
    if "applicable" in override:
        if not isinstance(override["applicable"], bool):
            raise ValueError(f"{where}.applicable: 必须填「是」或「否」")
        if override["applicable"] is False and len(override) > 1:
            raise ValueError(f"{where}: 已设为不适用，不能再改其他参数")
    allowed = [f for f in VARIANT_FIELDS if f in type(leaf).model_fields]
    for key in override:
        if key == "applicable":
            continue
        if key not in allowed:
            can = "、".join(field_name(f) for f in allowed) if allowed else "（本评分方法没有可按类别改变的参数）"
            raise ValueError(f"{where}.{key}: 不能按类别改变（可改：是否适用、{can}）")
    try:
        leaf.variant_for(category)
    except ValidationError as exc:
        from scoring.loader import error_lines  # the loader's Chinese wording of pydantic errors

        raise ValueError(
            "\n".join(f"{where}.{line}" if line[:1] != ":" else f"{where}{line}" for line in error_lines(exc))
        ) from None


class FormulaInput(_Model):
    """One raw input of a computed indicator: entered on the scoresheet under its own code
    (建档人数), or a figure of the unit register by its name (`source: register`, 常住人口)."""

    code: str | None = Field(default=None, min_length=1)
    name: str = Field(min_length=1)
    unit: str = ""
    source: Literal["scoresheet", "register"] = "scoresheet"

    @model_validator(mode="after")
    def _code_when_entered(self) -> FormulaInput:
        if self.source == "scoresheet" and self.code is None:
            raise ValueError(f"输入项「{self.name}」在评分表上填写，须写「编码」")
        if self.source == "register" and self.code is not None:
            raise ValueError(f"输入项「{self.name}」取自单位登记数据，不要写「编码」")
        return self


class _ComputedLeaf(_LeafBase):
    """A leaf whose actual value may be computed from raw inputs (建档人数 ÷ 常住人口 × 100).

    `min_denominator`: a divisor below it (too few people to judge a rate) makes the leaf
    不适用 for that unit with `below_minimum: not_applicable`, else it is a located error.
    """

    inputs: list[FormulaInput] = []
    formula: str | None = None
    min_denominator: float | None = Field(default=None, gt=0)
    below_minimum: Literal["error", "not_applicable"] = "error"

    @field_validator("formula")
    @classmethod
    def _formula_parses(cls, v: str | None, info: ValidationInfo) -> str | None:
        inputs = info.data.get("inputs")
        if v is None or not inputs:  # a bad or empty `inputs` is reported on its own
            return v
        try:
            parse_formula(v, [i.name for i in inputs])
        except FormulaError as exc:
            raise ValueError(str(exc)) from None
        return v

    @model_validator(mode="after")
    def _formula_and_inputs(self) -> _ComputedLeaf:
        if self.formula is None:
            if self.inputs:
                raise ValueError("写了「输入项」却没有「计算公式」")
            if self.min_denominator is not None:
                raise ValueError("「最小分母」只用于有「计算公式」的指标")
            return self
        if not self.inputs:
            raise ValueError("有「计算公式」的指标须列出「输入项」")
        names = [i.name for i in self.inputs]
        twice = sorted({x for x in names if names.count(x) > 1})
        if twice:
            raise ValueError(f"输入项名称重复：{'、'.join(twice)}")
        if self.min_denominator is not None and "/" not in self.formula and "÷" not in self.formula:
            raise ValueError("公式中没有除法，「最小分母」无从适用")
        return self

    @property
    def computed(self) -> bool:
        return self.formula is not None

    def compiled(self) -> Formula:
        """The checked formula, ready to evaluate over columns."""
        return once(self, "compiled", lambda: parse_formula(self.formula or "", [i.name for i in self.inputs]))

    @property
    def input_codes(self) -> list[str]:
        """Codes of the inputs entered on the scoresheet, in scheme order."""
        return [i.code for i in self.inputs if i.code is not None]


class DirectLeaf(_LeafBase):
    method: Literal["direct"]
    points: float = Field(gt=0)


class _ComparedLeaf(_LeafBase):
    """The fields of a leaf that may score the change against a baseline period (增幅, 提高)."""

    # `as` is a Python keyword: the field is compare_as, written `as:` in a scheme.
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    compare: Compare | None = None
    compare_as: CompareAs | None = Field(default=None, alias="as")
    no_baseline: NoBaseline = "not_applicable"

    @model_validator(mode="after")
    def _compare_written(self) -> _ComparedLeaf:
        # By value, not by what was written: a scheme dumped and validated again (what-if, variants)
        # carries every default, and no_baseline's default says nothing without a comparison.
        if self.compare is None and (self.compare_as is not None or self.no_baseline != "not_applicable"):
            raise ValueError("写了「比较方式」或「无基期数据时」，却没有写「比较基期」（与上期比还是与上年同期比）")
        return self

    @property
    def derived_as(self) -> CompareAs:
        """What the change is scored as: a target on change defaults to 增幅 (%), an improvement
        leaf to the plain difference (a rise from 0 is still a rise)."""
        if self.compare_as is not None:
            return self.compare_as
        return "change" if self.method == "improvement" else "growth_pct"

    @property
    def scored_unit(self) -> str:
        """The unit of the number the rule reads: % for a growth, else the entered value's."""
        if self.compare is not None and self.derived_as == "growth_pct":
            return "%"
        return getattr(self, "unit", "")


class TargetLeaf(_ComputedLeaf, _ComparedLeaf):
    method: Literal["target"]
    points: float = Field(gt=0)
    mode: Literal["all_or_nothing", "proportional", "linear", "bands", "per_shortfall"]
    direction: Direction = "higher"
    target: float
    inclusive: bool = True
    decimals: int = Field(default=2, ge=0, le=6)
    unit: str = ""
    floor: float | None = None
    bands: list[Band] = []
    loss_per_step: float | None = Field(default=None, gt=0)
    step: float = Field(default=1, gt=0)
    steps: StepRule | None = None
    whole_steps: bool = False  # the older spelling: `whole_steps: true` is `steps: started`
    stretch: Stretch | None = None
    valid_min: float | None = None
    valid_max: float | None = None

    @field_validator("target")
    @classmethod
    def _target_positive(cls, v: float, info: ValidationInfo) -> float:
        # 零容忍 (e.g. 重大医疗事故 ≤ 0 起) is a lower-is-better target of 0; higher-is-better
        # needs something to reach, and its proportional score divides by the target.
        if info.data.get("direction", "higher") == "lower":
            if v < 0:
                raise ValueError("不能小于 0")
        elif not v > 0:
            raise ValueError("必须大于 0（只有越低越好的零容忍指标，目标才可以为 0）")
        return v

    @property
    def step_rule(self) -> StepRule:
        """How per_shortfall counts steps, whichever spelling the scheme used."""
        return self.steps or ("started" if self.whole_steps else "fraction")

    @model_validator(mode="after")
    def _mode_parameters(self) -> TargetLeaf:
        higher = self.direction == "higher"
        if self.mode == "linear":
            if self.floor is None:
                raise ValueError("「线性得分」需要「起评值」")
            if (self.floor >= self.target) if higher else (self.floor <= self.target):
                raise ValueError("「起评值」必须比「目标值」更差（越高越好时小于目标值，越低越好时大于目标值）")
        if self.mode == "bands":
            if not self.bands:
                raise ValueError("「分档得分」需要至少一个档次")
            if max(b.points for b in self.bands) > self.points:
                raise ValueError("档次分值不能超过本项分值")
        if self.mode == "per_shortfall" and self.loss_per_step is None:
            raise ValueError("「每差一档扣分」需要「每档扣分」（每差一个「每档差距」扣的分）")
        if self.whole_steps and self.steps not in (None, "started"):
            raise ValueError(
                f"「按整档扣分」即「不足一档按一档扣」，与「不足一档时」写的「{label_for('steps', self.steps)}」矛盾，请只写「不足一档时」"
            )
        if self.target == 0:
            if not self.inclusive:
                raise ValueError("目标为 0 时「达到目标值即达标」必须为「是」（低于 0 无法达到）")
            if self.stretch is not None:
                raise ValueError("目标为 0 时不能再设「力争目标」")
        if self.stretch is not None:
            beyond = self.stretch.target > self.target if higher else self.stretch.target < self.target
            if not beyond:
                raise ValueError("「力争目标值」必须比「目标值」更高（越低越好时更低）")
        if self.valid_min is not None and self.valid_max is not None and self.valid_min > self.valid_max:
            raise ValueError("「有效下限」不能大于「有效上限」")
        return self


class ImprovementPoints(_Model):
    """Points for 提高 / 持平 / 下降 against the baseline: 逐步提高得满分，持平得一半，下降不得分."""

    up: float = Field(ge=0)
    same: float = Field(ge=0)
    down: float = Field(ge=0)


class ImprovementLeaf(_ComparedLeaf):
    """较上期（上年同期）逐步提高: points by the direction of the change, better way per `direction`;
    a change within `tolerance` (of the compared number, after rounding to `decimals`) is 持平."""

    method: Literal["improvement"]
    points: float = Field(gt=0)
    direction: Direction = "higher"
    improvement: ImprovementPoints
    tolerance: float = Field(default=0, ge=0)
    decimals: int = Field(default=2, ge=0, le=6)
    unit: str = ""
    valid_min: float | None = None
    valid_max: float | None = None

    @model_validator(mode="after")
    def _improvement_consistent(self) -> ImprovementLeaf:
        if self.compare is None:
            raise ValueError("「逐步提高」须写「比较基期」：与上期比或与上年同期比")
        pts = self.improvement
        if not math.isclose(pts.up, self.points, abs_tol=1e-9):
            raise ValueError(f"「提高得分」{pts.up:g} 分应等于本项分值 {self.points:g} 分")
        if not pts.up >= pts.same >= pts.down:
            raise ValueError("「逐步提高分值」须 提高得分 ≥ 持平得分 ≥ 下降得分")
        if self.valid_min is not None and self.valid_max is not None and self.valid_min > self.valid_max:
            raise ValueError("「有效下限」不能大于「有效上限」")
        return self


class ChecklistLeaf(_LeafBase):
    method: Literal["checklist"]
    tasks: list[Task] = Field(min_length=1)
    # 「有 1 项不符合要求，不得分」: full points only when every task is done, else 0.
    all_required: bool = False

    @model_validator(mode="after")
    def _tasks_add_up(self) -> ChecklistLeaf:
        unpriced = [t.name for t in self.tasks if t.points is None]
        if self.all_required:
            if not self.points > 0:
                raise ValueError("全部完成才得分的任务清单须设置大于 0 的「分值」")
            if len(unpriced) == len(self.tasks):
                return self  # the usual case: only the leaf has points
            if unpriced:  # written out as in the printed table, they must all be there and agree
                raise ValueError("全部完成才得分的任务清单：任务分值要么都写、要么都不写（不写时只按本项分值计分）")
        elif unpriced:
            raise ValueError(f"任务「{'、'.join(unpriced)}」缺少「分值」")
        total = sum(t.points for t in self.tasks)
        if not math.isclose(total, self.points, abs_tol=1e-9):
            raise ValueError(f"任务分值合计 {total:g} 与本项分值 {self.points:g} 不一致")
        return self


class LevelsLeaf(_LeafBase):
    """定性分档: the assessor picks one of a fixed list of levels (有计划并实施 3 / 部分落实 1 / 无 0)."""

    method: Literal["levels"]
    points: float = Field(gt=0)
    levels: list[Level]

    @model_validator(mode="after")
    def _levels_consistent(self) -> LevelsLeaf:
        if len(self.levels) < 2:
            raise ValueError("定性分档至少需要两个档次")
        labels = [lv.label.strip() for lv in self.levels]
        twice = sorted({x for x in labels if labels.count(x) > 1})
        if twice:
            raise ValueError(f"档次名称重复：{'、'.join(twice)}")
        if "不适用" in labels:  # the cell word for 不适用 cannot also name a level
            raise ValueError("档次名称不能是「不适用」（不适用请设「允许不适用」）")
        points = [lv.points for lv in self.levels]
        same = sorted({p for p in points if points.count(p) > 1})
        if same:
            raise ValueError(f"档次分值重复：{'、'.join(f'{p:g} 分' for p in same)}（每个分值只能对应一个档次）")
        if not math.isclose(max(points), self.points, abs_tol=1e-9):
            raise ValueError(f"最高档次 {max(points):g} 分应等于本项分值 {self.points:g} 分")
        return self

    def label_of(self, points: float) -> str | None:
        """The level worth `points`, if any (values are stored as points)."""
        for lv in self.levels:
            if math.isclose(lv.points, points, abs_tol=1e-9):
                return lv.label
        return None


class PeerBand(_Model):
    """One band of a peer-relative leaf: the first `within` ranks (前 5 名) or the best
    `within_pct` % of the peers with a value (前 20%), earning `points`. Exactly one of the two."""

    within: int | None = Field(default=None, gt=0)
    within_pct: float | None = Field(default=None, gt=0, le=100)
    points: float = Field(ge=0)

    @model_validator(mode="after")
    def _one_kind(self) -> PeerBand:
        if (self.within is None) == (self.within_pct is None):
            raise ValueError("每个档次须且只能写「前几名」或「前百分之几」中的一个")
        return self

    @property
    def limit(self) -> float:
        return float(self.within if self.within is not None else self.within_pct)


class PeerRankLeaf(_ComputedLeaf):
    """按同类排名计分: the actual value is ranked among the unit's peers (same category, same
    period); 「排名前 5 位得 1 分」, 「前 20% 得满分，20%–50% 得 6 分，其余不得分」."""

    method: Literal["peer_rank"]
    points: float = Field(gt=0)
    direction: Direction = "higher"
    decimals: int = Field(default=2, ge=0, le=6)
    unit: str = ""
    bands: list[PeerBand] = Field(min_length=1)
    valid_min: float | None = None
    valid_max: float | None = None

    @model_validator(mode="after")
    def _bands_ordered(self) -> PeerRankLeaf:
        if len({b.within is None for b in self.bands}) > 1:
            raise ValueError("档次不能混用「前几名」和「前百分之几」，请只用一种")
        limits = [b.limit for b in self.bands]
        if any(b <= a for a, b in zip(limits, limits[1:])):
            raise ValueError("档次须按范围从小到大排列（如前 20%、前 50%），且不能重复")
        points = [b.points for b in self.bands]
        if any(b > a for a, b in zip(points, points[1:])):
            raise ValueError("档次分值须逐档不增（范围越大，分值不能越高）")
        if points[0] > self.points + 1e-9:
            raise ValueError(f"档次分值 {points[0]:g} 分超过本项分值 {self.points:g} 分")
        if self.valid_min is not None and self.valid_max is not None and self.valid_min > self.valid_max:
            raise ValueError("「有效下限」不能大于「有效上限」")
        return self

    @property
    def by_pct(self) -> bool:
        return self.bands[0].within_pct is not None


class DeductionKind(_Model):
    """One kind of counted deduction on a shared leaf: 迟报 0.5 分/次. Entered under its own code."""

    code: str = Field(min_length=1)
    name: str = Field(min_length=1)
    per_occurrence: float = Field(gt=0)


class DeductionLeaf(_LeafBase):
    """扣分: occurrences × per_occurrence off the leaf's points, 扣完为止.

    Either one `per_occurrence` (counts entered under the leaf's code) or several `kinds` (迟报 /
    漏报 / 瞒报, each entered under its own code; the leaf's code then only takes 不适用). Beside
    either, `discretionary_max` lets the assessor deduct 0–M points at discretion (酌情扣分),
    entered under `discretionary_code`; everything counts inside the same cap, the leaf's points.
    """

    method: Literal["deduction"]
    points: float = Field(default=0, ge=0)  # > 0, except from the total (checked in _from_total)
    per_occurrence: float | None = Field(default=None, gt=0)
    kinds: list[DeductionKind] = []
    discretionary_max: float | None = Field(default=None, gt=0)
    discretionary_code: str | None = Field(default=None, min_length=1)
    # 「从总分扣 1 分」: occurrences × per_occurrence come off the unit's total (after 按适用项折算
    # and bonus, total floored at 0), like a negative bonus; the leaf has no points of its own and
    # `cap` bounds what it takes.
    from_total: bool = False
    cap: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _from_total(self) -> DeductionLeaf:
        if not self.from_total:
            if self.cap is not None:
                raise ValueError("「上限」（最多扣分）只用于从总分扣分；本项扣分以「分值」为限")
            if not self.points > 0:
                raise ValueError("扣分项须设置大于 0 的「分值」；从总分扣分的请把「从总分扣分」设为「是」")
            return self
        if self.points != 0:
            raise ValueError("从总分扣分不占基础分，「分值」应为 0（用「上限」设最多扣多少分）")
        if self.kinds or self.discretionary_max is not None:
            raise ValueError("从总分扣分只能写「每次分值」，不能写「扣分类别」或酌情扣分")
        return self

    @model_validator(mode="after")
    def _one_form(self) -> DeductionLeaf:
        if self.per_occurrence is None and not self.kinds:
            raise ValueError("扣分项须写「每次分值」或「扣分类别」，二者选一")
        if self.per_occurrence is not None and self.kinds:
            raise ValueError("扣分项的「每次分值」与「扣分类别」只能写一种（分类扣分时每类各写「每次分值」）")
        codes = [k.code for k in self.kinds]
        twice = sorted({c for c in codes if codes.count(c) > 1})
        if twice:
            raise ValueError(f"扣分类别编码重复：{'、'.join(twice)}")
        if self.discretionary_code is not None and self.discretionary_max is None:
            raise ValueError("写了「酌情扣分编码」却没有「酌情扣分上限」")
        if self.discretionary_max is not None and self.discretionary_max > self.points + 1e-9:
            raise ValueError(f"酌情扣分上限 {self.discretionary_max:g} 分超过本项分值 {self.points:g} 分")
        return self

    @property
    def own_counts(self) -> bool:
        """Whether the leaf's own code takes the occurrence count (the single-rate form)."""
        return not self.kinds

    @property
    def rates(self) -> list[tuple[str, str, float]]:
        """(input code, name, points per occurrence) of every counted rule, in scheme order."""
        if self.kinds:
            return [(k.code, k.name, k.per_occurrence) for k in self.kinds]
        return [(self.code, self.name, float(self.per_occurrence or 0))]

    @property
    def discretionary_input(self) -> str | None:
        """The code the discretionary deduction is entered under (default: the leaf's code + 酌情)."""
        if self.discretionary_max is None:
            return None
        return self.discretionary_code or f"{self.code}酌情"

    @property
    def part_codes(self) -> list[str]:
        """Input codes of this leaf other than its own: the kinds, then the discretionary part."""
        own = [] if self.own_counts else [k.code for k in self.kinds]
        extra = self.discretionary_input
        return own + ([extra] if extra else [])


class BonusLeaf(_LeafBase):
    """加分: occurrences × per_occurrence, or (`discretionary: true`, 酌情奖分) the points the
    assessor enters directly, 0–cap with fractions; capped per leaf and by the scheme's bonus_cap."""

    method: Literal["bonus"]
    per_occurrence: float | None = Field(default=None, gt=0)
    cap: float = Field(gt=0)
    discretionary: bool = False

    @model_validator(mode="after")
    def _one_bonus_form(self) -> BonusLeaf:
        if self.discretionary and self.per_occurrence is not None:
            raise ValueError("酌情加分直接填加分数，不能再写「每次分值」")
        if not self.discretionary and self.per_occurrence is None:
            raise ValueError("加分项须写「每次分值」，或设为「酌情加分」（直接填分数）")
        return self

    @field_validator("points")
    @classmethod
    def _no_base_points(cls, v: float) -> float:
        if v != 0:
            raise ValueError("加分项不计入基础分，「分值」应为 0（用「上限」设加分上限）")
        return v


class VetoLeaf(_LeafBase):
    method: Literal["veto"]

    @field_validator("points")
    @classmethod
    def _no_base_points(cls, v: float) -> float:
        if v != 0:
            raise ValueError("否决项不计分，「分值」应为 0")
        return v


class MonitorLeaf(_LeafBase):
    """监测指标: reported and watched, never scored (e.g. 二级公立医院绩效监测指标). The value is
    kept and shown beside its unit and an optional reference; a blank is allowed (「未填」) unless
    `required`. `direction` only says which way is better when the value is displayed."""

    method: Literal["monitor"]
    unit: str = ""
    decimals: int = Field(default=2, ge=0, le=6)
    direction: Direction = "higher"
    reference: float | None = None
    required: bool = False
    valid_min: float | None = None
    valid_max: float | None = None

    @field_validator("points")
    @classmethod
    def _no_points(cls, v: float) -> float:
        if v != 0:
            raise ValueError("监测指标不计分，「分值」应为 0（或不写）")
        return v

    @model_validator(mode="after")
    def _range(self) -> MonitorLeaf:
        if self.valid_min is not None and self.valid_max is not None and self.valid_min > self.valid_max:
            raise ValueError("「有效下限」不能大于「有效上限」")
        return self


Leaf = Annotated[
    DirectLeaf
    | TargetLeaf
    | ChecklistLeaf
    | LevelsLeaf
    | DeductionLeaf
    | BonusLeaf
    | VetoLeaf
    | PeerRankLeaf
    | ImprovementLeaf
    | MonitorLeaf,
    Field(discriminator="method"),
]
BASE_METHODS = ("direct", "target", "checklist", "deduction", "levels", "peer_rank", "improvement")


class TagDef(_Model):
    """A tag the scheme declares: its name, what it means and the mark shown beside tagged leaves
    (★ for 核心指标). Declaring is optional; once a scheme declares tags, leaves use only those."""

    name: str = Field(min_length=1)
    description: str = ""
    mark: str = ""


class TagRule(_Model):
    """A consequence of a low score rate on a tag's leaves: 「核心指标得分率低于 60%」 caps the grade
    (`grade`: at most this grade) and/or bars awards (`ineligible`: the reason shown)."""

    tag: str = Field(min_length=1)
    below_pct: float = Field(gt=0, le=100)
    grade: str | None = Field(default=None, min_length=1)
    ineligible: str | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _does_something(self) -> TagRule:
        if self.grade is None and self.ineligible is None:
            raise ValueError("标签规则须写「等级至多评为」或「不得评优的理由」，至少一个")
        return self


class Criterion(_Model):
    """一级指标 or 二级指标: holds leaves, sub-criteria, or both."""

    code: str = Field(min_length=1)
    name: str = Field(min_length=1)
    children: list[Criterion] = []
    items: list[Leaf] = []
    # The subtotal the source table prints, 「信息报告（23分+10分）」 = points 23, bonus_points 10.
    # Optional; when written, the leaves below must agree (tables often do not add up as printed).
    points: float | None = Field(default=None, ge=0)
    bonus_points: float | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _not_empty(self) -> Criterion:
        if not self.children and not self.items:
            raise ValueError("指标下至少要有一个子指标或评分细则")
        return self


class Scheme(_Model):
    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    version: str = Field(min_length=1)
    categories: list[str] = []
    period_type: PeriodType
    # 0 only for a monitoring-only scheme (every leaf a 监测指标), where 0 is also the default.
    total: float = Field(default=100, ge=0)
    decimals: int = Field(default=2, ge=0, le=4)
    # Unwritten grades and bottom line follow `total` (see `_defaults_follow_total`).
    grades: list[Grade] = Field(default_factory=lambda: default_grades(100))
    bottom: BottomRule = BottomRule()
    bonus_cap: float = Field(default=0, ge=0)
    combine: Literal["mean", "trimmed_mean"] = "mean"
    missing: Literal["error", "zero", "not_applicable"] = "error"
    criteria: list[Criterion] = Field(min_length=1)
    settlement: SchemeSettlement | None = None  # 补助资金结算, see scoring/settlement.py
    # 公示期: working days units have to object (申诉) once results are put on 公示.
    objection_days: int = Field(default=5, ge=1, le=30)
    tags: list[TagDef] = []  # optional declarations (description, ★ mark) of the leaves' tags
    tag_rules: list[TagRule] = []

    @model_validator(mode="before")
    @classmethod
    def _defaults_follow_total(cls, data: Any) -> Any:
        """Grades and the bottom line a scheme does not write are shares of its total, so a 10-point
        or 115-point scheme is not graded against 90/80/60 and an 80-point line. Written values stay."""
        if not isinstance(data, dict):
            return data
        if _raw_monitoring_only(data):
            return _monitoring_defaults(data)
        total = data.get("total", 100)
        if isinstance(total, bool) or not isinstance(total, int | float) or not total > 0:
            return data  # the field's own check reports a bad total
        out = dict(data)
        out.setdefault("grades", default_grades(total))
        line = {"threshold": share_of_total(total, BOTTOM_SHARE)}
        bottom = out.get("bottom", {})
        if isinstance(bottom, dict) and "threshold" not in bottom:
            out["bottom"] = {**bottom, **line}
        elif isinstance(bottom, BottomRule) and "threshold" not in bottom.model_fields_set:
            out["bottom"] = bottom.model_copy(update=line)
        return out

    @field_validator("grades")
    @classmethod
    def _grades_ordered(cls, grades: list[Grade]) -> list[Grade]:
        if not grades:
            raise ValueError("至少需要一个等级")
        mins = [g.min for g in grades]
        if mins != sorted(mins, reverse=True) or len(set(mins)) != len(mins):
            raise ValueError("等级须按下限从高到低排列，且下限互不相同")
        if mins[-1] != 0:
            raise ValueError("最低等级的下限必须为 0")
        return grades

    @model_validator(mode="after")
    def _consistent(self) -> Scheme:
        codes: set[str] = set()
        for code in [c.code for c in self.walk_criteria()] + [x for leaf in self.leaves for x in _codes_of(leaf)]:
            if code in codes:
                raise ValueError(f"编码 {code} 重复")
            codes.add(code)
        # Every disagreement at once, one located line each (the loader splits the lines).
        problems = subtotal_problems(self.criteria)
        base = sum(leaf.points for leaf in self.leaves)
        if self.total == 0 and not self.monitoring_only:  # grades and bottom line would all repeat it
            raise ValueError("total: 方案总分须大于 0（只有全部为监测指标的监测方案，总分才可以为 0）")
        if self.monitoring_only and self.total != 0:
            problems.append(f"total: 监测方案（全部为监测指标）不计分，总分应为 0 或不写，方案中写 {self.total:g}")
        elif not math.isclose(base, self.total, abs_tol=1e-6):
            problems.append(f"评分细则分值合计 {base:g}，与方案总分 {self.total:g} 不一致")
        problems += [
            f"grades[{i}].min: 等级「{g.name}」的下限 {g.min:g} 分高于方案总分 {self.total:g} 分"
            for i, g in enumerate(self.grades)
            if g.min > self.total + 1e-9
        ]
        line = self.bottom.threshold
        if self.monitoring_only and (line is not None or self.bottom.lowest_n or self.bottom.lowest_pct):
            problems.append("bottom: 监测方案（全部为监测指标）不计分，不能设末位规则")
        elif line is not None and line > self.total + 1e-9:
            problems.append(f"bottom.threshold: 末位线 {line:g} 分高于方案总分 {self.total:g} 分")
        if (
            any(leaf.method == "bonus" for leaf in self.leaves)
            or any(getattr(leaf, "stretch", None) for leaf in self.leaves)
            # a 力争 target only some categories have still earns bonus points
            or any(o.get("stretch") for leaf in self.leaves for o in leaf.variants.values() if isinstance(o, dict))
        ) and self.bonus_cap <= 0:
            problems.append("方案含加分项或力争目标，须设置「加分上限」")
        problems += variant_problems(self.criteria, self.categories)
        problems += tag_problems(self)
        if problems:
            raise ValueError("\n".join(problems))
        return self

    # -- tags -----------------------------------------------------------------------------------
    @property
    def tag_names(self) -> list[str]:
        """Every tag in use or declared: the declared ones in their order, then the others as the
        leaves first use them."""
        names = [t.name for t in self.tags]
        for leaf in self.leaves:
            names += [t for t in leaf.tags if t not in names]
        return names

    def tag_mark(self, tag: str) -> str:
        """The display mark of a tag (★), '' when the scheme declares none."""
        return next((t.mark for t in self.tags if t.name == tag), "")

    def tagged_label(self, leaf: Leaf) -> str:
        """The leaf's name with its tags' marks in front, as published tables print it: ★门诊服务."""
        return "".join(self.tag_mark(t) for t in leaf.tags) + leaf.name

    # -- navigation -----------------------------------------------------------------------------
    def walk_criteria(self) -> list[Criterion]:
        out: list[Criterion] = []

        def visit(c: Criterion) -> None:
            out.append(c)
            for child in c.children:
                visit(child)

        for c in self.criteria:
            visit(c)
        return out

    @property
    def leaves(self) -> list[Leaf]:
        return [leaf for c in self.walk_criteria() for leaf in c.items]

    def leaf(self, code: str) -> Leaf:
        for leaf in self.leaves:
            if leaf.code == code:
                return leaf
        raise KeyError(code)

    def leaf_paths(self) -> dict[str, tuple[Criterion, ...]]:
        """Leaf code -> the criteria above it, top level first (for subtotals and display)."""
        paths: dict[str, tuple[Criterion, ...]] = {}

        def visit(c: Criterion, above: tuple[Criterion, ...]) -> None:
            here = above + (c,)
            for leaf in c.items:
                paths[leaf.code] = here
            for child in c.children:
                visit(child, here)

        for c in self.criteria:
            visit(c, ())
        return paths

    @property
    def monitoring_only(self) -> bool:
        """Every leaf is a 监测指标: nothing is scored, so no totals, grades, ranks or bottom line."""
        return all(leaf.method == "monitor" for leaf in self.leaves)

    @property
    def monitor_leaves(self) -> list[MonitorLeaf]:
        return [leaf for leaf in self.leaves if isinstance(leaf, MonitorLeaf)]

    @property
    def lowest_grade(self) -> str:
        return self.grades[-1].name


def tag_problems(scheme: Scheme) -> list[str]:
    """Located lines for tags a leaf or a rule uses that the scheme does not know, tag rules on
    tags no scoring leaf carries, and rule grades that are not among the scheme's grades."""
    out: list[str] = []
    declared = [t.name for t in scheme.tags]
    twice = sorted({x for x in declared if declared.count(x) > 1})
    if twice:
        out.append(f"tags: 标签重复声明：{'、'.join(twice)}")
    if declared:
        for leaf in scheme.leaves:
            unknown = [t for t in leaf.tags if t not in declared]
            if unknown:
                out.append(f"指标 {leaf.code}「{leaf.name}」的标签「{'、'.join(unknown)}」未在方案的「标签」中声明")
    scored = {t for leaf in scheme.leaves if leaf.method in BASE_METHODS and leaf.points > 0 for t in leaf.tags}
    grades = [g.name for g in scheme.grades]
    for i, rule in enumerate(scheme.tag_rules):
        if rule.tag not in scored:
            out.append(f"tag_rules[{i}].tag: 没有计分的评分细则带标签「{rule.tag}」，无法计算其得分率")
        if rule.grade is not None and rule.grade not in grades:
            out.append(f"tag_rules[{i}].grade: 等级「{rule.grade}」不是本方案的等级（{'、'.join(grades)}）")
    return out


# The single grade of a monitoring-only scheme: it grades nothing, but every results table keeps
# its columns, so pages and exports that read `grade` need not special-case a missing one.
MONITOR_GRADE = "不计分"


def _raw_leaves(criteria: Any) -> list[Any]:
    out: list[Any] = []
    for c in criteria if isinstance(criteria, list) else []:
        if isinstance(c, dict):
            out += list(c.get("items") or []) + _raw_leaves(c.get("children") or [])
        elif isinstance(c, Criterion):
            out += list(c.items) + _raw_leaves(c.children)
    return out


def _raw_monitoring_only(data: dict) -> bool:
    leaves = _raw_leaves(data.get("criteria"))
    method = [x.get("method") if isinstance(x, dict) else getattr(x, "method", None) for x in leaves]
    return bool(method) and all(m == "monitor" for m in method)


def _monitoring_defaults(data: dict) -> dict:
    """A monitoring-only scheme scores nothing: total 0, one grade, no bottom line by default."""
    out = dict(data)
    out.setdefault("total", 0)
    out.setdefault("grades", [Grade(name=MONITOR_GRADE, min=0)])
    bottom = out.get("bottom", {})
    if isinstance(bottom, dict) and "threshold" not in bottom:
        out["bottom"] = {**bottom, "threshold": None}
    return out


def _codes_of(leaf: Leaf) -> list[str]:
    return (
        [leaf.code]
        + [t.code for t in getattr(leaf, "tasks", [])]
        + list(getattr(leaf, "part_codes", []))
        + list(getattr(leaf, "input_codes", []))
    )


# The default grade bands and bottom line, as percentages of the scheme's total (at 100: 90/80/60, 80).
GRADE_SHARES = (("优秀", 90), ("良好", 80), ("合格", 60), ("不合格", 0))
BOTTOM_SHARE = 80


def share_of_total(total: float, percent: float) -> float:
    """`percent` % of `total`, without binary noise (80 % of 115 is 92, not 92.00000000000001)."""
    return round(total * percent / 100, 6)


def default_grades(total: float) -> list[Grade]:
    return [Grade(name=name, min=share_of_total(total, pct)) for name, pct in GRADE_SHARES]


def _bonus_of(leaf: Leaf) -> float:
    """The most bonus a leaf can add: a bonus leaf's cap, a target's stretch points."""
    if leaf.method == "bonus":
        return leaf.cap
    stretch = getattr(leaf, "stretch", None)
    return stretch.points if stretch is not None else 0.0


def subtotal_problems(criteria: list[Criterion], where: str = "criteria", depth: int = 0) -> list[str]:
    """A located line for every criterion whose declared points (or bonus points) disagree with
    the leaves below it, e.g. 「criteria[2].points: 各细则合计 18 分，方案中写 23 分」 (the loader names
    the criterion: 「一级指标「信息报告」的「分值」: …」)."""
    out: list[str] = []
    for i, c in enumerate(criteria):
        path = f"{where}[{i}]"
        leaves = _leaves_below(c)
        base, bonus = sum(leaf.points for leaf in leaves), sum(_bonus_of(leaf) for leaf in leaves)
        if c.points is not None and not math.isclose(base, c.points, abs_tol=1e-6):
            hint = ""
            if c.bonus_points is None and bonus and math.isclose(base + bonus, c.points, abs_tol=1e-6):
                hint = f"（其中 {bonus:g} 分是加分，请写在「加分分值」）"
            out.append(f"{path}.points: 各细则合计 {base:g} 分，方案中写 {c.points:g} 分{hint}")
        if c.bonus_points is not None and not math.isclose(bonus, c.bonus_points, abs_tol=1e-6):
            out.append(f"{path}.bonus_points: 各加分项上限合计 {bonus:g} 分，方案中写加分 {c.bonus_points:g} 分")
        out += subtotal_problems(c.children, f"{path}.children", depth + 1)
    return out


def variant_problems(criteria: list[Criterion], categories: list[str], where: str = "criteria") -> list[str]:
    """A located line for every variant naming a category the scheme does not list."""
    out: list[str] = []
    for i, c in enumerate(criteria):
        for k, leaf in enumerate(c.items):
            for category in leaf.variants:
                if category not in categories:
                    known = f"方案的适用单位类别为：{'、'.join(categories)}" if categories else "方案未设置适用单位类别"
                    out.append(f"{where}[{i}].items[{k}].variants: 单位类别「{category}」不在方案中（{known}）")
        out += variant_problems(c.children, categories, f"{where}[{i}].children")
    return out


def _leaves_below(c: Criterion) -> list[Leaf]:
    return list(c.items) + [leaf for child in c.children for leaf in _leaves_below(child)]
