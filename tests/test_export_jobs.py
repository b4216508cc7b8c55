"""Background export jobs (services/export_jobs.py) and the progress the bulletin writers report:
one build per key, progress rising to 1, Chinese errors, bounds by count, size, age and jobs at once."""

from __future__ import annotations

import io
import logging
import threading
import time
from collections.abc import Callable, Iterator

import openpyxl
import pytest
from sqlalchemy import Engine

from exports.progress import Progress
from services import export_jobs
from services.district_bulletin import district_workbook
from services.errors import NotFound
from services.export_jobs import FAILED_TEXT, QUEUED_TEXT, State, job, job_key, start
from services.meeting import bulletin_workbook

WAIT = 30  # seconds: a bound on every wait, never reached when the code works


@pytest.fixture(autouse=True)
def fresh_jobs() -> Iterator[None]:
    export_jobs.clear()
    yield
    export_jobs.clear()


def until(condition: Callable[[], bool]) -> None:
    """Wait for `condition` (checked every 10 ms, at most WAIT seconds)."""
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        threading.Event().wait(0.01)


def blocked(data: bytes, gate: threading.Event, calls: list[int]) -> Callable[[Progress], bytes]:
    """A build that counts its calls and finishes when `gate` is set."""

    def make(progress: Progress) -> bytes:
        calls.append(1)
        assert gate.wait(WAIT)
        return data

    return make


def done(key: export_jobs.Key, make: Callable[[Progress], export_jobs.File]) -> export_jobs.Job:
    started = start(key, make)
    assert started.wait(WAIT)
    return started


# -- one build per key -------------------------------------------------------------------------------
def test_a_second_start_with_the_same_key_returns_the_running_job_and_then_the_finished_one() -> None:
    gate, calls = threading.Event(), []
    key = job_key("bulletin:k:2025-08", "fp1", 7)
    first = start(key, blocked(b"xlsx", gate, calls))
    assert start(key, blocked(b"other", gate, calls)) is first  # while it runs
    assert first.state is State.RUNNING and first.data is None and job(key) is first
    gate.set()
    assert first.wait(WAIT)
    assert first.state is State.DONE and first.data == b"xlsx" and first.fraction == 1.0
    assert start(key, blocked(b"other", gate, calls)) is first  # after it finished: no second build
    assert calls == [1]
    assert str(State.DONE) == "完成" and str(State.RUNNING) == "进行中" and str(State.FAILED) == "失败"


def test_another_fingerprint_or_account_is_another_job() -> None:
    key = job_key("bulletin:k:2025-08", "fp1", 7)
    done(key, lambda progress: b"old")
    assert job(job_key("bulletin:k:2025-08", "fp2", 7)) is None  # the values changed: not the old file
    assert job(job_key("bulletin:k:2025-08", "fp1", 8)) is None  # another account
    assert done(job_key("bulletin:k:2025-08", "fp2", 7), lambda progress: b"new").data == b"new"
    assert job(key).data == b"old"


# -- progress ---------------------------------------------------------------------------------------
def test_progress_never_goes_back_and_ends_at_one() -> None:
    seen: list[float] = []
    gate = threading.Event()

    def make(progress: Progress) -> bytes:
        progress(0.5, "正在写入「排名」工作表")
        progress(0.2, "正在写入「明细」工作表")  # a step reporting less: the bar stays
        progress(7, "越界")  # more than 1 is 1
        gate.wait(WAIT)
        return b"x"

    running = start(job_key("w", "f", 1), make)
    until(lambda: running.message == "越界")
    seen.append(running.fraction)
    gate.set()
    assert running.wait(WAIT)
    assert seen == [1.0] and running.fraction == 1.0


def test_the_excel_bulletin_reports_each_sheet_in_chinese_rising_to_one(demo_database: Engine) -> None:
    steps: list[tuple[float, str]] = []
    _, data = bulletin_workbook(
        "community_monthly", "2025-08", "李四", engine=demo_database, progress=lambda f, m: steps.append((f, m))
    )
    fractions, messages = [f for f, _ in steps], [m for _, m in steps]
    assert fractions == sorted(fractions) and fractions[0] == 0.0 and fractions[-1] == 1.0
    assert messages[:2] == ["正在读取考核结果", "正在汇总通报内容"]
    sheets = openpyxl.load_workbook(io.BytesIO(data)).sheetnames
    # one step per sheet, in the order they are written, then the saving
    assert [m for m in messages if m.startswith("正在写入")] == [f"正在写入「{s}」工作表" for s in sheets]
    assert "正在写入「排名」工作表" in messages
    assert messages[-2:] == ["正在保存 Excel 文件", "Excel 文件已生成"]


def test_without_a_progress_the_bulletin_is_the_same_file(demo_database: Engine) -> None:
    from datetime import datetime

    at = datetime(2026, 1, 8, 9, 0)
    _, plain = bulletin_workbook("community_monthly", "2025-08", "李四", at, engine=demo_database)
    _, heard = bulletin_workbook(
        "community_monthly", "2025-08", "李四", at, engine=demo_database, progress=lambda f, m: None
    )
    cells = [[list(ws.values) for ws in openpyxl.load_workbook(io.BytesIO(d))] for d in (plain, heard)]
    assert cells[0] == cells[1]


def test_the_district_workbook_reports_one_step_per_scheme(demo_database: Engine) -> None:
    steps: list[tuple[float, str]] = []
    district_workbook("2025-12", actor="李四", engine=demo_database, progress=lambda f, m: steps.append((f, m)))
    fractions, messages = [f for f, _ in steps], [m for _, m in steps]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert [m for m in messages if m.startswith("正在汇总")] == [
        "正在汇总「社区卫生服务中心月度绩效考核」",
        "正在汇总「区级医院月度绩效考核」",
        "正在汇总「村卫生室月度考核」",
    ]
    # three schemes share the first 80 %: 0, 1/3, 2/3 of it
    assert fractions[:3] == pytest.approx([0.0, 0.8 / 3, 1.6 / 3])
    assert messages[-2:] == ["正在生成 Excel 文件", "Excel 文件已生成"]


# -- failures ---------------------------------------------------------------------------------------
def test_a_service_error_shows_its_own_chinese_message() -> None:
    def make(progress: Progress) -> bytes:
        raise NotFound("方案「社区」在 2025年8月 没有考核数据，请检查所选方案和期间")

    failed = done(job_key("w", "f", 1), make)
    assert failed.state is State.FAILED and failed.data is None
    assert failed.error == "方案「社区」在 2025年8月 没有考核数据，请检查所选方案和期间"


def test_any_other_error_is_logged_with_its_traceback_and_shown_generically(caplog: pytest.LogCaptureFixture) -> None:
    def make(progress: Progress) -> bytes:
        raise KeyError("leaf_17")  # a bug: its text is no sentence for a person

    with caplog.at_level(logging.ERROR, logger="services.export_jobs"):
        failed = done(job_key("w", "f", 1), make)
    assert failed.state is State.FAILED and failed.error == FAILED_TEXT == "生成失败，请稍后重试（已记录日志）"
    (record,) = [r for r in caplog.records if r.name == "services.export_jobs"]
    assert record.exc_info is not None and record.exc_info[0] is KeyError


def test_a_failed_job_is_built_again_on_the_next_start() -> None:
    key = job_key("w", "f", 1)
    failed = done(key, lambda progress: 1 / 0)  # type: ignore[arg-type, return-value]
    assert failed.state is State.FAILED
    again = done(key, lambda progress: b"ok")
    assert again is not failed and again.data == b"ok" and job(key) is again


# -- bounds -----------------------------------------------------------------------------------------
def test_at_most_the_configured_number_of_finished_jobs_least_recently_used_dropped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ASSESS_EXPORT_JOBS_KEPT", "2")
    a, b, c = (job_key("w", f, 1) for f in "abc")
    done(a, lambda progress: b"a")
    done(b, lambda progress: b"b")
    assert job(a) is not None  # a is used again: b is now the least recently used
    done(c, lambda progress: b"c")
    assert job(b) is None and job(a).data == b"a" and job(c).data == b"c"


def test_at_most_the_configured_megabytes_the_newest_file_always_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSESS_EXPORT_JOBS_MB", str(1000 / 1024 / 1024))  # 1,000 bytes
    a, b, c = (job_key("w", f, 1) for f in "abc")
    done(a, lambda progress: b"a" * 600)
    done(b, lambda progress: b"b" * 400)  # 1,000 bytes: both kept
    assert job(b) is not None and job(a) is not None  # a used last: b is the least recently used
    done(c, lambda progress: b"c" * 1)  # 1,001 bytes: b goes
    assert job(b) is None and job(a) is not None and job(c) is not None
    big = job_key("w", "big", 1)
    done(big, lambda progress: b"x" * 5000)  # larger than the budget alone: kept, the others go
    assert job(big).data == b"x" * 5000 and job(a) is None and job(c) is None


def test_bad_settings_fall_back_to_their_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for value in ("", "abc", "0", "-3"):
        monkeypatch.setenv("ASSESS_EXPORT_JOBS_KEPT", value)
        assert export_jobs.setting("ASSESS_EXPORT_JOBS_KEPT") == 20
    monkeypatch.setenv("ASSESS_EXPORT_JOBS_KEPT", "5")
    assert export_jobs.setting("ASSESS_EXPORT_JOBS_KEPT") == 5


def test_a_finished_file_expires_after_the_configured_minutes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSESS_EXPORT_JOB_MINUTES", "10")
    key = job_key("w", "f", 1)
    finished = done(key, lambda progress: b"x")
    finished.finished_at -= 9 * 60  # nine minutes ago: still served
    assert job(key) is finished
    finished.finished_at -= 2 * 60  # eleven minutes ago: built anew on the next start
    assert job(key) is None
    assert done(key, lambda progress: b"y").data == b"y"


def test_jobs_beyond_the_configured_number_at_once_wait_their_turn(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSESS_EXPORT_JOBS_RUNNING", "1")
    export_jobs.clear()  # the limit is read again
    gate, calls = threading.Event(), []
    first = start(job_key("w", "1", 1), blocked(b"1", gate, calls))
    until(lambda: calls == [1])
    second = start(job_key("w", "2", 1), blocked(b"2", gate, calls))
    until(lambda: second.message == QUEUED_TEXT)
    assert calls == [1] and second.state is State.RUNNING  # not building: waiting for the first
    gate.set()
    assert first.wait(WAIT) and second.wait(WAIT)
    assert calls == [1, 1] and second.data == b"2"
