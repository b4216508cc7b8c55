"""Results from stored values on both databases: the same as scoring directly, cached, never stale."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pandas as pd
import pytest
from conftest import SmallDb
from sqlalchemy import Engine, select

from data.demo import SCHEME_DIR, build_demo
from scoring import ScoringInputError, load_scheme, score
from services import results as results_service
from services import submissions
from services.catalog import upsert_units
from services.results import StaleResults, results, results_over_periods
from storage.db import reading
from storage.models import ResultCache

P = "2025-03"
FULL = {"U1": {"D1": 40, "D2": 25, "K1": 1}, "U2": {"D1": 45, "D2": 20, "K1": 0}, "U3": {"D1": 30, "D2": 30, "K1": 2}}


def forget_memo() -> None:
    """What another process sees: nothing in this process's memo."""
    results_service._memo.clear()


def totals(engine: Engine, period: str = P, scheme: str = "t") -> dict[str, float]:
    r = results(scheme, period, engine=engine)
    return dict(zip(r.units["unit"].astype(str), r.units["total"], strict=True))


@pytest.fixture(scope="module")
def demo():  # noqa: ANN201
    return build_demo()


def test_results_match_scoring_the_demo_values_directly(demo_database: Engine, demo) -> None:  # noqa: ANN001
    scheme = load_scheme(SCHEME_DIR / "community_monthly.yaml")
    values = demo.values["community_monthly"]
    categories = demo.units.set_index("code")["category"]
    previous = score(scheme, values[values["period"] == "2025-02"], categories=categories).units
    expected = score(scheme, values[values["period"] == P], categories=categories, previous=previous).units
    got = results("community_monthly", P, engine=demo_database)
    assert got is not None and got.from_cache  # stored when the demo's values were imported
    cols = ["unit", "total", "rank", "grade", "bottom", "veto", "delta_total", "delta_rank"]
    pd.testing.assert_frame_equal(
        got.units[cols].astype({"unit": str, "grade": str}).reset_index(drop=True),
        expected[cols].astype({"unit": str, "grade": str}).reset_index(drop=True),
    )
    names = demo.units.set_index("code")["name"]
    assert list(got.units["name"]) == [names[u] for u in got.units["unit"].astype(str)]
    assert list(got.units.columns[:3]) == ["period", "unit", "name"]
    assert got.version.scheme_key == "community_monthly" and got.scheme.id == "community_monthly"


def test_every_demo_scheme_and_period_scores(demo_database: Engine) -> None:
    stacked = results_over_periods("community_monthly", engine=demo_database)
    assert sorted(stacked["period"].unique()) == [f"2025-{m:02d}" for m in range(1, 13)]
    for scheme in ("hospital_monthly", "staff_annual", "township_annual"):
        assert not results_over_periods(scheme, engine=demo_database).empty


def test_detail_is_available_from_a_cached_result(demo_database: Engine) -> None:
    first = results("township_annual", "2025", engine=demo_database)
    forget_memo()
    again = results("township_annual", "2025", engine=demo_database)
    assert again.from_cache
    pd.testing.assert_frame_equal(first.units, again.units)
    assert len(again.leaves) == len(first.leaves) > 0
    assert not again.explain("T10").empty
    assert set(again.tasks.columns) >= {"unit", "leaf", "task", "done"}


def test_no_values_no_results(small: SmallDb) -> None:
    assert results("t", P, engine=small.engine) is None
    assert results("nonexistent", P, engine=small.engine) is None


def test_cache_is_used_until_an_import_or_rollback_changes_the_values(small: SmallDb) -> None:
    small.put(P, FULL)
    first = results("t", P, engine=small.engine)
    assert first.from_cache  # stored by the import itself
    assert results("t", P, engine=small.engine) is first  # this process's memo
    forget_memo()
    assert results("t", P, engine=small.engine).from_cache  # the shared cache table
    before = totals(small.engine)

    changed = small.put(P, {"U1": {"D1": 10}})
    after_import = results("t", P, engine=small.engine)
    assert after_import is not first and after_import.from_cache
    assert totals(small.engine)["U1"] == before["U1"] - 30
    forget_memo()
    assert totals(small.engine)["U1"] == before["U1"] - 30  # the cache table was refreshed too

    submissions.rollback(changed.submission_id, "管理员", engine=small.engine)
    assert totals(small.engine) == before
    forget_memo()
    assert totals(small.engine) == before


def test_a_change_in_the_previous_period_refreshes_the_changes_shown(small: SmallDb) -> None:
    small.put("2025-02", FULL)
    small.put(P, FULL)
    assert set(results("t", P, engine=small.engine).units["delta_total"]) == {0.0}
    small.put("2025-02", {"U1": {"D1": 20}})
    units = results("t", P, engine=small.engine).units.set_index("unit")
    assert units.loc["U1", "delta_total"] == 20 and units.loc["U2", "delta_total"] == 0


def test_a_change_of_peer_group_refreshes_ranks(small: SmallDb) -> None:
    small.put(P, FULL)
    assert results("t", P, engine=small.engine).units["group_size"].tolist() == [3, 3, 3]
    upsert_units(
        pd.DataFrame({"code": ["U3"], "name": ["丙中心"], "category": ["测试类二"]}), "管理员", engine=small.engine
    )
    units = results("t", P, engine=small.engine).units.set_index("unit")
    assert units.loc["U3", "group_size"] == 1 and units.loc["U3", "rank"] == 1


def test_renaming_a_unit_shows_the_new_name(small: SmallDb) -> None:
    small.put(P, FULL)
    results("t", P, engine=small.engine)
    upsert_units(
        pd.DataFrame({"code": ["U1"], "name": ["甲中心（新）"], "category": ["测试类"]}), "管理员", engine=small.engine
    )
    forget_memo()
    assert results("t", P, engine=small.engine).units.set_index("unit").loc["U1", "name"] == "甲中心（新）"


def test_results_as_of_a_past_moment(small: SmallDb) -> None:
    small.put(P, FULL)
    time.sleep(0.002)
    then = datetime.now(UTC)
    before = totals(small.engine)
    small.put(P, {"U2": {"D1": 0}})
    past = results("t", P, as_of=then, engine=small.engine)
    assert dict(zip(past.units["unit"].astype(str), past.units["total"], strict=True)) == before
    assert totals(small.engine) != before
    assert results("t", P, as_of=datetime(2000, 1, 1, tzinfo=UTC), engine=small.engine) is None


def test_detail_asked_after_the_values_changed_is_refused(small: SmallDb) -> None:
    small.put(P, FULL)
    results("t", P, engine=small.engine)
    forget_memo()
    shown = results("t", P, engine=small.engine)
    assert shown.from_cache
    small.put(P, {"U1": {"D1": 1}})
    with pytest.raises(StaleResults, match="刷新"):
        _ = shown.leaves


def test_values_that_cannot_be_scored_raise_the_engines_problems(small: SmallDb) -> None:
    small.put(P, {"U1": {"D1": 40}})  # D2 missing
    with pytest.raises(ScoringInputError, match="缺少数值"):
        results("t", P, engine=small.engine)


def test_cache_rows_carry_the_fingerprint(small: SmallDb) -> None:
    small.put(P, FULL)
    r = results("t", P, engine=small.engine)
    with reading(small.engine) as s:
        assert s.scalars(select(ResultCache.fingerprint)).all() == [r.fingerprint]
    assert "|prev=none" in r.fingerprint
