"""Permission checks fail closed in the web server, and every download re-checks the session.

- In the web server (a Streamlit runtime exists) a service call with no `by=` and no page run
  is refused; on the command line and in tests the operator is still trusted.
- Each download button's file is made later, outside the page's run. The callable a page hands
  to st.download_button is taken from Streamlit's media manager here and called after the
  account changed (logout, deactivation, role change, idle timeout): it must refuse, and the
  refusal is audited. Called in time, it serves the file and audits the download.
- A page opened by URL that the role does not open, and a refused service call, are audited.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from conftest import url_of
from sqlalchemy import Engine, update
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.runtime.runtime import Runtime
from streamlit.testing.v1 import AppTest
from test_pages import APP, _as_a_running_server, choose, demo_url, login  # noqa: F401 - demo_url: fixture

from services import accounts, audit, catalog, permissions
from services.audit import audit_log, flush_refusals
from services.dashboard import period_view
from services.errors import Forbidden
from services.permissions import Actor, trusted
from storage.db import get_engine
from storage.models import AccountSession
from storage.types import utcnow

PASSWORD = "a-long-password"
_names = itertools.count(1)


def as_web_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """This process is the web server: a Streamlit runtime exists (as under `streamlit run`).
    Call it after the last AppTest run of a test: AppTest sets and clears the runtime itself."""
    monkeypatch.setattr(Runtime, "_instance", object())


@pytest.fixture
def web(demo_database: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """The web server on the test's database (refusals are audited in the app's database)."""
    monkeypatch.setenv("DATABASE_URL", url_of(demo_database))
    as_web_server(monkeypatch)


# -- acting() in the web server ------------------------------------------------------------------
def test_a_call_without_an_account_is_refused_in_the_web_server(demo_database: Engine, web: None) -> None:
    import ui.guard  # noqa: F401 - the page lookup the web server installs (no run on this thread)

    with pytest.raises(Forbidden, match="请先登录"):
        period_view("community_monthly", "2025-08", engine=demo_database)
    with pytest.raises(Forbidden, match="请先登录"):
        catalog.set_unit_active("C01", False, "某人", engine=demo_database)
    with trusted():
        assert bool(catalog.list_units(engine=demo_database).set_index("code").loc["C01", "active"])
    assert flush_refusals()  # written before the test's database goes


def test_start_up_and_an_explicit_account_still_work_in_the_web_server(demo_database: Engine, web: None) -> None:
    with trusted():  # first-start migration and seeding act as the system
        assert period_view("community_monthly", "2025-08", engine=demo_database) is not None
    viewer = Actor(7, "v", "领导", "viewer")
    assert permissions.check(viewer, "results.all") is viewer
    with pytest.raises(Forbidden, match="无权管理单位"):
        catalog.set_unit_active("C01", False, by=viewer, engine=demo_database)
    assert flush_refusals()


def test_the_command_line_and_tests_keep_trusting_the_operator(demo_database: Engine) -> None:
    assert not permissions.web_process()
    assert permissions.acting(None) is None
    assert period_view("community_monthly", "2025-08", engine=demo_database) is not None


def _admin() -> Actor:
    return Actor(1, "op", "操作员", "admin")


# -- the app, with its download buttons ------------------------------------------------------------
@pytest.fixture
def deferred(monkeypatch: pytest.MonkeyPatch) -> dict[str, Callable[[], object]]:
    """file id -> the callable a download button registered (Streamlit calls it on a click)."""
    found: dict[str, Callable[[], object]] = {}
    original = MediaFileManager.add_deferred

    def add(self, data_callable, *args, **kwargs) -> str:  # noqa: ANN001, ANN002, ANN003
        file_id = original(self, data_callable, *args, **kwargs)
        found[file_id] = data_callable
        return file_id

    monkeypatch.setattr(MediaFileManager, "add_deferred", add)
    return found


@pytest.fixture
def signed_in(demo_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], tuple[AppTest, str]]]:  # noqa: F811
    """sign_in(role) -> (the app signed in as a new account of that role, its user name)."""
    monkeypatch.setenv("DATABASE_URL", demo_url)
    monkeypatch.setenv("ASSESS_SEED_DEMO", "1")
    _as_a_running_server(monkeypatch)

    def sign_in(role: str) -> tuple[AppTest, str]:
        name = f"dl-{role}-{next(_names)}"
        accounts.create_account(
            name, f"下载测试{role}", role, PASSWORD, unit_code="C03" if role == "unit" else None,
            schemes=["community_monthly"] if role == "assessor" else (), engine=get_engine(),
        )  # fmt: skip
        at = AppTest.from_file(APP, default_timeout=90).run()
        login(at, name, PASSWORD)
        assert not at.exception and not at.error, at.error
        return at, name

    yield sign_in


def _button(at: AppTest, key: str, deferred: dict[str, Callable[[], object]]) -> Callable[[], object]:
    for button in at.get("download_button"):
        if button.proto.id.endswith(f"-{key}"):
            assert button.proto.deferred_file_id, f"{key} is not deferred: its file is made on every run"
            return deferred[button.proto.deferred_file_id]
    raise AssertionError(f"no download button {key}: {[b.proto.id for b in at.get('download_button')]}")


def _open(at: AppTest, page: str) -> AppTest:
    if page in ("pages/meeting.py", "pages/unit_detail.py"):
        choose(at, "community_monthly", "2025-08")
        at.session_state["unit"] = "C03"
    at.switch_page(page).run()
    if page == "pages/upload.py":  # the template with every unit's current values
        at.checkbox(key="up_prefill").check().run()
    assert not at.exception, at.exception
    return at


def _logout(engine: Engine, at: AppTest, name: str) -> None:
    accounts.logout(at.session_state["_auth_token"], engine=engine)


def _deactivate(engine: Engine, at: AppTest, name: str) -> None:
    accounts.update_account(name, active=False, engine=engine)


def _new_role(engine: Engine, at: AppTest, name: str) -> None:
    role = name.split("-")[1]
    accounts.update_account(name, role="assessor" if role == "viewer" else "viewer", engine=engine)


def _idle(engine: Engine, at: AppTest, name: str) -> None:
    long_ago = utcnow() - accounts.IDLE - timedelta(minutes=1)
    with engine.begin() as conn:
        conn.execute(update(AccountSession).values(last_seen_at=long_ago))


ENDINGS = {"logout": _logout, "deactivated": _deactivate, "role changed": _new_role, "idle timeout": _idle}
# page, button key, role that may use it, what its audit entry says
BUTTONS = [
    ("pages/submissions.py", "sub_file", "assessor", "原始文件"),
    ("pages/upload.py", "up_template", "assessor", "预填当前数据的评分表模板"),
    ("pages/meeting.py", "meeting_excel", "viewer", "考核通报（Excel）"),
    ("pages/meeting.py", "meeting_csv", "viewer", "排名（CSV）"),
    ("pages/unit_detail.py", "unit_report", "viewer", "考核结果（Excel）"),
    ("pages/admin_audit.py", "audit_csv", "admin", "导出审计日志"),
]


@pytest.mark.parametrize(("page", "key", "role", "said"), BUTTONS, ids=[b[1] for b in BUTTONS])
def test_a_download_in_time_serves_the_file_and_is_audited(
    signed_in, deferred, monkeypatch, page: str, key: str, role: str, said: str
) -> None:  # noqa: ANN001
    at, name = signed_in(role)
    make = _button(_open(at, page), key, deferred)
    as_web_server(monkeypatch)
    before = len(audit_log(action="export", actor=name, by=_admin()))
    data = make()  # as Streamlit does on a click: on another thread, outside the page's run
    assert isinstance(data, (bytes, str)) and len(data) > 10
    log = audit_log(action="export", actor=name, by=_admin())
    assert len(log) == before + 1 and said in log["message"].iloc[0], log["message"].tolist()
    assert log["actor"].iloc[0] == f"下载测试{role}（{name}）"


@pytest.mark.parametrize("ending", list(ENDINGS))
@pytest.mark.parametrize(("page", "key", "role", "said"), BUTTONS, ids=[b[1] for b in BUTTONS])
def test_a_download_button_left_on_screen_refuses_once_the_session_changed(
    signed_in, deferred, monkeypatch, page: str, key: str, role: str, said: str, ending: str
) -> None:  # noqa: ANN001
    at, name = signed_in(role)
    make = _button(_open(at, page), key, deferred)
    as_web_server(monkeypatch)
    with trusted():  # the administrator or the clock, elsewhere
        ENDINGS[ending](get_engine(), at, name)
    exports = len(audit_log(action="export", actor=name, by=_admin()))
    with pytest.raises(Forbidden):
        make()
    assert len(audit_log(action="export", actor=name, by=_admin())) == exports  # nothing was handed out
    assert flush_refusals()
    refused = audit_log(action="access.denied", actor=name, by=_admin())
    assert len(refused) and refused["target"].iloc[0].startswith("download:"), refused[["target", "message"]]


def test_the_audit_csv_is_no_longer_made_on_every_run(signed_in, deferred) -> None:  # noqa: ANN001
    at, _ = signed_in("admin")
    at.switch_page("pages/admin_audit.py").run()
    (button,) = at.get("download_button")
    assert button.proto.deferred_file_id and not button.proto.url  # no /media/ URL before a click


# -- refused pages and services are audited --------------------------------------------------------
def test_a_page_opened_by_url_that_the_role_does_not_open_is_audited(signed_in) -> None:  # noqa: ANN001
    from test_permissions import open_by_url

    at, name = signed_in("viewer")
    open_by_url(at, "pages/admin_accounts.py")
    assert at.title[0].value == "无权访问本页"  # issue 21: not the English "Page not found"
    open_by_url(at, "pages/admin_accounts.py")  # the same session asking again: one entry
    refused = audit_log(action="access.denied", actor=name, by=_admin())
    assert refused["target"].tolist() == ["page:pages/admin_accounts.py"]
    assert "被拒绝" in refused["message"].iloc[0]


def test_a_refused_service_call_is_audited_under_the_account(demo_database: Engine, web: None) -> None:
    viewer = Actor(9, "ld9", "领导九", "viewer")
    with pytest.raises(Forbidden, match="无权管理单位"):
        catalog.set_unit_active("C01", False, by=viewer, engine=demo_database)
    with pytest.raises(Forbidden, match="请先登录"):
        period_view("community_monthly", "2025-08", engine=demo_database)
    assert flush_refusals()
    log = audit_log(action="access.denied", by=_admin(), engine=demo_database)
    assert log["actor"].tolist()[:2] == [audit.NOBODY, "领导九（ld9）"]
    assert log["target"].tolist()[:2] == ["session:none", "permission:units.edit"]
    assert "无权管理单位" in log["message"].iloc[1]


def test_an_audit_failure_never_replaces_the_refusal(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_: object) -> None:
        raise RuntimeError("database gone")

    as_web_server(monkeypatch)
    monkeypatch.setattr(permissions, "_recorder", broken)
    with pytest.raises(Forbidden, match="无权管理账户"):
        Actor(3, "u", "某单位", "unit").require("accounts.manage")
