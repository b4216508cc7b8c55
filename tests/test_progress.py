"""填报进度 (issue 19): units × teams, missing codes, conflicts, the deadline; `manage.py status`."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pytest
from conftest import NA, SmallDb
from sqlalchemy import Engine
from test_pages import demo_url  # noqa: F401 - fixture

from services import permissions
from services import progress as progress_module
from services.permissions import Actor
from services.progress import progress, set_deadline

P = "2025-03"


def test_progress_lists_teams_missing_codes_and_conflicts(small: SmallDb) -> None:
    small.put(P, {"U1": {"D1": 40, "D2": 20, "K1": 0}, "U2": {"D1": 30}}, assessor="考核一组")
    small.put(P, {"U1": {"D1": 44, "D2": NA, "K1": 1}}, assessor="考核二组")
    found = progress("t", P, engine=small.engine)
    rows = found.units.set_index("unit")
    assert found.teams == ["考核一组", "考核二组"] and found.required == 3
    assert rows.loc["U1", "考核一组"] == 3 and rows.loc["U1", "考核二组"] == 3 and rows.loc["U2", "考核二组"] == 0
    assert rows.loc["U1", "status"] == "有冲突"  # D2: 不适用 from one team, 20 from the other
    assert rows.loc["U2", "status"] == "缺 2 项" and rows.loc["U2", "missing_codes"].startswith("D2（直接评分二）")
    assert rows.loc["U3", "status"] == "未填报" and rows.loc["U4", "status"] == "未填报"
    assert "X1" not in rows.index and "Z9" not in rows.index  # other category, inactive
    conflict = found.conflicts.iloc[0]
    assert (conflict["unit"], conflict["code"]) == ("U1", "D2")
    assert conflict["detail"] == "考核一组：20；考核二组：不适用"
    assert found.complete == 0 and "0/4 个单位数据完整" in found.summary


def test_deadline_and_overdue(small: SmallDb, monkeypatch: pytest.MonkeyPatch) -> None:
    small.put(P, {"U1": {"D1": 40, "D2": 20, "K1": 0}})
    assert progress("t", P, engine=small.engine).deadline_text == "未设截止日期"
    set_deadline(P, date(2025, 4, 5), "管理员", engine=small.engine)
    monkeypatch.setattr(progress_module, "_today", lambda: date(2025, 4, 3))
    found = progress("t", P, engine=small.engine)
    assert not found.overdue and found.deadline_text == "截止 2025-04-05（还有 2 天）"
    monkeypatch.setattr(progress_module, "_today", lambda: date(2025, 4, 8))
    found = progress("t", P, engine=small.engine)
    assert found.overdue and found.deadline_text == "截止 2025-04-05，已逾期 3 天"


def test_progress_is_for_assessors_and_administrators(small: SmallDb) -> None:
    for role in ("viewer", "unit"):
        with pytest.raises(permissions.Forbidden):
            progress("t", P, by=Actor(1, "x", "x", role), engine=small.engine)
    with pytest.raises(permissions.Forbidden, match="未被分配考核方案「测试方案」"):
        progress("t", P, by=Actor(1, "x", "x", "assessor", schemes=("other",)), engine=small.engine)
    assert len(progress("t", P, by=Actor(1, "x", "x", "assessor", schemes=("t",)), engine=small.engine).units) == 4


def test_status_command(small: SmallDb, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    from manage import main

    def run(engine: Engine, *argv: str) -> tuple[int, str, str]:
        monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    small.put(P, {"U1": {"D1": 40, "D2": 20, "K1": 0}, "U2": {"D1": 30}}, assessor="考核一组")
    code, out, _ = run(small.engine, "status", "--scheme", "t", "--period", P)
    assert code == 0 and "1/4 个单位数据完整" in out and "[缺 2 项] 乙中心（U2）" in out
    code, out, _ = run(small.engine, "deadline", "--period", P, "--date", "2025-04-05")
    assert code == 0
    code, out, _ = run(small.engine, "status", "--scheme", "t", "--period", P, "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["deadline"] == "2025-04-05" and data["units_complete"] == 1
    assert {u["unit"]: u["status"] for u in data["units"]}["U3"] == "未填报"
    code, _, err = run(small.engine, "status", "--scheme", "nope", "--period", P)
    assert code == 2 and "nope" in err and "Traceback" not in err
    code, _, err = run(small.engine, "deadline", "--period", P, "--date", "4月5日")
    assert code == 2 and "格式不对" in err


def test_the_periods_page_sets_the_deadline_and_the_progress_page_shows_it_overdue(
    demo_url: str,  # noqa: F811 - the fixture
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from streamlit.testing.v1 import AppTest
    from test_pages import APP, DEMO_USER, _as_a_running_server, choose, login

    monkeypatch.setenv("DATABASE_URL", demo_url)
    monkeypatch.setenv("ASSESS_SEED_DEMO", "1")
    _as_a_running_server(monkeypatch)
    at = AppTest.from_file(APP, default_timeout=90).run()
    login(at, DEMO_USER["admin"])
    assert at.title[0].value == "全区总览"  # where an administrator lands (issue 21)
    at.switch_page("pages/admin_periods.py").run()
    at.selectbox(key="deadline_period").set_value("2025-12")
    at.date_input(key="deadline_date").set_value(date(2026, 1, 5))
    next(b for b in at.button if b.label == "保存截止日期").click().run()
    assert not at.exception, at.exception
    assert any("截止日期已设为 2026-01-05" in s.value for s in at.success)
    at.switch_page("pages/progress.py").run()
    choose(at, "community_monthly", "2025-12")
    assert not at.exception, at.exception
    assert any("截止 2026-01-05" in m.value for m in [*at.info, *at.error])


def test_a_repeat_visit_reads_no_values_and_an_import_is_seen_at_once(
    small: SmallDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    small.put(P, {"U1": {"D1": 40, "D2": 20, "K1": 0}}, assessor="考核一组")
    reads = []
    real = progress_module.current_values_in
    monkeypatch.setattr(progress_module, "current_values_in", lambda s, ref: reads.append(ref) or real(s, ref))
    first = progress("t", P, engine=small.engine)
    again = progress("t", P, engine=small.engine)
    assert len(reads) == 1  # the second visit reused the counts of the same revision
    pd.testing.assert_frame_equal(first.units, again.units)
    assert first.units.set_index("unit").loc["U2", "status"] == "未填报"
    small.put(P, {"U2": {"D1": 30, "D2": 10, "K1": 0}}, assessor="考核二组")  # a new revision
    after = progress("t", P, engine=small.engine).units.set_index("unit")
    assert len(reads) == 2 and after.loc["U2", "status"] == "完整" and after.loc["U2", "考核二组"] == 3
    assert after.loc["U1", "考核一组"] == 3 and after.loc["U1", "考核二组"] == 0


def test_many_units_share_the_spelling_of_what_they_miss(small: SmallDb) -> None:
    small.put(P, {"U1": {"D1": 40}, "U2": {"D1": 30}, "U3": {"K1": 1}})
    rows = progress("t", P, engine=small.engine).units.set_index("unit")
    assert rows.loc["U1", "missing_codes"] == rows.loc["U2", "missing_codes"] == "D2（直接评分二）、K1（扣分项）"
    assert rows.loc["U3", "missing_codes"].startswith("D1（") and rows.loc["U3", "status"] == "缺 2 项"
    assert rows.loc["U4", "status"] == "未填报" and rows.loc["U4", "missing"] == 3
