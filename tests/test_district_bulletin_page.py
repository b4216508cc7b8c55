"""月度通报's 全区通报 downloads under AppTest: 下载全区通报（Word）and（Excel）are offered to those
who may export, disabled for a roll-up, and a click made in time serves the document (audited),
while one made after sign-out is refused."""

from __future__ import annotations

import io

import docx
import openpyxl
import pytest
from streamlit.testing.v1 import AppTest
from test_fail_closed import (  # noqa: F401 - signed_in, deferred: fixtures
    _admin,
    _button,
    _logout,
    _open,
    as_web_server,
    deferred,
    signed_in,
)
from test_pages import demo_url  # noqa: F401 - demo_url: fixture

from services.audit import audit_log
from services.errors import Forbidden
from storage.db import get_engine

WORD, EXCEL = "下载全区通报（Word）", "下载全区通报（Excel）"
KEYS = {WORD: "meeting_district_docx", EXCEL: "meeting_district_xlsx"}


def buttons(at: AppTest) -> dict[str, object]:
    return {b.proto.label: b for b in at.get("download_button")}


def test_the_meeting_page_offers_the_district_bulletin_and_not_for_a_quarter(signed_in) -> None:  # noqa: ANN001, F811
    at, _ = signed_in("viewer")
    _open(at, "pages/meeting.py")
    shown = buttons(at)
    assert {WORD, EXCEL} <= set(shown)
    assert not shown[WORD].proto.disabled and not shown[EXCEL].proto.disabled
    at.button_group(key="f_kind_community_monthly").set_value("quarter").run()
    assert not at.exception, at.exception
    shown = buttons(at)
    assert shown[WORD].proto.disabled and shown[EXCEL].proto.disabled
    assert "请选择具体期间" in shown[WORD].proto.help


@pytest.mark.parametrize("label", [WORD, EXCEL])
def test_a_click_serves_the_district_bulletin_and_is_audited(signed_in, deferred, monkeypatch, label: str) -> None:  # noqa: ANN001, F811
    at, name = signed_in("viewer")
    make = _button(_open(at, "pages/meeting.py"), KEYS[label], deferred)
    as_web_server(monkeypatch)
    data = make()  # as Streamlit does on a click: another thread, outside the page's run
    assert isinstance(data, bytes)
    if label == WORD:
        document = docx.Document(io.BytesIO(data))
        text = "\n".join(p.text for p in document.paragraphs)
        assert "关于2025年8月全区卫生健康单位绩效考核情况的通报" in text and len(document.tables) == 3
    else:
        assert openpyxl.load_workbook(io.BytesIO(data)).sheetnames[0] == "全区"
    log = audit_log(action="export", actor=name, by=_admin())
    assert "全区考核通报" in log["message"].iloc[0] and log["target"].iloc[0] == "district:2025-08"


def test_a_click_after_sign_out_is_refused(signed_in, deferred, monkeypatch) -> None:  # noqa: ANN001, F811
    at, name = signed_in("viewer")
    make = _button(_open(at, "pages/meeting.py"), KEYS[WORD], deferred)
    _logout(get_engine(), at, name)
    as_web_server(monkeypatch)
    with pytest.raises(Forbidden):
        make()
    assert not [m for m in audit_log(action="export", actor=name, by=_admin())["message"] if "全区" in m]
