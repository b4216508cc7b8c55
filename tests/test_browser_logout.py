"""Real browser (Playwright + Chromium) on `streamlit run serve.py`: logout still works for a user
now that it is a same-origin POST that ends the server session; pages still render under the
Content-Security-Policy; a real installation starts on the first-run page, not with demo accounts.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
from browser_kit import DEMO_USER, serve, server_log, settle, shot, sign_in, sign_out

from services.bootstrap import DEMO_PASSWORD
from ui.auth_routes import COOKIE

pytestmark = pytest.mark.browser

# Collects what the Content-Security-Policy blocked, before any page script runs.
CSP_PROBE = """
window.__cspBlocked = [];
document.addEventListener('securitypolicyviolation',
  e => window.__cspBlocked.push(e.violatedDirective + ' ' + e.blockedURI));
"""


def session_cookie(pg) -> dict | None:
    return next((c for c in pg.context.cookies() if c["name"] == COOKIE), None)


def csp_blocked(pg) -> list[str]:
    return pg.evaluate("window.__cspBlocked || []")


@pytest.mark.parametrize("login_role", [None])
def test_logout_signs_out_and_the_old_cookie_no_longer_signs_in(page, browser, server: str) -> None:
    page.add_init_script(CSP_PROBE)
    sign_in(page, server, DEMO_USER["admin"])
    cookie = session_cookie(page)
    assert cookie is not None and cookie["httpOnly"]
    sign_out(page)
    assert session_cookie(page) is None
    page.reload()
    settle(page)
    page.get_by_role("heading", name="登录").wait_for()
    assert page.get_by_role("button", name="退出登录").count() == 0
    assert csp_blocked(page) == [], csp_blocked(page)
    # The cookie as it was before logout (kept by a copy, a backup, a thief) signs nobody in.
    other = browser.new_context(locale="zh-CN")
    try:
        other.add_cookies([cookie])
        pg = other.new_page()
        pg.set_default_timeout(30_000)
        pg.goto(server)
        settle(pg)
        pg.get_by_role("heading", name="登录").wait_for()
        assert pg.get_by_role("button", name="退出登录").count() == 0
    finally:
        other.close()


@pytest.mark.parametrize("login_role", [None])
def test_pages_with_charts_render_under_the_content_security_policy(page, server: str) -> None:
    page.add_init_script(CSP_PROBE)
    sign_in(page, server, DEMO_USER["admin"])
    for path, title in (("ranking", "排名"), ("trends", "趋势")):
        page.goto(f"{server}/{path}")
        settle(page)
        page.locator("[data-testid='stPlotlyChart']").first.wait_for()
        page.locator(".js-plotly-plot .main-svg").first.wait_for()
        assert page.get_by_role("heading", name=re.compile(title)).count() >= 1
        shot(page, f"csp-{path}")
        assert csp_blocked(page) == [], csp_blocked(page)


# -- a real installation: no demo, the first-run page -------------------------------------------
@pytest.fixture(scope="module")
def real_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh machine started without demo mode (ASSESS_SEED_DEMO unset)."""
    path = tmp_path_factory.mktemp("real") / "assessment.db"
    with serve(f"sqlite:///{path}", ASSESS_SEED_DEMO="") as url:
        yield url


def printed_setup_code(url: str) -> str:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = re.findall(r"设置码：(\d{4}-\d{4}-\d{4})", server_log(url))
        if found:
            return found[-1]
        time.sleep(0.25)
    raise AssertionError("the server printed no setup code: " + server_log(url)[-2000:])


def test_a_real_installation_starts_with_the_first_run_page(browser, real_server: str) -> None:
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
    pg = context.new_page()
    pg.set_default_timeout(30_000)
    try:
        pg.add_init_script(CSP_PROBE)
        pg.goto(real_server)
        settle(pg)
        pg.get_by_role("heading", name="首次设置：创建管理员").wait_for()
        assert pg.get_by_text("演示模式").count() == 0 and pg.get_by_text(DEMO_PASSWORD).count() == 0
        pg.get_by_label("再次输入密码", exact=True).wait_for()
        shot(pg, "first-run")
        # A page's URL shows the first-run page too, and a wrong code creates nothing.
        pg.goto(f"{real_server}/admin_accounts")
        settle(pg)
        pg.get_by_role("heading", name="首次设置：创建管理员").wait_for()
        fill_setup(pg, "0000-0000-0000")
        pg.get_by_text("设置码不正确").wait_for()
        fill_setup(pg, printed_setup_code(real_server))
        pg.get_by_role("button", name="退出登录").wait_for()
        settle(pg)
        assert pg.get_by_text("局长（管理员）").count() == 1
        pg.reload()  # the cookie keeps the new administrator signed in
        settle(pg)
        pg.get_by_role("button", name="退出登录").wait_for()
        sign_out(pg)  # now that an administrator exists, the login page, not the first-run page
        assert pg.get_by_role("heading", name="首次设置：创建管理员").count() == 0
        # The demo administrator does not exist here.
        pg.get_by_label("用户名", exact=True).fill(DEMO_USER["admin"])
        pg.get_by_label("密码", exact=True).fill(DEMO_PASSWORD)
        pg.get_by_role("button", name="登录").click()
        pg.get_by_text("用户名或密码错误").wait_for()
        assert csp_blocked(pg) == []
    finally:
        context.close()


def fill_setup(pg, code: str) -> None:
    pg.get_by_label("设置码", exact=True).fill(code)
    pg.get_by_label("管理员用户名", exact=True).fill("boss")
    pg.get_by_label("姓名", exact=True).fill("局长")
    pg.get_by_label(re.compile("^密码")).fill("a-long-password-1")
    pg.get_by_label("再次输入密码", exact=True).fill("a-long-password-1")
    pg.get_by_role("button", name="创建管理员并登录").click()
    settle(pg)
