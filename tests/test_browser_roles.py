"""Sign-in in a real browser, per role: the right menu, a refresh keeps you signed in (the
HttpOnly cookie set by the st.App route), logout, pages opened by URL."""

from __future__ import annotations

import pytest
from browser_kit import settle, shot, sign_in, sign_out

pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.browser

RESULTS = {"全区总览", "总览", "排名", "单位详情", "指标分析", "趋势", "月度通报"}
MENU = {
    "admin": RESULTS
    | {"模拟测算", "上传评分表", "提交记录", "单位管理", "方案管理", "期间管理", "账户管理", "审计日志", "我的账户"}
    | {"填报进度", "核对考核组", "审定发布"},
    "assessor": RESULTS | {"填报进度", "核对考核组", "上传评分表", "提交记录", "我的账户"},
    "viewer": RESULTS | {"我的账户"},
    "unit": {"本单位结果", "我的账户"},
}
for _menu in MENU.values():  # 站内消息 (issue 20): every role has its own messages
    _menu.add("站内消息")
    _menu.add("指标释义")  # issue 18: every role, the assessed units too, reads what each indicator means
for _role in ("admin", "assessor"):  # issue 20: 公示与申诉, 证明材料 and 整改任务 for those who assess
    MENU[_role] |= {"公示与申诉", "证明材料", "整改任务"}
MENU["unit"] |= {"申诉", "本单位整改"}  # issue 20: the unit's side of the cycle
EVERY = set().union(*MENU.values())


def menu(pg) -> set[str]:
    # a link's text is its icon's name, then its title
    return {t.strip().split("\n")[-1] for t in pg.locator("[data-testid='stSidebarNav'] a").all_inner_texts()}


def heading(pg) -> str:
    return pg.locator("h1").first.inner_text().strip()


@pytest.mark.parametrize("login_role", ["admin", "assessor", "viewer", "unit"])
def test_each_role_sees_its_menu_and_stays_signed_in_after_a_refresh(page, server: str, login_role: str) -> None:
    page.get_by_role("button", name="退出登录").wait_for()
    assert menu(page) == MENU[login_role]
    shot(page, f"roles_{login_role}")
    first = heading(page)
    page.reload()
    settle(page)
    page.get_by_role("button", name="退出登录").wait_for()
    assert heading(page) == first
    cookie = next(c for c in page.context.cookies() if c["name"] == "assess_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert page.evaluate("document.cookie").find("assess_session") == -1  # scripts cannot read it


@pytest.mark.parametrize("login_role", ["viewer"])
def test_a_page_not_allowed_does_not_open_by_url(page, server: str, login_role: str) -> None:
    for path in ("upload", "admin_accounts", "admin_audit"):
        page.goto(f"{server}/{path}")
        settle(page)
        page.get_by_role("button", name="退出登录").wait_for()
        # issue 21: 「无权访问本页」 in Chinese, not Streamlit's English "Page not found" dialog
        page.get_by_role("heading", name="无权访问本页").wait_for()
        assert page.get_by_text("Page not found").count() == 0, path
        assert page.get_by_role("dialog").count() == 0, path
        assert menu(page) == MENU["viewer"], path  # the refused page is not added to the menu
    shot(page, "roles_refused_page")


@pytest.mark.parametrize("login_role", [None])
def test_logout_and_pages_before_signing_in(page, server: str, login_role: None) -> None:
    page.goto(f"{server}/admin_accounts")
    settle(page)
    assert heading(page) == "登录"
    assert page.get_by_text("Page not found").count() == 0
    assert page.get_by_text("演示模式").count() == 1
    shot(page, "roles_login")
    page.get_by_label("用户名", exact=True).fill("demo-admin")
    page.get_by_label("密码", exact=True).fill("not-the-password")
    page.get_by_role("button", name="登录").click()
    page.get_by_text("用户名或密码错误").wait_for()

    sign_in(page, server, "demo-admin")
    assert heading(page) == "全区总览"  # issue 21: the administrator starts at the whole bureau
    sign_out(page)
    assert not [c for c in page.context.cookies() if c["name"] == "assess_session"]
    page.reload()
    settle(page)
    assert heading(page) == "登录"
