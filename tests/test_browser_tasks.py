"""A 整改 task from creation to acceptance, in a real browser on a copy of the demo district:
the administrator gives C03 (末位 in December) its task with one click from the suggestions; the
unit account submits a note and a photo; the administrator returns it with a reason; the unit
submits again; the administrator accepts it; the unit sees it accepted, and the meeting page
reports 整改落实情况. Screenshots: screenshots/tasks_*.png.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from browser_kit import DEMO_USER, choose_option, demo_mode, pick, settle, shot, sign_in  # noqa: F401 - demo_mode is a fixture
from PIL import Image

pytest.importorskip("playwright.sync_api")
pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("demo_mode")]

SCHEME = "社区卫生服务中心月度绩效考核（月度）"
MONTH = "2025年12月"
UNIT = "西城街道社区卫生服务中心"
LONG = 90_000  # ms: generous, for a loaded machine


def _photo(tmp_path: Path) -> Path:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "green").save(out, format="PNG")
    path = tmp_path / "整改照片.png"
    path.write_bytes(out.getvalue())
    return path


def _open(pg, link: str, heading: str) -> None:  # noqa: ANN001
    pg.get_by_role("link", name=link, exact=True).click()
    settle(pg)
    pg.get_by_role("heading", name=heading).first.wait_for(timeout=LONG)


def _month(pg) -> None:  # noqa: ANN001
    choose_option(pg, "考核方案", SCHEME)
    box = pg.locator(".st-key-filter_bar [data-testid='stSelectbox']").filter(has_text="期间")
    box.scroll_into_view_if_needed()
    box.locator("input").click()
    pg.keyboard.type(MONTH)
    pg.get_by_role("option", name=MONTH, exact=True).click()
    settle(pg)


def _unit_page(browser, server: str):  # noqa: ANN001, ANN202
    context = browser.new_context(viewport={"width": 1440, "height": 1400}, locale="zh-CN")
    pg = context.new_page()
    pg.set_default_timeout(LONG)
    sign_in(pg, server, DEMO_USER["unit"])
    _open(pg, "本单位整改", "本单位整改")
    return context, pg


def _submit(pg, note: str, photo: Path | None) -> None:  # noqa: ANN001
    pg.get_by_label(re.compile("整改情况说明")).fill(note)
    if photo is not None:
        pg.locator("[data-testid='stFileUploader'] input[type='file']").set_input_files(str(photo))
        pg.get_by_text(photo.name).first.wait_for(timeout=LONG)
    pg.get_by_role("button", name="提交整改材料").click()
    settle(pg)
    pg.get_by_text("等待验收").first.wait_for(timeout=LONG)


def test_a_task_from_creation_to_acceptance(page, browser, server: str, tmp_path: Path) -> None:  # noqa: ANN001
    pg = page  # the administrator
    pg.set_default_timeout(LONG)
    _open(pg, "整改任务", "整改任务")
    _month(pg)  # in the choosers at the top of the page
    pg.get_by_role("tab", name="整改建议").click()
    settle(pg)
    row = pg.locator("[data-testid='stHorizontalBlock']").filter(has_text="考核列入末位整改").filter(has_text=UNIT)
    row.get_by_role("button", name="下达", exact=True).click()
    settle(pg)
    pg.get_by_text("已下达整改任务").first.wait_for(timeout=LONG)
    pg.get_by_role("tab", name="整改建议").click()
    row.get_by_role("button", name=re.compile("已下达 #")).wait_for(timeout=LONG)  # no second one
    shot(pg, "tasks_1_suggestion_given")

    context, unit = _unit_page(browser, server)
    try:
        unit.get_by_role("heading", name=re.compile("考核列入末位整改（待整改）")).wait_for(timeout=LONG)
        _submit(unit, "已召开专题会议，制定整改方案并落实", _photo(tmp_path))
        shot(unit, "tasks_2_unit_submitted")

        pg.reload()
        settle(pg)
        pg.get_by_role("button", name="验收通过").wait_for(timeout=LONG)  # shown for a submitted task
        pg.get_by_role("button", name=re.compile("下载 整改照片.png")).wait_for(timeout=LONG)
        pg.get_by_label(re.compile("验收意见或退回原因")).fill("请补充会议纪要")
        pg.get_by_role("button", name="退回整改").click()
        settle(pg)
        pg.get_by_text(re.compile("已退回整改任务")).first.wait_for(timeout=LONG)

        unit.reload()
        settle(unit)
        unit.get_by_text(re.compile("请补充会议纪要")).first.wait_for(timeout=LONG)
        _submit(unit, "已补充会议纪要", None)

        pg.reload()
        settle(pg)
        pg.get_by_role("button", name="验收通过").wait_for(timeout=LONG)  # shown for a submitted task
        pg.get_by_label(re.compile("验收意见或退回原因")).fill("整改到位")
        pg.get_by_role("button", name="验收通过").click()
        settle(pg)
        pg.get_by_text(re.compile("已验收整改任务")).first.wait_for(timeout=LONG)
        shot(pg, "tasks_3_accepted")

        unit.reload()
        settle(unit)
        unit.get_by_text("本单位的整改任务均已验收。").wait_for(timeout=LONG)
        unit.get_by_role("heading", name="已验收的整改任务").wait_for(timeout=LONG)
        shot(unit, "tasks_4_unit_history")
    finally:
        context.close()

    _open(pg, "月度通报", "考核通报")
    _month(pg)  # the reloads above started new sessions: choose the month again
    pg.get_by_role("heading", name="整改落实情况").wait_for(timeout=LONG)
    pg.get_by_text("100.0%").first.wait_for(timeout=LONG)
    pg.get_by_role("heading", name="整改落实情况").scroll_into_view_if_needed()
    shot(pg, "tasks_5_meeting")
