"""Time views (issue 21 part 3): 同比, 年度累计 and one item's trend, hand-computed on the small
database, on SQLite and PostgreSQL; leadership sees published months only."""

from __future__ import annotations

import math

import pytest
from conftest import SmallDb

from services import permissions
from services.dashboard import period_view
from services.permissions import Actor
from services.publishing import publish
from services.time_views import (
    item_choices,
    item_trend,
    last_year_label,
    year_on_year,
    year_to_date,
    year_to_date_on_year,
)

ADMIN = Actor(2, "admin2", "管理员乙", "admin")
VIEWER = Actor(4, "ld", "领导", "viewer")


def cells(d1: float, d2: float, k1: float) -> dict[str, float]:
    return {"D1": d1, "D2": d2, "K1": k1}  # total = d1 + d2 + (20 - 5 × k1)


def fill(small: SmallDb) -> None:
    small.put("2024-03", {"U1": cells(40, 20, 4), "U2": cells(45, 25, 1)})  # U1 60, U2 85
    small.put("2025-01", {"U1": cells(50, 30, 0), "U2": cells(40, 20, 2), "U3": cells(30, 30, 0)})  # 100 70 80
    small.put("2025-02", {"U1": cells(40, 30, 1), "U2": cells(45, 25, 0)})  # 85 90
    small.put("2025-03", {"U1": cells(45, 25, 0), "U2": cells(40, 20, 0), "U3": cells(50, 30, 0)})  # 90 80 100


def by_unit(frame, column: str) -> dict[str, float]:  # noqa: ANN001
    return {str(u): v for u, v in zip(frame["unit"], frame[column], strict=True)}


def test_last_year_labels() -> None:
    assert last_year_label("2025-03") == "2024-03"
    assert last_year_label("2025-Q1") == "2024-Q1"
    assert last_year_label("2025") == "2024"
    assert last_year_label("上月") is None


def test_year_on_year_by_hand(small: SmallDb) -> None:
    fill(small)
    view = period_view("t", "2025-03", engine=small.engine)
    yoy = year_on_year("t", "2025-03", view.units, 2, engine=small.engine)
    assert yoy.last_year == "2024-03" and yoy.available
    assert by_unit(yoy.units, "ly_total") == pytest.approx({"U1": 60.0, "U2": 85.0, "U3": math.nan}, nan_ok=True)
    # 2025-03: U3 100 (1st), U1 90 (2nd), U2 80 (3rd); 2024-03: U2 85 (1st), U1 60 (2nd)
    assert by_unit(yoy.units, "yoy_total") == pytest.approx({"U1": 30.0, "U2": -5.0, "U3": math.nan}, nan_ok=True)
    assert by_unit(yoy.units, "yoy_rank") == pytest.approx({"U1": 0.0, "U2": -2.0, "U3": math.nan}, nan_ok=True)
    assert "2024年3月" in yoy.note and "共 1 个" in yoy.note


def test_year_on_year_without_last_year_says_why(small: SmallDb) -> None:
    fill(small)
    view = period_view("t", "2025-01", engine=small.engine)
    yoy = year_on_year("t", "2025-01", view.units, 2, engine=small.engine)
    assert not yoy.available and yoy.units["yoy_total"].isna().all()
    assert "2024年1月" in yoy.note and "没有考核数据" in yoy.note
    # a quarter compares with the same quarter last year (a roll-up of its months)
    q = period_view("t", "2025-Q1", engine=small.engine)
    yq = year_on_year("t", "2025-Q1", q.units, 2, engine=small.engine)
    assert yq.last_year == "2024-Q1" and by_unit(yq.units, "ly_total")["U1"] == pytest.approx(60.0)


def test_year_to_date_by_hand(small: SmallDb) -> None:
    fill(small)
    ytd = year_to_date("t", "2025-03", engine=small.engine)
    assert ytd is not None and ytd.months == ["2025-01", "2025-02", "2025-03"]
    assert ytd.title == "2025年1—3月累计"
    # U1 (100 + 85 + 90) / 3 = 91.666… → 91.67; U2 (70 + 90 + 80) / 3 = 80; U3 (80 + 100) / 2 = 90
    assert by_unit(ytd.units, "total") == {"U1": 91.67, "U2": 80.0, "U3": 90.0}
    assert by_unit(ytd.units, "months") == {"U1": 3, "U2": 3, "U3": 2}
    assert by_unit(ytd.units, "rank") == {"U1": 1, "U3": 2, "U2": 3}
    # against January–February: U1 92.5 → 91.67, U2 80 → 80, U3 80 → 90
    assert by_unit(ytd.units, "delta_total") == pytest.approx({"U1": -0.83, "U2": 0.0, "U3": 10.0}, abs=1e-9)
    assert set(ytd.units["name"]) == {"甲中心", "乙中心", "丙中心"}
    # 同比 of the year to date: against January–March 2024 (only March: U1 60 2nd, U2 85 1st)
    yoy = year_to_date_on_year("t", ytd, engine=small.engine)
    assert yoy.last_year == "2024-03" and "2024年1—3月累计" in yoy.note
    assert by_unit(yoy.units, "yoy_total") == pytest.approx({"U1": 31.67, "U2": -5.0, "U3": math.nan}, nan_ok=True)
    assert by_unit(yoy.units, "yoy_rank") == pytest.approx({"U1": 1.0, "U2": -2.0, "U3": math.nan}, nan_ok=True)
    jan = year_to_date("t", "2025-01", engine=small.engine)
    assert jan is not None and by_unit(jan.units, "total") == {"U1": 100.0, "U2": 70.0, "U3": 80.0}
    assert year_to_date("t", "2023-05", engine=small.engine) is None
    assert year_to_date("t", "2025-Q1", engine=small.engine) is None


def test_leadership_gets_published_months_only(small: SmallDb, monkeypatch: pytest.MonkeyPatch) -> None:
    fill(small)
    publish("t", "2025-01", by=ADMIN, engine=small.engine)
    publish("t", "2025-03", by=ADMIN, engine=small.engine)
    monkeypatch.setattr(permissions, "_ambient", lambda: VIEWER)
    ytd = year_to_date("t", "2025-03", engine=small.engine)
    assert ytd is not None and ytd.months == ["2025-01", "2025-03"]  # February is not published
    assert by_unit(ytd.units, "total") == {"U1": 95.0, "U2": 75.0, "U3": 90.0}
    view = period_view("t", "2025-03", engine=small.engine)
    yoy = year_on_year("t", "2025-03", view.units, 2, engine=small.engine)
    assert not yoy.available and "尚无已发布的考核结果" in yoy.note  # 2024-03 has values, unpublished
    trend = item_trend("t", "D1", ["U1"], engine=small.engine)
    assert trend is not None and list(trend.data["period"]) == ["2025-01", "2025-03"]


def test_item_trend_by_hand(small: SmallDb) -> None:
    fill(small)
    trend = item_trend("t", "D1", ["U1", "U3"], engine=small.engine)
    assert trend is not None and trend.name == "直接评分一" and trend.points == 50
    got = {(p, u): e for p, u, e in zip(trend.data["period"], trend.data["unit"], trend.data["earned"], strict=True)}
    assert got == {
        ("2024-03", "U1"): 40.0,
        ("2025-01", "U1"): 50.0,
        ("2025-01", "U3"): 30.0,
        ("2025-02", "U1"): 40.0,
        ("2025-03", "U1"): 45.0,
        ("2025-03", "U3"): 50.0,
    }
    assert set(trend.data["name"]) == {"甲中心", "丙中心"}
    # without a choice: the best and worst on the item in the latest month, never more than ten
    # (2025-03 on D1: U3 50, U1 45, U2 40)
    ends = item_trend("t", "D1", None, ends=1, engine=small.engine)
    assert ends is not None and set(ends.data["unit"]) == {"U3", "U2"}
    assert "前 1 名和后 1 名" in ends.how
    many = item_trend("t", "K1", [f"U{i}" for i in range(30)], engine=small.engine)
    assert many is not None and many.how == "所选 10 个单位"
    assert item_trend("t", "NOPE", None, engine=small.engine) is None
    assert list(item_choices(view_scheme(small))) == ["D1", "D2", "K1"]


def view_scheme(small: SmallDb):  # noqa: ANN201
    return period_view("t", "2025-03", engine=small.engine).scheme
