"""站内消息 in a real browser (issue 20, part 5): an administrator republishes a corrected month;
the unit account then sees 「站内消息 1 条未读」 in the sidebar, opens the message, follows its
link to 本单位结果, and marks everything read — the badge goes. Screenshots: screenshots/messages_*.png.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from browser_kit import CHROMIUM, demo_mode, serve, settle, shot, sign_in, sign_out  # noqa: F401 - demo_mode is a fixture
from test_browser_journeys import month_in_sidebar

from services.catalog import latest_version
from services.submissions import import_values
from services.values import current_values
from storage.db import make_engine

pytest.importorskip("playwright.sync_api")
pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("demo_mode")]

KEY, PERIOD = "community_monthly", "2025-12"


@pytest.fixture(scope="module")
def server(_templates, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The demo district with C03's 2025-12 values corrected in the draft (not yet published)."""
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: apt-get install chromium fonts-noto-cjk (scripts/test.sh does it)")
    db = tmp_path_factory.mktemp("messages") / "assessment.db"
    shutil.copyfile(_templates.sqlite_file("demo"), db)
    engine = make_engine(f"sqlite:///{db}")
    values = current_values(KEY, PERIOD, engine=engine)
    mine = values[values["unit"].astype(str) == "C03"]
    frame = pd.DataFrame(
        {"unit": "C03", "code": mine["code"].astype(str), "value": mine["value"] * 0, "na": mine["na"],
         "assessor": mine["assessor"].astype(str)}
    )  # fmt: skip
    frame.loc[frame["na"], "value"] = float("nan")
    import_values(PERIOD, latest_version(KEY, engine=engine).id, frame, "测试考核员", "c03.csv", b"c03", engine=engine)
    engine.dispose()
    with serve(f"sqlite:///{db}", ASSESS_SEED_DEMO="1") as url:
        yield url


def badge(pg):  # noqa: ANN001, ANN201
    return pg.locator("[data-testid='stSidebarUserContent'] a").filter(has_text="条未读")


@pytest.mark.parametrize("login_role", ["unit"])
def test_a_republication_reaches_the_unit_as_a_message_it_can_follow_and_mark_read(
    page,  # noqa: ANN001
    server: str,
    login_role: str,
) -> None:
    page.set_default_timeout(60_000)
    page.get_by_role("heading", name="本单位结果").first.wait_for()
    assert badge(page).count() == 0  # the demo accounts start with no messages
    sign_out(page)

    sign_in(page, server, "demo-admin")
    page.get_by_role("link", name="审定发布", exact=True).click()
    settle(page)
    month_in_sidebar(page, "2025年12月")
    page.get_by_text("个单位的总分或排名将改变").wait_for()
    page.get_by_text("我已复核以上数据和变化，确认发布", exact=True).click()
    page.get_by_role("button", name="确认发布").click()
    settle(page)
    page.get_by_text("第 2 次发布").wait_for()
    sign_out(page)

    sign_in(page, server, "demo-unit")
    badge(page).filter(has_text="站内消息 1 条未读").wait_for()
    shot(page, "messages_1_badge")
    badge(page).click()
    settle(page)
    page.get_by_role("heading", name="站内消息").first.wait_for()
    page.get_by_text("2025年12月 社区卫生服务中心月度绩效考核 考核结果已重新发布（第 2 次）").wait_for()
    page.get_by_text("本单位有变化：总分").wait_for()
    shot(page, "messages_2_page")

    page.get_by_role("link", name="查看详情").click()
    settle(page)
    page.get_by_role("heading", name="本单位结果").first.wait_for()
    page.get_by_role("link", name="站内消息", exact=True).click()  # the menu entry
    settle(page)
    page.get_by_role("button", name="全部标为已读").click()
    settle(page)
    page.get_by_text("已将 1 条消息标为已读").wait_for()
    page.get_by_text("没有未读消息", exact=True).wait_for()
    assert badge(page).count() == 0
    shot(page, "messages_3_all_read")
