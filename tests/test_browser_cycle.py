"""Issue 20's journey from 公示 to the lock, replayed in a real browser on a copy of the demo
district: the administrator puts the newest month on 公示; the demo unit objects to its item with
the largest loss, attaching a photo; the assessor corrects the value; the administrator republishes — the unit's total, its rank and the bulletin
follow; the unit reads the outcome; the window is ended and the period locks.
(A 整改 task from creation to acceptance: tests/test_browser_tasks.py.)

Screenshots: screenshots/cycle_*.png.
"""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from browser_kit import CHROMIUM, demo_mode, serve, settle, shot  # noqa: F401 - demo_mode is a fixture
from PIL import Image
from sqlalchemy import select
from test_browser_journeys import as_other, month_in_sidebar, open_page

from scoring.periods import period_name
from services.catalog import latest_version
from services.meeting import bulletin_workbook
from services.publishing import published_results
from services.values import periods_with_values
from storage.db import make_engine
from storage.models import Objection, Period

pytest.importorskip("playwright.sync_api")
pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("demo_mode")]

KEY, UNIT = "community_monthly", "C03"  # the demo unit account's scheme and unit
_db: dict[str, str] = {}


@pytest.fixture(scope="module")
def server(_templates, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The demo district; the test also reads the server's database to check what changed."""
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: apt-get install chromium fonts-noto-cjk (scripts/test.sh does it)")
    db = tmp_path_factory.mktemp("cycle") / "assessment.db"
    shutil.copyfile(_templates.sqlite_file("demo"), db)
    _db["url"] = f"sqlite:///{db}"
    with serve(_db["url"], ASSESS_SEED_DEMO="1") as url:
        yield url


def _engine():  # noqa: ANN202
    return make_engine(_db["url"])


def newest_month() -> str:
    engine = _engine()
    try:
        return periods_with_values(KEY, engine=engine)[-1]
    finally:
        engine.dispose()


def standing() -> tuple[float, int]:
    """The demo unit's published total and rank."""
    engine = _engine()
    try:
        units = published_results(KEY, newest_month(), engine=engine).units
        row = units[units["unit"].astype(str) == UNIT].iloc[0]
        return float(row["total"]), int(row["rank"])
    finally:
        engine.dispose()


def rows(model: type) -> list:  # noqa: ANN001
    engine = _engine()
    try:
        with engine.connect() as conn:
            return list(conn.execute(select(model)).mappings())
    finally:
        engine.dispose()


def better_value(code: str) -> float:
    """A value for `code` that earns the item's full points (the target, or the points given)."""
    engine = _engine()
    try:
        scheme = latest_version(KEY, engine=engine).load()
    finally:
        engine.dispose()
    leaf = next(leaf for leaf in scheme.leaves if leaf.code == code)
    if leaf.method == "target":
        return float(leaf.target)
    if leaf.method == "direct":
        return float(leaf.points)
    assert leaf.method == "deduction", f"the demo unit's largest loss is on a {leaf.method} item"
    return 0.0


def bulletin_text(period: str) -> str:
    engine = _engine()
    try:
        _, data = bulletin_workbook(KEY, period, "测试", engine=engine)
    finally:
        engine.dispose()
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    return "\n".join(
        " ".join("" if v is None else str(v) for v in row)
        for ws in book.worksheets
        for row in ws.iter_rows(values_only=True)
    )


def photo(path: Path) -> Path:
    Image.new("RGB", (64, 48), (200, 30, 30)).save(path, "PNG")
    return path


def uploader_speaks_chinese(pg) -> None:  # noqa: ANN001
    """Streamlit draws 「Upload」 and 「200MB per file」 itself: the app's CSS shows Chinese instead."""
    shown = pg.evaluate(
        """() => {
          const zone = document.querySelector("[data-testid='stFileUploaderDropzone']");
          const english = [...zone.querySelectorAll('*')].filter(
            e => e.children.length === 0 && /Upload|per file/.test(e.textContent));
          return {
            english: english.map(e => getComputedStyle(e).fontSize),
            button: getComputedStyle(zone.querySelector('button'), '::after').content,
          };
        }"""
    )
    assert shown["english"] and set(shown["english"]) == {"0px"}, shown
    assert shown["button"] == '"选择文件"'


def upload(pg, path: Path) -> None:  # noqa: ANN001
    pg.locator("[data-testid='stFileUploaderDropzoneInput']").first.set_input_files(str(path))
    pg.get_by_text(path.name).first.wait_for()


def test_journey_1_publicity_objection_correction_lock(page, browser, server: str, tmp_path: Path) -> None:  # noqa: ANN001
    page.set_default_timeout(60_000)
    period = newest_month()
    month = period_name(period)
    total_before, rank_before = standing()
    assert "申诉处理情况" not in bulletin_text(period)

    # The administrator puts the newest month on 公示.
    open_page(page, "公示与申诉", "公示与申诉")
    month_in_sidebar(page, month)
    page.get_by_text("本期尚未公示").wait_for()
    page.get_by_role("button", name="发起公示").click()
    settle(page)
    page.get_by_text("已发起公示").wait_for()
    shot(page, "cycle_1_publicity_started")

    # The unit objects to its largest loss, with a photo of the record.
    context, unit = as_other(browser, server, "demo-unit")
    try:
        open_page(unit, "申诉", "申诉")
        unit.get_by_text("公示中的考核结果").first.wait_for()
        unit.get_by_label("申诉理由（必填）：哪一项有误、为什么").fill(
            "本月档案核查漏计了 120 份已更新的档案，附核查记录照片。"
        )
        uploader_speaks_chinese(unit)
        upload(unit, photo(tmp_path / "核查记录.png"))
        unit.get_by_role("button", name="提交申诉").click()
        settle(unit)
        unit.get_by_text("已提交").first.wait_for()
        shot(unit, "cycle_2_unit_objected")
    finally:
        context.close()
    (objection,) = rows(Objection)
    assert objection["status"] == "open"
    new_value = better_value(objection["code"])

    # The assessor in charge of the scheme corrects the value.
    context, assessor = as_other(browser, server, "demo-assessor")
    try:
        open_page(assessor, "公示与申诉", "公示与申诉")
        month_in_sidebar(assessor, month)
        assessor.get_by_text("待处理 1 件").wait_for()
        assessor.get_by_text("下载附件：核查记录.png").wait_for()
        assessor.get_by_text("更正数值", exact=True).click()
        assessor.get_by_label("更正后的数值（仅更正时填写）").fill(f"{new_value:g}")
        assessor.get_by_label("答复（必填，单位可见）").fill("经核实，核查记录属实，按更正后的数值计分。")
        assessor.get_by_role("button", name="提交处理结果").click()
        settle(assessor)
        assessor.get_by_text("须由管理员在「审定发布」复核后重新发布").wait_for()
        shot(assessor, "cycle_3_assessor_corrected")
    finally:
        context.close()
    assert standing() == (total_before, rank_before)  # a correction waits for 审定发布

    # The administrator (not the uploader of the correction) republishes.
    open_page(page, "审定发布", "审定发布")
    month_in_sidebar(page, month)
    page.get_by_text("个单位的总分或排名将改变").wait_for()
    page.get_by_text("我已复核以上数据和变化，确认发布", exact=True).click()
    page.get_by_role("button", name="确认发布").click()
    settle(page)
    page.get_by_text("第 2 次发布").wait_for()
    total_after, rank_after = standing()
    assert total_after > total_before and rank_after <= rank_before
    text = bulletin_text(period)
    assert "申诉处理情况" in text and "更正" in text

    # The unit reads the outcome.
    context, unit = as_other(browser, server, "demo-unit")
    try:
        open_page(unit, "申诉", "申诉")
        unit.get_by_text("已随重新发布生效").first.wait_for()
        shot(unit, "cycle_4_unit_outcome")
    finally:
        context.close()

    # The window is ended; with nothing open the period locks.
    open_page(page, "公示与申诉", "公示与申诉")
    month_in_sidebar(page, month)
    page.get_by_text("提前结束公示").click()
    page.get_by_label("提前结束的原因（必填）").fill("申诉已全部处理，经局务会同意提前结束公示")
    page.get_by_role("button", name="结束公示").click()
    settle(page)
    page.get_by_text("公示已提前结束").wait_for()
    page.get_by_role("button", name="锁定期间").click()
    settle(page)
    page.get_by_text("已锁定").first.wait_for()
    shot(page, "cycle_5_locked")
    (state,) = [p["state"] for p in rows(Period) if p["label"] == period]
    assert state == "locked"
