"""Who may see and change what (issue 7): every role × every page × every action, allowed and
refused, on the server — through the menu, by URL, and by calling the services directly.

The expectations are written out here from the issue, not read from services/permissions.py,
so a wrong entry in that table fails a test.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine
from streamlit.source_util import page_icon_and_name
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash
from test_pages import APP, DEMO_USER, _as_a_running_server, demo_url, login  # noqa: F401 - demo_url: fixture

from services import accounts, audit, catalog, periods, permissions, submissions
from services.bootstrap import DEMO_PASSWORD, ensure_demo_accounts
from services.catalog import latest_version
from services.dashboard import period_view
from services.errors import Forbidden
from services.file_names import safe_file_name
from services.own_unit import own_unit
from services.permissions import PAGE_PERMISSION, Actor
from services.values import current_values
from ui.nav import PAGES

ROOT = Path(__file__).resolve().parents[1]
ROLES = ["admin", "assessor", "viewer", "unit"]
RESULTS = {"overview", "ranking", "unit_detail", "criteria", "trends", "meeting"}
# Which pages each role opens, from the issue's role descriptions.
OPENS = {
    "admin": RESULTS | {"upload", "submissions", "whatif", "admin_units", "admin_schemes", "admin_accounts",
                        "admin_audit", "admin_periods", "my_account", "progress", "publish", "reconcile"},
    "assessor": RESULTS | {"upload", "submissions", "my_account", "progress", "reconcile"},
    "viewer": RESULTS | {"my_account"},
    "unit": {"my_unit", "my_account"},
}  # fmt: skip
PAGE_FILES = sorted(p for p in PAGE_PERMISSION if p not in ("pages/login.py", "pages/setup.py") and (ROOT / p).exists())
TITLES = {  # text of each page's heading
    "overview": "总览", "ranking": "排名", "unit_detail": "单位详情", "criteria": "指标分析", "trends": "趋势",
    "meeting": "考核通报", "upload": "上传评分表", "submissions": "提交记录", "whatif": "模拟测算",
    "admin_units": "单位管理", "admin_schemes": "方案管理", "admin_accounts": "账户管理", "admin_audit": "审计日志", "admin_periods": "期间管理",
    "my_account": "我的账户", "my_unit": "本单位结果", "progress": "填报进度", "publish": "审定发布", "reconcile": "核对考核组",
}  # fmt: skip
# issue 20, 证明材料: administrators and assessors
OPENS["admin"] |= {"evidence"}
OPENS["assessor"] |= {"evidence"}
TITLES["evidence"] = "证明材料"
# 公示与申诉 (issue 20)
OPENS["admin"] |= {"publicity"}
OPENS["assessor"] |= {"publicity"}
OPENS["unit"] |= {"unit_objections"}
TITLES |= {"publicity": "公示与申诉", "unit_objections": "申诉"}
for _opens in OPENS.values():  # 站内消息 (issue 20): every role has its own messages
    _opens.add("messages")
TITLES["messages"] = "站内消息"
# 整改 tasks (issue 20): managers give and accept them, a unit submits its own
OPENS["admin"] = OPENS["admin"] | {"tasks"}
OPENS["assessor"] = OPENS["assessor"] | {"tasks"}
OPENS["unit"] = OPENS["unit"] | {"my_tasks"}
TITLES |= {"tasks": "整改任务", "my_tasks": "本单位整改"}
# 全区总览 (issue 21): whoever reads every unit's results
for _role in ("admin", "assessor", "viewer"):
    OPENS[_role].add("cockpit")
TITLES["cockpit"] = "全区总览"
for _opens in OPENS.values():  # 指标释义 (issue 18): every role reads the rules it is assessed by
    _opens.add("glossary")
TITLES["glossary"] = "指标释义"


def stem(page: str) -> str:
    return Path(page).stem


# -- the tables ------------------------------------------------------------------------------------
def test_every_menu_page_has_a_permission_and_every_page_file_a_guard() -> None:
    menu = {path for pages in PAGES.values() for path, _, _ in pages}
    assert menu <= set(PAGE_PERMISSION), menu - set(PAGE_PERMISSION)
    for path in ROOT.glob("pages/*.py"):
        code = path.read_text(encoding="utf-8")
        assert "page_guard()" in code or "current_view(" in code, f"{path.name} does not call page_guard()"


@pytest.mark.parametrize("role", ROLES)
def test_the_permission_table_matches_the_issue(role: str) -> None:
    actor = Actor(1, "x", "x", role)
    opened = {stem(p) for p in PAGE_FILES if permissions.page_allowed(actor, p)}
    assert opened == OPENS[role] & {stem(p) for p in PAGE_FILES}


def test_a_page_missing_from_the_table_is_for_administrators_only() -> None:
    assert permissions.page_allowed(Actor(1, "a", "a", "admin"), "pages/new_thing.py")
    for role in ("assessor", "viewer", "unit"):
        assert not permissions.page_allowed(Actor(1, "a", "a", role), "pages/new_thing.py")


# -- pages, in the app -----------------------------------------------------------------------------
@pytest.fixture
def anonymous(demo_url: str, monkeypatch: pytest.MonkeyPatch) -> AppTest:  # noqa: F811
    monkeypatch.setenv("DATABASE_URL", demo_url)
    monkeypatch.setenv("ASSESS_SEED_DEMO", "1")
    _as_a_running_server(monkeypatch)
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception, at.exception
    return at


def open_by_url(at: AppTest, page: str) -> AppTest:
    """What typing the page's URL does: the browser asks for that page by its URL path,
    whether or not the menu lists it (AppTest.switch_page only knows listed pages)."""
    _, name = page_icon_and_name(Path(page))
    at._page_hash = calc_hash(name)
    return at.run()


def heading(at: AppTest) -> str:
    return at.title[0].value if len(at.title) else ""


@pytest.mark.parametrize("page", PAGE_FILES)
def test_without_signing_in_every_page_lands_on_the_login(anonymous: AppTest, page: str) -> None:
    open_by_url(anonymous, page)
    assert not anonymous.exception, anonymous.exception
    assert heading(anonymous) == "登录"
    assert TITLES[stem(page)] not in " ".join(m.value for m in anonymous.markdown)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_opens_exactly_its_pages_by_url_and_sees_only_them_in_the_menu(anonymous: AppTest, role: str) -> None:
    at = login(anonymous, DEMO_USER[role])
    home = heading(at)
    assert home == {"unit": "本单位结果", "assessor": "填报进度"}.get(role, "全区总览")  # issue 21: the bureau first
    for page in PAGE_FILES:
        open_by_url(at, page)
        assert not at.exception, (page, at.exception)
        shown = heading(at)
        if stem(page) in OPENS[role]:
            assert TITLES[stem(page)] in shown, (role, page, shown)
        else:  # issue 21: 「无权访问本页」 in Chinese, not Streamlit's English "Page not found" dialog
            assert TITLES[stem(page)] not in shown and shown == "无权访问本页", (role, page, shown)
            assert any("无权访问本页" in e.value for e in at.error), (role, page)
            assert not at.dataframe, (role, page)  # nothing of the page itself


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", PAGE_FILES)
def test_the_page_guard_itself_refuses_a_page_run_directly(role: str, page: str, demo_url: str, monkeypatch) -> None:  # noqa: ANN001, F811
    """Even if a page is run without the menu (e.g. Streamlit's folder mode), page_guard() checks."""
    monkeypatch.setenv("DATABASE_URL", demo_url)
    at = AppTest.from_file(str(ROOT / page), default_timeout=60)
    at.session_state["_shell_ran"] = True
    at.session_state["_auth_actor"] = Actor(99, f"t-{role}", "测试", role, unit_code="C03" if role == "unit" else None)
    at.run()
    refused = any("无权访问此页面" in e.value for e in at.error)
    assert refused is (stem(page) not in OPENS[role]), [e.value for e in at.error]
    if refused:
        assert not at.title and not at.dataframe  # nothing of the page was drawn


def test_a_unit_account_cannot_read_another_unit_by_changing_parameters(anonymous: AppTest, demo_url: str) -> None:  # noqa: F811
    at = login(anonymous, DEMO_USER["unit"])
    other = catalog.list_units().set_index("code").loc["C01", "name"]
    at.session_state["unit"] = "C01"  # what the drill-down page reads
    at.query_params["unit"] = "C01"
    at.run()
    assert heading(at) == "本单位结果"
    assert at.selectbox(key="own_scheme").options == ["社区卫生服务中心月度绩效考核"]  # only schemes assessing it
    assert len(at.metric) == 5 and at.metric[0].label == "总分"
    period = at.selectbox(key="own_period_community_monthly_month").value
    mine = own_unit("community_monthly", period, "C03").row  # as the operator: the true figures
    assert at.metric[0].value == f"{mine['total']:.2f}"  # the scheme shows two decimals
    assert at.metric[1].value == f"{int(mine['rank'])} / {int(mine['group_size'])}"
    texts = [e.value for e in [*at.markdown, *at.text, *at.caption, *at.metric]]
    assert any("C03" in str(t) for t in texts)
    assert not any(other in str(t) or "C01" in str(t) for t in texts)
    for frame in at.dataframe:
        assert "C01" not in frame.value.to_string() and other not in frame.value.to_string()
    for page in ("pages/unit_detail.py", "pages/ranking.py", "pages/overview.py"):
        open_by_url(at, page)
        assert heading(at) == "无权访问本页"  # issue 21: said in Chinese, nothing of the page drawn
        assert not at.dataframe and not at.metric


def test_five_wrong_passwords_on_the_login_page_pause_the_name(anonymous: AppTest) -> None:
    from storage.db import get_engine

    accounts.create_account("lock-me", "某人", "viewer", "the-right-password", engine=get_engine())
    for _ in range(5):
        login(anonymous, "lock-me", "wrong-password")
    assert [e.value for e in anonymous.error] == [accounts.LOGIN_REFUSED]  # the same words as any failure
    login(anonymous, "lock-me", "the-right-password")
    assert [e.value for e in anonymous.error] == [accounts.LOGIN_REFUSED]  # paused from this address
    assert heading(anonymous) == "登录"


def test_logout_returns_to_the_login(anonymous: AppTest) -> None:
    at = login(anonymous, DEMO_USER["viewer"])
    assert heading(at) == "全区总览"  # leadership's landing page
    at.sidebar.button(key="logout").click().run()
    assert heading(at) == "登录"
    open_by_url(at, "pages/overview.py")
    assert heading(at) == "登录"


def test_the_demo_banner_is_on_every_page_in_demo_mode(anonymous: AppTest) -> None:
    assert any("演示模式" in w.value for w in anonymous.warning)
    at = login(anonymous, DEMO_USER["admin"])
    for page in PAGE_FILES:
        if stem(page) in OPENS["admin"]:
            open_by_url(at, page)
            assert any("演示模式" in w.value for w in at.warning), page


# -- services ------------------------------------------------------------------------------------
@pytest.fixture
def demo(demo_database: Engine, monkeypatch: pytest.MonkeyPatch) -> Engine:
    monkeypatch.setenv("ASSESS_SEED_DEMO", "1")
    ensure_demo_accounts(demo_database)
    return demo_database


def actor_for(engine: Engine, role: str) -> Actor:
    token = accounts.authenticate(DEMO_USER[role], DEMO_PASSWORD, engine=engine)
    return accounts.check_session(token, engine=engine).actor


def _rows(engine: Engine, scheme: str, unit: str) -> pd.DataFrame:
    v = current_values(scheme, "2025-08", engine=engine)
    return v[v["unit"] == unit].drop(columns=["submission_id"])


def _upload(engine: Engine, scheme: str, unit: str, by: Actor) -> object:
    frame = _rows(engine, scheme, unit)
    version = latest_version(scheme, engine=engine).id
    return submissions.import_values("2025-08", version, frame, "", "表.csv", b"x", by=by, engine=engine)


def _submission(engine: Engine, scheme: str) -> int:
    h = submissions.history(scheme, "2025-07", engine=engine)
    return int(h["id"].iloc[0])


ACTIONS: dict[str, Callable[[Engine, Actor], object]] = {
    "upload assigned scheme": lambda e, a: _upload(e, "community_monthly", "C01", a),
    "upload other scheme": lambda e, a: _upload(e, "hospital_monthly", "H01", a),
    "rollback assigned scheme": lambda e, a: submissions.rollback(
        _submission(e, "community_monthly"), "", by=a, engine=e
    ),
    "rollback other scheme": lambda e, a: submissions.rollback(_submission(e, "hospital_monthly"), "", by=a, engine=e),
    "register scheme": lambda e, a: catalog.register_scheme(
        latest_version("community_monthly", engine=e).source, by=a, engine=e
    ),
    "edit units": lambda e, a: catalog.upsert_units(catalog.list_units(engine=e).head(1), by=a, engine=e),
    "deactivate unit": lambda e, a: catalog.set_unit_active("C01", False, by=a, engine=e),
    "lock period": lambda e, a: periods.lock_period("2025-08", "", "月通报已发布", by=a, engine=e),
    "publish period": lambda e, a: periods.publish_period("2025-09", "", by=a, engine=e),
    "manage accounts": lambda e, a: accounts.list_accounts(by=a, engine=e),
    "read audit log": lambda e, a: audit.audit_log(by=a, engine=e),
    "export": lambda e, a: audit.record_export("ranking", "排名.csv", by=a, engine=e),
    "own unit's results": lambda e, a: own_unit("community_monthly", "2025-08", "C03", by=a, engine=e),
    "another unit's results": lambda e, a: own_unit("community_monthly", "2025-08", "C01", by=a, engine=e),
}
ALLOWED = {
    "admin": set(ACTIONS),
    # issue 19: an assessor withdraws only their own submissions (these are the demo loader's)
    "assessor": {"upload assigned scheme", "export", "own unit's results", "another unit's results"},
    "viewer": {"export", "own unit's results", "another unit's results"},
    "unit": {"own unit's results"},
}  # fmt: skip


@pytest.mark.parametrize("role", ROLES)
def test_each_role_may_call_exactly_its_services(demo: Engine, role: str) -> None:
    actor = actor_for(demo, role)
    outcome = {}
    for name, action in ACTIONS.items():
        try:
            action(demo, actor)
            outcome[name] = True
        except Forbidden:
            outcome[name] = False
    assert {n for n, ok in outcome.items() if ok} == ALLOWED[role]


# Services that take no `by=` check the account of the page that calls them (the ambient account).
READS = {
    "all results": lambda e: period_view("community_monthly", "2025-08", engine=e),
    "raw values": lambda e: current_values("community_monthly", "2025-08", engine=e),
    "submission history": lambda e: submissions.history(engine=e),
    "uploaded file": lambda e: submissions.submission_file(1, engine=e),
}
READ_ALLOWED = {
    "admin": set(READS),
    "assessor": set(READS),
    "viewer": {"all results", "raw values"},
    "unit": set(),
}


@pytest.mark.parametrize("role", ROLES)
def test_reads_check_the_signed_in_account_even_without_by(demo: Engine, role: str, monkeypatch) -> None:  # noqa: ANN001
    actor = actor_for(demo, role)
    monkeypatch.setattr(permissions, "_ambient", lambda: actor)
    allowed = set()
    for name, read in READS.items():
        try:
            read(demo)
            allowed.add(name)
        except Forbidden:
            pass
    assert allowed == READ_ALLOWED[role]


def test_nobody_signed_in_means_nothing_is_allowed(demo: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(permissions, "_ambient", lambda: permissions.ANONYMOUS)
    with pytest.raises(Forbidden, match="请先登录"):
        period_view("community_monthly", "2025-08", engine=demo)
    with pytest.raises(Forbidden, match="请先登录"):
        catalog.set_unit_active("C01", False, "某人", engine=demo)


def test_a_page_that_forgets_by_is_still_checked(demo: Engine) -> None:
    """A real Streamlit run: a viewer's page calls a mutating service without `by=`."""

    def page(url: str) -> None:
        import streamlit as st

        import ui.guard  # noqa: F401 - installs the signed-in-account lookup
        from services.catalog import set_unit_active
        from services.errors import Forbidden
        from services.permissions import Actor

        st.session_state["_auth_actor"] = Actor(5, "v", "领导", "viewer")
        from storage.db import get_engine

        try:
            set_unit_active("C01", False, "随便写的名字", engine=get_engine(url))
        except Forbidden as exc:
            st.error(str(exc))

    from conftest import url_of

    at = AppTest.from_function(page, args=(url_of(demo),)).run()
    assert any("无权管理单位" in e.value for e in at.error), at.error
    assert bool(catalog.list_units(engine=demo).set_index("code").loc["C01", "active"])


def test_an_assessor_is_limited_to_the_assigned_categories(demo: Engine) -> None:
    accounts.create_account(
        "township-only", "乡镇考核员", "assessor", "a-long-password", schemes=["community_monthly"],
        categories=["乡镇卫生院"], engine=demo,
    )  # fmt: skip
    token = accounts.authenticate("township-only", "a-long-password", engine=demo)
    actor = accounts.check_session(token, engine=demo).actor
    with pytest.raises(Forbidden, match="只负责 乡镇卫生院"):
        _upload(demo, "community_monthly", "C01", actor)
    with pytest.raises(Forbidden, match="只负责 乡镇卫生院"):
        submissions.rollback(_submission(demo, "community_monthly"), "", by=actor, engine=demo)


def test_an_assessor_withdraws_only_their_own_submissions(demo: Engine) -> None:
    actor = actor_for(demo, "assessor")
    with pytest.raises(Forbidden, match="只能撤回本人上传的提交"):
        submissions.rollback(_submission(demo, "community_monthly"), "", by=actor, engine=demo)
    frame = _rows(demo, "community_monthly", "C01").assign(value=lambda f: f["value"] * 0 + 1.0)
    version = latest_version("community_monthly", engine=demo).id
    out = submissions.import_values("2025-08", version, frame, "", "表.csv", b"z", by=actor, engine=demo)
    assert submissions.rollback(out.submission_id, "", "录错了", by=actor, engine=demo).withdrawn == len(frame)


def test_uploads_and_changes_are_recorded_under_the_account_not_a_typed_name(demo: Engine) -> None:
    actor = actor_for(demo, "assessor")
    frame = _rows(demo, "community_monthly", "C01").assign(value=lambda f: f["value"] * 0 + 1.0)
    version = latest_version("community_monthly", engine=demo).id
    out = submissions.import_values("2025-08", version, frame, "冒充的名字", "表.csv", b"y", by=actor, engine=demo)
    assert submissions.get_submission(out.submission_id, engine=demo).submitted_by == actor.label
    log = audit.audit_log(action="submission.import", engine=demo)
    assert log["actor"].iloc[0] == actor.label


# -- text and files from users -------------------------------------------------------------------
def _html_calls(tree: ast.AST) -> list[ast.Call]:
    calls = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        unsafe = any(
            k.arg in ("unsafe_allow_html", "unsafe_allow_javascript")
            and not (isinstance(k.value, ast.Constant) and k.value.value is False)
            for k in node.keywords
        )
        if name == "html" or unsafe:
            calls.append(node)
    return calls


def _static(node: ast.AST, constants: set[str]) -> bool:
    """A literal, or a module-level constant (upper-case name assigned a literal)."""
    if isinstance(node, ast.Constant):
        return True
    return isinstance(node, ast.Name) and node.id in constants


def test_no_user_text_is_ever_rendered_as_html() -> None:
    """Every raw-HTML call in the app renders a fixed string; the one exception is the sign-in
    redirect, which embeds only our own path and a random ticket, JSON-escaped."""
    allowed_dynamic = {("ui/guard.py", "go_to")}
    files = [ROOT / "app.py", *ROOT.glob("pages/*.py"), *ROOT.glob("ui/*.py"), *ROOT.glob("reports/*.py")]
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        constants = {
            t.id
            for node in tree.body
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
            for t in node.targets
            if isinstance(t, ast.Name) and t.id.isupper()
        }
        functions = {
            id(call): fn.name for fn in ast.walk(tree) if isinstance(fn, ast.FunctionDef) for call in ast.walk(fn)
        }
        rel = path.relative_to(ROOT).as_posix()
        for call in _html_calls(tree):
            where = (rel, functions.get(id(call), ""))
            assert where in allowed_dynamic or (call.args and _static(call.args[0], constants)), (
                f"{rel}:{call.lineno} renders HTML that is not a fixed string"
            )
    guard = (ROOT / "ui/guard.py").read_text(encoding="utf-8")
    assert "json.dumps(path)" in guard


@pytest.mark.parametrize(
    "name",
    ["../../etc/passwd.xlsx", "..\\..\\windows\\system.ini", "/abs/path/表.xlsx", "C:\\Users\\a\\评分表.xlsx", "..",
     ".", "", "a\x00b.xlsx", ".hidden", "x" * 300 + ".xlsx", "dir/<script>.xlsx"],
)  # fmt: skip
def test_file_names_cannot_escape_their_directory(name: str, tmp_path: Path) -> None:
    safe = safe_file_name(name)
    target = (tmp_path / safe).resolve()
    assert target.parent == tmp_path.resolve()
    assert safe and "/" not in safe and "\\" not in safe and not safe.startswith(".") and len(safe) <= 200
    assert not re.search(r"[\x00-\x1f<>]", safe)


def test_an_uploaded_file_name_is_stored_without_its_path(demo: Engine) -> None:
    frame = _rows(demo, "community_monthly", "C02").assign(value=lambda f: f["value"] * 0 + 1.0)
    version = latest_version("community_monthly", engine=demo).id
    out = submissions.import_values("2025-08", version, frame, "某人", "../../../etc/评分表.csv", b"z", engine=demo)
    assert submissions.get_submission(out.submission_id, engine=demo).file_name == "评分表.csv"


def test_a_scope_refusal_names_the_scheme_by_its_chinese_name_never_its_key() -> None:
    """issue 21: 「您未被分配考核方案「…」」 — the name given, or looked up only when refusing."""
    stranger = Actor(1, "x", "x", "assessor", schemes=("other",))
    with pytest.raises(Forbidden) as named:
        permissions.require_scope(
            stranger, "upload", "community_monthly", (), scheme_name="社区卫生服务中心月度绩效考核"
        )
    assert "「社区卫生服务中心月度绩效考核」" in str(named.value) and "community_monthly" not in str(named.value)
    calls: list[int] = []
    mine = Actor(1, "x", "x", "assessor", schemes=("community_monthly",))
    permissions.require_scope(mine, "upload", "community_monthly", (), scheme_name=lambda: calls.append(1) or "x")
    assert not calls  # the lookup is made only for a refusal
    with pytest.raises(Forbidden) as unnamed:  # a lookup that fails still refuses, without the key
        permissions.require_scope(stranger, "upload", "community_monthly", (), scheme_name=lambda: 1 / 0)
    assert "community_monthly" not in str(unnamed.value) and "未被分配考核方案" in str(unnamed.value)
