"""Journeys in a real browser: Debian's Chromium, headless, driven by Playwright.

A real `streamlit run app.py` serves a copy of the demo database on a free port. Screenshots of
every page are written to `screenshots/` (git-ignored) for a person to look at.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

playwright = pytest.importorskip("playwright.sync_api")

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "screenshots"
CHROMIUM = "/usr/bin/chromium"
pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(_templates, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: apt-get install chromium fonts-noto-cjk (scripts/test.sh does it)")
    db = tmp_path_factory.mktemp("browser") / "assessment.db"
    shutil.copyfile(_templates.sqlite_file("demo"), db)
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "app.py",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail("streamlit did not start: " + proc.stdout.read().decode(errors="replace")[-2000:])
    yield url
    proc.terminate()
    proc.wait(timeout=20)


@pytest.fixture(scope="module")
def browser(server: str):
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
            ],
        )
        yield b
        b.close()


@pytest.fixture
def page(browser, server: str):
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
    pg = context.new_page()
    pg.set_default_timeout(30_000)
    yield pg
    context.close()


def settle(pg) -> None:
    """Wait until Streamlit has finished running the script."""
    pg.wait_for_selector("[data-testid='stAppViewContainer']")
    time.sleep(0.5)
    for _ in range(120):
        if pg.locator("[data-testid='stStatusWidget']").count() == 0:
            break
        time.sleep(0.25)
    time.sleep(1.0)
    assert pg.locator("[data-testid='stException']").count() == 0, "the page shows a traceback"


def shot(pg, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    pg.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def pick(pg, selectbox, option: str) -> None:
    """Open a selectbox and choose an option by its visible text, as a person would."""
    selectbox.scroll_into_view_if_needed()
    selectbox.locator("input").click()
    pg.get_by_role("option", name=option, exact=True).click()
    settle(pg)


def choose_option(pg, label: str, option: str) -> None:
    pick(pg, pg.locator("[data-testid='stSidebar'] [data-testid='stSelectbox']").filter(has_text=label), option)


def test_leadership_journey(page, server: str) -> None:
    """Open the app → rankings → pick a period → select a unit → its lost points and trend."""
    page.goto(server)
    settle(page)
    page.get_by_text("参评单位").wait_for()
    shot(page, "01_overview")

    choose_option(page, "考核方案", "社区卫生服务中心月度绩效考核（月度）")
    page.get_by_role("link", name="排名").click()
    settle(page)
    choose_option(page, "期间", "2025年8月")
    page.get_by_text("社区卫生服务中心月度绩效考核 · 版本 2025.1 · 2025年8月").wait_for()
    shot(page, "02_ranking")

    # Open a unit from the ranking (the form under the table: keyboard- and screen-reader-friendly).
    pick(page, page.locator("[data-testid='stForm'] [data-testid='stSelectbox']"), "西城街道社区卫生服务中心")
    page.get_by_role("button", name="打开").click()
    settle(page)
    page.get_by_role("heading", name="单位详情").wait_for()
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
    page.get_by_role("heading", name=title).wait_for()
    page.locator(".js-plotly-plot").first.wait_for()
    shot(page, f"04_{name}")


def test_chinese_renders_with_a_cjk_font(page, server: str) -> None:
    """The page's Chinese text is drawn with a real CJK font (not boxes): fonts-noto-cjk is present."""
    fonts = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True).stdout
    assert fonts.strip(), "no Chinese font installed: apt-get install fonts-noto-cjk"
