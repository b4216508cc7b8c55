"""The monthly meeting in a real browser: 月度通报 renders for a chosen month, the Excel bulletin
and the CSV ranking download and open; 模拟测算 shows before and after. Screenshots go to
`screenshots/` (meeting_*.png) for a look at how they read on a projector."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
import pytest
from browser_kit import choose_option, settle, shot

pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.browser

SCHEME = "社区卫生服务中心月度绩效考核（月度）"


def open_meeting(page, server: str, period: str = "2025年8月") -> None:  # noqa: ANN001
    page.goto(server)
    settle(page)
    page.get_by_role("link", name="月度通报").click()  # the choosers are at the top of a results page
    settle(page)
    choose_option(page, "考核方案", SCHEME)
    choose_option(page, "期间", period)
    page.get_by_role("heading", name=f"{period}考核通报").wait_for()


def test_meeting_page_and_bulletin_download(page, server: str, tmp_path: Path) -> None:  # noqa: ANN001
    open_meeting(page, server)
    for heading in ("末位与一票否决", "排名", "进步与退步", "未达标目标", "标签得分率", "与上期相比"):
        page.get_by_role("heading", name=heading).wait_for()
    page.get_by_text("2025年8月共考核 8 个单位").wait_for()
    assert page.locator("[data-testid='stTable']").first.locator("tbody tr").count() == 8
    shot(page, "meeting_01_bulletin")
    page.set_viewport_size({"width": 1440, "height": 3400})  # the whole page, for a look at every section
    settle(page)
    shot(page, "meeting_01_bulletin_whole")
    page.set_viewport_size({"width": 1440, "height": 1000})

    with page.expect_download() as info:
        page.get_by_role("button", name="下载 Excel 通报").click()
    download = info.value
    assert download.suggested_filename == "社区卫生服务中心月度绩效考核_2025年8月_考核通报.xlsx"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["说明", "排名", "明细", "未达标", "末位与否决", "趋势", "监测指标", "标签得分率"]
    ranking = [r for r in wb["排名"].iter_rows(min_row=3, values_only=True)]
    assert len(ranking) == 8 and ranking[-1][12] == "是"  # the vetoed unit last
    assert wb["说明"]["A1"].value == "社区卫生服务中心月度绩效考核 2025年8月 考核通报"

    with page.expect_download() as info:
        page.get_by_role("button", name="下载排名 CSV").click()
    data = Path(info.value.path()).read_bytes()
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][:4] == ["同类排名", "总排名", "单位编码", "单位名称"] and len(rows) == 9


def test_meeting_page_of_a_month_with_units_below_the_line(page, server: str) -> None:  # noqa: ANN001
    open_meeting(page, server, "2025年12月")
    page.get_by_text("处理：月通报点名，限期整改").first.wait_for()
    page.set_viewport_size({"width": 1280, "height": 720})  # a common projector resolution
    settle(page)
    page.screenshot(path=str(Path(__file__).resolve().parents[1] / "screenshots" / "meeting_02_projector.png"))


def test_whatif_page_shows_before_and_after(page, server: str) -> None:  # noqa: ANN001
    page.goto(server)
    settle(page)
    page.get_by_role("link", name="模拟测算").click()
    settle(page)
    choose_option(page, "考核方案", SCHEME)
    choose_option(page, "期间", "2025年8月")
    page.get_by_role("heading", name="调整前后对比").wait_for()
    page.get_by_role("heading", name="资金结算参数").scroll_into_view_if_needed()
    switch = page.get_by_role("switch", name="试算资金结算")
    if not switch.is_checked():
        page.locator("label").filter(has=switch).click()  # the label takes the pointer, as for a person
    settle(page)
    page.get_by_text("结算方式").wait_for()
    page.get_by_text("调整后金额合计（元）").wait_for(timeout=60_000)
    page.set_viewport_size({"width": 1440, "height": 2600})
    settle(page)
    shot(page, "meeting_03_whatif")
