"""Issue 19's three journeys, replayed in a real browser on a copy of the demo district:

1. incomplete data is uploaded — it lands in the draft (marked 草稿, complete units scored, the
   incomplete one listed), while leadership, the meeting page and a unit account keep seeing the
   published results, never an error;
2. a correction from a prefilled template changes only the corrected unit; it reaches leadership
   only when someone other than the uploader republishes, after seeing what changes;
3. a withdrawal shows what it changes and needs a reason and a confirmation; the form is empty
   afterwards; published results stay until republished; an assessor may withdraw only their own.

The tests run in order on one server (module scope). Screenshots: screenshots/journey_*.png.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from browser_kit import CHROMIUM, choose_option, demo_mode, pick, serve, settle, shot, sign_in  # noqa: F401 - demo_mode is a fixture
from test_browser_upload import SCHEME, _download_template, _open_upload_page, _upload

from services.accounts import create_account
from services.publishing import published_results
from services.submissions import history
from services.values import current_values
from storage.db import make_engine

pytest.importorskip("playwright.sync_api")
pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("demo_mode")]

KEY, PERIOD, MONTH = "community_monthly", "2025-08", "2025年8月"
REVIEWER, REVIEWER_PASSWORD = "reviewer2", "a-long-review-password"
_db: dict[str, str] = {}


@pytest.fixture(scope="module")
def server(_templates, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """As browser_kit's, but the test also reaches the server's database (to check what changed)."""
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: apt-get install chromium fonts-noto-cjk (scripts/test.sh does it)")
    db = tmp_path_factory.mktemp("journeys") / "assessment.db"
    shutil.copyfile(_templates.sqlite_file("demo"), db)
    _db["url"] = f"sqlite:///{db}"
    engine = make_engine(_db["url"])
    create_account(REVIEWER, "复核员乙", "admin", REVIEWER_PASSWORD, engine=engine)  # a second pair of eyes
    engine.dispose()
    with serve(_db["url"], ASSESS_SEED_DEMO="1") as url:
        yield url


def published() -> dict[str, float]:
    engine = make_engine(_db["url"])
    try:
        units = published_results(KEY, PERIOD, engine=engine).units
        return dict(zip(units["unit"].astype(str), units["total"].astype(float), strict=True))
    finally:
        engine.dispose()


def submissions() -> list[dict]:
    engine = make_engine(_db["url"])
    try:
        return history(KEY, PERIOD, engine=engine).to_dict("records")
    finally:
        engine.dispose()


def open_page(pg, link: str, heading: str) -> None:  # noqa: ANN001
    pg.get_by_role("link", name=link, exact=True).click()
    settle(pg)
    pg.get_by_role("heading", name=heading).first.wait_for()


def typed_pick(pg, selectbox, typed: str, option: str) -> None:  # noqa: ANN001
    """Long option lists are virtualised: filter by typing, as a person would, then choose."""
    selectbox.scroll_into_view_if_needed()
    selectbox.locator("input").click()
    pg.keyboard.type(typed)
    pg.get_by_role("option", name=option, exact=True).click()
    settle(pg)


def month_in_sidebar(pg, month: str = MONTH) -> None:  # noqa: ANN001
    choose_option(pg, "考核方案", SCHEME)
    bar = pg.locator(".st-key-filter_bar [data-testid='stSelectbox']")  # the choosers at the page's top
    typed_pick(pg, bar.filter(has_text="期间"), month, month)


def as_other(browser, server: str, username: str, password: str | None = None):  # noqa: ANN001, ANN201
    context = browser.new_context(viewport={"width": 1440, "height": 1600}, locale="zh-CN")
    pg = context.new_page()
    pg.set_default_timeout(60_000)
    if password is None:
        sign_in(pg, server, username)
    else:
        sign_in(pg, server, username, password)
    return context, pg


def shows_placeholder(selectbox, text: str) -> bool:  # noqa: ANN001
    """Nothing chosen: the box shows its placeholder (as text or as the input's placeholder)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        box = selectbox.locator("input")
        if text in selectbox.inner_text() or (
            box.count() and box.get_attribute("placeholder") == text and not box.input_value()
        ):
            return "#" not in selectbox.inner_text()
        time.sleep(0.5)
    return False


def no_error_on_screen(pg) -> None:  # noqa: ANN001
    assert pg.locator("[data-testid='stException']").count() == 0
    assert pg.get_by_text("无法计分").count() == 0 and pg.get_by_text("数据不完整").count() == 0


# -- journey 1: incomplete data stays in the draft --------------------------------------------
NEW_MONTH = "2026年1月"


def incomplete_csv(path: Path) -> Path:
    """A new month as a team reports it on day one: C01 complete, C02 with three items only."""
    engine = make_engine(_db["url"])
    try:
        values = current_values(KEY, PERIOD, engine=engine)
    finally:
        engine.dispose()
    values = values[values["unit"].astype(str).isin(["C01", "C02"])].drop_duplicates(["unit", "code"])
    values = pd.concat([values[values["unit"] == "C01"], values[values["unit"] == "C02"].head(3)])
    shown = ["不适用" if na else f"{v:g}" for v, na in zip(values["value"], values["na"], strict=True)]
    frame = pd.DataFrame({"单位": values["unit"].astype(str), "指标编码": values["code"].astype(str), "数值": shown,
                          "考核人": "考核一组"})  # fmt: skip
    frame.to_csv(path, index=False, encoding="utf-8-sig")
    return path


def test_journey_1_incomplete_data_never_reaches_leadership(page, browser, server: str, tmp_path: Path) -> None:  # noqa: ANN001
    page.set_default_timeout(60_000)
    before = published()
    _open_upload_page(page, server)
    main = page.locator("[data-testid='stMain'] [data-testid='stSelectbox']")
    typed_pick(page, main.filter(has_text="考核期间"), NEW_MONTH, NEW_MONTH)
    _upload(page, incomplete_csv(tmp_path / "一月第一天.csv"))
    page.get_by_role("heading", name="3. 预览：导入后会发生什么").wait_for()
    page.get_by_text("导入后这些单位暂不能计分").wait_for()
    page.get_by_role("button", name="确认导入").click()
    settle(page)
    page.get_by_text("数据已进入本期草稿").wait_for()
    shot(page, "journey_1_imported")

    open_page(page, "排名", "排名")
    month_in_sidebar(page, NEW_MONTH)
    page.get_by_text("草稿：以下为尚未发布的考核结果").wait_for()
    page.get_by_text("1 个单位数据不完整，暂未计分").wait_for()
    assert page.locator("[data-testid='stException']").count() == 0
    shot(page, "journey_1_admin_draft")
    assert published() == before  # nothing published changed

    context, viewer = as_other(browser, server, "demo-viewer")
    try:
        open_page(viewer, "排名", "排名")
        month_in_sidebar(viewer, NEW_MONTH)
        viewer.get_by_text("本期考核结果尚未发布").wait_for()
        no_error_on_screen(viewer)
        shot(viewer, "journey_1_viewer_not_published")
        month_in_sidebar(viewer)
        viewer.get_by_text("已发布（第 1 次").first.wait_for()
        assert viewer.get_by_text("草稿").count() == 0
        no_error_on_screen(viewer)
        open_page(viewer, "月度通报", f"{MONTH}考核通报")
        no_error_on_screen(viewer)
        month_in_sidebar(viewer, NEW_MONTH)
        viewer.get_by_text("本期考核结果尚未发布").wait_for()
        no_error_on_screen(viewer)
    finally:
        context.close()
    context, unit = as_other(browser, server, "demo-unit")
    try:
        unit.get_by_role("heading", name="本单位结果").wait_for()
        unit.get_by_text("本期考核结果尚未发布").wait_for()  # the newest month, not yet published
        assert unit.locator("[data-testid='stException']").count() == 0
        assert unit.get_by_text("C02").count() == 0  # nothing of other units
    finally:
        context.close()


# -- journey 2: a correction changes only what it corrects -------------------------------------
def test_journey_2_a_correction_changes_only_the_corrected_unit(page, browser, server: str, tmp_path: Path) -> None:  # noqa: ANN001
    page.set_default_timeout(60_000)
    before = published()
    _open_upload_page(page, server)
    page.get_by_text("更正已有数据（替换同一考核组的数值）").wait_for()  # the default for a correction
    path = _download_template(page, tmp_path, {("C08", "A1"): 2})
    _upload(page, path)
    page.get_by_role("heading", name="3. 预览：导入后会发生什么").wait_for()
    page.get_by_text("对总分和名次的影响").wait_for()
    page.get_by_role("button", name="确认导入").click()
    settle(page)
    page.get_by_text("数据已进入本期草稿").wait_for()
    assert published() == before  # not on leadership's screens yet

    open_page(page, "审定发布", "审定发布")
    month_in_sidebar(page)
    page.get_by_text("四眼原则").first.wait_for()  # the uploader may not publish their own upload
    assert page.get_by_role("button", name="确认发布").is_disabled()
    shot(page, "journey_2_four_eyes")

    context, reviewer = as_other(browser, server, REVIEWER, REVIEWER_PASSWORD)
    try:
        open_page(reviewer, "审定发布", "审定发布")
        month_in_sidebar(reviewer)
        reviewer.get_by_text("个单位的总分或排名将改变").wait_for()
        changes = reviewer.locator("[data-testid='stDataFrame']").first
        changes.wait_for()
        shot(reviewer, "journey_2_review")
        reviewer.get_by_role("button", name="确认发布").click()
        settle(reviewer)
        reviewer.get_by_text("请先勾选").wait_for()  # no publication without confirming
        reviewer.get_by_text("我已复核以上数据和变化，确认发布", exact=True).click()
        reviewer.get_by_role("button", name="确认发布").click()
        settle(reviewer)
        reviewer.get_by_text("第 2 次发布").wait_for()
    finally:
        context.close()
    after = published()
    assert after["C08"] != before["C08"]
    assert {u: t for u, t in after.items() if u != "C08"} == {u: t for u, t in before.items() if u != "C08"}


# -- journey 3: a withdrawal that cannot surprise --------------------------------------------
def test_journey_3_a_withdrawal_is_shown_confirmed_and_scoped(page, browser, server: str) -> None:  # noqa: ANN001
    page.set_default_timeout(60_000)
    before = published()
    correction = max(s["id"] for s in submissions() if s["status"] != "rolled_back")
    page.goto(server)
    settle(page)
    open_page(page, "提交记录", "提交记录")
    main = page.locator("[data-testid='stMain'] [data-testid='stSelectbox']")
    pick(page, main.filter(has_text="考核方案"), SCHEME)
    typed_pick(page, main.filter(has_text="考核期间"), MONTH, f"{MONTH}（{PERIOD}）")
    target = main.filter(has_text="要撤回的提交")
    assert shows_placeholder(target, "请选择要撤回的提交")  # nothing preselected
    target.locator("input").click()
    page.get_by_role("option").filter(has_text=f"#{correction} ·").first.click()
    settle(page)
    page.get_by_text("已发布的考核结果不受影响").wait_for()  # what will change, before anything does
    page.get_by_text("撤下").first.wait_for()
    shot(page, "journey_3_preview")

    page.get_by_role("button", name="确认撤回").click()
    settle(page)
    page.get_by_text("请填写撤回原因").wait_for()
    page.get_by_role("textbox", name="撤回原因（必填，记入审计日志）").fill("更正有误，撤回")
    page.get_by_role("button", name="确认撤回").click()
    settle(page)
    page.get_by_text("请先勾选").wait_for()
    assert next(s for s in submissions() if s["id"] == correction)["status"] != "rolled_back"

    page.get_by_text(f"我已核对以上变化，确认撤回提交 #{correction}", exact=True).click()
    page.get_by_role("button", name="确认撤回").click()
    settle(page)
    page.get_by_text(f"已撤回提交 #{correction}").wait_for()
    page.get_by_text("已发布的结果不变，重新发布后生效").wait_for()
    assert shows_placeholder(main.filter(has_text="要撤回的提交"), "请选择要撤回的提交")  # the form is empty again
    assert page.get_by_role("textbox", name="撤回原因（必填，记入审计日志）").count() == 0
    shot(page, "journey_3_done")
    assert published() == before  # published results change only when republished

    context, assessor = as_other(browser, server, "demo-assessor")
    try:
        open_page(assessor, "提交记录", "提交记录")
        assessor.get_by_text("您只能撤回本人上传的提交").wait_for()
        assert assessor.get_by_role("button", name="确认撤回").count() == 0
    finally:
        context.close()
