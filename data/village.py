"""The demo's village clinics (村卫生室): their quality, register figures and raw counts.

The village scheme computes its rates from raw counts (建档人数 ÷ 常住人口), so the demo writes
counts, not rates: a count is drawn to give a plausible rate against the unit's own denominator.
Everything here draws from its own generator (seeded from the demo's seed), so adding or changing
village data never shifts the values of the other demo schemes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from scoring.scheme import Leaf

# Persistent quality of V01…V15, planted: 东湖 and 张家 strong, 小营 (V14) weak, 下河 (V06) declining.
VILLAGE_LEVELS = (1.0, 0.3, -0.2, 0.4, 0.6, -0.4, 1.2, 0.0, -0.6, 0.5, -0.3, 0.2, 0.1, -1.6, 0.3)
VILLAGE_TRENDS = {"V06": -1.5}
FEW_PATIENTS = "V09"  # 王庄: fewer than 3 registered 严重精神障碍 patients → A4 不适用
FIGURE_YEARS = (2024, 2025)
RESIDENTS, ELDERLY = "常住人口", "65岁以上人口"


def village_figures(units: pd.DataFrame, seed: int) -> pd.DataFrame:
    """常住人口 and 65岁以上人口 of every village clinic for each of FIGURE_YEARS (unit, year,
    name, value): 2025's 常住人口 is the register's population, 2024's about 1–3% more (people
    leave villages); the elderly are 14–22% of residents."""
    rng = np.random.default_rng([seed, 33])
    rows = []
    villages = units[units["category"] == "村卫生室"]
    for code, population in zip(villages["code"], villages["population"], strict=True):
        share = float(rng.uniform(0.14, 0.22))
        shrink = float(rng.uniform(0.01, 0.03))
        for year in FIGURE_YEARS:
            residents = int(population) if year == 2025 else int(round(int(population) * (1 + shrink)))
            rows.append((code, year, RESIDENTS, float(residents)))
            rows.append((code, year, ELDERLY, float(round(residents * share))))
    return pd.DataFrame(rows, columns=["unit", "year", "name", "value"])


class VillageCounts:
    """Raw counts of one village clinic and month, from its quality `z` (about N(0, 1))."""

    def __init__(self, figures: pd.DataFrame, seed: int) -> None:
        self.rng = np.random.default_rng([seed, 34])
        latest = figures[figures["year"] == max(FIGURE_YEARS)]
        self.figures = latest.set_index(["unit", "name"])["value"]
        # per unit: hypertensive patients under management, registered psychiatric patients
        self.patients: dict[str, tuple[int, int]] = {}

    def _patients(self, unit: str) -> tuple[int, int]:
        if unit not in self.patients:
            residents = self.figures[unit, RESIDENTS]
            hypertension = int(residents * self.rng.uniform(0.08, 0.12))
            psychiatric = 2 if unit == FEW_PATIENTS else max(3, int(residents * self.rng.uniform(0.003, 0.005)))
            self.patients[unit] = (hypertension, psychiatric)
        return self.patients[unit]

    def _count(self, of: float, rate: float) -> float:
        """A whole count that is about `rate` % of `of`, never more than `of`."""
        return float(min(of, round(of * rate / 100)))

    def leaf(self, leaf: Leaf, unit: str, z: float) -> list[tuple[str, float, str]]:
        """(code, value, note) rows of one village leaf; None for leaves scored like any other."""
        rng = self.rng
        hypertension, psychiatric = self._patients(unit)
        if leaf.code == "A1":  # 建档率 around the 90% target
            rate = np.clip(91 + 3.5 * z + rng.normal(0, 1), 60, 99.5)
            return [("A1a", self._count(self.figures[unit, RESIDENTS], rate), "")]
        if leaf.code == "A2":  # 老年人健康管理率 around the 70% target
            rate = np.clip(70 + 8 * z + rng.normal(0, 3), 45, 98)
            return [("A2a", self._count(self.figures[unit, ELDERLY], rate), "")]
        if leaf.code == "A3":  # 高血压规范管理率 between 40% and 90%
            managed = hypertension + int(rng.integers(-3, 4))
            rate = np.clip(68 + 9 * z + rng.normal(0, 3), 40, 95)
            return [("A3a", self._count(managed, rate), ""), ("A3b", float(managed), "")]
        if leaf.code == "A4":  # 严重精神障碍: all or nothing at 80%
            followed = psychiatric - int(rng.random() > 1 / (1 + np.exp(-(1.5 + 1.5 * z))))
            return [("A4a", float(followed), ""), ("A4b", float(psychiatric), "")]
        if leaf.method == "levels":
            top = 1 / (1 + np.exp(-(1.2 + 1.5 * z)))
            pick = 0 if rng.random() < top else (1 if rng.random() < 0.85 else 2)
            ordered = sorted(leaf.levels, key=lambda lv: -lv.points)
            return [(leaf.code, float(ordered[pick].points), "")]
        if leaf.method == "deduction" and leaf.kinds:
            rows = []
            for kind, base in zip(leaf.kinds, (0.35, 0.12), strict=False):
                n = int(rng.poisson(base * np.exp(-0.8 * z)))
                note = f"{n} 例{kind.name}" if n else ""
                rows.append((kind.code, float(n), note))
            return rows
        if leaf.method == "monitor":  # 门诊人次: a few per hundred residents a month
            visits = self.figures[unit, RESIDENTS] * rng.uniform(0.08, 0.16)
            return [(leaf.code, float(round(visits)), "")]
        return []
