"""公示 (issue 20): working days, starting and ending a window, its state from the bureau's date,
republication during 公示, and the period lock refused while a window or an objection is open —
on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
from conftest import SmallDb
from sqlalchemy import select

from services import permissions, publicity
from services.accounts import create_account
from services.audit import audit_log
from services.errors import Conflict, Forbidden, InvalidInput
from services.periods import get_period, lock_period
from services.permissions import Actor
from services.publicity import current_publicity, end_publicity, open_windows, start_publicity
from services.publishing import publish
from services.workdays import add_workdays, is_workday
from storage.db import reading
from storage.models import Message

P = "2025-03"
FULL = {u: {"D1": 40, "D2": 20, "K1": 1} for u in ("U1", "U2", "U3", "U4")}
ADMIN = Actor(1, "admin", "管理员甲", "admin")
ADMIN2 = Actor(2, "admin2", "管理员乙", "admin")
ASSESSOR = Actor(3, "kp", "考核员", "assessor", schemes=("t",))
MONDAY = date(2026, 12, 7)


# -- working days ------------------------------------------------------------------------------
def test_working_days_skip_weekends(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ASSESS_HOLIDAYS", raising=False)
    monkeypatch.delenv("ASSESS_EXTRA_WORKDAYS", raising=False)
    assert add_workdays(MONDAY, 1) == MONDAY
    assert add_workdays(MONDAY, 5) == date(2026, 12, 11)  # Friday
    assert add_workdays(MONDAY, 6) == date(2026, 12, 14)  # over the weekend
    assert add_workdays(date(2026, 12, 12), 1) == date(2026, 12, 14)  # a Saturday start runs from Monday
    with pytest.raises(ValueError):
        add_workdays(MONDAY, 0)


def test_holidays_and_weekend_workdays_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSESS_HOLIDAYS", "2026-12-08, 2026-12-09，坏日期")
    monkeypatch.setenv("ASSESS_EXTRA_WORKDAYS", "2026-12-12")
    assert not is_workday(date(2026, 12, 8)) and is_workday(date(2026, 12, 12))
    # Mon, (Tue, Wed holidays), Thu, Fri, Sat (调休) = 4 working days
    assert add_workdays(MONDAY, 4) == date(2026, 12, 12)
    assert add_workdays(MONDAY, 5) == date(2026, 12, 14)


# -- windows -----------------------------------------------------------------------------------
def on(monkeypatch: pytest.MonkeyPatch, day: date) -> None:
    monkeypatch.setattr(publicity, "local_today", lambda: day)


def published(small: SmallDb) -> None:
    small.put(P, FULL)
    publish("t", P, by=ADMIN2, engine=small.engine)


def test_publicity_needs_a_publication_and_the_permission(small: SmallDb, monkeypatch: pytest.MonkeyPatch) -> None:
    on(monkeypatch, MONDAY)
    small.put(P, FULL)
    with pytest.raises(Conflict, match="尚未审定发布，不能公示"):
        start_publicity("t", P, by=ADMIN, engine=small.engine)
    publish("t", P, by=ADMIN2, engine=small.engine)
    with pytest.raises(Forbidden, match="无权发起和结束公示"):
        start_publicity("t", P, by=ASSESSOR, engine=small.engine)
    assert current_publicity("t", P, engine=small.engine) is None


def test_a_window_runs_the_schemes_working_days_and_marks_the_period(
    small: SmallDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    on(monkeypatch, MONDAY)
    create_account("dw1", "甲中心填报员", "unit", "secret-pass-123", unit_code="U1", engine=small.engine)
    published(small)
    info = start_publicity("t", P, "第一次公示", by=ADMIN, engine=small.engine)
    assert (info.starts_on, info.ends_on, info.working_days) == (MONDAY, date(2026, 12, 11), 5)
    assert info.state(MONDAY) == "open" and info.state_name(date(2026, 12, 11)) == "公示中"
    assert info.state(date(2026, 12, 12)) == "ended" and info.state_name(date(2026, 12, 12)) == "已结束"
    assert info.publication_seq == 1 and "管理员甲" in info.text(MONDAY)
    assert get_period(P, engine=small.engine).state == "published"
    with pytest.raises(Conflict, match="已在公示"):
        start_publicity("t", P, by=ADMIN, engine=small.engine)
    with reading(small.engine) as s:
        notes = s.scalars(select(Message).where(Message.kind == "publicity")).all()
    assert len(notes) == 1 and "公示期 2026-12-07 至 2026-12-11" in notes[0].body
    log = audit_log(action="publicity.start", engine=small.engine)
    assert len(log) == 1 and "5 个工作日" in log["message"].iloc[0]
    assert [w.id for w in open_windows(unit="U1", engine=small.engine)] == [info.id]
    assert open_windows(unit="X1", engine=small.engine) == []  # not in this scheme's results


def test_a_future_start_is_pending_and_a_past_one_refused(small: SmallDb, monkeypatch: pytest.MonkeyPatch) -> None:
    on(monkeypatch, MONDAY)
    published(small)
    with pytest.raises(InvalidInput, match="已过"):
        start_publicity("t", P, starts_on=date(2026, 12, 4), by=ADMIN, engine=small.engine)
    info = start_publicity("t", P, starts_on=date(2026, 12, 9), by=ADMIN, engine=small.engine)
    assert info.state(MONDAY) == "pending" and info.state_name(MONDAY) == "未开始"
    assert info.ends_on == date(2026, 12, 15)
    assert open_windows(engine=small.engine) == []


def test_ending_early_needs_a_reason_and_is_audited(small: SmallDb, monkeypatch: pytest.MonkeyPatch) -> None:
    on(monkeypatch, MONDAY)
    published(small)
    start_publicity("t", P, by=ADMIN, engine=small.engine)
    with pytest.raises(InvalidInput, match="必须填写原因"):
        end_publicity("t", P, "  ", by=ADMIN, engine=small.engine)
    info = end_publicity("t", P, "各单位均已确认", by=ADMIN, engine=small.engine)
    assert info.state(MONDAY) == "ended" and "各单位均已确认" in info.note
    with pytest.raises(Conflict, match="没有进行中的公示"):
        end_publicity("t", P, "再次", by=ADMIN, engine=small.engine)
    assert len(audit_log(action="publicity.end", engine=small.engine)) == 1
    again = start_publicity("t", P, by=ADMIN, engine=small.engine)  # a new window after the old one ended
    assert again.id != info.id


def test_republication_during_publicity_keeps_the_window(small: SmallDb, monkeypatch: pytest.MonkeyPatch) -> None:
    on(monkeypatch, MONDAY)
    published(small)
    first = start_publicity("t", P, by=ADMIN, engine=small.engine)
    small.put(P, {"U1": {"D1": 45}})
    publish("t", P, by=ADMIN2, engine=small.engine)
    now = current_publicity("t", P, engine=small.engine)
    assert now is not None and now.id == first.id and now.is_open(MONDAY) and now.publication_seq == 1


def test_the_period_locks_only_once_the_window_is_over(small: SmallDb, monkeypatch: pytest.MonkeyPatch) -> None:
    on(monkeypatch, MONDAY)
    published(small)
    start_publicity("t", P, by=ADMIN, engine=small.engine)
    with pytest.raises(Conflict) as exc:
        lock_period(P, "", "月通报已发布", by=ADMIN, engine=small.engine)
    assert "暂不能锁定" in str(exc.value) and "「测试方案」公示尚未结束（至 2026-12-11）" in str(exc.value)
    assert get_period(P, engine=small.engine).state == "published"
    on(monkeypatch, date(2026, 12, 14))
    assert lock_period(P, "", "月通报已发布", by=ADMIN, engine=small.engine).locked
    with pytest.raises(permissions.Forbidden):
        start_publicity("t", P, by=Actor(9, "ld", "领导", "viewer"), engine=small.engine)
