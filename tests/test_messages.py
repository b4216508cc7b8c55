"""站内消息 (issue 20, part 5): fan-out to a unit's active accounts, dedup, senders that fail or
run after a rollback, an account's own inbox only, the message publishing sends — on SQLite and
PostgreSQL — and the page with its sidebar badge under AppTest."""

from __future__ import annotations

import pytest
from conftest import SmallDb
from sqlalchemy import Engine, event, func, select
from streamlit.testing.v1 import AppTest
from test_pages import demo_url, signed_in_app  # noqa: F401 - demo_url is a fixture

from services import messages
from services.accounts import create_account, update_account
from services.errors import Forbidden, InvalidInput
from services.messages import mark_all_read, mark_read, my_messages, notify, unread_count
from services.permissions import Actor
from services.publishing import publish
from storage.db import make_engine, writing
from storage.models import Message

P = "2025-03"
FULL = {u: {"D1": 40, "D2": 20, "K1": 1} for u in ("U1", "U2", "U3", "U4")}
PASSWORD = "Ql9#vR2!mZ7&kd"
ADMIN = Actor(1, "admin", "管理员甲", "admin")


def _accounts(engine: Engine) -> dict[str, Actor]:
    """Two accounts of U1 (one then deactivated), one of U2, a viewer."""
    made = {
        name: create_account(name, name, role, PASSWORD, unit_code=unit, engine=engine)
        for name, role, unit in (
            ("u1a", "unit", "U1"), ("u1b", "unit", "U1"), ("u1old", "unit", "U1"), ("u2a", "unit", "U2"),
            ("ld", "viewer", None),
        )
    }  # fmt: skip
    update_account("u1old", active=False, engine=engine)
    return made


def _send(engine: Engine, *args: object, **kwargs: object) -> int:
    with writing(engine) as session:
        return notify(session, *args, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def people(small: SmallDb) -> dict[str, Actor]:
    return _accounts(small.engine)


@pytest.fixture
def senders(monkeypatch: pytest.MonkeyPatch) -> list:
    """The registered senders, emptied for the test (and restored after it)."""
    registered: list = []
    monkeypatch.setattr(messages, "_senders", registered)
    return registered


def test_a_message_reaches_the_active_accounts_of_the_unit_only(small: SmallDb, people: dict[str, Actor]) -> None:
    n = _send(small.engine, "system", "测试通知", "正文", units=["U1"], link="pages/my_unit.py")
    assert n == 2
    assert [m.title for m in my_messages(by=people["u1a"], engine=small.engine)] == ["测试通知"]
    assert [m.title for m in my_messages(by=people["u1b"], engine=small.engine)] == ["测试通知"]
    for other in ("u1old", "u2a", "ld"):  # deactivated, another unit, not a unit account
        assert my_messages(by=people[other], engine=small.engine) == []
    got = my_messages(by=people["u1a"], engine=small.engine)[0]
    assert got.kind_name == "系统通知" and got.unread and got.body == "正文" and got.link == "pages/my_unit.py"
    # Given accounts too, each once, even when named as both an account and a unit's account.
    assert _send(small.engine, "system", "又一条", units=["U2"], accounts=[people["u2a"].account_id]) == 1
    # A deactivated account named by id is told nothing either.
    assert _send(small.engine, "system", "给停用账户", accounts=[people["u1old"].account_id]) == 0
    assert _send(small.engine, "system", "给领导", accounts=[people["ld"].account_id, people["u1old"].account_id]) == 1
    assert [m.title for m in my_messages(by=people["ld"], engine=small.engine)] == ["给领导"]


def test_a_dedup_key_reaches_an_account_once(small: SmallDb, people: dict[str, Actor]) -> None:
    assert _send(small.engine, "reminder", "任务即将到期", units=["U1"], dedup_key="task:7:due") == 2
    assert _send(small.engine, "reminder", "任务即将到期", units=["U1", "U2"], dedup_key="task:7:due") == 1
    assert unread_count(by=people["u1a"], engine=small.engine) == 1
    assert unread_count(by=people["u2a"], engine=small.engine) == 1


def test_an_unknown_kind_is_a_programming_error(small: SmallDb, people: dict[str, Actor]) -> None:
    with pytest.raises(ValueError):
        _send(small.engine, "sms", "x", units=["U1"])


def test_a_failing_sender_does_not_undo_the_change(
    small: SmallDb, people: dict[str, Actor], senders: list, caplog: pytest.LogCaptureFixture
) -> None:
    delivered: list = []

    def broken(ids: list[int], out: messages.Outgoing) -> None:
        raise ConnectionError("短信网关不可达")

    senders.extend([broken, lambda ids, out: delivered.append((sorted(ids), out.title))])
    _send(small.engine, "system", "网关测试", units=["U1"])
    assert unread_count(by=people["u1a"], engine=small.engine) == 1  # committed all the same
    ids = sorted((people["u1a"].account_id, people["u1b"].account_id))
    assert delivered == [(ids, "网关测试")]  # the next sender still ran
    assert "外部发送失败" in caplog.text


def test_senders_hear_only_of_committed_changes(small: SmallDb, people: dict[str, Actor], senders: list) -> None:
    delivered: list = []
    senders.append(lambda ids, out: delivered.append(out.title))
    with pytest.raises(RuntimeError), writing(small.engine) as session:
        notify(session, "system", "回滚的通知", units=["U1"])
        assert delivered == []  # not before the commit
        raise RuntimeError("the change fails after the message was written")
    assert delivered == [] and unread_count(by=people["u1a"], engine=small.engine) == 0
    _send(small.engine, "system", "提交的通知", units=["U1"])
    assert delivered == ["提交的通知"]


_received: list[tuple[list[int], str]] = []


def gateway(ids: list[int], out: messages.Outgoing) -> None:
    """A sender an operator names in ASSESS_MESSAGE_SENDERS (test_messages:gateway)."""
    _received.append((sorted(ids), out.title))


def test_an_operator_plugs_a_sender_in_by_environment_variable(
    small: SmallDb, people: dict[str, Actor], senders: list, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    _received.clear()
    monkeypatch.setattr(messages, "_from_env", {})
    monkeypatch.setenv(messages.SENDERS_ENV, "no_such_module:send, test_messages:gateway")
    _send(small.engine, "system", "企业微信测试", units=["U2"])
    assert _received == [([people["u2a"].account_id], "企业微信测试")]
    assert "无法加载消息发送程序 no_such_module:send" in caplog.text  # logged, the rest still sent
    assert unread_count(by=people["u2a"], engine=small.engine) == 1
    monkeypatch.delenv(messages.SENDERS_ENV)
    _send(small.engine, "system", "不再外发", units=["U2"])
    assert len(_received) == 1


def test_an_account_reads_and_marks_only_its_own_messages(small: SmallDb, people: dict[str, Actor]) -> None:
    e = small.engine
    _send(e, "system", "甲一", units=["U1"])
    _send(e, "system", "乙一", units=["U2"])
    _send(e, "published", "甲二", units=["U1"])
    mine = my_messages(by=people["u1a"], engine=e)
    assert [m.title for m in mine] == ["甲二", "甲一"]  # newest first
    theirs = my_messages(by=people["u2a"], engine=e)
    assert [m.title for m in theirs] == ["乙一"]

    with pytest.raises(Forbidden, match="只能标记本人的站内消息"):
        mark_read([mine[0].id, theirs[0].id], by=people["u1a"], engine=e)
    assert unread_count(by=people["u1a"], engine=e) == 2  # nothing marked, not even its own one
    assert unread_count(by=people["u2a"], engine=e) == 1
    with pytest.raises(Forbidden):
        mark_read([10**9], by=people["u1a"], engine=e)  # no such message: the same refusal
    with pytest.raises(InvalidInput):
        mark_read([], by=people["u1a"], engine=e)

    assert mark_read([mine[1].id], by=people["u1a"], engine=e) == 1
    assert mark_read([mine[1].id], by=people["u1a"], engine=e) == 0  # already read
    assert [m.title for m in my_messages(by=people["u1a"], unread_only=True, engine=e)] == ["甲二"]
    assert my_messages(by=people["u1b"], unread_only=True, engine=e)[0].title == "甲二"  # u1b's own copies
    assert unread_count(by=people["u1b"], engine=e) == 2

    assert mark_all_read(by=people["u1a"], engine=e) == 1
    assert unread_count(by=people["u1a"], engine=e) == 0
    assert unread_count(by=people["u1b"], engine=e) == 2 and unread_count(by=people["u2a"], engine=e) == 1
    assert all(m.read_at is not None for m in my_messages(by=people["u1a"], engine=e))
    assert len(my_messages(by=people["u1a"], limit=1, engine=e)) == 1


def test_an_operator_without_an_account_has_no_inbox(small: SmallDb, people: dict[str, Actor]) -> None:
    _send(small.engine, "system", "甲一", units=["U1"])
    assert my_messages(engine=small.engine) == [] and unread_count(engine=small.engine) == 0
    with pytest.raises(InvalidInput, match="命令行没有账户"):
        mark_all_read(engine=small.engine)
    anonymous = Actor(0, "", "未登录", "anonymous")
    with pytest.raises(Forbidden):
        my_messages(by=anonymous, engine=small.engine)


def test_publishing_tells_the_units_accounts_in_its_transaction(small: SmallDb, people: dict[str, Actor]) -> None:
    e = small.engine
    small.put(P, FULL)
    publish("t", P, by=ADMIN, engine=e)
    got = my_messages(by=people["u1a"], engine=e)
    assert [(m.kind, m.title, m.link) for m in got] == [
        ("published", "2025年3月 测试方案 考核结果已发布", "pages/my_unit.py")
    ]
    assert got[0].kind_name == "结果发布"
    assert [m.title for m in my_messages(by=people["u2a"], engine=e)] == ["2025年3月 测试方案 考核结果已发布"]
    assert my_messages(by=people["u1old"], engine=e) == [] and my_messages(by=people["ld"], engine=e) == []

    small.put(P, {"U2": {"D1": 10}})  # a correction that changes U2's total, then republished
    publish("t", P, by=ADMIN, engine=e)
    u2, u1 = my_messages(by=people["u2a"], engine=e)[0], my_messages(by=people["u1a"], engine=e)[0]
    assert u2.title == u1.title == "2025年3月 测试方案 考核结果已重新发布（第 2 次）"
    assert "总分 " in u2.body and "→" in u2.body
    assert "没有变化" in u1.body
    assert unread_count(by=people["u1a"], engine=e) == 2


def test_a_refused_publication_sends_nothing(small: SmallDb, people: dict[str, Actor]) -> None:
    from services.errors import Conflict

    e = small.engine
    small.put(P, FULL)
    publish("t", P, by=ADMIN, engine=e)
    with pytest.raises(Conflict):
        publish("t", P, by=ADMIN, engine=e)  # nothing new
    with make_engine(small.url).connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Message)) == 3  # u1a, u1b, u2a once


# -- the page and the sidebar badge (AppTest, demo district on SQLite) ------------------------
def _app(url: str, role: str, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    return signed_in_app(url, role, monkeypatch)


def _badges(at: AppTest) -> list[str]:
    return [el.proto.label for el in at.sidebar.get("page_link")]


def _demo_unit_messages(url: str, *titles: str) -> None:
    engine = make_engine(url)
    with writing(engine) as session:
        for title in titles:
            notify(session, "system", title, "请查看。\n第二行", units=["C03"], link="pages/my_unit.py")
    engine.dispose()


def test_the_unit_sees_its_unread_count_in_the_sidebar_and_marks_all_read(
    demo_url: str,  # noqa: F811 - the fixture
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    unit = _app(demo_url, "unit", monkeypatch)  # the demo accounts exist from here on
    assert not unit.exception, unit.exception
    assert _badges(unit) == []  # no unread messages: no badge
    _demo_unit_messages(demo_url, "通知一", "通知二 *不是粗体*")
    unit.run()
    assert _badges(unit) == ["站内消息 2 条未读"]

    unit.switch_page("pages/messages.py").run()
    assert not unit.exception, unit.exception
    text = " ".join(m.value for m in unit.markdown)
    assert text.index("通知二") < text.index("通知一")  # newest first
    assert "\\*不是粗体\\*" in text  # shown as typed, not as markup
    assert ":blue-badge[未读] · 系统通知 · " in text
    assert [el.proto.label for el in unit.main.get("page_link")] == ["查看详情", "查看详情"]
    assert "未读 2 条" in [t.value for t in unit.text]

    next(b for b in unit.button if b.key and b.key.startswith("messages_read_")).click().run()
    assert not unit.exception, unit.exception
    assert _badges(unit) == ["站内消息 1 条未读"]
    unit.button(key="messages_all_read").click().run()
    assert not unit.exception, unit.exception
    assert any("已将 1 条消息标为已读" in s.value for s in unit.success)
    assert _badges(unit) == []
    assert unit.button(key="messages_all_read").disabled
    assert "没有未读消息" in [t.value for t in unit.text]
    unit.toggle(key="messages_unread_only").set_value(True).run()
    assert any("没有未读消息" in i.value for i in unit.info)


def test_the_badge_costs_one_indexed_query_per_run(
    demo_url: str,  # noqa: F811 - the fixture
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    unit = _app(demo_url, "unit", monkeypatch)
    _demo_unit_messages(demo_url, "计数测试")
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        if " message" in statement.lower():
            seen.append(statement)

    event.listen(Engine, "before_cursor_execute", count)
    try:
        unit.run()  # on the unit's home page (本单位结果)
    finally:
        event.remove(Engine, "before_cursor_execute", count)
    assert not unit.exception, unit.exception
    assert _badges(unit) and len(seen) == 1, seen
    engine = make_engine(demo_url)
    with engine.connect() as conn:
        plan = " ".join(str(r[-1]) for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + seen[0], (1,)))
    engine.dispose()
    assert "INDEX" in plan.upper() and "SCAN MESSAGE" not in plan.upper(), plan


def test_a_link_opens_only_a_page_of_the_accounts_menu(
    demo_url: str,  # noqa: F811 - the fixture
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    unit = _app(demo_url, "unit", monkeypatch)
    engine = make_engine(demo_url)
    with writing(engine) as session:
        notify(session, "system", "带参数的链接", units=["C03"], link="pages/my_unit.py?period=2025-12")
        notify(session, "system", "别的角色的页面", units=["C03"], link="pages/publish.py")
        notify(session, "system", "不是页面", units=["C03"], link="https://example.com/x")
    engine.dispose()
    unit.switch_page("pages/messages.py").run()
    assert not unit.exception, unit.exception
    titles = [m.value for m in unit.markdown if m.value.startswith("**")]
    assert titles[:3] == ["**不是页面**", "**别的角色的页面**", "**带参数的链接**"]  # newest first
    links = [(el.proto.label, el.proto.page, el.proto.query_string) for el in unit.main.get("page_link")]
    # Earlier messages (other tests) link to pages/my_unit.py; of these three only the page in the
    # unit's menu is linked, with its query.
    assert len(links) == len(titles) - 2
    assert links[0][0] == "查看详情" and links[0][2] == "period=2025-12"
    assert all(label == "查看详情" and query == "" for label, _, query in links[1:])


def test_another_account_sees_none_of_the_units_messages(
    demo_url: str,  # noqa: F811 - the fixture
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _app(demo_url, "unit", monkeypatch)
    _demo_unit_messages(demo_url, "只给单位的通知")
    viewer = _app(demo_url, "viewer", monkeypatch)
    assert _badges(viewer) == []
    viewer.switch_page("pages/messages.py").run()
    assert not viewer.exception, viewer.exception
    assert not any("只给单位的通知" in m.value for m in viewer.markdown)
    assert any("暂无站内消息" in i.value for i in viewer.info)
