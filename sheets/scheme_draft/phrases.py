"""Rule phrasings of published 评分细则 that map unambiguously onto a scoring method.

Each `recognise_*` is a pure function of the rule text (cleaned: ASCII digits and punctuation) and
the item's points, returning the method's fields and a Chinese summary, or None. A phrasing that
could mean two things (two deduction rates, a band table that also deducts, 「部分落实得 1 分」) is
not recognised: the row stays a direct score with its text, for a person to decide.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from sheets.scheme_draft.text import num

_N = r"(\d+(?:\.\d+)?)"
_GAIN = re.compile(r"得\s*(" + r"\d+(?:\.\d+)?|满" + r")\s*分")
_S = ",;。，；"  # clause separators, half- and full-width
_ANY_DEDUCT = re.compile(r"[扣减]\s*(?:除)?\s*" + _N + r"\s*分")
_DEDUCT = re.compile(r"每[^" + _S + r"扣减]{1,30}?[扣减]\s*(?:除)?\s*" + _N + r"\s*分")
# A deduction per percentage point or per fall is a target's per_shortfall, not a count of events.
_SHORTFALL = ("%", "百分点", "下降", "降低", "低于", "提高", "增长", "比例")
_BAND = re.compile(
    r"(?:≥|>=|大于等于|大于或等于|不低于|达到|达)\s*" + _N + r"\s*%\s*(?:及以上|以上)?\s*(?:的|者)?\s*[,，]?\s*"
    r"得\s*(\d+(?:\.\d+)?|满)\s*分"
)
_PROPORTIONAL = re.compile(
    r"(?:达到|≥|>=|不低于)[^\d" + _S + r"]{0,20}?" + _N + r"\s*(%?)\s*(?:及以上|以上)?\s*(?:的|者)?\s*[,，]?\s*得满分"
    r".*?(?:未达到|未达|不足|低于)[^" + _S + r"]*?按[^" + _S + r"]{0,6}比例"
)
_TASK = re.compile(r"^(有.+?)(?:的|者)?\s*得\s*" + _N + r"\s*分$")
_GAIN_CLAUSE = re.compile(r"^(.+?)(?:的|者)?\s*得\s*" + _N + r"\s*分$")  # 「成立领导小组得2分」
_ZERO_CLAUSE = re.compile(r"^(.+?)(?:的|者)?\s*(?:不得分|得\s*0\s*分)$")  # 「无不得分」
_ONE_TASK = re.compile(r"^(.+?)(?:的|者)?\s*得\s*" + _N + r"\s*分$")
_NOTHING = re.compile(r"^(?:否则|无|没有|未|不).*不得分$")
_BONUS = re.compile(
    r"每[^"
    + _S
    + r"加]{1,30}?加\s*"
    + _N
    + r"\s*分.*?(?:最高|最多|上限|不超过|封顶|累计不超过)\s*(?:加)?\s*"
    + _N
    + r"\s*分"
)
_ANY_BONUS = re.compile(r"加\s*" + _N + r"\s*分")


@dataclass(frozen=True)
class Recognition:
    fields: dict  # the leaf's method and parameters, as the scheme format writes them
    summary: str  # 「识别为扣分项：每次扣 0.5 分，扣完为止」


def _gains(text: str) -> list[str]:
    return _GAIN.findall(text)


def recognise_veto(text: str, points: float | None) -> Recognition | None:
    """「发生重大医疗事故的，一票否决」 on a row without points."""
    if "一票否决" not in text or points:
        return None
    return Recognition({"method": "veto", "points": 0}, "识别为一票否决项（不计分，发生即评为最低等级）")


def recognise_bonus(text: str, points: float | None) -> Recognition | None:
    """「每获市级表彰一次加 1 分，最高加 3 分」."""
    m = _BONUS.search(text)
    if not m or _ANY_DEDUCT.search(text) or len(_ANY_BONUS.findall(text)) > 2 or _gains(text):
        return None
    each, cap = float(m.group(1)), float(m.group(2))
    if each > cap:
        return None
    return Recognition(
        {"method": "bonus", "points": 0, "per_occurrence": each, "cap": cap},
        f"识别为加分项：每次加 {num(each)} 分，最高加 {num(cap)} 分（不计入基础分）",
    )


def recognise_deduction(text: str, points: float | None) -> Recognition | None:
    """「每发现一例不合格扣 0.5 分，扣完为止」: one rate, counted events, no percentages."""
    if not points or _gains(text) or any(w in text for w in _SHORTFALL):
        return None
    rates = _ANY_DEDUCT.findall(text)
    m = _DEDUCT.search(text)
    if len(rates) != 1 or not m:
        return None
    each = float(m.group(1))
    return Recognition(
        {"method": "deduction", "per_occurrence": each},
        f"识别为扣分项：每次扣 {num(each)} 分，扣完为止（最多扣 {num(points)} 分）",
    )


def recognise_proportional(text: str, points: float | None) -> Recognition | None:
    """「规范管理率达到 60% 得满分，未达到按比例得分」 → 按比例得分, target 60."""
    m = _PROPORTIONAL.search(text)
    if not m or not points or _ANY_DEDUCT.search(text) or len(_gains(text)) != 1:
        return None
    target, unit = float(m.group(1)), m.group(2)
    if target <= 0:
        return None
    fields = {"method": "target", "mode": "proportional", "target": target, "unit": unit}
    return Recognition(fields, f"识别为目标值（按比例得分）：目标 {num(target)}{unit}，未达到按比例得分")


def recognise_bands(text: str, points: float | None) -> Recognition | None:
    """「≥ 60% 得 10 分，≥ 50% 得 6 分，低于 50% 不得分」 or a single 「达到 60% 得 10 分」."""
    if not points or _ANY_DEDUCT.search(text) or "比例" in text:
        return None
    found = _BAND.findall(text)
    if not found or len(found) != len(_gains(text)):
        return None  # some 「得 X 分」 is not a band: a rule the bands do not say
    bands = [(float(t), points if p == "满" else float(p)) for t, p in found]
    thresholds, gains = [t for t, _ in bands], [p for _, p in bands]
    if any(b >= a for a, b in zip(thresholds, thresholds[1:])) or any(b > a for a, b in zip(gains, gains[1:])):
        return None
    if max(gains) > points or thresholds[-1] <= 0:
        return None
    fields = {
        "method": "target",
        "mode": "bands",
        "target": thresholds[0],
        "unit": "%",
        "bands": [{"threshold": t, "points": p} for t, p in bands],
    }
    shown = "，".join(f"≥ {num(t)}% 得 {num(p)} 分" for t, p in bands)
    return Recognition(fields, f"识别为目标值（分档得分）：{shown}")


def _clauses(text: str) -> list[str]:
    return [c.strip() for c in re.split("[" + _S + "]", text) if c.strip()]


def checklist_tasks(text: str) -> list[tuple[str, float]] | None:
    """The tasks of 「有年度计划得 1 分，有总结得 1 分」, 「成立领导小组得 2 分，有年度计划得 3 分」 or
    「按时上报得 2 分，否则不得分」; None when the text is not such a list (「部分落实得 1 分」 grades one
    thing: levels, not tasks). Whether the tasks add up to the item is the caller's test."""
    if "%" in text or _ANY_DEDUCT.search(text) or "部分" in text or _ANY_BONUS.search(text):
        return None
    clauses = _clauses(text)
    tasks = [(m.group(1), float(m.group(2))) for c in clauses if (m := _TASK.match(c))]
    others = [c for c in clauses if not _TASK.match(c)]
    if tasks and all(_NOTHING.match(c) for c in others):
        return tasks
    gains = [(m.group(1), float(m.group(2))) for c in clauses if (m := _GAIN_CLAUSE.match(c))]
    if len(gains) > 1 and all(_GAIN_CLAUSE.match(c) or _NOTHING.match(c) for c in clauses):
        return gains  # several things each worth its points: tasks when they add up to the item
    if len(clauses) == 2 and (m := _ONE_TASK.match(clauses[0])) and re.match(r"^否则.*不得分$", clauses[1]):
        return [(m.group(1), float(m.group(2)))]
    return None


def level_list(text: str) -> list[tuple[str, float]] | None:
    """The levels of 「有计划并实施得 3 分，部分落实得 1 分，无不得分」: each clause one grade of the
    same thing with its points (不得分 is 0), at least two, no two worth the same; None otherwise."""
    if "%" in text or _ANY_DEDUCT.search(text) or _ANY_BONUS.search(text) or "满分" in text:
        return None
    levels = []
    for c in _clauses(text):
        if m := _GAIN_CLAUSE.match(c):
            levels.append((m.group(1).strip(), float(m.group(2))))
        elif m := _ZERO_CLAUSE.match(c):
            levels.append((m.group(1).strip(), 0.0))
        else:
            return None
    labels, points = [lb for lb, _ in levels], [p for _, p in levels]
    if len(levels) < 2 or len(set(points)) != len(points) or len(set(labels)) != len(labels) or "不适用" in labels:
        return None
    return levels


def recognise_levels(text: str, points: float | None) -> Recognition | None:
    """定性分档: grades whose best is worth the item's points (tasks adding up were taken before)."""
    levels = level_list(text)
    if not levels or not points or abs(max(p for _, p in levels) - points) > 1e-9:
        return None
    fields = {"method": "levels", "levels": [{"label": lb, "points": p} for lb, p in levels]}
    shown = " / ".join(f"{lb} {num(p)} 分" for lb, p in levels)
    return Recognition(fields, f"识别为定性分档（从档次中选一个）：{shown}")


def recognise_checklist(text: str, points: float | None) -> Recognition | None:
    """Tasks done / not done whose points add up to the item's."""
    tasks = checklist_tasks(text)
    if not tasks or not points or abs(sum(p for _, p in tasks) - points) > 1e-9:
        return None
    names = [n for n, _ in tasks]
    if len(set(names)) != len(names):
        return None
    fields = {"method": "checklist", "tasks": [{"name": n, "points": p} for n, p in tasks]}
    shown = "；".join(f"{n} {num(p)} 分" for n, p in tasks)
    return Recognition(fields, f"识别为任务清单（完成得分，未完成不得分）：{shown}")


RECOGNISERS: tuple[Callable[[str, float | None], Recognition | None], ...] = (
    recognise_veto,
    recognise_bonus,
    recognise_deduction,
    recognise_proportional,
    recognise_bands,
    recognise_checklist,
    recognise_levels,
)


def recognise(text: str, points: float | None) -> Recognition | None:
    """The first recogniser that takes the text; None leaves the row a direct score."""
    for rule in RECOGNISERS:
        found = rule(text, points)
        if found is not None:
            return found
    return None


def rule_maximum(text: str, points: float | None) -> float | None:
    """The most the rule text awards (「得 X 分」: the largest, or the sum of a task list), None when
    it names no points to earn (deductions, 满分, bonuses)."""
    if "满分" in text or "得满" in text or _ANY_BONUS.search(text):
        return None
    tasks = checklist_tasks(text)
    if tasks and len(tasks) > 1:
        total = sum(p for _, p in tasks)
        # several gains: a task list when they add up to the item, else grades of one thing
        if points is not None and abs(total - points) <= 1e-9 or level_list(text) is None:
            return total
    gains = [float(g) for g in _gains(text) if g != "满"]
    return max(gains) if gains else None
