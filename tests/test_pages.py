"""Every page, driven the way a person uses it, under Streamlit's AppTest on the demo district.

The `app` fixture signs in through the login page as the demo account of `login_role` (a
fixture, "admin" unless a test overrides it, e.g. `@pytest.mark.parametrize("login_role", ["viewer"])`).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest

from services.accounts import create_account
from services.bootstrap import DEMO_ACCOUNTS, DEMO_PASSWORD
from services.permissions import Actor
from storage.db import get_engine
from ui.nav import allowed_pages

APP = str(Path(__file__).resolve().parents[1] / "app.py")
DEMO_USER = {role: username for username, _, role, *_ in DEMO_ACCOUNTS}
# The pages an administrator may open (the unit account's own page is tested in test_permissions).
PAGE_PATHS = [path for pages in allowed_pages(Actor(0, "", "", "admin")).values() for path, _, _ in pages]


@pytest.fixture(scope="module")
def demo_url(_templates, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A private copy of the seeded demo database (SQLite) for the app under test."""
    path = tmp_path_factory.mktemp("app") / "assessment.db"
    shutil.copyfile(_templates.sqlite_file("demo"), path)
    return f"sqlite:///{path}"


def _as_a_running_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """A server leaves Streamlit's older `pages/`-folder mode for good once app.py has called
    st.navigation; AppTest re-enters it before every run, which loses the sidebar on reruns."""
    original = PagesManager.__init__

    def init(self, *args, **kwargs) -> None:  # noqa: ANN001, ANN002, ANN003
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", init)


def login(at: AppTest, username: str, password: str = DEMO_PASSWORD) -> AppTest:
    """Sign in through the login form, as a person would."""
    at.text_input(key="login_username").input(username)
    at.text_input(key="login_password").input(password)
    next(b for b in at.button if b.label == "登录").click().run()
    assert not at.exception, at.exception
    return at


def signed_in_app(url: str, role: str, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    """The app on database `url` in demo mode, signed in as the demo account of `role`."""
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("ASSESS_SEED_DEMO", "1")
    _as_a_running_server(monkeypatch)
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    return login(at, DEMO_USER[role])


@pytest.fixture
def app(demo_url: str, monkeypatch: pytest.MonkeyPatch, login_role: str) -> Iterator[AppTest]:
    monkeypatch.setenv("DATABASE_URL", demo_url)
    monkeypatch.setenv("ASSESS_SEED_DEMO", "1")  # demo mode: the demo accounts exist
    _as_a_running_server(monkeypatch)
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    login(at, DEMO_USER[login_role])
    assert not at.error, [e.value for e in at.error]
    yield at


def choose(at: AppTest, scheme: str, period: str | None = None) -> AppTest:
    """Choose in the bar at the top of a results page (from a page without it, 总览 first)."""
    if not any(w.key == "f_scheme" for w in at.selectbox):
        at.switch_page("pages/overview.py").run()
    at.selectbox(key="f_scheme").set_value(scheme).run()
    if period is not None:
        key = next(w.key for w in at.selectbox if w.key and w.key.startswith(f"f_period_{scheme}_"))
        at.selectbox(key=key).set_value(period).run()
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize("page", PAGE_PATHS)
def test_every_page_renders_without_error(app: AppTest, page: str) -> None:
    app.switch_page(page).run()
    assert not app.exception, app.exception
    assert app.title, f"{page} shows no title"


def test_overview_tiles_count_the_units_and_flags(app: AppTest) -> None:
    app.switch_page("pages/overview.py").run()  # administrators land on 全区总览
    choose(app, "community_monthly", "2025-08")
    tiles = {m.label: m.value for m in app.metric}
    assert tiles["参评单位"] == "8"
    assert tiles["一票否决"] == "1"  # C07 is vetoed in August in the demo
    assert {"前五名", "后五名", "进步最大", "退步最大"} <= {s.value for s in app.subheader}


def test_ranking_lists_a_vetoed_unit_last(app: AppTest) -> None:
    choose(app.switch_page("pages/ranking.py").run(), "community_monthly", "2025-08")
    table = app.dataframe[0].value
    assert list(table["名次"]) == sorted(table["名次"])
    last = table.iloc[-1]
    assert list(last["否决"]) == ["否决"] and list(last["等级"]) == ["不合格"]


def test_selecting_a_ranking_row_opens_that_units_drill_down(app: AppTest) -> None:
    choose(app.switch_page("pages/ranking.py").run(), "community_monthly", "2025-08")
    table = app.dataframe[0].value
    row = len(table) - 1  # the bottom unit
    app.session_state["ranking_table"] = {"selection": {"rows": [row], "columns": [], "cells": []}}
    app.run()
    assert not app.exception, app.exception
    assert app.title[0].value == "单位详情"
    assert app.session_state["unit"] == table.iloc[row]["unit"]
    assert "2025年8月" in app.caption[0].value  # the chosen period (not the latest) is kept across the change


def test_drill_down_explains_lost_points_and_flags(app: AppTest) -> None:
    choose(app.switch_page("pages/overview.py").run(), "community_monthly", "2025-12")
    app.session_state["unit"] = "C03"  # below the line all year in the demo
    app.switch_page("pages/unit_detail.py").run()
    assert not app.exception, app.exception
    assert any("末位" in w.value for w in app.warning)
    subheaders = [s.value for s in app.subheader]
    assert "失分明细（按失分从多到少）" in subheaders
    lost = next(d.value for d in app.dataframe if "失分" in d.value.columns)
    assert list(lost["失分"]) == sorted(lost["失分"], reverse=True)
    assert lost["计分过程"].str.len().min() > 0  # every lost point has its trace


def test_quarter_view_rolls_up_the_months(app: AppTest) -> None:
    app.switch_page("pages/overview.py").run()  # administrators land on 全区总览
    app.selectbox(key="f_scheme").set_value("community_monthly").run()
    app.button_group(key="f_kind_community_monthly").set_value("quarter").run()
    assert not app.exception, app.exception
    assert "由 3 个月平均得出" in app.caption[0].value


def test_peer_group_filter_narrows_the_units(app: AppTest) -> None:
    app.switch_page("pages/overview.py").run()  # administrators land on 全区总览
    choose(app, "staff_annual", "2025")
    parents = app.selectbox(key="f_parent")
    parents.set_value(parents.options[1]).run()
    shown = int(next(m.value for m in app.metric if m.label == "参评单位"))
    assert 0 < shown < 60


def test_empty_database_says_what_to_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    monkeypatch.setenv("ASSESS_SEED_DEMO", "0")
    _as_a_running_server(monkeypatch)
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception, at.exception
    assert at.title[0].value == "首次设置：创建管理员"  # no administrator yet: the first-run page
    assert any("create-user" in i.value for i in at.info)  # which also names the command
    create_account("first-admin", "管理员", "admin", "a-long-password", engine=get_engine())
    login(at.run(), "first-admin", "a-long-password")
    assert any("尚无已发布的考核结果" in i.value for i in at.info)  # 全区总览, the landing page
    at.switch_page("pages/progress.py").run()
    assert any("请先上传评分表" in i.value for i in at.info)
