"""证明材料 in a real browser: an administrator uploads a photo and a page disguised as a PDF for a
unit's item, sees the photo kept and the disguised file refused, downloads the photo back byte for
byte, and finds it in 单位详情's drill-down. Screenshots: screenshots/evidence_*.png."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from browser_kit import SHOTS, choose_option, demo_mode, pick, settle, shot  # noqa: F401 - demo_mode is a fixture
from PIL import Image

pytest.importorskip("playwright.sync_api")
pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("demo_mode")]

SCHEME = "社区卫生服务中心月度绩效考核（月度）"


def test_upload_refuse_download_and_drill_down(page, server: str, tmp_path: Path) -> None:  # noqa: ANN001
    page.set_viewport_size({"width": 1440, "height": 2000})
    photo = tmp_path / "现场照片.jpg"
    out = io.BytesIO()
    Image.new("RGB", (320, 240), (30, 140, 90)).save(out, "JPEG")
    photo.write_bytes(out.getvalue())
    fake = tmp_path / "督查记录.pdf"
    fake.write_bytes(b"<!DOCTYPE html><html><script>alert(1)</script></html>")

    page.get_by_role("link", name="证明材料").click()
    settle(page)
    page.get_by_role("heading", name="证明材料").wait_for()
    main = page.locator("[data-testid='stMain'] [data-testid='stSelectbox']")
    pick(page, main.filter(has_text="考核方案"), SCHEME)
    period = page.get_by_role("combobox", name="考核期间")
    if period.count() != 1 or period.input_value() != "2025年12月（已有数据）":
        period.first.click()
        page.keyboard.type("2025年12月")
        page.get_by_role("option", name="2025年12月（已有数据）", exact=True).click()
        settle(page)
    unit = main.filter(has_text="单位").first.locator("input")
    unit.click()
    page.keyboard.type("C03")
    page.get_by_role("option").filter(has_text="（C03）").first.click()
    settle(page)

    page.locator("[data-testid='stFileUploader'] input[type='file']").set_input_files([str(photo), str(fake)])
    settle(page)
    page.get_by_role("textbox", name="说明（可选）").fill("12月现场督查")
    page.get_by_role("button", name="上传").click()
    page.get_by_text("已保存「现场照片.jpg」").wait_for(timeout=60_000)
    page.get_by_text("文件「督查记录.pdf」的内容不是").wait_for()
    settle(page)
    shot(page, "evidence_01_uploaded")

    with page.expect_download() as info:
        page.get_by_role("button", name="下载「现场照片.jpg」").click()
    saved = tmp_path / "down.jpg"
    info.value.save_as(saved)
    assert info.value.suggested_filename == "现场照片.jpg" and saved.read_bytes() == photo.read_bytes()

    page.get_by_role("link", name="单位详情").click()
    settle(page)
    choose_option(page, "考核方案", SCHEME)
    detail = page.locator("[data-testid='stMain'] [data-testid='stSelectbox']").filter(has_text="单位").first
    detail.locator("input").click()
    page.get_by_role("option").filter(has_text="西城").first.click()
    settle(page)
    page.get_by_role("heading", name="证明材料").wait_for()
    button = page.get_by_role("button", name="下载「现场照片.jpg」")
    button.wait_for()
    button.scroll_into_view_if_needed()
    settle(page)
    page.screenshot(path=str(SHOTS / "evidence_02_drill_down.png"))  # the viewport, scrolled to the evidence
