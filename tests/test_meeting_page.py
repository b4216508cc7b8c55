"""月度通报 and 模拟测算 pages under AppTest on the demo district, and the meeting service's exports."""

from __future__ import annotations

import io
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest
from test_pages import APP, DEMO_USER, _as_a_running_server, choose, login

from services.audit import audit_log
from services.errors import Forbidden, NotFound
from services.meeting import bulletin_csv, bulletin_workbook, meeting_bulletin, unit_report
from services.permissions import Actor
from services.results import results

KEY = "community_monthly"
POINTS = "wi_points_community_monthly_2025.1_2025-08"
TARGETS = "wi_targets_community_monthly_2025.1_2025-08"


def _copy_of_demo(templates, where: Path) -> str:  # noqa: ANN001
    path = where / "assessment.db"
    shutil.copyfile(templates.sqlite_file("demo"), path)
    return f"sqlite:///{path}"


@pytest.fixture(scope="module")
def demo_url(_templates, tmp_path_factory: pytest.TempPathFactory) -> str:
    return _copy_of_demo(_templates, tmp_path_factory.mktemp("meeting"))


def _app(url: str, monkeypatch: pytest.MonkeyPatch, role: str = "admin") -> AppTest:
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("ASSESS_SEED_DEMO", "1")  # demo mode: the demo accounts exist
    _as_a_running_server(monkeypatch)
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    assert not at.exception, at.exception
    return login(at, DEMO_USER[role])


@pytest.fixture
def app(demo_url: str, monkeypatch: pytest.MonkeyPatch, login_role: str) -> Iterator[AppTest]:
    yield _app(demo_url, monkeypatch, login_role)


def meeting(at: AppTest, period: str) -> AppTest:
    choose(at, KEY, period).switch_page("pages/meeting.py").run()
    assert not at.exception, at.exception
    return at


def summary(at: AppTest) -> str:
    return next(m.value for m in at.markdown if "共考核" in m.value)


def stored(url: str, period: str):  # noqa: ANN201
    from sqlalchemy import create_engine

    engine = create_engine(url)
    try:
        return results(KEY, period, engine=engine).units
    finally:
        engine.dispose()


# -- 月度通报 --------------------------------------------------------------------------------------
def test_the_summary_paragraph_states_the_periods_numbers(app: AppTest, demo_url: str) -> None:
    meeting(app, "2025-08")
    assert app.title[0].value == "2025年8月考核通报"
    now, before = stored(demo_url, "2025-08"), stored(demo_url, "2025-07")
    text = summary(app)
    m = re.match(r"2025年8月共考核 (\d+) 个单位，平均 ([\d.]+) 分，较上月(提高|降低) ([\d.]+) 分；", text)
    assert m, text
    assert int(m.group(1)) == len(now)
    assert float(m.group(2)) == round(now["total"].mean(), 2)  # the scheme's decimals, as the card
    change = now["total"].mean() - before.set_index("unit").loc[now["unit"], "total"].mean()
    assert float(m.group(4)) == round(abs(change), 2) and m.group(3) == ("提高" if change > 0 else "降低")
    vetoed = now[now["veto"]]
    assert f"{len(vetoed)} 个单位被一票否决：{vetoed.iloc[0]['name']}（{vetoed.iloc[0]['veto_reason']}）" in text
    below = int(now["bottom"].sum())
    assert ("无单位低于 80 分" in text) == (below == 0)
    tiles = {t.label: t.value for t in app.metric}
    assert tiles["参评单位"] == str(len(now)) and tiles["一票否决"] == str(len(vetoed))
    assert tiles["低于 80 分"] == str(below)
    unmet = re.search(r"共有 (\d+) 项目标未达标，涉及 (\d+) 个单位", text)
    assert unmet and tiles["未达标目标"] == unmet.group(1)
    # the 平均分 card and the sentence beside it write the same numbers (issue 21 part 5)
    card = next(t for t in app.metric if t.label == "平均分")
    assert card.value == m.group(2) and card.delta.lstrip("+-") == m.group(4)


def test_the_red_list_names_the_vetoed_unit_with_its_consequence(app: AppTest, demo_url: str) -> None:
    meeting(app, "2025-08")
    vetoed = stored(demo_url, "2025-08").query("veto").iloc[0]
    (error,) = app.error
    assert vetoed["name"] in error.value and "一票否决：发生重大医疗安全事故" in error.value
    assert "处理：评为不合格，取消评先评优资格" in error.value


def test_the_ranking_lists_every_unit_in_rank_order(app: AppTest, demo_url: str) -> None:
    meeting(app, "2025-12")
    now = stored(demo_url, "2025-12")
    table = app.table[0].value
    assert len(table) == len(now)
    assert list(table["名次"]) == sorted(now["rank"].astype(int))
    by_name = now.set_index("name")
    for _, row in table.iterrows():
        unit = by_name.loc[row["单位"]]
        assert row["总分"] == unit["total"] and row["等级"] == unit["grade"]
        assert ("末位" in row["标记"]) == bool(unit["bottom"]) and ("否决" in row["标记"]) == bool(unit["veto"])
    below = now[now["bottom"]]
    red = [w.value for w in app.warning if "末位" in w.value]  # (not the demo-mode banner)
    assert len(red) == len(below) > 0  # each unit below the line is on the red list
    assert all("处理：月通报点名，限期整改" in w for w in red)


def test_movers_and_changes_since_last_month(app: AppTest, demo_url: str) -> None:
    meeting(app, "2025-08")
    headers = [h.value for h in app.header]
    assert headers == ["末位与一票否决", "排名", "进步与退步", "未达标目标", "标签得分率", "与上期相比"]
    now = stored(demo_url, "2025-08").set_index("unit")
    up = app.table[1].value  # 进步最大
    rises = now[now["delta_total"] > 0].sort_values("delta_total", ascending=False).head(5)
    assert list(up["变化"]) == list(rises["delta_total"].round(2)) and list(up["单位"]) == list(rises["name"])
    changes = next(m.value for m in app.markdown if "新被一票否决" in m.value)
    assert "新被一票否决：" + now.loc[now["veto"], "name"].iloc[0] in changes


def test_unmet_targets_by_unit_match_the_summary(app: AppTest) -> None:
    meeting(app, "2025-08")
    lines = [m.value for m in app.markdown if m.value.startswith("- **")]
    (listed,) = lines
    units = listed.splitlines()
    counts = [int(re.search(r"（(\d+) 项）", line).group(1)) for line in units]
    unmet = re.search(r"共有 (\d+) 项目标未达标，涉及 (\d+) 个单位", summary(app))
    assert sum(counts) == int(unmet.group(1)) and len(units) == int(unmet.group(2))
    for line, count in zip(units, counts, strict=True):
        assert line.count("（实际 ") == line.count("目标 ≥") == count


def test_downloads_are_offered_and_a_quarter_has_no_excel(app: AppTest) -> None:
    meeting(app, "2025-08")
    buttons = {b.proto.label: b for b in app.get("download_button")}
    assert set(buttons) == {"下载 Excel 通报", "下载排名 CSV", "下载全区通报（Word）", "下载全区通报（Excel）"}
    assert not buttons["下载 Excel 通报"].proto.disabled
    app.button_group(key=f"f_kind_{KEY}").set_value("quarter").run()
    assert not app.exception, app.exception
    assert app.title[0].value.endswith("季度考核通报")
    buttons = {b.proto.label: b for b in app.get("download_button")}
    assert buttons["下载 Excel 通报"].proto.disabled and not buttons["下载排名 CSV"].proto.disabled
    assert "共考核 8 个单位" in summary(app)
    assert any("各月平均" in c.value for c in app.caption)
    # the quarter's summary and its card count the same unmet indicators: never 「各单位目标均已达标」
    # beside 「未达标指标 60」 (a roll-up has no leaves, so its months' counts are summed)
    card = next(t.value for t in app.metric if t.label == "未达标指标")
    assert int(card) > 0 and "均已达标" not in summary(app)
    assert f"各月未达标指标累计 {card} 项次" in summary(app)


@pytest.mark.parametrize(
    ("scheme", "period", "who"),
    [
        ("hospital_monthly", "2025-06", "个单位"),
        ("township_annual", "2025", "个单位"),
        ("staff_annual", "2025", "名职工"),
    ],
)
def test_every_demo_scheme_has_its_bulletin(app: AppTest, scheme: str, period: str, who: str) -> None:
    choose(app, scheme, period).switch_page("pages/meeting.py").run()
    assert not app.exception, app.exception
    assert re.match(rf"\d{{4}}年(\d+月|度)共考核 \d+ {who}，平均 [\d.]+ 分", summary(app)), summary(app)
    assert len(app.table[0].value) == int(next(t.value for t in app.metric if t.label == "参评单位"))


def test_the_unit_detail_page_offers_the_units_report(app: AppTest) -> None:
    choose(app, KEY, "2025-08")
    app.session_state["unit"] = "C03"
    app.switch_page("pages/unit_detail.py").run()
    assert not app.exception, app.exception
    assert [b.proto.label for b in app.get("download_button")] == ["下载本单位考核结果（Excel）"]


@pytest.mark.parametrize("login_role", ["viewer"])
def test_a_viewer_sees_the_bulletin_and_may_download_it(app: AppTest) -> None:
    meeting(app, "2025-08")
    labels = {b.proto.label for b in app.get("download_button")}
    assert labels == {"下载 Excel 通报", "下载排名 CSV", "下载全区通报（Word）", "下载全区通报（Excel）"}
    assert "共考核 8 个单位" in summary(app)


# -- 模拟测算 --------------------------------------------------------------------------------------
def whatif(at: AppTest) -> AppTest:
    choose(at, KEY, "2025-08").switch_page("pages/whatif.py").run()
    assert not at.exception, at.exception
    return at


def save_button(at: AppTest):  # noqa: ANN201
    return next(b for b in at.button if b.label == "另存为新版本")


def edit_points(at: AppTest, changes: dict[int, dict], editor: str = POINTS) -> AppTest:
    at.session_state[editor] = {"edited_rows": changes, "added_rows": [], "deleted_rows": []}
    at.run()
    assert not at.exception, at.exception
    return at


def test_whatif_without_edits_changes_nothing(app: AppTest) -> None:
    whatif(app)
    assert app.title[0].value == "模拟测算"
    tiles = {t.label: t.value for t in app.metric}
    assert tiles == {"名次变化的单位": "0", "等级变化的单位": "0"}
    table = app.dataframe[-1].value
    assert (table["总分(前)"] == table["总分(后)"]).all() and (table["总分变化"] == 0).all()
    assert save_button(app).disabled  # nothing to save yet


def test_whatif_shows_the_deltas_of_changed_points(app: AppTest, demo_url: str) -> None:
    whatif(app)
    edit_points(app, {0: {"points": 15}, 1: {"points": 5}})  # A1 10 → 15, A2 10 → 5
    table = app.dataframe[-1].value
    now = stored(demo_url, "2025-08").set_index("name")
    assert (table["总分(前)"] == now.loc[table["单位"], "total"].to_numpy()).all()
    assert ((table["总分(后)"] - table["总分(前)"] - table["总分变化"]).abs() < 1e-9).all()
    assert (table["名次变化"] == table["名次(前)"] - table["名次(后)"]).all()
    assert (table["总分变化"] != 0).any()
    changed = int((table["等级(前)"] != table["等级(后)"]).sum())
    assert {t.label: t.value for t in app.metric}["等级变化的单位"] == str(changed)
    note = app.text_input[-1].value
    assert note == "模拟测算调整：A1 门诊服务规范 分值 10 → 15；A2 处方合格率 分值 10 → 5"


def test_whatif_points_that_do_not_add_up_are_located(app: AppTest) -> None:
    whatif(app)
    edit_points(app, {0: {"points": 12}})
    assert any("分值合计 102，方案总分 100" in w.value for w in app.warning)
    assert any("评分细则分值合计 102，与方案总分 100 不一致" in e.value for e in app.error)
    edit_points(app, {0: {"points": 10}})
    edit_points(app, {0: {"target": 70}}, TARGETS)  # A2, the first target: below its floor of 80
    assert any("指标 A2「处方合格率」: 「起评值」必须比「目标值」更差" in e.value for e in app.error)


def test_whatif_settlement_amounts(app: AppTest) -> None:
    whatif(app)
    app.toggle[0].set_value(True).run()  # the demo scheme has no settlement: try one
    assert not app.exception, app.exception
    table = app.dataframe[-1].value
    coefficients = {"优秀": 1.0, "良好": 0.95, "合格": 0.85, "不合格": 0.6}
    assert list(table["金额(后)"]) == [100_000 * coefficients[g] for g in table["等级(后)"]]
    tiles = {t.label: t.value for t in app.metric}
    assert tiles["调整后金额合计（元）"] == f"{sum(table['金额(后)']):,.2f}"


def test_whatif_saves_a_new_version_only_when_asked(
    _templates, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # noqa: ANN001
    from sqlalchemy import create_engine

    from services.catalog import scheme_versions

    url = _copy_of_demo(_templates, tmp_path)
    at = _app(url, monkeypatch)
    whatif(at)
    edit_points(at, {0: {"points": 15}, 1: {"points": 5}})
    engine = create_engine(url)
    try:
        assert [v.version for v in scheme_versions(KEY, engine=engine)] == ["2025.1"]  # nothing stored yet
        assert at.text_input[0].value == "2025.2"
        save_button(at).click().run()
        assert not at.exception, at.exception
        assert any("已登记方案「社区卫生服务中心月度绩效考核」的新版本 2025.2" in s.value for s in at.success)
        versions = scheme_versions(KEY, engine=engine)
        assert [v.version for v in versions] == ["2025.1", "2025.2"]
        assert versions[-1].load().leaf("A1").points == 15
        assert versions[-1].note.startswith("模拟测算调整：A1 门诊服务规范 分值 10 → 15")
        assert versions[-1].created_by == "演示管理员（demo-admin）"
    finally:
        engine.dispose()


# -- the meeting service's exports --------------------------------------------------------------
def test_bulletin_workbook_and_exports_are_audited(demo_database: Engine) -> None:
    bulletin, data = bulletin_workbook(KEY, "2025-08", "李四", engine=demo_database)
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["说明", "排名", "明细", "未达标", "末位与否决", "趋势", "监测指标", "标签得分率"]
    about = {r[0].value: r[1].value for r in wb["说明"].iter_rows(min_row=3, max_row=17)}
    assert about["生成人"] == "李四" and about["考核单位数"] == bulletin.headline.assessed == 8
    assert meeting_bulletin(KEY, "2025-08", engine=demo_database).ranking.equals(bulletin.ranking)
    csv = bulletin_csv(bulletin, "李四", engine=demo_database).decode("utf-8-sig")
    assert len(csv.strip().splitlines()) == 1 + 8
    report = openpyxl.load_workbook(io.BytesIO(unit_report(KEY, "2025-08", "C03", "李四", engine=demo_database)))
    assert report.sheetnames == ["概况", "各标签得分", "评分明细", "历史"]
    log = audit_log(action="export", engine=demo_database)
    assert list(log["actor"]) == ["李四"] * 3
    assert list(log["target"]) == ["unit:C03", f"scheme:{KEY}", f"scheme:{KEY}"]
    assert "导出 社区卫生服务中心月度绩效考核 2025年8月 考核通报（Excel）" in set(log["message"])
    with pytest.raises(NotFound):
        unit_report(KEY, "2025-08", "NOPE", "李四", engine=demo_database)
    with pytest.raises(NotFound):
        meeting_bulletin(KEY, "2019-01", engine=demo_database)


def test_exports_need_the_export_permission(demo_database: Engine) -> None:
    viewer = Actor(1, "ld", "领导甲", "viewer")
    own = Actor(2, "c03", "西城中心", "unit", unit_code="C03")
    report = unit_report(KEY, "2025-08", "C03", by=viewer, engine=demo_database)
    assert openpyxl.load_workbook(io.BytesIO(report)).sheetnames[0] == "概况"
    assert audit_log(action="export", engine=demo_database)["actor"].tolist() == ["领导甲（ld）"]
    with pytest.raises(Forbidden):
        bulletin_workbook(KEY, "2025-08", by=own, engine=demo_database)
    with pytest.raises(Forbidden):
        unit_report(KEY, "2025-08", "C05", by=own, engine=demo_database)
