"""指标分析's heatmap stays readable and small at any size (issue 23): beyond HEAT_UNITS units it shows
the lowest-scoring units, one group's, or one row per 同类分组; a group's row opens that group."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest
from test_pages import app, choose, demo_url  # noqa: F401 - app, demo_url: fixtures

import reports.criteria as criteria
from reports.criteria import heat_rows, heat_scopes
from services.dashboard import period_view
from services.permissions import trusted
from storage.db import get_engine

UNITS = pd.DataFrame(
    {
        "unit": ["U1", "U2", "U3", "U4", "U5"],
        "category": ["甲", "甲", "乙", "乙", "乙"],
        "total": [90.0, 60.0, 75.0, 95.0, 70.0],
    }
)
MATRIX = pd.DataFrame(
    {"A1": [1.0, 0.5, 0.8, 1.0, 0.6], "T1": [1.0, 0.0, float("nan"), 1.0, 0.5]},
    index=["U1", "U2", "U3", "U4", "U5"],
)


def test_every_unit_fits_no_chooser_all_rows() -> None:
    assert heat_scopes(UNITS, limit=5) == {}
    shown, labels = heat_rows(MATRIX, UNITS, None, limit=5)
    assert shown.index.tolist() == ["U1", "U2", "U3", "U4", "U5"] and labels == {}


def test_beyond_the_limit_the_lowest_units_one_group_or_the_groups() -> None:
    scopes = heat_scopes(UNITS, limit=2)
    assert scopes == {
        "得分最低的 2 个单位": None,
        "各同类分组平均": "@category",
        "甲（2 个单位）": "category:甲",
        "乙：得分最低的 2 个": "category:乙",
    }
    assert heat_rows(MATRIX, UNITS, None, limit=2)[0].index.tolist() == ["U2", "U5"]  # 60, 70
    assert heat_rows(MATRIX, UNITS, "category:乙", limit=2)[0].index.tolist() == ["U5", "U3"]  # 70, 75 of 乙
    groups, labels = heat_rows(MATRIX, UNITS, "@category", limit=2)
    assert groups.index.tolist() == ["@category:乙", "@category:甲"]  # sorted as the chooser lists them
    assert groups.loc["@category:甲", "A1"] == pytest.approx(0.75)  # (1.0 + 0.5) / 2
    assert groups.loc["@category:乙", "T1"] == pytest.approx(0.75)  # U3 not assessed: (1.0 + 0.5) / 2
    assert labels == {"@category:甲": "甲（2 个单位，平均）", "@category:乙": "乙（3 个单位，平均）"}


def test_one_group_only_no_group_choices() -> None:
    one = UNITS.assign(category="甲")
    assert list(heat_scopes(one, limit=2)) == ["得分最低的 2 个单位"]


def _heat_rows(at: AppTest) -> list[str]:
    chart = next(c for c in at.get("plotly_chart") if "score_heatmap" in c.proto.id)
    return json.loads(chart.proto.spec)["data"][0]["y"]


def _village_units(at: AppTest) -> pd.DataFrame:
    """The units the page shows: 村卫生室 under five 乡镇卫生院 (上级单位), one 同类分组."""
    key = next(w.key for w in at.selectbox if w.key and w.key.startswith("f_period_village_monthly_"))
    with trusted():
        view = period_view("village_monthly", at.selectbox(key=key).value, engine=get_engine())
    assert view is not None
    return view.units


def test_the_page_shows_at_most_the_limit_and_a_group_row_opens_its_units(app: AppTest, monkeypatch) -> None:  # noqa: F811 - app: the fixture
    monkeypatch.setattr(criteria, "HEAT_UNITS", 4)
    app.switch_page("pages/criteria.py").run()
    choose(app, "village_monthly")
    assert not app.exception, app.exception
    units = _village_units(app)
    assert len(units) > 4 and units["parent"].nunique() > 1
    chooser = next(s for s in app.selectbox if s.label == "热力图显示")
    assert chooser.value == "得分最低的 4 个单位"
    assert _heat_rows(app) == units.sort_values(["total", "unit"]).head(4)["name"].tolist()

    chooser.set_value("各上级单位平均").run()
    assert not app.exception, app.exception
    parents = units.drop_duplicates("parent").sort_values("parent")
    assert [r.split("（")[0] for r in _heat_rows(app)] == parents["parent_name"].tolist()

    # a click on a group's row (the customdata the chart gives it) shows that group's units
    first = parents.iloc[0]
    app.session_state["score_heatmap"] = {
        "selection": {"points": [{"customdata": [f"@parent:{first['parent']}", "F1"]}], "box": [], "lasso": []}
    }
    app.run()
    assert not app.exception, app.exception
    assert app.title[0].value == "指标分析"  # a group is not a unit: the page stays
    chooser = next(s for s in app.selectbox if s.label == "热力图显示")
    assert chooser.value.startswith(first["parent_name"])
    members = units[units["parent"] == first["parent"]].sort_values(["total", "unit"]).head(4)
    assert _heat_rows(app) == members["name"].tolist()
