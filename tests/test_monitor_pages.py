"""A monitoring-only scheme (监测方案) on every page under AppTest, on a copy of the demo district
with the scheme registered and two years of values for the 区级医院 (H05 leaves 门诊次均费用 blank)."""

from __future__ import annotations

import copy
import shutil
from collections.abc import Iterator

import pandas as pd
import pytest
import yaml
from sqlalchemy import create_engine
from streamlit.testing.v1 import AppTest
from test_monitor import ONLY
from test_pages import PAGE_PATHS, choose, signed_in_app

from reports.monitor import MONITOR_ONLY_NOTE
from services.catalog import register_scheme
from services.publishing import publish
from services.submissions import import_values

HOSPITALS = ["H01", "H02", "H03", "H04", "H05"]
VALUES = {
    "2024": {"H01": (260, 85), "H02": (240, 90), "H03": (250, 70), "H04": (300, 95), "H05": (None, 60)},
    "2025": {"H01": (245, 88), "H02": (255, 92), "H03": (230, 75), "H04": (310, 97), "H05": (None, 65)},
}


@pytest.fixture(scope="module")
def monitor_url(_templates, tmp_path_factory: pytest.TempPathFactory) -> str:  # noqa: ANN001
    path = tmp_path_factory.mktemp("mon") / "assessment.db"
    shutil.copyfile(_templates.sqlite_file("demo"), path)
    url = f"sqlite:///{path}"
    engine = create_engine(url)
    spec = copy.deepcopy(ONLY) | {"categories": ["区级医院"]}
    version = register_scheme(yaml.safe_dump(spec, allow_unicode=True), "测试员", engine=engine).version.id
    for period, by_unit in VALUES.items():
        rows = [
            (u, code, v, False, "", "")
            for u, (cost, beds) in by_unit.items()
            for code, v in (("M1", cost), ("M2", beds))
            if v is not None
        ]
        frame = pd.DataFrame(rows, columns=["unit", "code", "value", "na", "assessor", "note"])
        import_values(period, version, frame, "测试员", "监测.csv", frame.to_csv(index=False).encode(), engine=engine)
        publish("mon", period, "测试员", engine=engine)  # the meeting page shows published results
    engine.dispose()
    return url


@pytest.fixture
def app(monitor_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppTest]:
    at = signed_in_app(monitor_url, "admin", monkeypatch)
    yield choose(at, "mon", "2025")


@pytest.mark.parametrize("page", PAGE_PATHS)
def test_every_page_copes_with_a_monitoring_scheme(app: AppTest, page: str) -> None:
    app.switch_page(page).run()
    assert not app.exception, (page, app.exception)
    assert app.title, f"{page} shows no title"


def _info_texts(at: AppTest) -> str:
    return "\n".join(x.value for x in at.info)


@pytest.mark.parametrize("page", ["pages/ranking.py", "pages/overview.py", "pages/meeting.py"])
def test_ranking_pages_show_the_values_with_the_note(app: AppTest, page: str) -> None:
    app.switch_page(page).run()
    assert not app.exception, app.exception
    assert MONITOR_ONLY_NOTE in _info_texts(app)
    table = app.dataframe[0].value.set_index("单位编码")
    assert table.loc["H02", "门诊次均费用（元）"] == "255元" and table.loc["H05", "门诊次均费用（元）"] == "未填"
    assert "总分" not in table.columns and "名次" not in table.columns


def test_unit_detail_shows_value_reference_and_not_scored(app: AppTest) -> None:
    app.session_state["unit"] = "H03"
    app.switch_page("pages/unit_detail.py").run()
    assert not app.exception, app.exception
    rows = app.dataframe[0].value.set_index("指标编码")
    assert rows.loc["M1", "数值"] == "230元" and rows.loc["M1", "参考值"] == "250"
    assert rows.loc["M1", "与参考值比较"] == "优于参考值" and rows.loc["M1", "说明"] == "监测指标，不计分"
    assert not app.metric  # no total, rank or grade tiles


def test_criteria_analysis_shows_the_spread(app: AppTest) -> None:
    app.switch_page("pages/criteria.py").run()
    assert not app.exception, app.exception
    spread = app.dataframe[0].value.set_index("指标编码")
    # 2025: 245, 255, 230, 310 reported, H05 blank; median (245 + 255) / 2 = 250; 230 and 245 beat 250
    assert (spread.loc["M1", "填报单位数"], spread.loc["M1", "未填单位数"]) == (4, 1)
    assert (spread.loc["M1", "中位数"], spread.loc["M1", "优于参考值单位数"]) == ("250", "2")


def test_trends_chart_one_units_value_over_the_years(app: AppTest) -> None:
    app.switch_page("pages/trends.py").run()
    assert not app.exception, app.exception
    assert MONITOR_ONLY_NOTE in _info_texts(app)
    app.selectbox(key="monitor_unit").set_value("H04").run()
    assert not app.exception, app.exception
    assert len(app.get("plotly_chart")) == 1
