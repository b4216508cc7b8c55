"""No user sees a traceback, a server path or another unit's data (finding 3).

A month whose values are incomplete cannot be scored; the scoring error lists the missing cells
of other units. Such a month is a draft that cannot be published, so a unit account choosing it
sees one Chinese sentence (not published yet); the months before still show. Should published
values ever fail to score, the unit is told so in a sentence that names no unit. Any unexpected
error on a page shows a plain Chinese message, and Streamlit is told never to show error details.
"""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import pytest
from sqlalchemy import Engine
from streamlit import config
from streamlit.testing.v1 import AppTest
from test_pages import APP, DEMO_USER, _as_a_running_server, login

from scoring.errors import ScoringInputError
from services import submissions
from services.catalog import latest_version, list_units
from services.own_unit import INCOMPLETE, ResultsIncomplete, own_unit
from services.permissions import Actor
from services.values import current_values
from storage.db import make_engine
from ui.guard import PAGE_FAILED

ROOT = Path(__file__).resolve().parents[1]
SCHEME = "community_monthly"
MONTH = "2026-01"  # after the demo year: only part of C01's cells are in
NOT_PUBLISHED = "2026年1月：本期考核结果尚未发布。"
UNIT = Actor(
    50, "u", "单位", "unit", unit_code="C03", unit_name="西城街道社区卫生服务中心", unit_category="社区卫生服务中心"
)


def add_incomplete_month(engine: Engine) -> None:
    """C01's December values without indicator A2, as January: January cannot be scored."""
    v = current_values(SCHEME, "2025-12", engine=engine)
    part = v[(v["unit"] == "C01") & (v["code"] != "A2")].drop(columns=["submission_id"]).assign(period=MONTH)
    version = latest_version(SCHEME, engine=engine).id
    submissions.import_values(MONTH, version, part, "考核组", "一月.csv", b"x", engine=engine)


@pytest.fixture(scope="module")
def incomplete_url(_templates, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("incomplete") / "assessment.db"
    shutil.copyfile(_templates.sqlite_file("demo"), path)
    engine = make_engine(f"sqlite:///{path}")
    add_incomplete_month(engine)
    engine.dispose()
    return f"sqlite:///{path}"


def others(engine: Engine | None = None) -> list[str]:
    units = list_units(engine=engine)
    units = units[units["code"] != "C03"]
    return [*units["code"].astype(str), *units["name"].astype(str)]


# -- the service -----------------------------------------------------------------------------------
def test_an_incomplete_month_shows_a_unit_nothing_and_names_no_other_unit(demo_database: Engine) -> None:
    add_incomplete_month(demo_database)
    assert own_unit(SCHEME, MONTH, by=UNIT, engine=demo_database) is None  # a draft: not published
    december = own_unit(SCHEME, "2025-12", by=UNIT, engine=demo_database)
    assert december is not None and december.row is not None
    assert MONTH not in set(december.history["period"])  # no published result: left out of the history
    assert len(december.history) == 12


def test_published_values_that_fail_to_score_are_refused_without_naming_any_unit(
    demo_database: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    import services.own_unit

    def unscorable(*_: object, **__: object) -> None:
        raise ScoringInputError(["C01「A2」: 缺少数值"])

    monkeypatch.setattr(services.own_unit, "period_view", unscorable)
    with pytest.raises(ResultsIncomplete) as caught:
        own_unit(SCHEME, "2025-12", by=UNIT, engine=demo_database)
    assert str(caught.value) == INCOMPLETE
    assert not any(name in str(caught.value) for name in others(demo_database))


# -- the page --------------------------------------------------------------------------------------
@pytest.fixture
def unit_app(incomplete_url: str, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("DATABASE_URL", incomplete_url)
    monkeypatch.setenv("ASSESS_SEED_DEMO", "1")
    _as_a_running_server(monkeypatch)
    at = AppTest.from_file(APP, default_timeout=90).run()
    login(at, DEMO_USER["unit"])
    assert at.title[0].value == "本单位结果"
    return at


def shown_text(at: AppTest) -> str:
    parts = [e.value for e in [*at.markdown, *at.text, *at.caption, *at.info, *at.error, *at.warning]]
    parts += [str(m.value) for m in at.metric] + [f.value.to_string() for f in at.dataframe]
    return "\n".join(str(p) for p in parts)


def test_a_unit_account_on_an_incomplete_month_sees_a_chinese_message_and_nothing_else(unit_app: AppTest) -> None:
    at = unit_app
    key = f"own_period_{SCHEME}_month"
    assert at.selectbox(key=key).value == MONTH  # the newest month is chosen first
    assert not at.exception, at.exception
    assert [i.value for i in at.info] == [NOT_PUBLISHED]
    assert not at.metric and not at.dataframe
    text = shown_text(at)
    assert not any(name in text for name in others()), text
    assert "Traceback" not in text and 'File "' not in text and "Error" not in text

    at.selectbox(key=key).set_value("2025-12").run()  # a complete month still shows
    assert not at.exception, at.exception
    assert at.metric[0].label == "总分" and not at.info


def test_an_unexpected_error_on_a_page_shows_a_plain_message(unit_app: AppTest, monkeypatch) -> None:  # noqa: ANN001
    """Its traceback goes to the server log only."""
    import services.own_unit

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("/srv/assessment/secret.py: 东城社区卫生服务中心 C01 失败")

    monkeypatch.setattr(services.own_unit, "own_unit", broken)
    monkeypatch.delenv("ASSESS_RAISE_PAGE_ERRORS", raising=False)  # as in production
    unit_app.run()
    assert not unit_app.exception, unit_app.exception
    assert [e.value for e in unit_app.error] == [PAGE_FAILED]
    assert "secret" not in shown_text(unit_app) and "C01" not in shown_text(unit_app)


def test_streamlit_is_told_never_to_show_error_details() -> None:
    settings = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    value = settings["client"]["showErrorDetails"]
    assert value == config.ShowErrorDetailsConfigOptions.NONE == "none"
