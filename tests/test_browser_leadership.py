"""Issue 21's leadership journey in a real browser, on a copy of the demo district: a director
lands on 全区总览, opens the month's last unit in one click (黑榜 first), its biggest loss in one
more, and sends the address to a colleague, who lands on the same view after signing in.
Screenshots at 1366×768, 1440×900 and 1920×1080: screenshots/leadership_*.png (the whole page)
and screenshots/leadership_*_fold.png (what the screen shows without scrolling).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from browser_kit import CHROMIUM, DEMO_PASSWORD, DEMO_USER, SHOTS, demo_mode, serve, settle, shot, sign_in  # noqa: F401
from playwright.sync_api import expect
from sqlalchemy import Engine

from services.cockpit import cockpit, cockpit_periods
from services.dashboard import period_view
from services.permissions import trusted
from storage.db import make_engine

pytest.importorskip("playwright.sync_api")
pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("demo_mode")]
TIPS = "[data-baseweb='tooltip'], [role='tooltip']"
SIZES = [(1366, 768), (1440, 900), (1920, 1080)]
_db: dict[str, str] = {}


@pytest.fixture(scope="module")
def server(_templates, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: apt-get install chromium fonts-noto-cjk (scripts/test.sh does it)")
    db = tmp_path_factory.mktemp("leadership") / "assessment.db"
    shutil.copyfile(_templates.sqlite_file("demo"), db)
    _db["url"] = f"sqlite:///{db}"
    with serve(_db["url"], ASSESS_SEED_DEMO="1") as url:
        yield url


@pytest.fixture
def engine() -> Iterator[Engine]:
    e = make_engine(_db["url"])
    yield e
    e.dispose()


def _expected(engine: Engine) -> tuple[str, str, str, str]:
    """(unit name, unit code, worst item code, scheme) of the newest month's 黑榜 first, from the
    services (not from the page under test)."""
    with trusted():
        month = cockpit_periods(engine=engine)[0]
        last = cockpit(month, engine=engine).black.iloc[0]
        view = period_view(str(last["scheme"]), str(last["period"]), engine=engine)
    explained = view.detail.explain(str(last["unit"]))
    lost = explained[explained["lost"] > 1e-9].sort_values(["lost", "code"], ascending=[False, True])
    return str(last["name"]), str(last["unit"]), str(lost.iloc[0]["code"]), str(last["scheme"])


def _chosen_unit(pg) -> str:  # noqa: ANN001
    """What 单位详情's 单位 chooser shows (its text, or the value of its search box)."""
    box = pg.get_by_test_id("stSelectbox").filter(has=pg.get_by_text("单位", exact=True)).last
    inputs = box.locator("input")
    return box.inner_text() + (inputs.first.input_value() if inputs.count() else "")


def _h1(pg) -> str:  # noqa: ANN001
    return pg.locator("h1").first.inner_text().strip()


def _shots(pg, name: str) -> None:  # noqa: ANN001
    for width, height in SIZES:
        pg.set_viewport_size({"width": width, "height": height})
        settle(pg)
        shot(pg, f"leadership_{name}_{width}")
        pg.screenshot(path=str(SHOTS / f"leadership_{name}_{width}_fold.png"))


def test_the_last_unit_and_its_worst_item_in_two_clicks_and_a_link_that_lands_there(
    browser, server: str, engine: Engine
) -> None:  # noqa: ANN001
    name, code, item, scheme = _expected(engine)
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    pg = context.new_page()
    pg.set_default_timeout(60_000)
    sign_in(pg, server, DEMO_USER["viewer"])
    assert _h1(pg) == "全区总览"  # where leadership lands
    _shots(pg, "cockpit")
    pg.set_viewport_size({"width": 1366, "height": 768})

    # The 末位 and 一票否决 tiles lead to their list further down the page.
    pg.get_by_role("link", name="查看名单").first.click()
    expect(pg.get_by_role("heading", name="末位与一票否决")).to_be_in_viewport()

    # Click 1: the month's last unit, first on the 黑榜.
    first = pg.locator(".st-key-cockpit_black_0 button").first
    assert name in first.inner_text()
    first.click()
    settle(pg)
    assert _h1(pg) == "单位详情"
    assert name in _chosen_unit(pg)

    # Click 2: the item it lost most points on (the first row of 失分明细, by its row marker).
    grid = pg.locator(".st-key-lost_table [data-testid='stDataFrame']")
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    pg.mouse.click(box["x"] + 12, box["y"] + 35 * 1.5)
    settle(pg)
    pg.get_by_role("heading", name=f"指标详情：{item} ").wait_for()
    query = parse_qs(urlparse(pg.url).query)
    assert query["unit"] == [code] and query["item"] == [item] and query["scheme"] == [scheme]
    _shots(pg, "item")
    link = pg.url
    context.close()

    # The address sent to a colleague, opened in another browser: sign in, and the same view.
    other = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    pg = other.new_page()
    pg.set_default_timeout(60_000)
    pg.goto(link)
    settle(pg)
    pg.get_by_label("用户名", exact=True).fill(DEMO_USER["viewer"])
    pg.get_by_label("密码", exact=True).fill(DEMO_PASSWORD)
    pg.get_by_role("button", name="登录").click()
    pg.get_by_role("button", name="退出登录").wait_for()
    settle(pg)
    assert _h1(pg) == "单位详情"
    pg.get_by_role("heading", name=f"指标详情：{item} ").wait_for()
    assert name in _chosen_unit(pg)
    assert parse_qs(urlparse(pg.url).query)["unit"] == [code]
    # The link survives a refresh too.
    pg.reload()
    settle(pg)
    pg.get_by_role("heading", name=f"指标详情：{item} ").wait_for()
    shot(pg, "leadership_shared_link_1920")
    other.close()


def test_the_table_toolbar_speaks_chinese(page) -> None:  # noqa: ANN001
    """Streamlit's own table toolbar (搜索, 全屏 …): names and tooltips in Chinese (ui/widget_text.py)."""
    page.get_by_role("link", name="排名", exact=True).click()
    settle(page)
    page.locator("[data-testid='stDataFrame']").first.hover()
    buttons = page.locator("[data-testid='stElementToolbar']").first.locator("button")
    buttons.first.wait_for()
    labels = [buttons.nth(i).get_attribute("aria-label") for i in range(buttons.count())]
    assert "搜索" in labels and "全屏" in labels, labels
    assert not [x for x in labels if x is None or re.search("[A-Za-z]", x)], labels
    for i in range(buttons.count()):
        buttons.nth(i).hover()
        tip = page.locator(TIPS).filter(has_text=labels[i])
        tip.first.wait_for()  # the tooltip shows the Chinese name
    assert not [t for t in page.locator(TIPS).all_inner_texts() if re.search("[A-Za-z]", t)]
