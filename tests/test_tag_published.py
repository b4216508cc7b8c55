"""Tags on the published path: a copy of the demo district (SQLite) with tests/test_tags.py's scheme
registered for the 区级医院 and one month published. The Excel bulletin of the published period
carries the rates the results service computes (`results().scored.tags`), and 指标分析 filters its
items by tag.

Values (A1 10 分 核心指标+国家监测, A2 80 分, A3 扣分 2 分/次 核心指标), hand-computed 核心指标 rates:
H01 (8 + 4) / 20 = 60.0%; H02 11.99 / 20 = 59.95%; H03 不适用 「—」; H04 2 / 20 = 10.0%; H05 20 / 20 = 100.0%.
"""

from __future__ import annotations

import copy
import io
import shutil
from collections.abc import Iterator

import numpy as np
import openpyxl
import pandas as pd
import pytest
import yaml
from sqlalchemy import create_engine
from streamlit.testing.v1 import AppTest
from test_pages import choose, signed_in_app
from test_tags import _spec

from exports.bulletin_tags import TAG_SHEET
from services.catalog import register_scheme
from services.meeting import bulletin_workbook, meeting_bulletin
from services.publishing import publish
from services.results import published_only, results
from services.submissions import import_values

KEY, PERIOD = "tags", "2025-03"
VALUES = {"H01": (8, 80, 3), "H02": (7.99, 80, 3), "H03": (None, 70, None), "H04": (2, 50, 5), "H05": (10, 80, 0)}
CORE = {"H01": 0.6, "H02": 0.5995, "H03": None, "H04": 0.1, "H05": 1.0}


@pytest.fixture(scope="module")
def tagged_url(_templates, tmp_path_factory: pytest.TempPathFactory) -> str:  # noqa: ANN001
    path = tmp_path_factory.mktemp("tags") / "assessment.db"
    shutil.copyfile(_templates.sqlite_file("demo"), path)
    url = f"sqlite:///{path}"
    engine = create_engine(url)
    spec = copy.deepcopy(_spec()) | {"categories": ["区级医院"]}
    version = register_scheme(yaml.safe_dump(spec, allow_unicode=True), "测试员", engine=engine).version.id
    rows = [
        (u, code, np.nan if v is None else float(v), v is None, "", "")
        for u, values in VALUES.items()
        for code, v in zip(("A1", "A2", "A3"), values, strict=True)
    ]
    frame = pd.DataFrame(rows, columns=["unit", "code", "value", "na", "assessor", "note"])
    import_values(PERIOD, version, frame, "测试员", "标签.csv", frame.to_csv(index=False).encode(), engine=engine)
    publish(KEY, PERIOD, "测试员", engine=engine)
    engine.dispose()
    return url


def test_the_published_bulletin_shows_the_rates_the_results_service_computes(tagged_url: str) -> None:
    engine = create_engine(tagged_url)
    with published_only():
        found = results(KEY, PERIOD, engine=engine)
    assert found is not None
    tags = found.scored.tags
    core = tags[tags["tag"].astype(str) == "核心指标"]
    core = pd.Series(core["rate"].to_numpy(), index=core["unit"].astype(str))
    assert {u: (None if np.isnan(r) else pytest.approx(r)) for u, r in core.items()} == CORE
    bulletin, data = bulletin_workbook(KEY, PERIOD, "测试员", engine=engine)
    ws = openpyxl.load_workbook(io.BytesIO(data))[TAG_SHEET]
    sheet = {r[0]: r[2] for r in ws.iter_rows(min_row=3, values_only=True)}
    assert sheet == {u: "—" if r is None else pytest.approx(r) for u, r in CORE.items()}
    # the meeting page's bulletin (cached per view) holds the same rates as the exported one
    shown = meeting_bulletin(KEY, PERIOD, engine=engine).tag_rates
    assert shown["rate_text"].tolist() == bulletin.tag_rates["rate_text"].tolist()
    assert shown[shown["tag"] == "核心指标"].set_index("unit")["rate_text"].to_dict() == {
        "H01": "60.0%", "H02": "59.95%", "H03": "—", "H04": "10.0%", "H05": "100.0%",
    }  # fmt: skip
    engine.dispose()


@pytest.fixture
def app(tagged_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppTest]:
    at = signed_in_app(tagged_url, "admin", monkeypatch)
    yield choose(at, KEY, PERIOD)


def _lost_items(at: AppTest) -> list[str]:
    table = next(d.value for d in at.dataframe if "编码" in d.value.columns and "失分合计" in d.value.columns)
    return sorted(table["编码"].astype(str))


def test_the_criteria_page_filters_its_items_by_tag(app: AppTest) -> None:
    app.switch_page("pages/criteria.py").run()
    assert not app.exception, app.exception
    box = app.selectbox(key=f"criteria_tag_{KEY}")
    assert box.label == "标签" and box.options == ["全部", "★核心指标", "国家监测"]
    assert _lost_items(app) == ["A1", "A2", "A3"]
    box.set_value("★核心指标").run()
    assert not app.exception, app.exception
    assert _lost_items(app) == ["A1", "A3"]
    app.selectbox(key=f"criteria_tag_{KEY}").set_value("国家监测").run()
    assert _lost_items(app) == ["A1"]


def test_the_meeting_page_names_the_units_a_tag_rule_hit(app: AppTest) -> None:
    app.switch_page("pages/meeting.py").run()
    assert not app.exception, app.exception
    assert "标签得分率" in [h.value for h in app.header]
    lines = next(m.value for m in app.markdown if "标签规则" not in m.value and "核心指标得分率" in m.value)
    assert lines.count("\n") == 1  # H02 and H04, not H01 at exactly 60%
    assert "59.95%" in lines and "10.0%" in lines
    table = next(d.value for d in app.dataframe if "★核心指标" in d.value.columns)
    assert table["★核心指标"].tolist()[:2] == ["100.0%", "60.0%"]  # ranking order: H05 100, H01 92
