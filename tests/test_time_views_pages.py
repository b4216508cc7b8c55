"""排名 and 趋势 pages with the time views (issue 21 part 3): 同比 beside 较上期 (「—」 with the
reason when last year has no results), 本月 / 年度累计, and one item's trend over the months."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
from streamlit.testing.v1 import AppTest
from test_pages import APP, DEMO_USER, _as_a_running_server, choose, login

from services.catalog import latest_version
from services.submissions import import_values
from services.values import current_values
from storage.db import make_engine

LAST_YEAR = "2024-08"


@pytest.fixture(scope="module")
def demo_url(_templates, tmp_path_factory: pytest.TempPathFactory) -> str:  # noqa: ANN001
    """The demo district with August 2025's community values also stored as August 2024 (an
    unpublished draft): every unit's 同比 in August 2025 is then +0.00 for a draft reader."""
    path = tmp_path_factory.mktemp("app") / "assessment.db"
    shutil.copyfile(_templates.sqlite_file("demo"), path)
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    values = current_values("community_monthly", "2025-08", engine=engine)
    frame = values[["unit", "code", "value", "na", "assessor", "note"]].astype({"unit": str, "code": str})
    version = latest_version("community_monthly", engine=engine).id
    import_values(LAST_YEAR, version, frame, "测试员", "考核表.csv", b"x", engine=engine)
    engine.dispose()
    return url


@pytest.fixture
def app(demo_url: str, monkeypatch: pytest.MonkeyPatch, login_role: str) -> Iterator[AppTest]:
    monkeypatch.setenv("DATABASE_URL", demo_url)
    monkeypatch.setenv("ASSESS_SEED_DEMO", "1")
    _as_a_running_server(monkeypatch)
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    login(at, DEMO_USER[login_role])
    assert not at.exception, at.exception
    yield at


def captions(at: AppTest) -> str:
    return "\n".join(c.value for c in at.caption)


def test_ranking_shows_year_on_year_beside_the_previous_period(app: AppTest) -> None:
    choose(app, "community_monthly", "2025-08").switch_page("pages/ranking.py").run()
    assert not app.exception, app.exception
    table = app.dataframe[0].value
    columns = list(table.columns)
    assert columns.index("同比") == columns.index("名次变化") + 1 and "同比名次" in columns
    assert set(table["同比"]) == {"0.00"} and set(table["同比名次"]) == {"—"}
    # July 2025 has no July 2024: 「—」 and the reason
    choose(app, "community_monthly", "2025-07").run()
    table = app.dataframe[0].value
    assert set(table["同比"]) == {"—"}
    assert "去年同期（2024年7月）没有考核数据" in captions(app)


@pytest.mark.parametrize("login_role", ["viewer"])
def test_leadership_sees_no_year_on_year_from_an_unpublished_year(app: AppTest) -> None:
    choose(app, "community_monthly", "2025-08").switch_page("pages/ranking.py").run()
    assert not app.exception, app.exception
    assert set(app.dataframe[0].value["同比"]) == {"—"}
    assert "去年同期（2024年8月）尚无已发布的考核结果" in captions(app)


def test_year_to_date_ranking_is_the_mean_of_the_months(app: AppTest) -> None:
    choose(app, "community_monthly", "2025-03").switch_page("pages/ranking.py").run()
    months = {}
    for m in ("2025-01", "2025-02", "2025-03"):
        choose(app, "community_monthly", m).run()
        t = app.dataframe[0].value
        months[m] = dict(zip(t["unit"], t["总分"], strict=True))
    app.button_group(key="ranking_basis").set_value("年度累计").run()
    assert not app.exception, app.exception
    table = app.dataframe[0].value
    assert set(table["月数"]) == {3}
    for unit, total in zip(table["unit"], table["总分"], strict=True):
        mean = sum(months[m][unit] for m in months) / 3
        assert total == pytest.approx(mean, abs=0.006)  # the mean of the months' totals, to 2 decimals
    assert list(table["名次"]) == sorted(table["名次"])
    assert "2025年1—3月累计" in captions(app)
    assert set(table["同比"]) == {"—"} and "2024年1—3月累计" in captions(app)


def test_trend_page_shows_one_item_over_the_months(app: AppTest) -> None:
    choose(app, "community_monthly", "2025-12").switch_page("pages/trends.py").run()
    assert not app.exception, app.exception
    item = app.selectbox(key="trend_item")
    assert item.options and all(" " in o for o in item.options)
    item.set_value("A2").run()  # 处方合格率: a target item
    assert not app.exception, app.exception
    assert "指标趋势" in [s.value for s in app.subheader]
    charts = app.get("plotly_chart")
    assert len(charts) == 4  # 总分, 同类排名, the item's points and its actual value
    assert any("实际值（%）" in m.value for m in app.markdown)
    assert "所选 5 个单位" in captions(app)
    app.radio(key="trend_item_units").set_value("本期该项得分前 5 名和后 5 名").run()
    assert not app.exception, app.exception
    assert "该项得分前 5 名和后 5 名" in captions(app) or "全部单位" in captions(app)
