"""Real browser on a first start in demo mode: while the server prepares an empty database (the
demo takes seconds), the page says in Chinese what it is doing — never a bare spinner, never the
pages folder's English file names — and then shows the login page."""

from __future__ import annotations

import pytest
from browser_kit import serve, settle, shot

pytestmark = pytest.mark.browser


def test_a_first_start_shows_its_progress_in_chinese_then_the_login(browser, tmp_path) -> None:  # noqa: ANN001
    with serve(f"sqlite:///{tmp_path / 'first.db'}", ASSESS_SEED_DEMO="1") as url:
        pg = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN").new_page()
        pg.set_default_timeout(120_000)  # the demo's months load on a loaded machine too
        pg.goto(url)
        pg.get_by_text("正在准备数据库").first.wait_for()
        # each demo month as it loads: 「正在载入演示数据：…（3/38）」
        pg.get_by_text("正在载入演示数据").first.wait_for()
        shot(pg, "first-start")
        nav = pg.locator("[data-testid='stSidebarNav']")
        assert nav.count() == 0 or not nav.first.is_visible()  # no English page list meanwhile
        pg.get_by_label("用户名", exact=True).wait_for()  # ready: the login page
        settle(pg)
        assert pg.get_by_text("正在准备数据库").count() == 0
        pg.context.close()
