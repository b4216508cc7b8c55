"""Subsidy settlement (考核结果与补助资金挂钩): how scored results turn into money.

A scheme may carry a `settlement` block in one of three modes:

- `base_times_score`: each unit's base amount × its score rate (total ÷ the scheme's full mark);
- `grade_coefficient`: each unit's base amount × the coefficient of its grade;
- `pool`: a fixed pool shared in proportion to total × weight (e.g. population served), with a
  per-unit floor (保底) and cap (封顶).

Amounts are in yuan to the fen (0.01). Pool shares are computed in exact integer arithmetic and
rounded by the largest-remainder method, so they add up to the pool to the fen. Pure pandas and
numpy, no I/O.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Annotated, Any, Literal

import numpy as np
import pandas as pd
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from scoring.names import SETTLEMENT_MODE_NAMES, field_name

if TYPE_CHECKING:
    from scoring.scheme import Scheme

# scoring.scheme imports this module, and scoring.explain / scoring.methods import scoring.scheme:
# those two are imported where they are used, not at the top.

Mode = Literal["base_times_score", "grade_coefficient", "pool"]
# Attribute columns with a Chinese name for the basis text; others are shown as written.
ATTRIBUTE_NAMES = {"population": "服务人口"}
SETTLE_COLUMNS = ["period", "unit", "total", "grade", "base", "weight", "amount", "amount_fen", "limit", "basis"]

# Scores and weights become integers at these scales, so pool shares are exact rationals.
_SCORE_SCALE = 10**4
_WEIGHT_SCALE = 10**6
_KEYS_BY_MODE = {
    "base_times_score": {"base", "base_attribute", "base_by_category", "allow_above_base"},
    "grade_coefficient": {"base", "base_attribute", "base_by_category", "coefficients"},
    "pool": {"pool", "weight_attribute", "default_weight", "floor", "cap"},
}
_SHARED_KEYS = {"mode", "name", "on_veto"}


class SettlementError(ValueError):
    """Results that cannot be settled as configured (a missing base, an infeasible pool …)."""


def _yuan(v: float | None) -> float | None:
    """Money is configured in whole fen: more than two decimals is a typo, not a fraction of a fen."""
    if v is not None and not math.isclose(round(v, 2), v, rel_tol=0, abs_tol=1e-9):
        raise ValueError("金额最多保留两位小数（精确到分）")
    return v


Yuan = Annotated[float, Field(ge=0), AfterValidator(_yuan)]


class Settlement(BaseModel):
    """The `settlement` block of a scheme. See docs/schemes.md, section 补助资金结算."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    mode: Mode
    name: str = Field(default="补助资金", min_length=1)
    # a vetoed unit: `keep` settles it by its result as it stands (its grade is already the lowest),
    # `zero` pays it nothing (and it takes no share of a pool, nor a floor)
    on_veto: Literal["keep", "zero"] = "keep"
    # base_times_score and grade_coefficient: the base amount of a unit is its attribute, else its
    # category's, else `base`
    base: Yuan | None = None
    base_attribute: str | None = Field(default=None, min_length=1)
    base_by_category: dict[str, Yuan] = {}
    allow_above_base: bool = False  # base_times_score: whether a total above the full mark pays more
    coefficients: dict[str, Annotated[float, Field(ge=0)]] = {}
    # pool
    pool: Annotated[float, Field(gt=0), AfterValidator(_yuan)] | None = None
    weight_attribute: str | None = Field(default=None, min_length=1)
    default_weight: float | None = Field(default=None, ge=0)
    floor: Yuan = 0
    cap: Annotated[float, Field(gt=0), AfterValidator(_yuan)] | None = None

    @model_validator(mode="after")
    def _mode_keys(self) -> Settlement:
        # a key of another mode is a mistake when it says something (a dumped block holds every key at its default)
        unused = set(type(self).model_fields) - _SHARED_KEYS - _KEYS_BY_MODE[self.mode]
        stray = sorted(k for k in unused if getattr(self, k) != type(self).model_fields[k].default)
        if stray:
            unused_names = "、".join(f"「{field_name(k, 'settlement')}」" for k in stray)
            raise ValueError(f"「{SETTLEMENT_MODE_NAMES[self.mode]}」不使用 {unused_names}")
        no_base = self.base is None and self.base_attribute is None and not self.base_by_category
        if self.mode != "pool" and no_base:
            raise ValueError(
                f"「{SETTLEMENT_MODE_NAMES[self.mode]}」需要「基数」、「各类别基数」或「基数取自单位信息」"
            )
        if self.mode == "grade_coefficient" and not self.coefficients:
            raise ValueError("「基数 × 等级系数」需要「各等级系数」")
        if self.mode == "pool":
            if self.pool is None:
                raise ValueError(f"「{SETTLEMENT_MODE_NAMES['pool']}」需要「资金总额」")
            if self.cap is not None and self.cap < self.floor:
                raise ValueError("「封顶」不能小于「保底」")
        return self


def _against_scheme(settlement: Settlement, info: ValidationInfo) -> Settlement:
    """Checks that need the scheme around the block: grade names and categories."""
    grades = [g.name for g in info.data.get("grades") or []]
    categories = info.data.get("categories") or []
    errors: list[InitErrorDetails] = []

    def problem(key: str, text: str) -> None:
        error = PydanticCustomError("settlement", "{text}", {"text": text})  # names may hold braces
        errors.append(InitErrorDetails(type=error, loc=(key,), input=settlement))

    if settlement.coefficients and grades:
        missing = [g for g in grades if g not in settlement.coefficients]
        unknown = [g for g in settlement.coefficients if g not in grades]
        if missing:
            problem("coefficients", f"缺少等级「{'、'.join(missing)}」的系数")
        if unknown:
            problem("coefficients", f"等级「{'、'.join(unknown)}」不在方案的等级中（{'、'.join(grades)}）")
    if settlement.base_by_category and categories:
        unknown = [c for c in settlement.base_by_category if c not in categories]
        if unknown:
            problem("base_by_category", f"类别「{'、'.join(unknown)}」不在方案适用的类别中（{'、'.join(categories)}）")
    if errors:
        # A ValidationError raised here keeps its key path under `settlement` (settlement.coefficients).
        raise ValidationError.from_exception_data("Settlement", errors)
    return settlement


SchemeSettlement = Annotated[Settlement, AfterValidator(_against_scheme)]


# -- settling ----------------------------------------------------------------------------------
def _fmt(x: float, decimals: int = 2) -> str:
    from scoring.explain import fmt as display

    return display(x, decimals)


def _money(fen: int) -> str:
    return f"{fen / 100:,.2f}"


def _attribute_table(attributes: pd.DataFrame | None) -> pd.DataFrame:
    """Attributes indexed by unit code: a `unit` or `code` column, else the index as it is."""
    if attributes is None:
        return pd.DataFrame()
    for key in ("unit", "code"):
        if key in attributes.columns:
            return attributes.assign(**{key: attributes[key].astype(str)}).set_index(key)
    return attributes.set_axis(attributes.index.astype(str))


def _attribute(table: pd.DataFrame, column: str, units: list[str]) -> np.ndarray:
    """Float values of one attribute for `units` (NaN where blank or unknown)."""
    if column not in table.columns:
        raise SettlementError(f"单位信息中没有「{column}」列，无法结算")
    values = pd.to_numeric(table[column], errors="coerce").astype(float)
    values = values[~values.index.duplicated(keep="last")]
    return values.reindex(units).to_numpy(dtype=float)


def _name_list(units: list[str], limit: int = 10) -> str:
    head = "、".join(units[:limit])
    return head + (f" 等 {len(units)} 个单位" if len(units) > limit else "")


def _bases(s: Settlement, rows: pd.DataFrame, table: pd.DataFrame) -> np.ndarray:
    units = rows["unit"].astype(str).tolist()
    base = np.full(len(rows), np.nan if s.base is None else s.base)
    if s.base_by_category:
        by_cat = rows["category"].astype(str).map(s.base_by_category).to_numpy(dtype=float)
        base = np.where(np.isnan(by_cat), base, by_cat)
    if s.base_attribute is not None:
        own = _attribute(table, s.base_attribute, units)
        if (own[~np.isnan(own)] < 0).any():
            raise SettlementError(f"单位信息「{s.base_attribute}」（基数）不能为负数")
        base = np.where(np.isnan(own), base, own)
    missing = [u for u, b in zip(units, base) if np.isnan(b)]
    if missing:
        raise SettlementError(f"以下单位没有结算基数：{_name_list(missing)}")
    return base


def _veto_text(row: Any) -> str:
    reason = str(row.get("veto_reason", "") or "")
    return f"一票否决（{reason}）" if reason else "一票否决"


def _settle_scaled(s: Settlement, rows: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    """base_times_score and grade_coefficient: each unit on its own, rounded half up to the fen."""
    from scoring.methods import round_half_up

    base = _bases(s, rows, table)
    zero = rows["veto"].to_numpy(dtype=bool) & (s.on_veto == "zero")
    grades = rows["grade"].astype(str).to_numpy()
    if s.mode == "base_times_score":
        rate = rows["score_rate"].to_numpy(dtype=float)
        factor = rate if s.allow_above_base else np.minimum(rate, 1.0)
    else:
        unknown = sorted({g for g in grades if g not in s.coefficients})
        if unknown:
            raise SettlementError(f"等级「{'、'.join(unknown)}」没有设置系数")
        factor = np.array([s.coefficients[g] for g in grades], dtype=float)
    fen = np.where(zero, 0, round_half_up(base * factor * 100, 0)).astype(np.int64)
    basis = []
    for i, row in enumerate(rows.to_dict("records")):
        if zero[i]:
            basis.append(f"{_veto_text(row)}，不予拨付")
            continue
        head = f"{_veto_text(row)}；" if row["veto"] else ""
        b = _money(round(base[i] * 100))
        if s.mode == "base_times_score":
            rate = row["score_rate"]
            capped = "（得分超过满分，按 100% 计）" if factor[i] < rate else ""
            text = f"基数 {b} 元 × 得分率 {_fmt(rate * 100, 2)}%{capped} = {_money(fen[i])} 元"
        else:
            lowest = "（一票否决定为最低等级）" if row["veto"] else ""
            text = f"基数 {b} 元 × 等级「{grades[i]}」{lowest}系数 {_fmt(factor[i], 4)} = {_money(fen[i])} 元"
        basis.append(head + text)
    return rows.assign(base=base, weight=np.nan, amount_fen=fen, limit=np.where(zero, "否决", ""), basis=basis)


def _share_pool(
    pool: int, shares: list[int], floor: int, cap: int | None, active: list[bool]
) -> tuple[list[int], list[str], int, int]:
    """Fen for each unit: `pool` shared ∝ `shares`, each active unit kept within [floor, cap].

    Exact: x_i = R·s_i/S over the units not held at a bound, where R is what the held units leave.
    Each round holds only the side that must hold in the final answer: if the units pushed below
    the floor need more than the units above the cap give back, the final proportion is lower, so
    the units below the floor stay there (and the other way round; both when they balance).
    Returns (fen, limit per unit, R, S) — R and S of the final round, for the basis text.
    """
    n = len(shares)
    state = ["free" if a else "out" for a in active]
    while True:
        free = [i for i in range(n) if state[i] == "free"]
        held = sum(floor if state[i] == "floor" else cap for i in range(n) if state[i] in ("floor", "cap"))
        rest, total = pool - held, sum(shares[i] for i in free)
        if not free:
            break
        if total == 0:
            if rest == floor * len(free):
                for i in free:
                    state[i] = "floor"
                continue
            raise SettlementError("参与分配单位的得分 × 权重全部为 0，无法按比例分配资金池")
        below = [i for i in free if rest * shares[i] < floor * total]
        above = [i for i in free if cap is not None and rest * shares[i] > cap * total]
        under = sum(floor * total - rest * shares[i] for i in below)
        over = sum(rest * shares[i] - cap * total for i in above) if cap is not None else 0
        if not below and not above:
            break
        if under >= over:
            for i in below:
                state[i] = "floor"
        if over >= under:
            for i in above:
                state[i] = "cap"
    fen = [0] * n
    remainders: list[tuple[int, int]] = []
    for i in range(n):
        if state[i] == "floor":
            fen[i] = floor
        elif state[i] == "cap":
            fen[i] = cap or 0
        elif state[i] == "free":
            fen[i], r = divmod(rest * shares[i], total)
            remainders.append((r, i))
    # Largest remainder: the fen left after flooring go to the largest fractional parts (ties: unit order).
    left = pool - sum(fen)
    for _, i in sorted(remainders, key=lambda x: (-x[0], x[1]))[:left]:
        fen[i] += 1
    if sum(fen) != pool:  # cannot happen once feasibility is checked; never pay a wrong total silently
        raise SettlementError(f"资金池分配未能平衡（差 {_money(pool - sum(fen))} 元），请检查保底和封顶设置")
    return fen, state, rest, total


def _settle_pool(s: Settlement, rows: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    units = rows["unit"].astype(str).tolist()
    totals = rows["total"].to_numpy(dtype=float)
    vetoed = rows["veto"].to_numpy(dtype=bool)
    active = ~(vetoed & (s.on_veto == "zero"))
    if s.weight_attribute is None:
        weight = np.ones(len(rows))
    else:
        weight = _attribute(table, s.weight_attribute, units)
        if s.default_weight is not None:
            weight = np.where(np.isnan(weight), s.default_weight, weight)
        missing = [u for u, w, a in zip(units, weight, active) if a and np.isnan(w)]
        if missing:
            raise SettlementError(f"以下单位缺少「{s.weight_attribute}」，无法按权重分配：{_name_list(missing)}")
        if (weight[active] < 0).any():
            raise SettlementError(f"单位信息「{s.weight_attribute}」（权重）不能为负数")
    pool, floor = round(s.pool * 100), round(s.floor * 100)
    cap = None if s.cap is None else round(s.cap * 100)
    n_active = int(active.sum())
    if n_active == 0:
        raise SettlementError("没有可参与资金池分配的单位")
    if floor * n_active > pool:
        raise SettlementError(
            f"资金池 {_money(pool)} 元不足以保证 {n_active} 个单位各保底 {_money(floor)} 元（需 {_money(floor * n_active)} 元）"
        )
    if cap is not None and cap * n_active < pool:
        raise SettlementError(
            f"{n_active} 个单位各封顶 {_money(cap)} 元，合计 {_money(cap * n_active)} 元，分不完资金池 {_money(pool)} 元"
        )
    shares = [
        0 if not a else round(t * _SCORE_SCALE) * round(w * _WEIGHT_SCALE)
        for t, w, a in zip(totals, np.nan_to_num(weight), active)
    ]
    # A unit whose score × weight is 0 gets the floor and nothing more, so only the others can absorb the rest.
    positive = sum(x > 0 for x in shares)
    if positive == 0 and pool != floor * n_active:
        raise SettlementError("参与分配单位的得分 × 权重全部为 0，无法按比例分配资金池")
    if cap is not None and cap * positive + floor * (n_active - positive) < pool:
        raise SettlementError(
            f"得分 × 权重大于 0 的 {positive} 个单位封顶合计 {_money(cap * positive)} 元，其余 {n_active - positive} 个单位"
            f"只能得保底，分不完资金池 {_money(pool)} 元"
        )
    fen, state, rest, total = _share_pool(pool, shares, floor, cap, active.tolist())
    label = ATTRIBUTE_NAMES.get(s.weight_attribute or "", s.weight_attribute or "")
    n_free = state.count("free")
    basis = []
    for i, row in enumerate(rows.to_dict("records")):
        head = f"{_veto_text(row)}；" if vetoed[i] and active[i] else ""
        product = f"得分 {_fmt(totals[i], 4)}" + (f" × {label} {_fmt(weight[i], 6)}" if label else "")
        ideal = f"{rest * shares[i] / total / 100:,.2f}" if total else "0.00"
        if state[i] == "out":
            basis.append(f"{_veto_text(row)}，不参与资金池分配")
        elif state[i] == "floor":
            basis.append(f"{head}{product}，按同一分配比例应得 {ideal} 元，低于保底，按保底 {_money(floor)} 元")
        elif state[i] == "cap":
            basis.append(f"{head}{product}，按同一分配比例应得 {ideal} 元，超过封顶，按封顶 {_money(cap or 0)} 元")
        else:
            pct = _fmt(shares[i] / total * 100, 4)
            where = "资金池" if n_free == n_active else "扣除保底、封顶单位后的资金"
            basis.append(
                f"{head}{product}，占 {n_free} 个单位合计的 {pct}%，{where} {_money(rest)} 元 × {pct}% = {_money(fen[i])} 元"
            )
    limits = np.array([{"floor": "保底", "cap": "封顶", "out": "否决"}.get(st, "") for st in state], dtype=object)
    return rows.assign(base=np.nan, weight=weight, amount_fen=np.array(fen, dtype=np.int64), limit=limits, basis=basis)


def settle(settlement: Settlement, units: pd.DataFrame, attributes: pd.DataFrame | None = None) -> pd.DataFrame:
    """Amounts for scored units (`Results.units` rows; a pool is shared within each period).

    `attributes`: per-unit data keyed by a `unit` or `code` column (else the index), holding the
    columns named by `base_attribute` / `weight_attribute` (e.g. the unit register's population).
    Returns SETTLE_COLUMNS: period, unit, total, grade, base, weight, amount (yuan, 2 decimals),
    amount_fen (int), limit (保底 / 封顶 / 否决 / ''), basis (the computation in Chinese).
    Raises SettlementError when the results cannot be settled as configured.
    """
    table = _attribute_table(attributes)
    need = {"unit", "total", "grade", "veto"} | ({"score_rate"} if settlement.mode == "base_times_score" else set())
    if settlement.base_by_category:
        need.add("category")
    missing = need - set(units.columns)
    if missing:
        raise ValueError(f"units is missing columns: {sorted(missing)}")
    rows = units.assign(
        period=units["period"].astype(str) if "period" in units.columns else "",
        unit=units["unit"].astype(str),
        grade=units["grade"].astype(str),
    ).reset_index(drop=True)
    if settlement.mode == "pool":
        parts = [_settle_pool(settlement, group, table) for _, group in rows.groupby("period", sort=True)]
    else:
        parts = [_settle_scaled(settlement, rows, table)] if len(rows) else []
    if not parts:
        return pd.DataFrame(
            {
                c: pd.Series(dtype=float if c in ("total", "base", "weight", "amount") else object)
                for c in SETTLE_COLUMNS
            }
        )
    out = pd.concat(parts, ignore_index=True)
    out["amount"] = out["amount_fen"] / 100
    return out[SETTLE_COLUMNS].sort_values(["period", "unit"], kind="stable").reset_index(drop=True)


def describe(settlement: Settlement) -> str:
    """The rule in one Chinese sentence, for the bulletin's 说明 and 资金 sheets."""
    s = settlement
    veto = "一票否决的单位不予拨付" if s.on_veto == "zero" else "一票否决的单位按其结果结算"
    if s.mode == "pool":
        weight = ATTRIBUTE_NAMES.get(s.weight_attribute or "", s.weight_attribute or "")
        by = f"得分 × {weight}" if weight else "得分"
        bounds = ""
        if s.floor:
            bounds += f"，每个单位保底 {_money(round(s.floor * 100))} 元"
        if s.cap is not None:
            bounds += f"，封顶 {_money(round(s.cap * 100))} 元"
        pool = _money(round(s.pool * 100))
        return f"资金池 {pool} 元按{by}的比例分配{bounds}；尾差按最大余数法分配，合计与资金池一致到分；{veto}。"
    sources = []
    if s.base_attribute:
        sources.append(f"单位的「{s.base_attribute}」")
    if s.base_by_category:
        sources.append(
            "所属类别的基数（"
            + "，".join(f"{k} {_money(round(v * 100))} 元" for k, v in s.base_by_category.items())
            + "）"
        )
    if s.base is not None:
        sources.append(f"统一基数 {_money(round(s.base * 100))} 元")
    base = "基数取" + "，没有时取".join(sources)
    if s.mode == "base_times_score":
        above = "得分超过满分时按实际得分率计" if s.allow_above_base else "得分超过满分时按 100% 计"
        return f"{base}；金额 = 基数 × 得分率（得分 ÷ 满分），{above}，四舍五入到分；{veto}。"
    coef = "，".join(f"{g} {_fmt(c, 4)}" for g, c in s.coefficients.items())
    return f"{base}；金额 = 基数 × 等级系数（{coef}），四舍五入到分；{veto}。"


# -- what if -----------------------------------------------------------------------------------
WHAT_IF_COLUMNS = [
    "period", "unit", "category",
    "total_before", "total_after", "delta_total",
    "rank_before", "rank_after", "delta_rank",
    "grade_before", "grade_after",
    "bottom_before", "bottom_after",
    "amount_before", "amount_after", "delta_amount",
]  # fmt: skip


def _amounts(scheme: Scheme, units: pd.DataFrame, attributes: pd.DataFrame | None) -> pd.Series:
    if scheme.settlement is None:
        return pd.Series(
            np.nan, index=pd.MultiIndex.from_arrays([units["period"].astype(str), units["unit"].astype(str)])
        )
    frame = settle(scheme.settlement, units, attributes)
    return frame.set_index(["period", "unit"])["amount"]


def what_if(
    before: Scheme,
    after: Scheme,
    values: pd.DataFrame,
    *,
    categories: pd.Series | None = None,
    attributes: pd.DataFrame | None = None,
    history: pd.DataFrame | None = None,
    figures: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Every unit's score, rank, grade and amount under `before` and under `after`, side by side.

    `history` (baseline values of leaves scored on change) and `figures` (register figures of
    computed indicators) are passed to both scorings, as `score` takes them. When any unit has
    从总分扣分 on either side, `deducted_before` / `deducted_after` follow the columns.

    `after` is `before` with changed points, targets, coefficients or settlement; nothing is
    stored. Raises ScoringInputError if `values` do not fit `after`, SettlementError if the
    results cannot be settled. Δ rank is positive when a unit moves up.
    """
    from scoring.engine import score

    extra = {"categories": categories, "history": history, "figures": figures}
    first = score(before, values, **extra).units
    same_rules = before.model_copy(update={"settlement": None}) == after.model_copy(update={"settlement": None})
    second = first if same_rules else score(after, values, **extra).units
    key = ["period", "unit"]
    cols = ["total", "rank", "grade", "bottom"]

    def side(units: pd.DataFrame, scheme: Scheme, suffix: str) -> pd.DataFrame:
        frame = units.assign(period=units["period"].astype(str), unit=units["unit"].astype(str))
        frame = frame.assign(grade=frame["grade"].astype(str), category=frame["category"].astype(str))
        amounts = _amounts(scheme, units, attributes)
        frame = frame.set_index(key)[["category", *cols]].assign(amount=amounts)
        return frame.rename(columns={c: f"{c}_{suffix}" for c in [*cols, "amount"]})

    left = side(first, before, "before")
    right = side(second, after, "after").drop(columns="category")
    out = left.join(right, how="outer").reset_index()
    out["delta_total"] = out["total_after"] - out["total_before"]
    out["delta_rank"] = out["rank_before"] - out["rank_after"]
    out["delta_amount"] = out["amount_after"] - out["amount_before"]
    extra = []
    if any(_deducts(u) for u in (first, second)):
        # 从总分扣分 is a part of the totals compared: shown beside them when any unit has one
        for units, suffix in ((first, "before"), (second, "after")):
            taken = units.assign(period=units["period"].astype(str), unit=units["unit"].astype(str)).set_index(key)
            out[f"deducted_{suffix}"] = taken["deducted"].reindex(pd.MultiIndex.from_frame(out[key])).to_numpy()
            extra.append(f"deducted_{suffix}")
    return out[WHAT_IF_COLUMNS + extra].sort_values(key, kind="stable").reset_index(drop=True)


def _deducts(units: pd.DataFrame) -> bool:
    return "deducted" in units.columns and bool((units["deducted"].fillna(0) > 1e-9).any())
