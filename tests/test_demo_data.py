"""The demo schemes load, and the demo district's values score with the spread the screens need."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
import pytest

from data.demo import COLUMNS, SCHEME_DIR, Demo, build_demo
from scoring import Results, Scheme, load_scheme, score
from scoring.periods import period_type

SCHEME_FILES = sorted(SCHEME_DIR.glob("*.yaml"))
STEMS = [p.stem for p in SCHEME_FILES]


@pytest.fixture(scope="module")
def demo() -> Demo:
    return build_demo()


@pytest.fixture(scope="module")
def schemes() -> dict[str, Scheme]:
    return {p.stem: load_scheme(p) for p in SCHEME_FILES}


@pytest.fixture(scope="module")
def results(demo: Demo, schemes: dict[str, Scheme]) -> dict[str, Results]:
    categories = demo.units.set_index("code")["category"]
    return {
        stem: score(schemes[stem], demo.values[stem], categories=categories, figures=demo.figures) for stem in STEMS
    }


def test_the_five_demo_schemes_are_there() -> None:
    assert STEMS == ["community_monthly", "hospital_monthly", "staff_annual", "township_annual", "village_monthly"]


@pytest.mark.parametrize("path", SCHEME_FILES, ids=STEMS)
def test_scheme_loads_and_adds_up(path: Path) -> None:
    scheme = load_scheme(path)
    assert scheme.id == path.stem
    base = [leaf for leaf in scheme.leaves if leaf.method in ("direct", "target", "checklist", "deduction", "levels")]
    assert sum(leaf.points for leaf in base) == pytest.approx(scheme.total) == pytest.approx(100)
    assert scheme.bottom.threshold == 80
    assert all(leaf.description for leaf in scheme.leaves), "every leaf states its 评分标准"
    for leaf in scheme.leaves:
        if leaf.method == "target" and leaf.unit == "%":
            assert leaf.target > 1, f"{leaf.code}: rates are written in percent numbers (60 = 60%)"


def test_scheme_features_from_the_brief(schemes: dict[str, Scheme]) -> None:
    township = schemes["township_annual"]
    modes = {leaf.mode for leaf in township.leaves if leaf.method == "target"}
    assert {"proportional", "bands", "linear", "per_shortfall"} <= modes
    assert township.leaf("B1").ineligible_if_unmet == "标准化创建验收不合格，院长不得评先评优"
    assert {leaf.method for leaf in township.leaves} == {"target", "checklist", "direct", "deduction", "bonus", "veto"}
    assert township.bonus_cap > 0 and township.period_type == "year"

    community = schemes["community_monthly"]
    assert community.period_type == "month" and any(leaf.allow_na for leaf in community.leaves)

    staff = schemes["staff_annual"]
    assert [c.name for c in staff.criteria[:3]] == ["医德医风", "工作质量", "劳动纪律"]
    assert staff.bottom.consequence == "停岗 / 待岗 / 下岗" and staff.categories == ["职工"]

    hospital = schemes["hospital_monthly"]
    lower = {leaf.name for leaf in hospital.leaves if leaf.method == "target" and leaf.direction == "lower"}
    assert {"医院感染发生率", "药占比"} <= lower
    growth = hospital.leaf("B1")
    assert (growth.target, growth.stretch.target) == (8, 10)
    assert any(leaf.method == "veto" for leaf in hospital.leaves)


def test_unit_register(demo: Demo, schemes: dict[str, Scheme]) -> None:
    units = demo.units
    assert list(units.columns) == ["code", "name", "category", "parent", "population", "aliases"]
    assert units["code"].is_unique and units["name"].is_unique
    assert str(units["population"].dtype) == "Int64" and units["population"].isna().any()
    counts = units["category"].value_counts()
    assert set(counts.index) == {"乡镇卫生院", "社区卫生服务中心", "区级医院", "村卫生室", "职工"}
    assert 35 <= len(units[units["category"] != "职工"]) <= 45 and 55 <= counts["职工"] <= 65
    assert units["name"].str.contains("中心卫生院").any()
    parents = units.loc[units["parent"] != "", "parent"]
    assert parents.isin(units["code"]).all()
    staff_parent = units.loc[units["category"] == "职工", "parent"].map(units.set_index("code")["category"])
    assert (staff_parent == "区级医院").all()
    covered = {c for s in schemes.values() for c in s.categories}
    assert set(counts.index) == covered


@pytest.mark.parametrize("stem", STEMS)
def test_values_frame_shape(demo: Demo, schemes: dict[str, Scheme], stem: str) -> None:
    frame = demo.values[stem]
    assert list(frame.columns) == COLUMNS
    assert frame["na"].dtype == bool and frame["value"].dtype == float
    assert frame.loc[frame["na"], "value"].isna().all() and frame.loc[~frame["na"], "value"].notna().all()
    assert frame["unit"].isin(demo.units["code"]).all()
    scheme = schemes[stem]
    assert {period_type(p) for p in frame["period"]} == {scheme.period_type}
    expected = 12 if scheme.period_type == "month" else 1
    assert frame["period"].nunique() == expected
    category = frame["unit"].map(demo.units.set_index("code")["category"])
    assert category.isin(scheme.categories).all()


@pytest.mark.parametrize("stem", STEMS)
def test_demo_scores_with_units_below_80(results: dict[str, Results], stem: str) -> None:
    units = results[stem].units
    assert (units["total"] < 80).any() and (units["total"] >= 90).any()
    assert units.loc[units["total"] < 80, "bottom"].all()


def test_exactly_one_vetoed_unit_in_a_period(results: dict[str, Results]) -> None:
    vetoed = pd.concat([r.units.assign(stem=s) for s, r in results.items()]).query("veto")
    per_period = vetoed.groupby(["stem", "period"], observed=True).size()
    assert (per_period == 1).any()
    for _, row in vetoed.iterrows():
        assert row["rank"] == row["group_size"] and row["grade"] == "不合格"
        assert str(row["award_reason"]).startswith("一票否决")


def test_a_tie_within_a_peer_group(results: dict[str, Results]) -> None:
    tie = results["community_monthly"].units.query("period == '2025-12' and unit in ['C05', 'C07']")
    assert tie["total"].nunique() == 1 and tie["rank"].nunique() == 1
    for r in results.values():
        ranked = r.units[~r.units["veto"]]
        if ranked.duplicated(["period", "category", "total"]).any():
            break
    else:
        pytest.fail("no tie")


def test_not_applicable_leaves(demo: Demo, results: dict[str, Results]) -> None:
    leaves = results["community_monthly"].leaves
    na = leaves[~leaves["applicable"]]
    assert set(na["leaf"].astype(str)) == {"B3"} and set(na["unit"].astype(str)) == {"C06", "C08"}
    units = results["community_monthly"].units
    assert (units.loc[units["unit"].isin(["C06", "C08"]), "applicable_points"] == 94).all()
    township = results["township_annual"].units.set_index("unit")
    assert township.loc["T10", "award_eligible"] == False  # noqa: E712 (numpy bool)
    assert "标准化创建验收不合格" in str(township.loc["T10", "award_reason"])
    assert (township["applicable_points"] < 100).sum() == 7


def test_several_assessors(demo: Demo, results: dict[str, Results]) -> None:
    frame = demo.values["community_monthly"]
    per_cell = frame.groupby(["period", "unit", "code"])["assessor"].nunique()
    assert (per_cell == 2).sum() > 50 and (per_cell == 3).sum() >= 1
    assert not frame.duplicated(["period", "unit", "code", "assessor"]).any()
    leaves = results["community_monthly"].leaves
    three = leaves[(leaves["period"] == "2025-06") & (leaves["unit"] == "C01") & (leaves["leaf"] == "A1")]
    cell = frame.query("period == '2025-06' and unit == 'C01' and code == 'A1'")["value"].sort_values()
    assert three["earned"].item() == pytest.approx(cell.iloc[1])  # trimmed mean of three = the middle one


def test_notes_on_some_deductions(demo: Demo, schemes: dict[str, Scheme]) -> None:
    for stem, frame in demo.values.items():
        leaves = [leaf for leaf in schemes[stem].leaves if leaf.method == "deduction"]
        deductions = {leaf.code for leaf in leaves} | {k.code for leaf in leaves for k in leaf.kinds or []}
        noted = frame[(frame["note"] != "") & frame["code"].isin(deductions)]
        assert len(noted) > 0, stem
        assert (noted["value"] > 0).all()


def test_persistent_quality_with_movers(results: dict[str, Results]) -> None:
    for stem in ("community_monthly", "hospital_monthly"):
        wide = results[stem].units.pivot_table(index="unit", columns="period", values="total", observed=True)
        first, second = wide.iloc[:, :6].mean(axis=1), wide.iloc[:, 6:].mean(axis=1)
        # Spearman as Pearson over ranks: pandas' method="spearman" needs scipy, not a requirement.
        assert first.rank().corr(second.rank()) > 0.3, stem
        movement = wide.iloc[:, -3:].mean(axis=1) - wide.iloc[:, :3].mean(axis=1)
        assert movement.abs().max() > 8, stem


def test_deterministic_for_a_seed() -> None:
    a, b, c = build_demo(7), build_demo(7), build_demo(8)
    pd.testing.assert_frame_equal(a.units, b.units)
    for stem in a.values:
        pd.testing.assert_frame_equal(a.values[stem], b.values[stem])
    assert not a.values["community_monthly"]["value"].equals(c.values["community_monthly"]["value"])


def test_default_seed_and_speed() -> None:
    start = time.perf_counter()
    demo = build_demo()
    assert time.perf_counter() - start < 2
    pd.testing.assert_frame_equal(demo.values["staff_annual"], build_demo(2026).values["staff_annual"])


def test_village_scheme_computes_rates_from_counts_and_register_figures(
    demo: Demo, results: dict[str, Results]
) -> None:
    figures = demo.figures
    villages = set(demo.units.loc[demo.units["category"] == "村卫生室", "code"])
    assert set(figures["unit"]) == villages and set(figures["year"]) == {2024, 2025}
    assert set(figures["name"]) == {"常住人口", "65岁以上人口"}
    residents = figures.query("year == 2025 and name == '常住人口'").set_index("unit")["value"]
    population = demo.units.set_index("code")["population"]
    assert (residents == population[residents.index].astype(float)).all()
    frame = demo.values["village_monthly"]
    assert not frame["code"].isin(["A1", "A2", "A3"]).any(), "a computed leaf's own code takes no value"
    leaves = results["village_monthly"].leaves
    a1 = leaves[(leaves["leaf"] == "A1") & (leaves["unit"] == "V01") & (leaves["period"] == "2025-01")].iloc[0]
    counted = frame.query("unit == 'V01' and period == '2025-01' and code == 'A1a'")["value"].iloc[0]
    assert a1["value"] == pytest.approx(counted / residents["V01"] * 100)
    actual = leaves.loc[leaves["leaf"].isin(["A1", "A2", "A3"]) & leaves["applicable"], "value"]
    assert actual.between(40, 100).all() and (actual < 60).any() and (actual >= 90).any()
    na = leaves[~leaves["applicable"]]
    assert set(na["leaf"].astype(str)) == {"A4"} and set(na["unit"].astype(str)) == {"V09"}  # 在册 2 人 < 3
    assert set(frame.loc[frame["code"] == "A5", "value"]) == {5.0, 2.0, 0.0}
    b1 = leaves[leaves["leaf"] == "B1"]["earned"]
    assert set(b1) == {0.0, 10.0}  # all_required: all four tasks or nothing
    assert frame["code"].isin(["B3-1", "B3-2"]).any() and not (frame["code"] == "B3").any()
    assert (frame.loc[frame["code"] == "M1", "value"] > 0).all()


def test_existing_schemes_show_tags_levels_and_a_monitor(demo: Demo, schemes: dict[str, Scheme]) -> None:
    community = schemes["community_monthly"]
    assert [leaf.code for leaf in community.leaves if "核心指标" in leaf.tags] == ["A3", "B1", "B2"]
    monitor = community.leaf("M1")
    assert monitor.method == "monitor" and monitor.points == 0
    frame = demo.values["community_monthly"]
    months = frame[frame["code"] == "M1"].groupby("period")["unit"].nunique()
    assert (months == 8).all() and len(months) == 12  # every centre, every month (the tie month too)
    staff = schemes["staff_annual"].leaf("C3")
    allowed = {lv.points for lv in staff.levels}
    assert staff.method == "levels" and set(demo.values["staff_annual"].query("code == 'C3'")["value"]) <= allowed
