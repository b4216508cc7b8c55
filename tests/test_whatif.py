"""模拟测算 (services/whatif.py) on the demo district: before/after side by side, located errors,
nothing stored until saved as a new version."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import SmallDb
from sqlalchemy import Engine

from scoring import parse_scheme, score
from services.catalog import list_units, register_scheme, scheme_versions
from services.errors import Conflict, InvalidInput, NotFound
from services.results import results
from services.values import current_values
from services.whatif import (
    Edits,
    apply_edits,
    edits_summary,
    free_version,
    leaf_table,
    next_version,
    save_as_version,
    settlement_block,
    simulate,
)

KEY, PERIOD = "community_monthly", "2025-08"
COEFFICIENTS = {"优秀": 1.0, "良好": 0.95, "合格": 0.85, "不合格": 0.6}


def _independent(engine: Engine, source: str) -> pd.DataFrame:
    """The period scored under `source` by the engine directly (not through the what-if code)."""
    values = current_values(KEY, PERIOD, engine=engine)
    register = list_units(engine=engine).set_index("code")
    categories = register["category"].reindex(pd.unique(values["unit"].astype(str))).dropna()
    units = score(parse_scheme(source), values, categories=categories).units
    return units.assign(unit=units["unit"].astype(str)).set_index("unit")


def test_without_edits_before_and_after_are_the_stored_results(demo_database: Engine) -> None:
    sim = simulate(KEY, PERIOD, Edits(), engine=demo_database)
    stored = results(KEY, PERIOD, engine=demo_database).units.set_index("unit")
    t = sim.table.set_index("unit")
    assert len(t) == len(stored) == 8
    assert t["total_before"].to_dict() == stored["total"].astype(float).to_dict()
    assert (t["total_before"] == t["total_after"]).all() and (t["delta_total"] == 0).all()
    assert (t["rank_before"] == t["rank_after"]).all() and sim.changed_rank == 0 and sim.changed_grade == 0
    assert t["amount_before"].isna().all()  # the demo scheme has no settlement
    assert edits_summary(sim.before, Edits()) == []


def test_changed_points_and_targets_match_the_engine_on_the_edited_scheme(demo_database: Engine) -> None:
    edits = Edits(points={"A1": 15, "A2": 5}, targets={"B1": 70})
    sim = simulate(KEY, PERIOD, edits, engine=demo_database)
    assert sim.after.leaf("A1").points == 15 and sim.after.leaf("A2").points == 5 and sim.after.leaf("B1").target == 70
    assert sim.before.leaf("A1").points == 10  # the scheme in force is untouched
    expected = _independent(demo_database, sim.source)
    t = sim.table.set_index("unit")
    assert t["total_after"].to_dict() == expected["total"].astype(float).to_dict()
    assert t["rank_after"].astype(int).to_dict() == expected["rank"].astype(int).to_dict()
    assert t["grade_after"].to_dict() == expected["grade"].astype(str).to_dict()
    assert (t["delta_total"] - (t["total_after"] - t["total_before"])).abs().max() < 1e-9
    assert (t["delta_rank"] == t["rank_before"] - t["rank_after"]).all()
    assert t["delta_total"].abs().sum() > 0  # the edits do change the totals
    assert sim.changed_grade == int((t["grade_before"] != t["grade_after"]).sum())
    assert list(sim.table["rank_after"]) == sorted(sim.table["rank_after"])  # in the new ranking order
    assert edits_summary(sim.before, edits) == [
        "A1 门诊服务规范 分值 10 → 15",
        "A2 处方合格率 分值 10 → 5",
        "B1 居民健康档案动态使用率 目标值 60 → 70",
    ]


def test_grade_coefficients_give_each_unit_base_times_its_coefficient(demo_database: Engine) -> None:
    block = {"mode": "grade_coefficient", "base": 100_000, "coefficients": COEFFICIENTS}
    sim = simulate(KEY, PERIOD, Edits(settlement=block), engine=demo_database)
    t = sim.table
    assert (t["amount_after"] == [100_000 * COEFFICIENTS[g] for g in t["grade_after"]]).all()
    assert t["amount_before"].isna().all() and t["delta_amount"].isna().all()
    before, after = sim.amount_totals()
    assert before is None and after == sum(100_000 * COEFFICIENTS[g] for g in t["grade_after"])
    # a second round on top: lower the 良好 coefficient, the amounts move by base × difference
    source, scheme = apply_edits(sim.source, Edits())
    assert settlement_block(scheme) == block
    lower = dict(block, coefficients=COEFFICIENTS | {"良好": 0.9})
    assert settlement_block(apply_edits(source, Edits(settlement=lower))[1])["coefficients"]["良好"] == 0.9


def test_a_pool_is_shared_to_the_fen(demo_database: Engine) -> None:
    block = {"mode": "pool", "pool": 1_000_000.01, "weight_attribute": "population", "floor": 50_000}
    sim = simulate(KEY, PERIOD, Edits(settlement=block), engine=demo_database)
    amounts = sim.table["amount_after"]
    assert round(amounts.sum(), 2) == 1_000_000.01 and (amounts >= 50_000).all()


@pytest.mark.parametrize(
    ("edits", "message"),
    [
        (Edits(points={"A1": 12}), "评分细则分值合计 102，与方案总分 100 不一致"),
        (Edits(targets={"A2": 70}), "指标 A2「处方合格率」: 「起评值」必须比「目标值」更差"),
        (Edits(targets={"A1": 5}), "指标 A1（门诊服务规范）不是目标值指标"),
        (Edits(points={"Z9": 5}), "没有编码为 Z9 的评分细则"),
        (Edits(points={"A1": float("nan")}), "指标 A1（门诊服务规范）的分值不能为空"),
        (Edits(points={"B4": 20, "A1": 6}), "指标 B4「月度目标任务清单」: 任务分值合计 16 与本项分值 20 不一致"),
        (Edits(points={"A2": -1, "A1": 21}), "指标 A2「处方合格率」的「分值」: 必须大于 0"),
        (
            Edits(settlement={"mode": "grade_coefficient", "base": 1000, "coefficients": {"优秀": 1}}),
            "「资金结算」的「各等级系数」: 缺少等级「良好、合格、不合格」的系数",
        ),
    ],
)
def test_invalid_edits_are_refused_with_the_indicator_named(demo_database: Engine, edits: Edits, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        simulate(KEY, PERIOD, edits, engine=demo_database)
    assert message in str(caught.value)


def test_a_period_without_values_is_not_found(demo_database: Engine) -> None:
    with pytest.raises(NotFound, match="没有原始评分数据"):
        simulate(KEY, "2019-01", Edits(), engine=demo_database)


def test_save_as_a_new_version_registers_the_edited_scheme(demo_database: Engine) -> None:
    before = scheme_versions(KEY, engine=demo_database)
    sim = simulate(KEY, PERIOD, Edits(points={"A1": 15, "A2": 5}), engine=demo_database)
    assert scheme_versions(KEY, engine=demo_database) == before  # simulating stores nothing
    with pytest.raises(InvalidInput, match="新版本号不能与原版本相同"):
        save_as_version(sim.source, sim.before.version, "管理员", engine=demo_database)
    with pytest.raises(InvalidInput, match="请填写新版本号"):
        save_as_version(sim.source, "  ", "管理员", engine=demo_database)
    assert free_version(KEY, sim.before.version, engine=demo_database) == "2025.2"
    registration = save_as_version(sim.source, "2025.2", "管理员", "A1 加重", engine=demo_database)
    assert free_version(KEY, sim.before.version, engine=demo_database) == "2025.3"  # 2025.2 is taken now
    assert registration.status == "created"
    versions = scheme_versions(KEY, engine=demo_database)
    assert len(versions) == len(before) + 1
    new = versions[-1]
    assert (new.version, new.created_by, new.note) == ("2025.2", "管理员", "A1 加重")
    assert new.load().leaf("A1").points == 15 and new.load().leaf("A2").points == 5
    # the stored results keep the version they were scored with
    assert results(KEY, PERIOD, engine=demo_database).scheme.version == sim.before.version
    # the label is now in use only once it has results; saving other content under it replaces it
    again = simulate(KEY, PERIOD, Edits(points={"A1": 14, "A2": 6}), engine=demo_database)
    assert save_as_version(again.source, "2025.2", "管理员", engine=demo_database).status == "replaced"
    # the version the period was scored with is in use: its label cannot take other content
    other = simulate(KEY, PERIOD, Edits(points={"A1": 13, "A2": 7}), engine=demo_database)
    with pytest.raises(Conflict, match="内容不能再修改"):
        register_scheme(other.source, "管理员", engine=demo_database)


def test_leaf_table_lists_every_leaf_with_its_numbers(demo_database: Engine) -> None:
    scheme = results(KEY, PERIOD, engine=demo_database).scheme
    table = leaf_table(scheme)
    assert list(table["code"]) == [leaf.code for leaf in scheme.leaves]
    assert table["points"].sum() == scheme.total
    a2 = table.set_index("code").loc["A2"]
    assert (a2["name"], a2["method"], a2["target"], a2["measure"], a2["direction"]) == (
        "基本医疗服务 / 处方合格率",
        "目标值",
        95,
        "%",
        "≥",
    )
    assert table.set_index("code")["target"].isna().sum() == sum(leaf.method != "target" for leaf in scheme.leaves)


@pytest.mark.parametrize(
    ("old", "new"), [("2025.1", "2025.2"), ("v3", "v4"), ("2025.9", "2025.10"), ("草案", "草案.1")]
)
def test_next_version(old: str, new: str) -> None:
    assert next_version(old) == new


def test_trying_changes_reads_the_values_once_and_an_import_is_seen(
    small: SmallDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    from services import whatif

    small.put("2025-03", {"U1": {"D1": 40, "D2": 20, "K1": 1}, "U2": {"D1": 30, "D2": 20, "K1": 0}})
    reads = []
    real = whatif.current_values
    monkeypatch.setattr(whatif, "current_values", lambda *a, **k: reads.append(a) or real(*a, **k))
    plain = simulate("t", "2025-03", Edits(), engine=small.engine)
    assert simulate("t", "2025-03", Edits(), engine=small.engine) is plain and len(reads) == 1
    more = simulate("t", "2025-03", Edits(points={"D1": 40, "D2": 40}), engine=small.engine)
    assert len(reads) == 1  # another change tried: the same values, scored again
    assert {leaf.code: leaf.points for leaf in more.after.leaves} == {"D1": 40, "D2": 40, "K1": 20}
    totals = dict(zip(more.table["unit"], more.table["total_after"], strict=True))
    assert totals == {"U1": 40 + 20 + 15, "U2": 30 + 20 + 20}  # direct scores are points as given
    small.put("2025-03", {"U2": {"D1": 50}})  # an import: the simulation reads the new values
    after = simulate("t", "2025-03", Edits(), engine=small.engine)
    assert len(reads) == 2 and dict(zip(after.table["unit"], after.table["total_after"], strict=True))["U2"] == 90
