"""方案管理's form editor in a real browser: open the community scheme, move two points from B3 to
B2 in the leaf table (the check says the total is off in between), see the diff and the units it
moves, save with a note. Screenshots at 1366×768: screenshots/scheme_editor_*.png."""

from __future__ import annotations

import re

import pytest
from browser_kit import demo_mode, pick, settle, shot  # noqa: F401 - demo_mode is a fixture
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

pytest.importorskip("playwright.sync_api")
pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("demo_mode")]

LONG = 90_000  # ms: generous, for a loaded machine
ROW = 35  # px: the height of a row (and of the header) in Streamlit's table editor


def _set_cell(pg, grid, row: int, column: int, old: str, new: str) -> None:  # noqa: ANN001
    """Select a cell of the editor (row 0 is the first data row, column 0 the first after the row
    markers), open it with Enter, write the value and commit it with Enter, as a person would.

    On a loaded machine a click can land while the page is still settling: the editor that opens
    must show the cell's old value (else it is the wrong cell: Escape and try again), and after
    Enter the grid's own accessible copy of the cell must show the new one."""
    cell = grid.locator(f"[data-testid='glide-cell-{column + 1}-{row}']")
    for _ in range(4):
        settle(pg)
        grid.scroll_into_view_if_needed()
        box = grid.locator("canvas").first.bounding_box()
        x, y = box["x"] + 60, box["y"] + ROW + ROW * row + ROW / 2
        pg.mouse.move(x, y - 5)  # the grid selects on a press that follows a hover, as a hand does
        pg.mouse.move(x, y)
        pg.mouse.down()
        pg.mouse.up()
        for _ in range(column):
            pg.keyboard.press("ArrowRight")
        pg.keyboard.press("Enter")
        editor = pg.locator("#portal textarea, #portal input").first
        try:
            editor.wait_for(timeout=LONG // 4)
        except PlaywrightTimeout:
            continue  # the grid did not take the click: select again
        if editor.input_value() not in (old, new):
            pg.keyboard.press("Escape")
            editor.wait_for(state="detached", timeout=LONG)
            continue
        editor.fill(new)
        pg.keyboard.press("Enter")
        editor.wait_for(state="detached", timeout=LONG)
        try:
            expect(cell).to_have_text(new, timeout=LONG // 4)
        except AssertionError:
            continue
        settle(pg)
        return
    shot(pg, "scheme_editor_cell_not_set")
    raise AssertionError(f"the editor's cell ({row}, {column}) could not be set to {new}")


def test_editing_a_leafs_points_shows_the_diff_and_saves(page, server: str) -> None:  # noqa: ANN001
    pg = page
    pg.set_viewport_size({"width": 1366, "height": 768})
    pg.get_by_role("link", name="方案管理", exact=True).click()
    settle(pg)
    pg.get_by_role("heading", name="方案管理").first.wait_for(timeout=LONG)
    pick(
        pg,
        pg.locator("[data-testid='stSelectbox']").filter(has=pg.get_by_label("方案", exact=True)).first,
        "社区卫生服务中心月度绩效考核（版本 2025.1）",
    )
    pg.get_by_text(re.compile(r"^校验通过：")).first.wait_for(timeout=LONG)
    shot(pg, "scheme_editor_open")

    leaves = pg.locator("div[class*='_leaves'] [data-testid='stDataFrameResizable']").first
    assert leaves.count() == 1
    _set_cell(pg, leaves, 4, 4, "8", "10")  # B2: 8 → 10 points
    pg.get_by_text("不能保存").first.wait_for(timeout=LONG)  # 102 points now: located, not savable
    assert pg.get_by_text("评分细则分值合计 102，与方案总分 100 不一致").count() >= 1
    _set_cell(pg, leaves, 5, 4, "6", "4")  # B3: 6 → 4 points
    pg.get_by_text(re.compile(r"^校验通过：")).first.wait_for(timeout=LONG)
    diff = pg.locator("[data-testid='stCode']").filter(has_text="修改评分细则")
    diff.first.wait_for(timeout=LONG)
    text = diff.first.inner_text()
    assert "修改评分细则 B2 高血压患者季度随访完成率：分值：8 → 10" in text
    assert "修改评分细则 B3 中医药健康管理服务率：分值：6 → 4" in text
    pg.get_by_text("总分或名次变化的单位").first.wait_for(timeout=LONG)
    diff.first.scroll_into_view_if_needed()
    shot(pg, "scheme_editor_diff")

    pg.get_by_label("版本说明（必填，记入审计日志）").fill("B2 提高到 10 分，B3 降为 4 分")
    pg.get_by_role("button", name="保存为新版本").click()
    settle(pg)
    saved = pg.get_by_text("已登记方案「社区卫生服务中心月度绩效考核」的新版本 2025.2").first
    saved.wait_for(timeout=LONG)
    saved.scroll_into_view_if_needed()
    shot(pg, "scheme_editor_saved")
