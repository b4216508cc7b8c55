"""Deterministic demo data for a fictional district (清河区): units, staff and scoresheet values.

`build_demo()` returns the unit register and, per scheme file in `data/schemes/`, a long frame of
values ready for `scoring.score`. Units have a persistent quality level (good units stay good),
with period-to-period noise and a couple of movers. A few situations are planted on purpose so
that every screen has something to show:

- 社区卫生服务中心: two assessors on 城关 and 南湖 (three on 城关 in 2025-06, for the trimmed mean),
  中医药 not applicable (不适用) at 河滨 and 新华, a veto at 文昌 in 2025-08, 北关 (an improver)
  tied with 文昌 in 2025-12, and 东城 declining through the year.
- 区级医院: 第二人民医院 improves through the year, 康复医院 stays below the line most months.
- 乡镇卫生院: five centres applied for standardisation (标准化创建); 黄土坡乡 failed it, the others
  are not applicable for that leaf.
- 职工: one member of staff vetoed; a few weak staff below the 80-point line.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from data.village import VILLAGE_LEVELS, VILLAGE_TRENDS, VillageCounts, village_figures
from scoring import Scheme, load_scheme
from scoring.scheme import Leaf, LevelsLeaf, MonitorLeaf, TargetLeaf

SCHEME_DIR: Path = Path(__file__).resolve().parent / "schemes"
YEAR = "2025"
BUREAU_TEAM = "区卫健局考核组"
COLUMNS = ["period", "unit", "code", "value", "na", "assessor", "note"]


@dataclass
class Demo:
    units: pd.DataFrame  # code, name, category, parent, population (Int64), aliases ("|"-joined)
    values: dict[str, pd.DataFrame]  # scheme file stem -> long frame of COLUMNS
    figures: pd.DataFrame  # unit, year, name, value: the register's per-year figures (常住人口 …)


@dataclass(frozen=True)
class _Unit:
    code: str
    name: str
    category: str
    aliases: str = ""
    parent: str = ""
    population: int | None = None
    level: float = 0.0  # persistent quality, about N(0, 1)
    trend: float = 0.0  # change of level from the first to the last period


# -- the unit register -------------------------------------------------------------------------
_HOSPITALS = [
    _Unit("H01", "清河区人民医院", "区级医院", "区人民医院|区人医|清河人民医院", level=0.9),
    _Unit("H02", "清河区中医院", "区级医院", "区中医院|清河中医院", level=0.5),
    _Unit("H03", "清河区妇幼保健院", "区级医院", "区妇幼保健院|区妇幼|清河妇幼", level=0.3),
    _Unit("H04", "清河区第二人民医院", "区级医院", "区第二人民医院|区二院", level=-0.5, trend=1.4),
    _Unit("H05", "清河区康复医院", "区级医院", "区康复医院|清河康复医院", level=-1.3),
]
# (code, town, kind, level): 中心卫生院 are township centres with a wider remit.
_TOWNSHIPS = [
    ("T01", "柳塘镇", "中心卫生院", 1.0),
    ("T02", "石桥镇", "中心卫生院", 0.6),
    ("T03", "龙泉镇", "中心卫生院", 0.3),
    ("T04", "青山镇", "卫生院", 0.5),
    ("T05", "白沙镇", "卫生院", 0.0),
    ("T06", "桃源镇", "卫生院", 0.2),
    ("T07", "新集镇", "卫生院", 0.6),
    ("T08", "马岭镇", "卫生院", -0.3),
    ("T09", "双河镇", "卫生院", -1.2),
    ("T10", "黄土坡乡", "卫生院", -0.5),
    ("T11", "杨柳乡", "卫生院", -1.5),
    ("T12", "高桥乡", "卫生院", 0.1),
]
_COMMUNITIES = [
    ("C01", "城关街道", 0.9, 0.0),
    ("C02", "东城街道", 0.5, -2.2),  # declines through the year
    ("C03", "西城街道", -1.3, 0.0),
    ("C04", "南湖街道", 0.2, 0.0),
    ("C05", "北关街道", -0.6, 1.6),  # improves through the year
    ("C06", "河滨街道", 0.4, 0.0),
    ("C07", "文昌街道", 0.0, 0.0),
    ("C08", "新华街道", -0.4, 0.0),
]
_VILLAGES = {  # township -> its village clinics (村卫生室)
    "T01": ["东湖", "西岭", "南庄"],
    "T02": ["北坡", "上河", "下河"],
    "T03": ["张家", "李家", "王庄"],
    "T04": ["石门", "枣林", "杏花"],
    "T05": ["大桥", "小营", "前进"],
}
_STAFF_PER_HOSPITAL = {"H01": 16, "H02": 13, "H03": 11, "H04": 10, "H05": 10}
_SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾")
_GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰红斌志建文春晓燕鹏飞宇琳欣怡")

# -- situations planted on purpose -------------------------------------------------------------
_STANDARDISATION = {"T01": 91.5, "T02": 88.0, "T04": 86.5, "T07": 84.0, "T10": 72.5}  # B1 验收得分
_NOT_APPLICABLE = {  # stem -> leaf -> (units, the note written with 不适用)
    "community_monthly": {"B3": ({"C06", "C08"}, "未配备中医类别医师")},
    "township_annual": {"B1": ({c for c, *_ in _TOWNSHIPS} - set(_STANDARDISATION), "本年度未申报标准化创建")},
}
_SECOND_TEAM = {"C01": "考核二组", "C04": "考核二组"}  # units scored by a second assessor
_SHARED_CODES = ("A1", "C1", "B4-1", "B4-2", "B4-3", "B4-4")  # what the second assessor scores
_THIRD_TEAM = ("2025-06", "C01", "局联合督查组", ("A1", "C1"))  # period, unit, assessor, codes
_VETOES = {
    "community_monthly": [("2025-08", "C07", "V1", "8月12日发生一起负主要责任的重大医疗安全事故，已上报区卫健局")],
    "staff_annual": [("2025", "H02-05", "V1", "经查实收受患者红包，已责令退还并全院通报")],
}
_TIES = {"community_monthly": ("2025-12", "C07", "C05")}
# (spread, offset) of actual values around a target, where the default does not fit
_SHAPE = {("hospital_monthly", "B1"): (2.5, -0.2)}
_NOTES = {
    ("community_monthly", "C3"): ["处方书写不规范", "消毒记录不全", "医疗废物交接登记缺项", "急救药品过期"],
    ("community_monthly", "C4"): ["患者投诉候诊时间过长", "居民投诉签约医生未按约随访", "患者投诉服务态度生硬"],
    ("township_annual", "C3"): ["患者投诉收费不透明", "一起医疗纠纷经医调委调解结案", "患者投诉夜间急诊无人接诊"],
    ("township_annual", "C4"): ["院感督查问题逾期未整改", "药房管理问题未按期整改", "公卫档案质量问题未整改"],
    ("hospital_monthly", "C4"): ["患者投诉检查预约等待时间长", "一起医疗纠纷经医调委调解", "患者投诉住院收费清单不清"],
    ("staff_annual", "A3"): ["患者投诉服务态度生硬", "家属投诉解释病情不耐心"],
    ("staff_annual", "B3"): ["处方剂量书写错误", "医嘱执行核对不到位", "检查申请单信息错误"],
    ("staff_annual", "C1"): ["考勤系统记录"],
    ("staff_annual", "C2"): ["无故缺勤，考勤系统记录"],
}


def build_demo(seed: int = 2026) -> Demo:
    """The unit register and every scheme's values for 清河区, the same for the same seed."""
    rng = np.random.default_rng(seed)
    units = _units(rng)
    figures = village_figures(_register(units), seed)
    # monitors and villages draw from their own generators: they leave the other values as they were
    side = _Side(np.random.default_rng([seed, 35]), VillageCounts(figures, seed))
    values = {}
    for path in sorted(SCHEME_DIR.glob("*.yaml")):
        scheme = load_scheme(path)
        values[path.stem] = _scheme_values(path.stem, scheme, units, rng, side)
    return Demo(units=_register(units), values=values, figures=figures)


@dataclass
class _Side:
    rng: np.random.Generator
    villages: VillageCounts


def _register(units: list[_Unit]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "code": [u.code for u in units],
            "name": [u.name for u in units],
            "category": [u.category for u in units],
            "parent": [u.parent for u in units],
            "population": pd.array([u.population for u in units], dtype="Int64"),
            "aliases": [u.aliases for u in units],
        }
    )


def _units(rng: np.random.Generator) -> list[_Unit]:
    units = list(_HOSPITALS)
    for code, town, kind, level in _TOWNSHIPS:
        short = town.removesuffix("镇").removesuffix("乡")
        aliases = "|".join(dict.fromkeys([f"清河区{town}{kind}", f"{short}{kind}", f"{short}卫生院"]))
        pop = int(rng.integers(18, 65)) * 1000
        units.append(_Unit(code, f"{town}{kind}", "乡镇卫生院", aliases, population=pop, level=level))
    for code, street, level, trend in _COMMUNITIES:
        short = street.removesuffix("街道")
        aliases = f"清河区{street}社区卫生服务中心|{short}社区卫生服务中心|{short}社区中心"
        pop = int(rng.integers(30, 85)) * 1000
        name = f"{street}社区卫生服务中心"
        units.append(_Unit(code, name, "社区卫生服务中心", aliases, population=pop, level=level, trend=trend))
    towns = {code: town for code, town, *_ in _TOWNSHIPS}
    villages = [(parent, village) for parent, names in _VILLAGES.items() for village in names]
    for i, (parent, village) in enumerate(villages, start=1):
        pop = int(rng.integers(8, 36)) * 100
        name = f"{towns[parent]}{village}村卫生室"
        code = f"V{i:02d}"
        level, trend = VILLAGE_LEVELS[i - 1], VILLAGE_TRENDS.get(code, 0.0)
        units.append(_Unit(code, name, "村卫生室", f"{village}村卫生室", parent, pop, level, trend))
    units += _staff(rng)
    return units


def _staff(rng: np.random.Generator) -> list[_Unit]:
    """Fictional staff with unique names; four of them weak on purpose, the rest drawn."""
    seen: set[str] = set()
    staff = []
    for hospital, n in _STAFF_PER_HOSPITAL.items():
        for i in range(1, n + 1):
            name = ""
            while not name or name in seen:
                given = "".join(rng.choice(_GIVEN, size=int(rng.integers(1, 3))))
                name = str(rng.choice(_SURNAMES)) + given
            seen.add(name)
            code = f"{hospital}-{i:02d}"
            weak = code in ("H01-07", "H03-04", "H04-09", "H05-02")
            level = -1.6 if weak else float(rng.normal(0.4, 0.7))
            staff.append(_Unit(code, name, "职工", parent=hospital, level=level))
    return staff


# -- values ------------------------------------------------------------------------------------
def _periods(scheme: Scheme) -> list[str]:
    if scheme.period_type == "month":
        return [f"{YEAR}-{m:02d}" for m in range(1, 13)]
    if scheme.period_type == "quarter":
        return [f"{YEAR}-Q{q}" for q in range(1, 5)]
    return [YEAR]


def _main_assessor(stem: str) -> str:
    return {"community_monthly": "考核一组", "staff_annual": "院考核领导小组"}.get(stem, BUREAU_TEAM)


def _scheme_values(
    stem: str, scheme: Scheme, units: list[_Unit], rng: np.random.Generator, side: _Side
) -> pd.DataFrame:
    periods = _periods(scheme)
    assessed = [u for u in units if u.category in scheme.categories]
    main = _main_assessor(stem)
    rows: list[tuple] = []
    for t, period in enumerate(periods):
        progress = t / (len(periods) - 1) - 0.5 if len(periods) > 1 else 0.0
        for u in assessed:
            z = u.level + u.trend * progress + rng.normal(0, 0.25)
            for leaf in scheme.leaves:
                na_units, reason = _NOT_APPLICABLE.get(stem, {}).get(leaf.code, ((), ""))
                if u.code in na_units:
                    rows.append((period, u.code, leaf.code, np.nan, True, main, reason))
                    continue
                if stem == "village_monthly" and (counts := side.villages.leaf(leaf, u.code, z)):
                    rows += [(period, u.code, code, value, False, main, note) for code, value, note in counts]
                    continue
                if isinstance(leaf, MonitorLeaf):
                    rows.append((period, u.code, leaf.code, _monitor(leaf, z, side.rng), False, main, ""))
                    continue
                for code, value, note in _leaf_values(stem, leaf, u.code, z + rng.normal(0, 0.4), rng):
                    rows.append((period, u.code, code, value, False, main, note))
    frame = pd.DataFrame(rows, columns=COLUMNS)
    if stem == "community_monthly":
        frame = _add_assessors(frame, scheme, rng)
    for period, unit, code, note in _VETOES.get(stem, []):
        frame.loc[len(frame)] = (period, unit, code, 1.0, False, main, note)
    if stem in _TIES:
        frame = _force_tie(frame, scheme, *_TIES[stem], rng)
    return frame.sort_values(["period", "unit"], kind="stable").reset_index(drop=True)


def _leaf_values(stem: str, leaf: Leaf, unit: str, z: float, rng: np.random.Generator) -> Iterable[tuple]:
    """(code, value, note) rows of one leaf for one unit and period, from its quality `z`."""
    m = leaf.method
    if m == "direct":
        yield leaf.code, _half_points(leaf.points * (0.86 + 0.06 * z), leaf.points), ""
    elif m == "target":
        if stem == "township_annual" and leaf.code == "B1":  # the acceptance check's score
            yield leaf.code, _STANDARDISATION[unit], ""
        else:
            yield leaf.code, _actual(stem, leaf, z), ""
    elif m == "levels":  # as a direct score would be, at the nearest allowed level
        yield leaf.code, _nearest_level(leaf, _half_points(leaf.points * (0.86 + 0.06 * z), leaf.points)), ""
    elif m == "checklist":
        for task in leaf.tasks:
            yield task.code, float(rng.random() < 1 / (1 + np.exp(-(2.5 + 1.0 * z)))), ""
    elif m == "deduction":
        base = 0.5 if stem.endswith("monthly") else 1.0
        n = int(rng.poisson(base * np.exp(-0.7 * z) / leaf.per_occurrence))
        yield leaf.code, float(n), _note(stem, leaf.code, n, rng)
    elif m == "bonus":
        n = int(rng.poisson(0.15 * np.exp(0.6 * z)))
        if n:  # blank means nothing happened
            yield leaf.code, float(n), ""


def _half_points(x: float, points: float) -> float:
    """A direct score as assessors write it: in half points, 0 to the leaf's points."""
    return float(np.clip(np.round(x * 2) / 2, 0, points))


def _nearest_level(leaf: LevelsLeaf, x: float) -> float:
    return float(min((lv.points for lv in leaf.levels), key=lambda p: (abs(p - x), -p)))


def _monitor(leaf: MonitorLeaf, z: float, rng: np.random.Generator) -> float:
    """A monitored value near its reference (better for better units), within its valid range."""
    reference = leaf.reference if leaf.reference is not None else 100.0
    sign = 1 if leaf.direction == "higher" else -1
    value = reference * (1 + sign * 0.06 * z + rng.normal(0, 0.08))
    lo = -np.inf if leaf.valid_min is None else leaf.valid_min
    hi = np.inf if leaf.valid_max is None else leaf.valid_max
    return float(np.round(np.clip(value, lo, hi), leaf.decimals))


def _shape(stem: str, leaf: TargetLeaf) -> tuple[float, float]:
    """Spread and offset of actual values: ±12% of the target, less close to a 100% ceiling."""
    if (stem, leaf.code) in _SHAPE:
        return _SHAPE[stem, leaf.code]
    headroom = np.inf if leaf.valid_max is None else leaf.valid_max - leaf.target
    return (0.12 * leaf.target if headroom >= 0.24 * leaf.target else 3.0), 0.3


def _actual(stem: str, leaf: TargetLeaf, z: float) -> float:
    sign = 1 if leaf.direction == "higher" else -1
    spread, offset = _shape(stem, leaf)
    value = leaf.target + sign * spread * (z + offset)
    lo = -np.inf if leaf.valid_min is None else leaf.valid_min
    hi = np.inf if leaf.valid_max is None else leaf.valid_max
    return float(np.round(np.clip(value, lo, hi), leaf.decimals))


def _note(stem: str, code: str, n: int, rng: np.random.Generator) -> str:
    pool = _NOTES.get((stem, code))
    if not n or not pool or rng.random() < 0.25:  # notes on most deductions, not all
        return ""
    picked = rng.choice(pool, size=min(n, len(pool)), replace=False)
    return f"{n} 次：" + "；".join(str(p) for p in picked)


def _add_assessors(frame: pd.DataFrame, scheme: Scheme, rng: np.random.Generator) -> pd.DataFrame:
    """Second (and, once, third) assessor rows on the shared codes of some community centres."""
    maximum = {leaf.code: leaf.points for leaf in scheme.leaves if leaf.method == "direct"}
    extra = []
    for unit, team in _SECOND_TEAM.items():
        rows = frame[(frame["unit"] == unit) & frame["code"].isin(_SHARED_CODES)]
        opinions = [_second_opinion(v, maximum.get(c), rng) for c, v in zip(rows["code"], rows["value"])]
        extra.append(rows.assign(assessor=team, value=opinions))
    period, unit, team, codes = _THIRD_TEAM
    rows = frame[(frame["period"] == period) & (frame["unit"] == unit) & frame["code"].isin(codes)]
    extra.append(rows.assign(assessor=team, value=rows["value"] - 2.0))  # a stricter joint inspection
    return pd.concat([frame, *extra], ignore_index=True)


def _second_opinion(value: float, maximum: float | None, rng: np.random.Generator) -> float:
    """A direct score (`maximum` points) within a point of the first team's; a task mostly agreed."""
    if maximum is None:
        return value if rng.random() < 0.9 else 1.0 - value
    return float(np.clip(value + rng.choice([-1.0, -0.5, 0.0, 0.5]), 0, maximum))


def _met_value(leaf: TargetLeaf, rng: np.random.Generator) -> float:
    """An actual value that meets the target (and stays short of a stretch target)."""
    step = 10.0**-leaf.decimals
    room = abs(leaf.stretch.target - leaf.target) - step if leaf.stretch else 0.06 * leaf.target
    steps = int(rng.integers(0, max(1, int(room / step))))
    value = leaf.target + (steps if leaf.direction == "higher" else -steps) * step
    lo = -np.inf if leaf.valid_min is None else leaf.valid_min
    hi = np.inf if leaf.valid_max is None else leaf.valid_max
    return float(np.round(np.clip(value, lo, hi), leaf.decimals))


def _force_tie(
    frame: pd.DataFrame, scheme: Scheme, period: str, a: str, b: str, rng: np.random.Generator
) -> pd.DataFrame:
    """Give units `a` and `b` the same total in `period` without giving them the same values.

    Both meet every target (with different actual values); `b` has `a`'s checklist, deductions
    and bonus, and `a`'s direct scores swapped between leaves of equal points.
    """
    sel = (frame["period"] == period) & frame["unit"].isin([a, b])
    if frame.loc[sel, "assessor"].nunique() != 1:
        raise ValueError("units to tie must have a single assessor")
    own = frame[sel & (frame["unit"] == a)].set_index("code")
    main = own["assessor"].iloc[0]
    rows = []
    direct = [leaf for leaf in scheme.leaves if leaf.method == "direct"]
    swapped = {}
    for points in {leaf.points for leaf in direct}:
        codes = [leaf.code for leaf in direct if leaf.points == points]
        swapped |= dict(zip(codes, codes[1:] + codes[:1]))
    for unit in (a, b):
        for leaf in scheme.leaves:
            if leaf.method == "target":
                rows.append((period, unit, leaf.code, _met_value(leaf, rng), False, main, ""))
            elif leaf.method == "direct":
                code = leaf.code if unit == a else swapped[leaf.code]
                rows.append((period, unit, leaf.code, own.at[code, "value"], False, main, ""))
            elif leaf.method == "monitor":  # each keeps its own monitored value
                rows += [
                    tuple(r) for r in frame[sel & (frame["unit"] == unit) & (frame["code"] == leaf.code)].to_numpy()
                ]
            elif leaf.method in ("checklist", "deduction", "bonus"):
                codes = [t.code for t in getattr(leaf, "tasks", [])] or [leaf.code]
                for code in codes:
                    if code in own.index:
                        rows.append((period, unit, code, own.at[code, "value"], False, main, own.at[code, "note"]))
    return pd.concat([frame[~sel], pd.DataFrame(rows, columns=COLUMNS)], ignore_index=True)
