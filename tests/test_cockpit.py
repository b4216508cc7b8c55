"""全区总览 (services/cockpit.py, reports/cockpit.py, pages/cockpit.py): every scheme of a month
from published results only, the 红黑榜, 末位 and vetoed units with consequences, the workflow
state; and the page under AppTest for an administrator and leadership (a unit account is refused)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import SmallDb
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest
from test_pages import signed_in_app
from test_permissions import open_by_url

from reports.cockpit import black_candidates, fmt_change, fmt_points, fmt_rate, red_black, red_candidates
from services import permissions
from services.cockpit import FLAGGED_SIZE, cockpit, cockpit_periods, own_period
from services.errors import Forbidden
from services.permissions import Actor
from services.publishing import publish
from services.results import published_only, results
from storage.db import make_engine

ADMIN = Actor(1, "admin", "管理员甲", "admin")
ADMIN2 = Actor(2, "admin2", "管理员乙", "admin")
VIEWER = Actor(4, "ld", "领导", "viewer")
UNIT = Actor(5, "u1", "甲中心", "unit", unit_code="U1", unit_name="甲中心", unit_category="测试类")
JAN = {"U1": {"D1": 40, "D2": 20, "K1": 1}, "U2": {"D1": 30, "D2": 25, "K1": 0}}
JAN |= {"U3": {"D1": 45, "D2": 28, "K1": 0}, "U4": {"D1": 20, "D2": 10, "K1": 2}}
FEB = {u: {**v, "D1": v["D1"] + 2} for u, v in JAN.items()}


def _published(small: SmallDb) -> None:
    small.put("2025-01", JAN)
    publish("t", "2025-01", by=ADMIN2, engine=small.engine)
    small.put("2025-02", FEB)
    publish("t", "2025-02", by=ADMIN2, engine=small.engine)


# -- the service on the small scheme (SQLite and PostgreSQL) ------------------------------------
def test_nothing_published_offers_no_period_and_says_where_the_scheme_stands(small: SmallDb) -> None:
    assert cockpit_periods(by=VIEWER, engine=small.engine) == []
    small.put("2025-01", JAN)
    assert cockpit_periods(by=VIEWER, engine=small.engine) == []  # a draft is not a result to show
    (line,) = cockpit("2025-01", by=ADMIN, engine=small.engine).schemes
    assert line.workflow.has_values and not line.workflow.published and line.lines == []
    assert line.progress == (4, 4)  # who may see drafts sees 填报进度 while it is not published
    (line,) = cockpit("2025-01", by=VIEWER, engine=small.engine).schemes
    assert line.progress is None and line.lines == []  # leadership: neither numbers nor progress


def test_each_scheme_shows_its_published_figures_and_the_change_against_the_month_before(small: SmallDb) -> None:
    _published(small)
    assert cockpit_periods(by=VIEWER, engine=small.engine) == ["2025-02", "2025-01"]
    out = cockpit("2025-02", by=VIEWER, engine=small.engine)
    (s,) = out.schemes
    assert (s.key, s.period, s.decimals, s.full_points) == ("t", "2025-02", 2, 100)
    assert s.workflow.published and s.workflow.publications == 1 and not s.workflow.newer_draft
    with published_only():
        now = results("t", "2025-02", engine=small.engine).units
        before = results("t", "2025-01", engine=small.engine).units
    h = s.lines[0].headline
    assert s.lines[0].category is None and h.assessed == 4
    assert h.mean == pytest.approx(now["total"].mean())
    assert h.mean_change == pytest.approx(now["total"].mean() - before["total"].mean())
    assert h.mean_change == pytest.approx(2.0)  # every unit's D1 rose by 2 points
    assert s.objections == {} and s.publicity == "" and s.rectification is not None
    assert s.rectification.issued == 0


def test_a_newer_draft_is_never_shown_only_announced_to_who_may_see_drafts(small: SmallDb) -> None:
    _published(small)
    before = cockpit("2025-02", by=ADMIN, engine=small.engine)
    small.put("2025-02", {"U4": {"D1": 50, "D2": 30, "K1": 0}})  # new working values, not published
    for who in (ADMIN, VIEWER):
        after = cockpit("2025-02", by=who, engine=small.engine)
        assert after.schemes[0].lines[0].headline == before.schemes[0].lines[0].headline
        assert after.schemes[0].workflow.newer_draft
        pd.testing.assert_frame_equal(after.black, before.black)
    assert cockpit("2025-02", by=ADMIN, engine=small.engine).schemes[0].progress == (4, 4)
    assert cockpit("2025-02", by=VIEWER, engine=small.engine).schemes[0].progress is None


def test_a_republication_and_a_rename_are_seen_at_once(small: SmallDb) -> None:
    """The lists are kept per state of the published results: a new publication or a unit's new
    name changes them on the next look, in the same process."""
    from services.catalog import list_units, upsert_units

    _published(small)
    before = cockpit("2025-02", by=VIEWER, engine=small.engine)
    assert set(before.flagged["unit"]) == {"U4", "U1", "U2"}
    small.put("2025-02", {"U4": {"D1": 50, "D2": 30, "K1": 0}})
    publish("t", "2025-02", by=ADMIN2, engine=small.engine)
    after = cockpit("2025-02", by=VIEWER, engine=small.engine)
    assert set(after.flagged["unit"]) == {"U1", "U2"}
    assert before.black["unit"].iloc[0] == "U4" and after.black["unit"].iloc[0] != "U4"  # no longer the lowest
    register = list_units(engine=small.engine)[["code", "name", "category"]]
    upsert_units(register.assign(name=register["name"] + "（新名）"), "管理员", engine=small.engine)
    renamed = cockpit("2025-02", by=VIEWER, engine=small.engine)
    assert renamed.flagged["name"].str.endswith("（新名）").all()


def test_the_red_and_black_lists_rank_by_score_rate_and_are_bounded(small: SmallDb) -> None:
    _published(small)
    with published_only():
        units = results("t", "2025-02", engine=small.engine).units
    rate = dict(zip(units["unit"].astype(str), units["score_rate"], strict=True))
    out = cockpit("2025-02", by=VIEWER, engine=small.engine, n=2)
    # below the 80-point line (the default bottom rule): U1, U2 (77) and U4 (42); U3 alone is not
    assert list(out.red["unit"]) == ["U3"] and out.red["score_rate"].iloc[0] == pytest.approx(rate["U3"])
    assert list(out.black["unit"]) == ["U4", "U1"]  # lowest rate first; U1 and U2 tie: by code
    assert out.flagged_total == 3 and list(out.flagged["unit"]) == ["U4", "U1", "U2"]
    assert set(out.flagged["kind"]) == {"末位"} and set(out.flagged["reason"]) == {"低于 80 分"}


def test_a_unit_account_is_refused_and_the_refusal_changes_nothing(small: SmallDb) -> None:
    _published(small)
    with pytest.raises(Forbidden):
        cockpit("2025-02", by=UNIT, engine=small.engine)
    with pytest.raises(Forbidden):
        cockpit_periods(by=UNIT, engine=small.engine)


def test_the_signed_in_account_of_the_page_decides(small: SmallDb, monkeypatch: pytest.MonkeyPatch) -> None:
    _published(small)
    monkeypatch.setattr(permissions, "_ambient", lambda: UNIT)
    with pytest.raises(Forbidden):
        cockpit("2025-02", engine=small.engine)
    monkeypatch.setattr(permissions, "_ambient", lambda: VIEWER)
    assert cockpit("2025-02", engine=small.engine).schemes[0].lines


# -- the demo district: several schemes, 末位, a veto, annual schemes ------------------------------
def test_the_demo_month_gathers_every_scheme_with_its_consequences(demo_database: Engine) -> None:
    out = cockpit("2025-12", by=VIEWER, engine=demo_database)
    periods = {s.key: s.period for s in out.schemes}
    assert periods == {
        "hospital_monthly": "2025-12",
        "community_monthly": "2025-12",
        "township_annual": "2025",
        "staff_annual": "2025",
        "village_monthly": "2025-12",  # the 村卫生室 scheme (h33)
    }
    for s in out.schemes:
        with published_only():
            units = results(s.key, s.period, engine=demo_database).units
        h = s.lines[0].headline
        assert (h.assessed, h.below_line, h.vetoed) == (len(units), units["bottom"].sum(), units["veto"].sum())
        assert s.flagged == int((units["bottom"] | units["veto"]).sum())
    assert out.flagged_total == sum(s.flagged for s in out.schemes) == len(out.flagged)
    first = out.flagged.iloc[0]
    assert first["kind"] == "一票否决" and "取消评先评优资格" in first["consequence"]
    assert out.flagged["kind"].str.contains("末位").sum() == out.flagged_total - 1
    assert (out.flagged["consequence"] != "").all()  # every demo scheme names what 末位 brings
    # 红黑榜: units only, the staff scheme's people are left out; the black list starts with 末位
    assert "staff_annual" not in set(out.red["scheme"]) | set(out.black["scheme"])
    assert not out.red["bottom"].any() and not out.red["veto"].any()
    assert out.black["bottom"].iloc[0] and out.black["score_rate"].is_monotonic_increasing


def test_periods_of_other_kinds_map_to_the_scheme_s_own_period() -> None:
    assert own_period("2025-05", "month") == "2025-05"
    assert own_period("2025-05", "quarter") == "2025-Q2"
    assert own_period("2025-05", "year") == "2025"
    assert own_period("2025-Q3", "year") == "2025"
    assert own_period("2025", "month") is None


# -- pure frame building ---------------------------------------------------------------------------
def _units(n: int) -> pd.DataFrame:
    totals = [100 - i * 0.01 for i in range(n)]
    return pd.DataFrame(
        {
            "unit": [f"U{i:05d}" for i in range(n)],
            "name": [f"单位{i}" for i in range(n)],
            "category": "甲类",
            "total": totals,
            "score_rate": [t / 100 for t in totals],
            "rank": range(1, n + 1),
            "group_size": n,
            "grade": "优秀",
            "veto": [i == 7 for i in range(n)],
            "bottom": [i >= n - 3 for i in range(n)],
        }
    )


def test_at_five_thousand_units_only_the_first_rows_are_kept() -> None:
    units = _units(5000)
    red = red_candidates(units, "a", "方案甲", "2025-01", 2, 10)
    black = black_candidates(units, "a", "方案甲", "2025-01", 2, 10)
    other = red_candidates(units.assign(score_rate=units["score_rate"] * 0.5), "b", "方案乙", "2025-01", 1, 10)
    r, b = red_black([red, other], [black], 10)
    assert len(r) == len(b) == 10
    assert list(r["unit"][:7]) == [f"U{i:05d}" for i in range(7)] and "U00007" not in set(r["unit"])  # vetoed
    assert set(r["scheme"]) == {"a"}  # the other scheme's rates are half: none make the top ten
    assert b["unit"].iloc[0] == "U00007" and list(b["unit"][1:4]) == ["U04999", "U04998", "U04997"]


def test_numbers_use_the_scheme_s_decimals_and_rates_are_percentages() -> None:
    assert fmt_points(1234.5, 2) == "1,234.50" and fmt_points(92.94, 1) == "92.9"
    assert fmt_change(0.554, 2) == "+0.55" and fmt_change(-1.5, 1) == "-1.5" and fmt_change(0.001, 2) == "0.00"
    assert fmt_change(None, 2) == "—" and fmt_points(float("nan"), 2) == "—"
    assert fmt_rate(0.9294) == "92.9%" and fmt_rate(1.03) == "103.0%"


# -- the page --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def demo_url(_templates, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("cockpit") / "assessment.db"
    shutil.copyfile(_templates.sqlite_file("demo"), path)
    return f"sqlite:///{path}"


def _cockpit_page(url: str, role: str, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    at = signed_in_app(url, role, monkeypatch)
    at.switch_page("pages/cockpit.py").run()
    assert not at.exception, at.exception
    return at


def _text(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [b.label for b in at.button]
    parts += [e.value for e in at.error] + [w.value for w in at.warning] + [t.value for t in at.title]
    parts += [str(t.value) for t in at.table]
    return "\n".join(parts)


@pytest.mark.parametrize("role", ["admin", "viewer"])
def test_the_page_shows_every_scheme_of_the_newest_published_month(
    demo_url: str, role: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _cockpit_page(demo_url, role, monkeypatch)
    month = at.selectbox(key="cockpit_month")
    assert month.value == "2025-12" and month.options[0] == "2025年12月"
    table = at.table[0].value
    # static_table escapes Markdown in text cells ("\\+0.55" is drawn as +0.55)
    rows = {r["方案"]: {k: str(v).replace("\\", "") for k, v in r.items()} for r in table.to_dict("records")}
    assert (rows["区级医院月度绩效考核"]["期间"], rows["职工年度考核"]["期间"]) == ("2025年12月", "2025年度")
    # each scheme's own decimals: the hospitals' 2 (92.94, +0.55 as on 月度通报), the staff's 1
    assert (rows["区级医院月度绩效考核"]["平均分"], rows["区级医院月度绩效考核"]["较上期"]) == ("92.94", "+0.55")
    assert rows["职工年度考核"]["平均分"] == "93.2" and rows["职工年度考核"]["较上期"] == "—"
    assert rows["职工年度考核"]["一票否决"] == "1"
    text = _text(at)
    assert "红榜" in [h.value for h in at.subheader] and "黑榜" in [h.value for h in at.subheader]
    assert "得分率" in text and "一票否决" in text and "取消评先评优资格" in text
    assert "community_monthly" not in text and "None" not in text and "nan" not in text
    shown = {m.label: m.value for m in at.metric}
    assert shown["已发布方案"] == "5 / 5" and shown["一票否决"] == "1"
    # the whole bureau's 末位 is the sum of the schemes' rows beside it
    assert int(shown["末位"]) == sum(int(r["末位"]) for r in rows.values()) == 12  # 10 + 村卫生室 V14, V06
    # 未达标指标 by the name 总览 and a quarter's 月度通报 give the same count (not 「未达标目标」,
    # the month's target items alone on 月度通报, a smaller number)
    assert "未达标目标" not in shown and "未达标目标" not in table.columns
    unmet = sum(int(r["未达标指标"].replace(",", "")) for k, r in rows.items() if k)  # whole schemes
    assert int(shown["未达标指标"].replace(",", "")) == unmet > 0
    assert {b.key for b in at.button if b.key and b.key.startswith("cockpit_scheme_")} == {
        f"cockpit_scheme_{k}"
        for k in ("hospital_monthly", "community_monthly", "township_annual", "staff_annual", "village_monthly")
    }


def test_the_page_refuses_a_unit_account(demo_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    at = signed_in_app(demo_url, "unit", monkeypatch)
    open_by_url(at, "pages/cockpit.py")  # typing the URL: the menu does not list it
    assert not at.exception, at.exception
    assert [t.value for t in at.title][:1] == ["无权访问本页"]  # the refusal page, nothing of the cockpit
    assert not any(b.key and b.key.startswith("cockpit_") for b in at.button)
    # and run without the menu, the page's own guard refuses it before drawing anything
    direct = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "pages" / "cockpit.py"), default_timeout=60)
    direct.session_state["_shell_ran"] = True
    direct.session_state["_auth_actor"] = Actor(99, "t-unit", "测试", "unit", unit_code="C03")
    direct.run()
    assert any("无权访问此页面" in e.value for e in direct.error)
    assert not direct.title and not direct.metric and not direct.button


def test_a_unit_on_the_black_list_opens_its_detail_with_scheme_period_and_unit_chosen(
    demo_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = _cockpit_page(demo_url, "viewer", monkeypatch)
    at.selectbox(key="cockpit_month").set_value("2025-11").run()
    button = at.button(key="cockpit_black_0")
    black = cockpit("2025-11", by=VIEWER, engine=make_engine(demo_url)).black.iloc[0]
    assert str(black["name"]) in button.label and (black["bottom"] or black["veto"])
    button.click().run()
    assert not at.exception, at.exception
    assert [t.value for t in at.title][:1] == ["单位详情"]
    assert at.session_state["unit"] == black["unit"]
    assert next(s for s in at.selectbox if s.label == "单位").value == black["unit"]
    scheme, period = black["scheme"], black["period"]
    assert at.selectbox(key="f_scheme").value == scheme
    kind = "year" if len(period) == 4 else "month"
    assert at.selectbox(key=f"f_period_{scheme}_{kind}").value == period


def test_a_scheme_title_opens_its_ranking(demo_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _cockpit_page(demo_url, "admin", monkeypatch)
    at.button(key="cockpit_scheme_community_monthly").click().run()
    assert not at.exception, at.exception
    assert at.selectbox(key="f_scheme").value == "community_monthly"
    assert at.selectbox(key="f_period_community_monthly_month").value == "2025-12"
    assert any(t.value == "排名" for t in at.title)


def test_the_docs_say_what_the_page_does_with_the_numbers_it_uses() -> None:
    from services.cockpit import FLAGGED_SIZE, LIST_SIZE

    doc = (Path(__file__).resolve().parents[1] / "docs" / "cockpit.md").read_text(encoding="utf-8")
    assert "得分率" in doc and "红黑榜" in doc and "published" in doc
    words = {10: "ten", 50: "50"}
    assert f"the {words[LIST_SIZE]} highest rates" in doc and f"At most {words[FLAGGED_SIZE]}" in doc


# -- a district of 5,000 units: counts and the first rows, never every unit ----------------------
@pytest.fixture(scope="module")
def large_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from bench_ranking_page import build_database

    url = f"sqlite:///{tmp_path_factory.mktemp('cockpit_large') / 'large.db'}"
    build_database(url, 5000, 2, n_leaves=8, log=lambda *_: None)
    return url


def test_at_five_thousand_units_the_page_counts_all_and_lists_a_bounded_few(
    large_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bench_ranking_page import _sign_in
    from test_pages import _as_a_running_server

    monkeypatch.setenv("DATABASE_URL", large_url)
    monkeypatch.setenv("ASSESS_SEED_DEMO", "0")
    _as_a_running_server(monkeypatch)
    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app.py"), default_timeout=180)
    _sign_in(at, large_url)  # a leadership (viewer) account
    at.run()
    at.switch_page("pages/cockpit.py").run()
    assert not at.exception, at.exception
    data = cockpit("2024-02", by=VIEWER, engine=make_engine(large_url))
    h = data.schemes[0].lines[0].headline
    assert h.assessed == 5000 and h.below_line > FLAGGED_SIZE
    shown = {m.label: m.value for m in at.metric}
    assert shown["参评单位（人）"] == "5,000" and shown["末位"] == f"{h.below_line:,}"
    keys = [b.key or "" for b in at.button]
    assert sum(k.startswith("cockpit_flag_") for k in keys) == FLAGGED_SIZE
    assert sum(k.startswith("cockpit_red_") for k in keys) == sum(k.startswith("cockpit_black_") for k in keys) == 10
    assert any(f"共 {h.below_line:,} 个" in c.value and f"前 {FLAGGED_SIZE} 个" in c.value for c in at.caption)
    # one row for the scheme and one per peer group, each peer group's units adding up to the whole
    table = at.table[0].value
    groups = table[table["范围"].str.startswith("其中")]
    assert len(table) == len(groups) + 1 and len(groups) > 1
    assert sum(int(str(v).replace(",", "")) for v in groups["参评"]) == 5000


def test_publicity_objections_and_rectification_tasks_are_counted(
    small: SmallDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import date, timedelta

    import services.cockpit
    import services.publicity
    from services.accounts import create_account
    from services.objections import raise_objection
    from services.publicity import start_publicity
    from services.rectification import create_task

    monday = date(2026, 12, 7)
    for module in (services.publicity, services.cockpit):
        monkeypatch.setattr(module, "local_today", lambda: monday)
    unit = create_account("dw1", "甲中心填报员", "unit", "secret-pass-123", unit_code="U1", engine=small.engine)
    _published(small)
    (before,) = cockpit("2025-02", by=VIEWER, engine=small.engine).schemes
    assert before.publicity == "" and before.objections == {}
    start_publicity("t", "2025-02", by=ADMIN, engine=small.engine)
    raise_objection("t", "2025-02", "D1", "现场检查漏记了一次随访", [], by=unit, engine=small.engine)
    create_task(
        "U4", "限期整改", deadline=monday + timedelta(days=15), source="bottom", scheme_key="t", period="2025-02",
        today=monday, by=ADMIN, engine=small.engine,
    )  # fmt: skip
    (s,) = cockpit("2025-02", by=VIEWER, engine=small.engine).schemes
    assert s.publicity.startswith("公示中（至 2026-12-")
    assert s.objections == {"待处理": 1}
    assert s.rectification is not None and (s.rectification.issued, s.rectification.overdue) == (1, 0)
