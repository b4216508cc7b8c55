"""本单位结果 in a real browser as the demo unit account (C03): the figures as 单位详情 formats
them, the 末位 text, and its own report downloaded through the button — with no other unit in
it. Screenshot: screenshots/my_unit_01.png."""

from __future__ import annotations

from pathlib import Path

import pytest
from browser_kit import demo_mode, settle, shot  # noqa: F401 - demo_mode is a fixture
from test_my_unit import others, workbook_text

from storage.db import make_engine

pytest.importorskip("playwright.sync_api")
pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("demo_mode")]


@pytest.mark.parametrize("login_role", ["unit"])
def test_the_unit_reads_its_page_and_downloads_only_its_own_report(page, server: str, _templates) -> None:  # noqa: ANN001
    page.get_by_role("heading", name="本单位结果").wait_for()  # a unit account's landing page
    settle(page)
    for label in ("总分", "同类名次", "等级", "同类中位数", "同类最高"):
        page.get_by_test_id("stMetricLabel").get_by_text(label, exact=True).wait_for()
    page.get_by_text("处理：月通报点名，限期整改").wait_for()
    page.get_by_text("低于末位线（80 分）").wait_for()
    page.get_by_role("heading", name="历次得分与名次").wait_for()
    page.set_viewport_size({"width": 1440, "height": 2600})
    settle(page)
    shot(page, "my_unit_01")
    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("button", name="下载本单位考核结果（Excel）").click()
    download = info.value
    assert download.suggested_filename.startswith("西城街道社区卫生服务中心_")
    data = Path(download.path()).read_bytes()
    text = workbook_text(data)
    assert "西城街道社区卫生服务中心" in text
    register = make_engine(f"sqlite:///{_templates.sqlite_file('demo')}")  # the server's copy's origin
    try:
        assert not [x for x in others("C03", register) if x in text]
    finally:
        register.dispose()
