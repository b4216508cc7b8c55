"""Journeys in a real browser: Debian's Chromium, headless, driven by Playwright.

A real `streamlit run app.py` serves a copy of the demo database on a free port (fixtures in
`browser_kit.py`). Screenshots of every page are written to `screenshots/` (git-ignored).
"""

from __future__ import annotations

import subprocess

import pytest
from browser_kit import choose_option, settle, shot

pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.browser


def test_leadership_journey(page, server: str) -> None:
    """Open the app → rankings → pick a period → select a unit → its lost points and trend."""
    page.goto(server)
    settle(page)
    page.get_by_role("link", name="总览", exact=True).click()  # an administrator lands on 全区总览 (issue 21)
    settle(page)
    page.get_by_text("参评单位").wait_for()
    shot(page, "01_overview")

    choose_option(page, "考核方案", "社区卫生服务中心月度绩效考核（月度）")
    page.get_by_role("link", name="排名").click()
    settle(page)
    choose_option(page, "期间", "2025年8月")
    page.get_by_text("社区卫生服务中心月度绩效考核 · 版本 2025.1 · 2025年8月").wait_for()
    shot(page, "02_ranking")

    # Open a unit by selecting its row in the ranking table (the grid's row marker, left of the row).
    grid = page.locator("[data-testid='stDataFrame']").first
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    row_height = 35
    page.mouse.click(box["x"] + 12, box["y"] + row_height * 1.5)  # first row, under the header
    settle(page)
    page.get_by_role("heading", name="单位详情").wait_for()
    # The unit opened is August's first, and the page still shows August (the filters are kept).
    page.get_by_text("社区卫生服务中心月度绩效考核 · 版本 2025.1 · 2025年8月").wait_for()
    assert page.get_by_test_id("stMetricValue").first.inner_text() == "93.95"  # 北关's August total
    page.get_by_text("失分明细（按失分从多到少）").wait_for()
    page.get_by_text("历次得分与名次").scroll_into_view_if_needed()
    page.locator(".js-plotly-plot").nth(1).wait_for()  # score and rank over time
    shot(page, "03_unit_detail")


@pytest.mark.parametrize("name,title", [("criteria", "指标分析"), ("trends", "趋势")])
def test_analysis_pages_render(page, server: str, name: str, title: str) -> None:
    page.goto(server)
    settle(page)
    page.get_by_role("link", name=title).click()
    settle(page)
    page.get_by_role("heading", name=title, exact=True).wait_for()
    page.locator(".js-plotly-plot").first.wait_for()
    shot(page, f"04_{name}")


def test_chinese_renders_with_a_cjk_font(page, server: str) -> None:
    """The page's Chinese text is drawn with a real CJK font (not boxes): fonts-noto-cjk is present."""
    fonts = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True).stdout
    assert fonts.strip(), "no Chinese font installed: apt-get install fonts-noto-cjk"
