"""月度通报's Excel bulletin made as a background job in a real browser (ASSESS_EXPORT_JOB_UNITS=1
makes the demo district "large"): 「生成 Excel 通报」, then — with no further click, the progress
fragment redrawing itself — the download button, whose file opens."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from browser_kit import CHROMIUM, choose_option, serve, settle, shot

pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(_templates, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:  # noqa: ANN001
    """The demo district, every period counting as a province's (the bulletins are jobs)."""
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: apt-get install chromium fonts-noto-cjk (scripts/test.sh does it)")
    db = tmp_path_factory.mktemp("browser_job") / "assessment.db"
    shutil.copyfile(_templates.sqlite_file("demo"), db)
    with serve(f"sqlite:///{db}", ASSESS_SEED_DEMO="1", ASSESS_EXPORT_JOB_UNITS="1") as url:
        yield url


def test_the_excel_bulletin_job_ends_in_its_download(page, server: str, tmp_path: Path) -> None:  # noqa: ANN001
    page.goto(server)
    settle(page)
    page.get_by_role("link", name="月度通报").click()
    settle(page)
    choose_option(page, "考核方案", "社区卫生服务中心月度绩效考核（月度）")
    choose_option(page, "期间", "2025年8月")
    page.get_by_role("heading", name="2025年8月考核通报").wait_for()
    assert page.get_by_role("button", name="下载 Excel 通报").count() == 0
    page.get_by_role("button", name="生成 Excel 通报").click()
    ready = page.get_by_role("button", name="下载 Excel 通报")
    ready.wait_for(timeout=90_000)  # the fragment polls the job and redraws the page once it ends
    shot(page, "meeting_export_job_ready")
    with page.expect_download() as info:
        ready.click()
    download = info.value
    assert download.suggested_filename == "社区卫生服务中心月度绩效考核_2025年8月_考核通报.xlsx"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    assert openpyxl.load_workbook(path).sheetnames[:3] == ["说明", "排名", "明细"]
