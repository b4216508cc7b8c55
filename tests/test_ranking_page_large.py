"""The ranking page on a district larger than one page of rows: paged table, capped chart,
selection on a later page opens the right unit (AppTest, SQLite)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from test_pages import _as_a_running_server

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_ranking_page import _sign_in, build_database  # noqa: E402

from ui.tables import CHART_BARS, PAGE_ROWS  # noqa: E402

APP = str(ROOT / "app.py")
N_UNITS = PAGE_ROWS * 2 + 7  # three pages, the last one short


@pytest.fixture(scope="module")
def large_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('large') / 'large.db'}"
    build_database(url, N_UNITS, 2, n_leaves=8, log=lambda *_: None)
    return url


@pytest.fixture
def ranking(large_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppTest]:
    monkeypatch.setenv("DATABASE_URL", large_url)
    monkeypatch.setenv("ASSESS_SEED_DEMO", "0")
    _as_a_running_server(monkeypatch)
    at = AppTest.from_file(APP, default_timeout=120)
    _sign_in(at, large_url)
    at.run()
    at.switch_page("pages/ranking.py").run()
    assert not at.exception, at.exception
    yield at


def test_the_table_shows_one_page_of_rows_and_every_page_is_reachable(ranking: AppTest) -> None:
    pages = ranking.selectbox(key="ranking_page_no")
    assert len(pages.options) == 3
    first = ranking.dataframe[0].value
    assert len(first) == PAGE_ROWS
    pages.set_value(2).run()
    last = ranking.dataframe[0].value
    assert len(last) == N_UNITS - 2 * PAGE_ROWS
    assert not set(first["unit"]) & set(last["unit"])


def test_selecting_a_row_on_a_later_page_opens_that_unit(ranking: AppTest) -> None:
    ranking.selectbox(key="ranking_page_no").set_value(1).run()
    shown = ranking.dataframe[0].value
    ranking.session_state["ranking_table"] = {"selection": {"rows": [3], "columns": [], "cells": []}}
    ranking.run()
    assert not ranking.exception, ranking.exception
    assert ranking.title[0].value == "单位详情"
    assert ranking.session_state["unit"] == shown.iloc[3]["unit"]


def test_the_chart_keeps_to_the_first_and_last_units(ranking: AppTest) -> None:
    import json

    spec = json.loads(ranking.get("plotly_chart")[0].proto.spec)
    bars = sum(len(trace["y"]) for trace in spec["data"])
    assert bars == CHART_BARS
    assert any(f"前 {CHART_BARS // 2} 名" in c.value for c in ranking.caption)
