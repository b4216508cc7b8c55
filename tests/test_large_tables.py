"""Tables of a district larger than one page on 月度通报 and 填报进度: pages of rows, never a
pandas Styler over every unit (it sends them all and fails past its cell limit) (AppTest, SQLite)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest
from test_pages import _as_a_running_server

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_ranking_page import build_database  # noqa: E402

from services.accounts import authenticate, create_account  # noqa: E402
from services.permissions import trusted  # noqa: E402
from storage.db import make_engine  # noqa: E402
from ui import guard  # noqa: E402
from ui.tables import PAGE_ROWS  # noqa: E402

PASSWORD = "Large-District-Tulip-2025"

APP = str(ROOT / "app.py")
N_UNITS = PAGE_ROWS * 2 + 7  # three pages, the last one short


@pytest.fixture(scope="module")
def large_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('large') / 'large.db'}"
    build_database(url, N_UNITS, 2, n_leaves=8, log=lambda *_: None)
    engine = make_engine(url)
    with trusted():  # an administrator: 月度通报 and 填报进度 are both theirs
        create_account("large_admin", "管理员", "admin", PASSWORD, engine=engine)
    engine.dispose()
    return url


@pytest.fixture
def app(large_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppTest]:
    monkeypatch.setenv("DATABASE_URL", large_url)
    monkeypatch.setenv("ASSESS_SEED_DEMO", "0")
    _as_a_running_server(monkeypatch)
    at = AppTest.from_file(APP, default_timeout=120)
    engine = make_engine(large_url)
    with trusted():
        at.session_state[guard.TOKEN_KEY] = authenticate("large_admin", PASSWORD, engine=engine)
    engine.dispose()
    at.run()
    assert not at.exception, at.exception
    yield at


def _pages(at: AppTest, key: str, column: str) -> list:
    """Every page of the table (the one with `column`) behind the page chooser `key`, in order."""
    chooser = at.selectbox(key=key)
    assert len(chooser.options) == 3
    seen = []
    for page in range(3):
        at.selectbox(key=key).set_value(page).run()
        assert not at.exception, at.exception
        seen.append(next(d.value for d in at.dataframe if column in d.value.columns))
    return seen


def test_the_meeting_ranking_is_paged_with_every_unit_once_in_rank_order(app: AppTest) -> None:
    app.switch_page("pages/meeting.py").run()
    assert not app.exception, app.exception
    assert all(len(t.value) < N_UNITS for t in app.table)  # no every-row static table
    pages = _pages(app, "meeting_page_no", "标记")
    assert [len(p) for p in pages] == [PAGE_ROWS, PAGE_ROWS, N_UNITS - 2 * PAGE_ROWS]
    every = pd.concat(pages, ignore_index=True)
    assert every["单位"].is_unique and len(every) == N_UNITS
    for _, ranks in every.groupby("类别")["名次"]:  # ranked within each category, in page order
        assert ranks.is_monotonic_increasing
    first = pages[0].iloc[0]
    assert list(first["等级"]) == [first["等级"][0]] and first["等级"][0]  # one coloured pill
    assert all(set(flags) <= {"否决", "末位"} for p in pages for flags in p["标记"])


def test_the_progress_table_is_paged(app: AppTest) -> None:
    app.switch_page("pages/progress.py").run()
    assert not app.exception, app.exception
    app.toggle(key="progress_open").set_value(False).run()  # every unit, complete or not
    pages = _pages(app, "progress_page_no", "缺项数")
    assert [len(p) for p in pages] == [PAGE_ROWS, PAGE_ROWS, N_UNITS - 2 * PAGE_ROWS]
    assert len(set().union(*(set(p["单位编码"]) for p in pages))) == N_UNITS


def test_the_whatif_table_is_paged_with_every_unit_once(app: AppTest) -> None:
    app.switch_page("pages/whatif.py").run()
    assert not app.exception, app.exception
    pages = _pages(app, "wi_page_no", "总分(前)")
    assert [len(p) for p in pages] == [PAGE_ROWS, PAGE_ROWS, N_UNITS - 2 * PAGE_ROWS]
    assert len(set().union(*(set(p["单位"]) for p in pages))) == N_UNITS


def test_the_unit_register_is_paged(app: AppTest) -> None:
    app.switch_page("pages/admin_units.py").run()
    assert not app.exception, app.exception
    pages = _pages(app, "units_page_no", "别名（| 分隔）")
    rows = N_UNITS + 20  # and the 20 parent units of the benchmark register
    assert [len(p) for p in pages] == [PAGE_ROWS, PAGE_ROWS, rows - 2 * PAGE_ROWS]
    assert len(set().union(*(set(p["编码"]) for p in pages))) == rows


def test_task_suggestions_come_in_pages_of_fifty(app: AppTest) -> None:
    app.switch_page("pages/tasks.py").run()
    assert not app.exception, app.exception
    chooser = app.selectbox(key="suggest_page_no")
    assert chooser.label.startswith("共 ") and "项建议，每页 50 行" in chooser.label
    total = int(chooser.label.removeprefix("共 ").split(" ")[0])
    assert total > PAGE_ROWS

    def shown() -> set[str]:
        return {b.key for b in app.button if b.key and b.key.startswith("suggest_")}

    first = shown()
    assert len(first) == PAGE_ROWS
    chooser.set_value(len(chooser.options) - 1).run()
    assert not app.exception, app.exception
    last = shown()
    assert len(last) == total - (len(chooser.options) - 1) * PAGE_ROWS and not first & last


def test_beyond_the_listed_pages_the_page_is_typed_as_a_number(app: AppTest, monkeypatch: pytest.MonkeyPatch) -> None:
    """A chooser listing every page grows with the rows: beyond PAGE_CHOICES pages it is a number."""
    import ui.tables

    monkeypatch.setattr(ui.tables, "PAGE_CHOICES", 2)
    app.switch_page("pages/tasks.py").run()
    assert not app.exception, app.exception
    assert not [s for s in app.selectbox if s.key == "suggest_page_no"]
    number = app.number_input(key="suggest_page_no_number")
    assert "项建议，每页 50 行，共 " in number.label and number.value == 1 and number.max > 2

    def shown() -> set[str]:
        return {b.key for b in app.button if b.key and b.key.startswith("suggest_")}

    first = shown()
    number.set_value(number.max).run()
    assert not app.exception, app.exception
    last = shown()
    assert first and last and not first & last and len(last) <= PAGE_ROWS
