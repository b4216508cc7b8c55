"""月度通报 at province size under AppTest (ASSESS_EXPORT_JOB_UNITS set below the demo's units): the
Excel bulletin and the 全区通报 are made as jobs — 「生成 Excel 通报」, a progress bar in Chinese, then
the download button with the file; a failure in Chinese with a retry; the job still shown after
leaving the page and coming back."""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Iterator

import openpyxl
import pytest
from chinese_text import problems_in
from streamlit.testing.v1 import AppTest
from test_fail_closed import (  # noqa: F401 - signed_in, deferred: fixtures
    _admin,
    _button,
    _open,
    as_web_server,
    deferred,
    signed_in,
)
from test_no_english import visible_texts
from test_pages import demo_url  # noqa: F401 - demo_url: fixture

from services import export_jobs, meeting
from services.audit import audit_log
from services.errors import InvalidInput
from services.export_jobs import State

WAIT = 60  # seconds: a bound on every wait


@pytest.fixture(autouse=True)
def as_province(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("ASSESS_EXPORT_JOB_UNITS", "1")  # the demo's units are "many"
    export_jobs.clear()
    yield
    export_jobs.clear()


def until(condition: Callable[[], bool]) -> None:
    done = threading.Event()
    for _ in range(WAIT * 100):
        if condition():
            return
        done.wait(0.01)
    raise AssertionError("the condition never held")


def running_job(at: AppTest, key: str) -> export_jobs.Job:
    job = export_jobs.job(at.session_state[f"_export_job_{key}"])
    assert job is not None
    return job


def english(at: AppTest) -> list[str]:
    """What of the page (the progress bar's text included) is not Chinese (tests/chinese_text.py)."""
    bars = [("progress", bar.proto.text) for bar in at.get("progress")]
    texts = [(kind, text) for kind, text in visible_texts(at) if "下载测试" not in text]  # the test account's name
    return problems_in([*texts, *bars], ["community_monthly", "hospital_monthly", "village_monthly"])


def labels(at: AppTest, kind: str) -> list[str]:
    return [b.proto.label for b in at.get(kind)]


def test_the_excel_bulletin_is_made_as_a_job_with_its_progress_then_downloaded(
    signed_in,  # noqa: ANN001, F811
    deferred,  # noqa: ANN001, F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real, gate = meeting.bulletin_workbook, threading.Event()

    def held(*args, progress=None, **kwargs):  # noqa: ANN002, ANN003, ANN202 - the service, held at 排名
        def report(fraction: float, message: str) -> None:
            progress(fraction, message)
            if message == "正在写入「排名」工作表":
                assert gate.wait(WAIT)

        return real(*args, progress=report, **kwargs)

    monkeypatch.setattr(meeting, "bulletin_workbook", held)
    at, name = signed_in("viewer")
    _open(at, "pages/meeting.py")
    assert "下载 Excel 通报" not in labels(at, "download_button")  # not a one-click download
    assert {"生成 Excel 通报", "生成全区通报（Word）", "生成全区通报（Excel）"} <= set(labels(at, "button"))
    at.button(key="meeting_excel").click().run()
    assert not at.exception, at.exception
    job = running_job(at, "meeting_excel")
    until(lambda: job.message == "正在写入「排名」工作表")
    at.run()
    (bar,) = at.get("progress")
    assert bar.proto.text == "正在写入「排名」工作表" and 25 <= bar.proto.value < 100
    assert "生成 Excel 通报" not in labels(at, "button")  # no second click while it runs
    assert english(at) == []

    gate.set()
    assert job.wait(WAIT) and job.state is State.DONE
    _open(at, "pages/overview.py")  # leave the page and come back: the file is still there
    _open(at, "pages/meeting.py")
    assert not at.get("progress") and "下载 Excel 通报" in labels(at, "download_button")
    assert english(at) == []
    make = _button(at, "meeting_excel_ready", deferred)
    as_web_server(monkeypatch)
    data = make()  # as Streamlit does on the click: re-checked, then the job's file
    assert data is job.data
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames[:3] == ["说明", "排名", "明细"]
    log = audit_log(action="export", actor=name, by=_admin())
    assert list(log["message"]).count("导出 社区卫生服务中心月度绩效考核 2025年8月 考核通报（Excel）") == 1


def test_a_failed_job_says_why_in_chinese_and_offers_a_retry(
    signed_in,  # noqa: ANN001, F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real, calls = meeting.bulletin_workbook, []

    def refused_once(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        calls.append(1)
        if len(calls) == 1:
            raise InvalidInput("资金结算失败：人口数缺失")
        return real(*args, **kwargs)

    monkeypatch.setattr(meeting, "bulletin_workbook", refused_once)
    at, _ = signed_in("viewer")
    _open(at, "pages/meeting.py")
    at.button(key="meeting_excel").click().run()
    assert running_job(at, "meeting_excel").wait(WAIT)
    at.run()
    assert [e.value for e in at.error if "资金结算失败" in e.value] == ["资金结算失败：人口数缺失"]
    assert "重新生成" in labels(at, "button") and english(at) == []
    at.button(key="meeting_excel_retry").click().run()
    assert not at.exception, at.exception
    job = running_job(at, "meeting_excel")
    assert job.wait(WAIT) and job.state is State.DONE and calls == [1, 1]
    at.run()
    assert "下载 Excel 通报" in labels(at, "download_button")
    assert not [e for e in at.error if "资金结算失败" in e.value]


def test_the_district_bulletin_is_a_job_too(signed_in, deferred, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001, F811
    at, _ = signed_in("viewer")
    _open(at, "pages/meeting.py")
    at.button(key="meeting_district_xlsx").click().run()
    job = running_job(at, "meeting_district_xlsx")
    assert job.wait(WAIT) and job.state is State.DONE
    at.run()
    make = _button(at, "meeting_district_xlsx_ready", deferred)
    as_web_server(monkeypatch)
    assert openpyxl.load_workbook(io.BytesIO(make())).sheetnames[0] == "全区"
