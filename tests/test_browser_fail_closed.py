"""In a real browser against `streamlit run serve.py` (findings 2, 3 and 8):

- a download button already on screen serves nothing once the session has ended in the
  database (signed out in another tab, or the account deactivated): the button says why in
  Chinese, the refusal is in the audit trail, and no file reaches the browser;
- a download in time reaches the browser and is audited;
- a unit account on a month whose values are incomplete sees a Chinese sentence, no traceback
  and nothing of any other unit;
- a page typed as a URL that the role does not open is in the audit trail.

The server runs on its own copy of the demo district, with an incomplete month added and two
accounts of this module's own, so the database can be changed and read here.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_kit import CHROMIUM, serve, settle, shot, sign_in, sign_out
from sqlalchemy import Engine
from test_no_traceback import add_incomplete_month

from services import accounts
from services.audit import audit_log
from services.catalog import list_units
from services.permissions import trusted
from storage.db import make_engine

pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.browser

PASSWORD = "a-long-password"
ADMINS = ("bx-admin", "bx-admin-2")
ERROR = "[data-testid='stDownloadButtonError']"


@pytest.fixture(scope="module")
def database(_templates, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    path = tmp_path_factory.mktemp("browser_fail_closed") / "assessment.db"
    shutil.copyfile(_templates.sqlite_file("demo"), path)
    engine = make_engine(f"sqlite:///{path}")
    add_incomplete_month(engine)
    for number, name in enumerate(ADMINS, 1):
        accounts.create_account(name, f"测试管理员{number}", "admin", PASSWORD, engine=engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def server(database: Engine) -> Iterator[str]:
    """browser_kit's server, on this module's database."""
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: apt-get install chromium fonts-noto-cjk (scripts/test.sh does it)")
    with serve(database.url.render_as_string(hide_password=False), ASSESS_SEED_DEMO="1") as url:
        yield url


def log(database: Engine, **filters: object):  # noqa: ANN201
    with trusted():
        return audit_log(engine=database, **filters)


def wait_for_entry(database: Engine, timeout: float = 30.0, **filters: object):  # noqa: ANN201
    """The audit entries matching `filters`, once there is one (refusals are written a moment later)."""
    deadline = time.monotonic() + timeout
    while True:
        found = log(database, **filters)
        if len(found) or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def open_submissions(pg, server: str):  # noqa: ANN001, ANN201
    """The 提交记录 page with its 下载原始文件 section open; returns the download button."""
    pg.goto(f"{server}/submissions")
    settle(pg)
    pg.get_by_text("下载原始文件").click()
    button = pg.locator("[data-testid='stDownloadButton'] button").first
    button.wait_for()
    return button


def refused_without_a_file(pg, button) -> None:  # noqa: ANN001
    """Click: no file arrives, and the button says why in Chinese (never Streamlit's English)."""
    files: list[object] = []
    pg.on("download", lambda d: files.append(d))
    button.click()
    pg.locator(ERROR).wait_for(timeout=60_000)
    said = pg.locator(ERROR).evaluate("e => getComputedStyle(e, '::after').content")
    assert "文件未能生成" in said and "登录" in said, said
    assert pg.locator(ERROR).evaluate("e => getComputedStyle(e).fontSize") == "0px"  # the English is not seen
    pg.wait_for_timeout(1500)  # a file that was going to arrive would have by now
    assert files == []


@pytest.mark.parametrize("login_role", [None])
def test_a_download_in_time_arrives_and_one_after_signing_out_elsewhere_does_not(
    page, server: str, database: Engine, login_role: None
) -> None:
    sign_in(page, server, ADMINS[0], PASSWORD)
    button = open_submissions(page, server)
    with page.expect_download(timeout=60_000) as got:
        button.click()
    assert Path(got.value.path()).stat().st_size > 0
    assert len(log(database, action="export", actor=ADMINS[0])) == 1
    shot(page, "fail_closed_download_in_time")

    other = page.context.new_page()  # the same browser, another tab: signs out (the session ends)
    other.goto(server)
    settle(other)
    sign_out(other)
    other.close()

    refused_without_a_file(page, button)
    shot(page, "fail_closed_download_refused")
    refused = wait_for_entry(database, action="access.denied", actor=ADMINS[0])
    assert refused["target"].iloc[0].startswith("download:submission:"), refused
    assert "登录已结束" in refused["message"].iloc[0]
    assert len(log(database, action="export", actor=ADMINS[0])) == 1  # nothing more was handed out


@pytest.mark.parametrize("login_role", [None])
def test_the_audit_csv_is_refused_once_the_account_is_deactivated(
    page, server: str, database: Engine, login_role: None
) -> None:
    sign_in(page, server, ADMINS[1], PASSWORD)
    page.goto(f"{server}/admin_audit")
    settle(page)
    button = page.get_by_role("button", name="导出 CSV")
    assert page.locator("a[href*='/media/']").count() == 0  # no file waits at a /media/ URL
    with trusted():
        accounts.update_account(ADMINS[1], active=False, engine=database)
    refused_without_a_file(page, button)
    refused = wait_for_entry(database, action="access.denied", actor=ADMINS[1])
    assert refused["target"].iloc[0] == "download:audit_log", refused
    assert not len(log(database, action="export", actor=ADMINS[1]))


@pytest.mark.parametrize("login_role", ["unit"])
def test_a_unit_account_on_an_incomplete_month_sees_no_traceback_and_no_other_unit(
    page, server: str, database: Engine, login_role: str
) -> None:
    page.get_by_role("heading", name="本单位结果").wait_for()
    page.get_by_text("本期考核结果尚未发布").wait_for()  # an incomplete month is a draft, never published
    settle(page)  # also: no traceback element
    shot(page, "fail_closed_unit_incomplete")
    body = page.locator("[data-testid='stMain']").inner_text()
    with trusted():
        units = list_units(engine=database)
    others = units[units["code"] != "C03"]
    assert not [n for n in [*others["code"], *others["name"]] if str(n) in body], body
    assert "Traceback" not in body and "Error" not in body and "ScoringInputError" not in body


@pytest.mark.parametrize("login_role", ["viewer"])
def test_a_page_typed_as_a_url_that_the_role_does_not_open_is_audited(
    page, server: str, database: Engine, login_role: str
) -> None:
    page.goto(f"{server}/admin_accounts")
    settle(page)
    page.get_by_role("heading", name="无权访问本页").wait_for()  # issue 21: not "Page not found"
    refused = wait_for_entry(database, action="access.denied", target="page:pages/admin_accounts.py")
    assert refused["actor"].tolist() == ["演示领导（demo-viewer）"], refused
