"""A signed-in user who types the URL of a page their role does not open sees 「无权访问本页」 in
Chinese (not Streamlit's English "Page not found" dialog), the attempt is audited, and the menu
still lists only the pages of the role (issue 21)."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash
from test_pages import demo_url, signed_in_app  # noqa: F401 - demo_url: fixture

from services.audit import audit_log
from services.permissions import trusted
from storage.db import get_engine


def open_by_url(at: AppTest, stem: str) -> AppTest:
    """What typing /<stem> in the address bar does (the page is asked for by its URL path)."""
    at._page_hash = calc_hash(stem)
    return at.run()


@pytest.mark.parametrize(
    ("role", "stem"), [("viewer", "admin_accounts"), ("unit", "ranking"), ("assessor", "admin_audit")]
)
def test_a_page_the_role_may_not_open_says_so_in_chinese_and_is_audited(
    role: str,
    stem: str,
    demo_url: str,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    at = signed_in_app(demo_url, role, monkeypatch)
    open_by_url(at, stem)
    assert not at.exception, at.exception
    assert at.title[0].value == "无权访问本页"
    assert any("无权访问本页" in e.value and "联系管理员" in e.value for e in at.error), [e.value for e in at.error]
    assert not at.dataframe and not at.text_input  # nothing of the refused page is drawn
    with trusted():
        entries = audit_log(engine=get_engine(demo_url), action="access.denied")
    assert (entries["target"] == f"page:pages/{stem}.py").any(), entries


def test_the_login_url_of_a_signed_in_user_shows_the_home_page(demo_url: str, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    at = signed_in_app(demo_url, "viewer", monkeypatch)
    open_by_url(at, "login")
    assert not at.exception, at.exception
    assert at.title[0].value == "全区总览"  # leadership's home page
    assert not at.error
