"""Uploading a scoresheet in a real browser: download the template, fill it as a person would
(openpyxl), upload it, read the preview, confirm, see the result; a bad file shows its located
errors and an annotated copy. Screenshots: screenshots/upload_*.png."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest
from browser_kit import demo_mode, pick, settle, shot  # noqa: F401 - demo_mode is a fixture

from services.bootstrap import DEMO_PASSWORD

pytest.importorskip("playwright.sync_api")
pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("demo_mode")]

SCHEME = "社区卫生服务中心月度绩效考核（月度）"


def _open_upload_page(pg, server: str) -> None:  # noqa: ANN001
    pg.set_viewport_size({"width": 1440, "height": 2400})  # tall: screenshots show tables and buttons
    pg.goto(server)
    link = pg.get_by_role("link", name="上传评分表")
    link.or_(pg.get_by_label("用户名")).first.wait_for(timeout=90_000)  # the first run sets up the demo
    settle(pg)
    if pg.get_by_label("用户名").count():  # not signed in yet (the page fixture may have done it)
        pg.get_by_label("用户名").fill("demo-admin")
        pg.get_by_label("密码").fill(DEMO_PASSWORD)
        pg.get_by_role("button", name="登录").click()
        settle(pg)
    link.click()
    settle(pg)
    pg.get_by_role("heading", name="上传评分表").wait_for()
    main = pg.locator("[data-testid='stMain'] [data-testid='stSelectbox']")
    pick(pg, main.filter(has_text="考核方案"), SCHEME)
    period = main.filter(has_text="考核期间")
    period.locator("input").click()
    pg.keyboard.type("2025年8月")  # the long list is virtualised: filter it as a person would
    pg.get_by_role("option", name="2025年8月（已有数据）", exact=True).click()
    settle(pg)
    assessor = pg.get_by_role("textbox", name="考核人 / 考核组（可选）")
    assessor.fill("考核一组")
    assessor.press("Enter")
    settle(pg)


def _download_template(pg, tmp_path: Path, edit: dict[tuple[str, str], object]) -> Path:  # noqa: ANN001
    pg.get_by_text("预填当前数据", exact=True).click()
    settle(pg)
    with pg.expect_download() as info:
        pg.get_by_role("button", name="下载模板（8 个单位）").click()
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    wb = openpyxl.load_workbook(path)
    ws = wb["评分"]
    rows = {ws.cell(r, 1).value: r for r in range(8, ws.max_row + 1)}
    cols = {ws.cell(7, c).value: c for c in range(1, ws.max_column + 1)}
    for (unit, code), value in edit.items():
        ws.cell(rows[unit], cols[code]).value = value
    wb.save(path)
    return path


def _upload(pg, path: Path) -> None:  # noqa: ANN001
    pg.locator("[data-testid='stFileUploader'] input[type='file']").set_input_files(str(path))
    settle(pg)


def test_download_fill_upload_preview_confirm(page, server: str, tmp_path: Path) -> None:  # noqa: ANN001
    _open_upload_page(page, server)
    shot(page, "upload_01_choose")
    path = _download_template(page, tmp_path, {("C08", "A1"): 2})
    assert path.name == "社区卫生服务中心月度绩效考核_2025-08_评分表.xlsx"

    _upload(page, path)
    page.get_by_role("heading", name="3. 预览：导入后会发生什么").wait_for()
    page.get_by_text("涉及 8 个单位、").wait_for()
    page.get_by_text("新增 0 个，修改 1 个").wait_for()
    page.get_by_text("对总分和名次的影响").wait_for()
    assert page.locator("[data-testid='stMetricValue']").all_inner_texts()[:3] == ["8", "0", "1"]
    shot(page, "upload_02_preview")

    page.get_by_role("textbox", name="提交说明（可选）").fill("8月更正（浏览器）")
    page.get_by_role("button", name="确认导入").click()
    settle(page)
    page.get_by_text("已导入 128 个数值").wait_for()  # 8 units × 16 codes (社区 has a 监测指标)
    shot(page, "upload_03_done")

    page.get_by_role("link", name="提交记录", exact=True).click()
    settle(page)
    page.get_by_role("heading", name="提交记录").wait_for()
    page.get_by_role("heading", name="撤回提交").wait_for()
    shot(page, "upload_04_history")


def test_a_bad_file_shows_located_errors_and_an_annotated_copy(page, server: str, tmp_path: Path) -> None:  # noqa: ANN001
    _open_upload_page(page, server)
    path = _download_template(page, tmp_path, {("C02", "A2"): "九十", ("C03", "A1"): 99})
    _upload(page, path)
    page.get_by_role("heading", name="3. 发现错误，未导入").wait_for()
    page.get_by_text("有 2 处错误，整份表格没有导入任何数据").wait_for()
    annotated = page.get_by_role("button", name="下载标注了错误的工作簿（错误单元格标红并附批注）")
    annotated.wait_for()
    assert page.get_by_role("button", name="确认导入").count() == 0
    shot(page, "upload_05_errors")

    with page.expect_download() as info:
        annotated.click()
    marked = openpyxl.load_workbook(io.BytesIO(Path(info.value.path()).read_bytes()))
    ws = marked["评分"]
    bad = {c.coordinate: c.comment.text for row in ws.iter_rows() for c in row if c.comment is not None}
    assert "'九十' 不是数字" in bad["D9"] and "'99' 超出范围" in bad["C10"]
    assert marked.sheetnames[0] == "校验结果"
