"""The monthly bulletin (月通报) of one period, as plain data, and its summary paragraph.

`build_bulletin` gathers what the meeting view and the Excel bulletin show: headline figures, the
ranking, the red list (below the bottom line or vetoed), movers, unmet targets and what changed
since the period before. `summary_text` writes the paragraph read out at the meeting.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from reports import numbers
from reports.criteria import unmet_targets
from reports.overview import Headline, headline, movers, ordered, rank_arrow
from reports.tags import empty_rates, empty_rules, tag_rates
from reports.unit import with_award_status
from scoring import Results, Scheme, fmt
from scoring.explain import fmt_many
from scoring.periods import period_name, period_type
from scoring.ranking import with_changes
from scoring.scheme import BottomRule

RANKING_COLUMNS = [
    "rank", "rank_overall", "group_size", "unit", "name", "category", "total", "grade",
    "prev_total", "delta_total", "prev_rank", "delta_rank", "arrow", "bottom", "bottom_reason",
    "veto", "veto_reason", "consequence", "unmet_targets", "gap_bottom_line", "award_eligible", "award_reason",
]  # fmt: skip
# Parts of the total listed only by schemes that have them: 从总分扣分 (points off the total).
OPTIONAL_RANKING_COLUMNS = ["deducted"]
RED_COLUMNS = ["unit", "name", "category", "total", "grade", "rank", "kind", "reason", "consequence"]
MOVER_COLUMNS = ["unit", "name", "category", "prev_total", "total", "delta_total", "prev_rank", "rank", "arrow"]
UNMET_COLUMNS = ["unit", "name", "leaf", "leaf_name", "actual", "target", "measure", "direction", "decimals", "lost"]
# 申诉处理情况: one row per objection of the period (services.objections.objection_summary)
OBJECTION_COLUMNS = ["unit", "name", "item", "reason", "status", "outcome"]
NAMES_IN_SUMMARY = 10  # longer lists end in 等
STAFF_CATEGORIES = {"职工"}  # peer groups of people: the summary counts 名职工, not 个单位


@dataclass(frozen=True)
class Changes:
    """Unit codes whose status changed since the previous period (empty without one)."""

    newly_below: list[str] = field(default_factory=list)
    recovered: list[str] = field(default_factory=list)
    newly_vetoed: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Bulletin:
    scheme_id: str
    scheme_name: str
    scheme_version: str
    period: str
    previous_period: str | None
    headline: Headline
    ranking: pd.DataFrame  # RANKING_COLUMNS (+ OPTIONAL_RANKING_COLUMNS present), in ranking order
    red_list: pd.DataFrame  # RED_COLUMNS: vetoed first, then lowest total first
    movers_up: pd.DataFrame  # MOVER_COLUMNS
    movers_down: pd.DataFrame
    unmet: pd.DataFrame  # UNMET_COLUMNS, one row per unit and unmet target, in ranking order
    unmet_by_unit: pd.DataFrame  # unit, name, count, indicators (one line of text)
    changes: Changes
    names: Mapping[str, str]  # unit code -> display name (codes without one show as themselves)
    bottom_rule: BottomRule
    target_leaves: int  # how many target leaves the scheme has (0: no "targets met" sentence)
    decimals: int
    # False for a quarter or year rolled up from months: no leaves, so `unmet` is empty although
    # targets were missed (unmet_count then counts the months' 未达标指标).
    leaf_detail: bool = True
    # 申诉处理情况 (OBJECTION_COLUMNS); filled in by whoever reads them from the database.
    objections: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=OBJECTION_COLUMNS))
    rectification: RectificationSummary | None = None  # 整改落实情况 (services.rectification)
    # 标签得分率 (reports.tags): per unit and tag in ranking order, and what the tag rules did;
    # empty for a scheme without tags and for a roll-up (no leaves)
    tag_rates: pd.DataFrame = field(default_factory=empty_rates)
    tag_rules: pd.DataFrame = field(default_factory=empty_rules)

    @property
    def deducts_from_total(self) -> bool:
        """Whether any unit lost points 从总分扣分 (then the exports list them in a column)."""
        r = self.ranking
        return "deducted" in r.columns and bool((r["deducted"].fillna(0) > 1e-9).any())

    @property
    def threshold(self) -> float | None:
        return self.bottom_rule.threshold

    @property
    def bottom_only_threshold(self) -> bool:
        """The bottom rule is just "below the threshold" (no lowest N or lowest X%)."""
        r = self.bottom_rule
        return r.threshold is not None and r.lowest_n is None and r.lowest_pct is None

    @property
    def has_bottom_rule(self) -> bool:
        r = self.bottom_rule
        return r.threshold is not None or r.lowest_n is not None or r.lowest_pct is not None

    @property
    def period_name(self) -> str:
        return period_name(self.period)

    def name(self, unit: str) -> str:
        return self.names.get(unit, unit)


def _period_before(label: str) -> str | None:
    """The period right before: 2025-01 → 2024-12, 2025-Q1 → 2024-Q4, 2025 → 2024."""
    kind = period_type(label)
    year = int(label[:4]) if kind else 0
    if kind == "month":
        month = int(label[5:])
        return f"{year - 1}-12" if month == 1 else f"{year}-{month - 1:02d}"
    if kind == "quarter":
        q = int(label[-1])
        return f"{year - 1}-Q4" if q == 1 else f"{year}-Q{q - 1}"
    return str(year - 1) if kind == "year" else None


def _named(frame: pd.DataFrame, names: Mapping[str, str]) -> pd.DataFrame:
    units = frame["unit"].astype(str)
    return frame.assign(unit=units, name=[names.get(u, u) for u in units.tolist()])


def _text(series: pd.Series) -> pd.Series:
    return series.astype(object).where(series.notna(), "").astype(str)


def _veto_consequence(grade: str) -> str:
    return f"评为{grade}，取消评先评优资格"


def _red_list(rows: pd.DataFrame) -> pd.DataFrame:
    red = rows[rows["veto"] | rows["bottom"]]
    kinds, reasons, consequences = [], [], []
    # Only the columns read, as lists (itertuples boxes all forty cells of every row).
    read = ("veto", "veto_reason", "grade", "bottom", "bottom_reason", "consequence")
    for veto, veto_reason, grade, bottom, bottom_reason, said in zip(*(red[c].tolist() for c in read), strict=True):
        kind, reason, consequence = [], [], []
        if veto:
            kind.append("一票否决")
            reason.append(str(veto_reason))
            consequence.append(_veto_consequence(str(grade)))
        if bottom:
            kind.append("末位")
            reason.append(str(bottom_reason))
            if str(said):
                consequence.append(str(said))
        kinds.append("、".join(kind))
        reasons.append("；".join(x for x in reason if x))
        consequences.append("；".join(consequence))
    red = red.assign(kind=kinds, reason=reasons, consequence=consequences)
    red = red.sort_values(["veto", "total", "unit"], ascending=[False, True, True], kind="stable")
    return red[RED_COLUMNS].reset_index(drop=True)


def _unmet(results: Results, period: str, order: list[str], names: Mapping[str, str]) -> pd.DataFrame:
    leaves = results.leaves
    # Compared as a categorical (one label, not 1.6M texts); usually every row is of `period`.
    same = (leaves["period"] == period).to_numpy(dtype=bool)
    rows = unmet_targets(leaves if same.all() else leaves[same], results.scheme)
    decimals = {leaf.code: leaf.decimals for leaf in results.scheme.leaves if leaf.method == "target"}
    rank = {u: i for i, u in enumerate(order)}
    rows = rows.assign(decimals=rows["leaf"].map(decimals).astype("Int64"), _order=rows["unit"].map(rank))
    rows = rows.sort_values(["_order", "leaf"], kind="stable")
    return _named(rows, names)[UNMET_COLUMNS].reset_index(drop=True)


def _cmp(direction: str) -> str:
    return "≥" if direction == "higher" else "≤"


def _unmet_by_unit(unmet: pd.DataFrame) -> pd.DataFrame:
    if unmet.empty:
        return pd.DataFrame({"unit": [], "name": [], "count": [], "indicators": []}, dtype=object)
    # numbers spelled per number of decimals in one pass each (a province has 400,000 such lines)
    actual = np.empty(len(unmet), dtype=object)
    target = np.empty(len(unmet), dtype=object)
    decimals = unmet["decimals"].to_numpy(dtype=int)
    for d in np.unique(decimals):
        at = decimals == d
        actual[at] = fmt_many(unmet["actual"].to_numpy(dtype=float)[at], int(d))
        target[at] = fmt_many(unmet["target"].to_numpy(dtype=float)[at], int(d))
    # Python lists: iterating the columns themselves boxes every cell (2 s at 40,000 units).
    leaf_names, measures, directions = (unmet[c].tolist() for c in ("leaf_name", "measure", "direction"))
    lines = [
        f"{name}（实际 {a}{m}，目标 {_cmp(direction)} {t}{m}）"
        for name, a, t, m, direction in zip(leaf_names, actual, target, measures, directions, strict=True)
    ]
    # One row per (unit, name) in order of first appearance, its lines in their order, as a
    # groupby(sort=False) gives, but joined from slices of one list (a Python aggregation per
    # group took a second at 40,000 units).
    unit_code, units = pd.factorize(unmet["unit"])
    name_code, _ = pd.factorize(unmet["name"])
    key, _ = pd.factorize(unit_code.astype(np.int64) * (len(units) + 1) + name_code)
    order = np.argsort(key, kind="stable")
    ordered = [lines[i] for i in order.tolist()]
    starts = np.flatnonzero(np.r_[True, np.diff(key[order]) != 0])
    ends = np.r_[starts[1:], len(order)]
    first = order[starts]
    return pd.DataFrame(
        {
            "unit": unmet["unit"].to_numpy()[first],
            "name": unmet["name"].to_numpy()[first],
            "count": ends - starts,
            "indicators": ["；".join(ordered[s:e]) for s, e in zip(starts.tolist(), ends.tolist(), strict=True)],
        }
    )


def _changes(now: pd.DataFrame, before: pd.DataFrame | None) -> Changes:
    if before is None or before.empty:
        return Changes()
    prev = before.assign(unit=before["unit"].astype(str)).set_index("unit")
    was_bottom = now["unit"].map(prev["bottom"]).fillna(False).astype(bool)
    was_veto = now["unit"].map(prev["veto"]).fillna(False).astype(bool)
    known = now["unit"].isin(prev.index)
    pick = lambda mask: now.loc[mask, "unit"].tolist()  # noqa: E731
    return Changes(
        newly_below=pick(now["bottom"] & ~was_bottom),
        recovered=pick(known & was_bottom & ~now["bottom"]),
        newly_vetoed=pick(now["veto"] & ~was_veto),
    )


def build_bulletin(
    results: Results,
    period: str,
    names: Mapping[str, str],
    previous: pd.DataFrame | None = None,
    movers_n: int = 5,
) -> Bulletin:
    """The bulletin of `period` from scored results.

    The period before is the latest earlier period found in `results.units` or in `previous`
    (an earlier `Results.units`); changes, movers and the change of the mean are measured
    against it. Without one, the changes the engine computed (`score(..., previous=...)`) are
    kept but the status changes (newly below the line …) are empty; without either, all are.
    """
    scheme: Scheme = results.scheme
    all_units = results.units.assign(period=results.units["period"].astype(str))
    if previous is not None:
        older = previous.assign(period=previous["period"].astype(str))
        all_units = pd.concat([older[~older["period"].isin(all_units["period"])], all_units], ignore_index=True)
    now = all_units[all_units["period"] == period]
    if now.empty:
        raise ValueError(f"没有 {period_name(period)}（{period}）的考核结果")
    earlier = sorted(p for p in all_units["period"].unique() if p < period)
    prev_label = earlier[-1] if earlier else None
    before = all_units[all_units["period"] == prev_label] if prev_label else None
    if before is not None:
        now = with_changes(now, before)
    elif "prev_total" in now.columns and now["prev_total"].notna().any():
        # scored with `previous=` (as the results service does): keep the engine's changes, which
        # are measured against the period right before; which units were flagged then is unknown
        prev_label = _period_before(period)
    now = _named(now, names)
    ranked = ordered(now).reset_index(drop=True)
    ranked["arrow"] = [rank_arrow(d) for d in ranked["delta_rank"]]
    ranked["delta_total"] = ranked["delta_total"].round(scheme.decimals)  # 93.95 - 88.33 is 5.620000000000005
    for col in ("bottom_reason", "veto_reason", "consequence", "award_reason", "grade", "category"):
        ranked[col] = _text(ranked[col])
    ranked = with_award_status(ranked)  # 末位 or vetoed: never listed as eligible for 评先评优
    up, down = movers(ranked, movers_n)
    unmet = _unmet(results, period, ranked["unit"].tolist(), names)
    rates, rules = tag_rates(getattr(results, "tags", None), scheme, period, ranked["unit"].tolist(), names)
    return Bulletin(
        scheme_id=scheme.id,
        scheme_name=scheme.name,
        scheme_version=scheme.version,
        period=period,
        previous_period=prev_label,
        headline=headline(now),
        ranking=ranked[RANKING_COLUMNS + [c for c in OPTIONAL_RANKING_COLUMNS if c in ranked.columns]],
        red_list=_red_list(ranked),
        movers_up=up[MOVER_COLUMNS].reset_index(drop=True),
        movers_down=down[MOVER_COLUMNS].reset_index(drop=True),
        unmet=unmet,
        unmet_by_unit=_unmet_by_unit(unmet),
        changes=_changes(ranked, before),
        names=dict(names),
        bottom_rule=scheme.bottom,
        target_leaves=sum(leaf.method == "target" for leaf in scheme.leaves),
        decimals=scheme.decimals,
        leaf_detail=len(results.leaves) > 0,
        tag_rates=rates,
        tag_rules=rules,
    )


# -- the summary paragraph ---------------------------------------------------------------------
def _who(b: Bulletin) -> tuple[str, str]:
    """Measure word and noun for the assessed: ('名', '职工') for staff, else ('个', '单位')."""
    categories = set(b.ranking["category"])
    return ("名", "职工") if categories and categories <= STAFF_CATEGORIES else ("个", "单位")


def _count(b: Bulletin, n: int) -> str:
    word, noun = _who(b)
    return f"{n} {word}{noun}"


def _list(names: list[str]) -> str:
    head = "、".join(names[:NAMES_IN_SUMMARY])
    return head + ("等" if len(names) > NAMES_IN_SUMMARY else "")


def _compared_with(b: Bulletin) -> str:
    """'上月' when the previous period is the one right before, else its name ('2025年5月')."""
    if b.previous_period is None:
        return ""
    if b.previous_period == _period_before(b.period):
        return {"month": "上月", "quarter": "上季度", "year": "上年"}[period_type(b.period) or "month"]
    return period_name(b.previous_period)


def mean_clause(b: Bulletin) -> str:
    """'平均 89.18 分，较上月降低 0.63 分': to the scheme's decimals, as the 平均分 card beside the
    summary shows it (never 89.2 / 0.6 next to 89.18 / -0.63)."""
    h, d = b.headline, b.decimals
    text = f"平均 {numbers.points(h.mean, d)} 分"
    if h.mean_change is None or math.isnan(h.mean_change):
        return text
    shown = numbers.change(abs(h.mean_change), d)
    if float(shown.replace(",", "")) == 0:  # what rounds to 0.00 reads as 持平, as the card's 0.00
        return f"{text}，与{_compared_with(b)}持平"
    word = "提高" if h.mean_change > 0 else "降低"
    return f"{text}，较{_compared_with(b)}{word} {shown.lstrip('+')} 分"


def _line(b: Bulletin) -> str:
    return f"{fmt(b.threshold)} 分" if b.threshold is not None else ""


def _bottom_clause(b: Bulletin) -> str:
    flagged = b.ranking[b.ranking["bottom"]]
    if b.bottom_only_threshold:
        if flagged.empty:
            return f"无{_who(b)[1]}低于 {_line(b)}"
        return f"{_count(b, len(flagged))}低于 {_line(b)}：{_list(flagged['name'].tolist())}"
    if flagged.empty:
        return f"无{_who(b)[1]}列入末位"
    named = [f"{n}（{r}）" if r else n for n, r in zip(flagged["name"], flagged["bottom_reason"])]
    return f"{_count(b, len(flagged))}列入末位：{_list(named)}"


def _veto_clause(b: Bulletin) -> str:
    vetoed = b.ranking[b.ranking["veto"]]
    if vetoed.empty:
        return "未发生一票否决事项"
    named = [f"{n}（{r}）" if r else n for n, r in zip(vetoed["name"], vetoed["veto_reason"])]
    return f"{_count(b, len(vetoed))}被一票否决：{_list(named)}"


def _changes_sentence(b: Bulletin) -> str:
    c = b.changes
    names = [b.name(u) for u in c.newly_below], [b.name(u) for u in c.recovered], [b.name(u) for u in c.newly_vetoed]
    below_word, recovered_word = (
        (f"新低于 {_line(b)}", f"不再低于 {_line(b)}") if b.bottom_only_threshold else ("新列入末位", "退出末位")
    )
    parts = [f"{_list(group)}{word}" for group, word in zip(names, (below_word, recovered_word, "被一票否决")) if group]
    if not parts:
        return ""
    return f"与{_compared_with(b)}相比，" + "；".join(parts) + "。"


def summary_text(bulletin: Bulletin) -> str:
    """A short Chinese paragraph for the meeting, written from the bulletin's data.

    e.g. "2025年8月共考核 8 个单位，平均 89.18 分，较上月提高 1.20 分；无单位低于 80 分；1 个单位被
    一票否决：文昌街道社区卫生服务中心（发生重大医疗安全事故）。与上月相比，……。共有 5 项目标未达标，涉及 3 个单位。"
    """
    b = bulletin
    h = b.headline
    if h.assessed == 0:
        return f"{b.period_name}没有考核结果。"
    clauses = [f"{b.period_name}共考核 {_count(b, h.assessed)}，{mean_clause(b)}"]
    if b.has_bottom_rule:
        clauses.append(_bottom_clause(b))
    clauses.append(_veto_clause(b))
    text = "；".join(clauses) + "。" + _changes_sentence(b)
    text += unmet_sentence(b)
    if len(b.objections):
        text += f"公示期间{objection_counts(b.objections)}。"
    if b.rectification is not None:
        text += b.rectification.sentence
    return text


def unmet_count(b: Bulletin) -> int:
    """The count of unmet targets the page's card shows beside the summary, and the summary says.

    A native period counts its unmet target leaves (`b.unmet`, the rows listed below the
    summary); a quarter or year has no leaves, so it counts what its months counted (the
    headline's 未达标指标, targets and checklists of every month) — never 0 because the detail
    is missing, which once printed 「各单位目标均已达标」 beside 「未达标指标 33」.
    """
    return len(b.unmet) if b.leaf_detail else b.headline.unmet_targets


def unmet_sentence(b: Bulletin) -> str:
    """'共有 22 项目标未达标，涉及 7 个单位。' / '各单位目标均已达标。' (from `unmet_count`)."""
    n = unmet_count(b)
    if not b.leaf_detail:
        return f"各月未达标指标累计 {numbers.count(n)} 项次。" if n else ""
    if n:
        return f"共有 {numbers.count(n)} 项目标未达标，涉及 {_count(b, b.unmet['unit'].nunique())}。"
    return f"各{_who(b)[1]}目标均已达标。" if b.target_leaves else ""


def objection_counts(objections: pd.DataFrame) -> str:
    """'共收到申诉 3 件：维持原结果 1 件，已更正 1 件，待处理 1 件' ('' without objections)."""
    if objections.empty:
        return ""
    counts = objections["status"].value_counts()
    parts = [f"{name} {int(counts[name])} 件" for name in ("维持原结果", "已更正", "待处理") if name in counts]
    return f"共收到申诉 {len(objections)} 件：" + "，".join(parts)


# -- 整改落实情况 ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class RectificationSummary:
    """The 整改 tasks from the scheme's results of the period and the periods before it, as of a
    day (services.rectification.rectification_summary gathers it).

    整改完成率 = 已验收 ÷ 应完成, where 应完成 = 已验收 + 逾期未验收 (tasks whose deadline has
    passed or that are accepted); tasks within their deadline and not yet accepted count neither way.
    """

    as_of: date
    issued: int  # 已下达
    accepted: int  # 已验收
    submitted: int  # 已提交，待验收 (overdue ones included)
    overdue: int  # 逾期未验收: deadline before `as_of`, not accepted
    overdue_units: list[tuple[str, int]] = field(default_factory=list)  # (unit name, overdue tasks), most first
    # the overdue tasks: (unit name, title, deadline, status name), earliest deadline first
    overdue_tasks: list[tuple[str, str, date, str]] = field(default_factory=list)

    @property
    def rule(self) -> str:
        """How 整改完成率 is counted, for readers of the bulletin."""
        return (
            "整改完成率 = 已验收 ÷ 应完成；应完成 = 已验收 + 逾期未验收（整改期限已过或已验收的任务），"
            "期限未到且未验收的不计入。"
        )

    @property
    def due(self) -> int:
        """应完成: accepted, or past their deadline."""
        return self.accepted + self.overdue

    @property
    def rate(self) -> float | None:
        """整改完成率 (0–1); None when no task is due yet."""
        return self.accepted / self.due if self.due else None

    @property
    def rate_text(self) -> str:
        return "—" if self.rate is None else f"{self.rate * 100:.1f}%"

    @property
    def in_progress(self) -> int:
        """Not accepted and not overdue: still within the deadline."""
        return self.issued - self.accepted - self.overdue

    @property
    def overdue_text(self) -> str:
        """'甲中心（2 项）、乙中心（1 项）' or '无'."""
        return "、".join(f"{name}（{n} 项）" for name, n in self.overdue_units) or "无"

    @property
    def sentence(self) -> str:
        """The summary paragraph's sentence on 整改 ('' when no task was ever given)."""
        if not self.issued:
            return ""
        text = f"截至 {self.as_of:%Y-%m-%d}，共下达整改任务 {self.issued} 项，已验收 {self.accepted} 项"
        if self.rate is not None:
            text += f"，整改完成率 {self.rate_text}"
        if self.overdue:
            names = [name for name, _ in self.overdue_units]
            text += f"；{self.overdue} 项逾期未验收，涉及 {_list(names)}"
        return text + "。"
