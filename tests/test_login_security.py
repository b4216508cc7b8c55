"""Sign-in against guessing and probing (security findings 5, 8, 9, 10):

- every failure gets the same words and the same argon2 work (counted, not timed);
- throttling per user name × client address, per address and overall, with exponential back-off,
  and an attacker cannot keep the administrator out from the administrator's own address;
- failed attempts are audited as 未登录, the typed name only in the detail;
- weak passwords are refused everywhere a password is set (service, command line, admin reset,
  修改密码), and guessing the old password in 修改密码 is throttled;
- the client address comes from X-Forwarded-For / X-Real-IP only behind a trusted proxy.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import timedelta

import pytest
from conftest import url_of
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from streamlit.runtime.context import ContextProxy
from streamlit.testing.v1 import AppTest
from test_pages import APP, _as_a_running_server, demo_url, login  # noqa: F401 - demo_url: fixture

import manage
from services import accounts, bootstrap, login_throttle
from services.accounts import LOGIN_REFUSED, LoginRefused, authenticate, check_session, create_account
from services.audit import audit_log
from services.errors import InvalidInput
from services.password_rules import check_password_rules
from services.permissions import Actor
from storage.models import LoginAttempt
from storage.types import utcnow
from ui.client import resolve

PASSWORD = "correct-horse-battery"
WRONG = "wrong-password!"
ATTACKER = "198.51.100.66"
OFFICE = "10.1.2.3"


@pytest.fixture
def admin(database: Engine) -> Actor:
    return create_account("boss", "局长", "admin", PASSWORD, engine=database)


class CountingHasher:
    """The real argon2 hasher, counting how often a password is verified."""

    def __init__(self, real: object) -> None:
        self.real, self.verifications = real, 0

    def verify(self, stored: str, password: str) -> bool:
        self.verifications += 1
        return self.real.verify(stored, password)

    def __getattr__(self, name: str) -> object:
        return getattr(self.real, name)


@pytest.fixture
def hasher(monkeypatch: pytest.MonkeyPatch) -> Iterator[CountingHasher]:
    counting = CountingHasher(accounts._hasher)
    monkeypatch.setattr(accounts, "_hasher", counting)
    yield counting


def refused(username: str, password: str, engine: Engine, source: str = ATTACKER) -> str:
    with pytest.raises(LoginRefused) as exc:
        authenticate(username, password, source=source, engine=engine)
    return str(exc.value)


def age_attempts(engine: Engine, by: timedelta) -> None:
    """Move every recorded attempt `by` into the past, as if that much time had gone by."""
    with Session(engine) as session, session.begin():
        for attempt in session.scalars(select(LoginAttempt)):
            attempt.at = attempt.at - by


def pause_boss(engine: Engine, source: str = ATTACKER) -> None:
    for _ in range(login_throttle.PAIR_LIMIT):
        refused("boss", WRONG, engine, source)


# -- one answer, one argon2 verification -------------------------------------------------------------
def test_every_kind_of_failure_gets_the_same_answer(
    database: Engine, admin: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    create_account("gone", "已停用者", "viewer", PASSWORD, engine=database)
    accounts.update_account("gone", active=False, by=admin, engine=database)
    monkeypatch.setenv("ASSESS_SEED_DEMO", "0")
    create_account("demo-x", "演示", "viewer", bootstrap.DEMO_PASSWORD, is_demo=True, engine=database)
    answers = {
        "unknown name": refused("nobody", PASSWORD, database),
        "wrong password": refused("boss", WRONG, database),
        "deactivated, right password": refused("gone", PASSWORD, database),
        "demo account outside demo mode": refused("demo-x", bootstrap.DEMO_PASSWORD, database),
    }
    for _ in range(login_throttle.PAIR_LIMIT - 1):
        answers["fifth wrong password (starts the pause)"] = refused("boss", WRONG, database)
    answers["paused, right password"] = refused("boss", PASSWORD, database)
    answers["unknown name, fifth time"] = [refused("ghost", WRONG, database) for _ in range(6)][-1]
    assert set(answers.values()) == {LOGIN_REFUSED}, answers
    assert not any(word in LOGIN_REFUSED for word in ("锁定", "停用", "不存在"))


def test_every_answer_costs_exactly_one_argon2_verification(
    database: Engine, admin: Actor, hasher: CountingHasher
) -> None:
    create_account("gone", "已停用者", "viewer", PASSWORD, engine=database)
    accounts.update_account("gone", active=False, by=admin, engine=database)
    pause_boss(database)
    cases = {
        "unknown": ("nobody", PASSWORD),
        "wrong": ("boss", WRONG),  # from the office: not paused there
        "deactivated": ("gone", PASSWORD),
        "good": ("boss", PASSWORD),
    }
    for case, (username, password) in cases.items():
        hasher.verifications = 0
        with contextlib.suppress(LoginRefused):
            authenticate(username, password, source=OFFICE, engine=database)
        assert hasher.verifications == 1, case
    for password in (WRONG, PASSWORD):  # paused: the password is not looked at, the work is the same
        hasher.verifications = 0
        refused("boss", password, database)
        assert hasher.verifications == 1


# -- throttling ------------------------------------------------------------------------------------
def test_a_pause_holds_only_for_the_address_that_failed(database: Engine, admin: Actor) -> None:
    pause_boss(database)
    refused("boss", PASSWORD, database)  # the attacker's address: refused, even with the password
    token = authenticate("boss", PASSWORD, source=OFFICE, engine=database)
    assert check_session(token, engine=database).actor.username == "boss"


def test_an_attacker_hammering_the_administrator_cannot_keep_them_out(database: Engine, admin: Actor) -> None:
    for _ in range(60):
        refused("boss", WRONG, database)
    assert authenticate("boss", PASSWORD, source=OFFICE, engine=database)
    with Session(database) as session:  # the office's own count is untouched by the attacker's failures
        assert login_throttle.refusal(session, "login", "boss", OFFICE, utcnow()) is None


def test_pauses_grow_while_failures_go_on(database: Engine, admin: Actor) -> None:
    pause_boss(database)
    age_attempts(database, timedelta(minutes=16))  # first pause (15 minutes) over
    assert authenticate("boss", PASSWORD, source=ATTACKER, engine=database) is not None  # a success resets
    pause_boss(database)
    age_attempts(database, timedelta(minutes=16))
    pause_boss(database)  # five more failures: now 30 minutes
    age_attempts(database, timedelta(minutes=16))
    refused("boss", PASSWORD, database)  # still paused after 16 minutes
    age_attempts(database, timedelta(minutes=15))
    assert authenticate("boss", PASSWORD, source=ATTACKER, engine=database)
    assert login_throttle.pause_after(15) == timedelta(minutes=60)
    assert login_throttle.pause_after(500) == login_throttle.MAX_PAUSE


def test_refused_attempts_do_not_extend_the_pause(database: Engine, admin: Actor) -> None:
    pause_boss(database)
    age_attempts(database, timedelta(minutes=10))
    for _ in range(10):
        refused("boss", WRONG, database)  # retried during the pause
    age_attempts(database, timedelta(minutes=5, seconds=1))
    assert authenticate("boss", PASSWORD, source=ATTACKER, engine=database)


def test_one_address_trying_many_names_is_throttled(database: Engine, admin: Actor) -> None:
    create_account("viewer1", "领导", "viewer", PASSWORD, engine=database)
    for n in range(login_throttle.ADDRESS_LIMIT):
        refused(f"guess{n % 7}", WRONG, database)  # never 5 for one name
    refused("viewer1", PASSWORD, database)  # the address is throttled, whatever the name
    assert authenticate("viewer1", PASSWORD, source=OFFICE, engine=database)
    age_attempts(database, login_throttle.WINDOW + timedelta(seconds=1))
    assert authenticate("viewer1", PASSWORD, source=ATTACKER, engine=database)


def test_an_attack_from_many_addresses_lets_only_known_addresses_through(
    database: Engine, admin: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(login_throttle, "OVERALL_LIMIT", 12)
    assert authenticate("boss", PASSWORD, source=OFFICE, engine=database)  # the office is known
    for n in range(12):
        refused("boss", WRONG, database, source=f"203.0.113.{n}")  # two or three tries each
    refused("boss", PASSWORD, database, source="192.0.2.200")  # a new address, even with the password
    assert authenticate("boss", PASSWORD, source=OFFICE, engine=database)
    age_attempts(database, login_throttle.WINDOW + timedelta(seconds=1))
    assert authenticate("boss", PASSWORD, source="192.0.2.200", engine=database)


def test_an_administrator_lifts_the_pause_for_every_address(database: Engine, admin: Actor) -> None:
    pause_boss(database)
    create_account("second", "副局长", "admin", PASSWORD, engine=database)
    assert accounts.list_accounts(engine=database).set_index("username").loc["boss", "locked"]
    accounts.unlock_account("boss", engine=database)
    assert not accounts.list_accounts(engine=database).set_index("username").loc["boss", "locked"]
    assert authenticate("boss", PASSWORD, source=ATTACKER, engine=database)


def test_old_attempts_are_deleted(database: Engine, admin: Actor) -> None:
    refused("boss", WRONG, database)
    age_attempts(database, login_throttle.KEEP + timedelta(minutes=1))
    refused("boss", WRONG, database)
    with Session(database) as session:
        assert session.scalar(select(func.count()).select_from(LoginAttempt)) == 1


# -- the audit trail -------------------------------------------------------------------------------
def test_failed_logins_are_not_recorded_under_the_typed_name(database: Engine, admin: Actor) -> None:
    posing = "局长（boss）" + "x" * 100
    refused(posing, WRONG, database)
    pause_boss(database)
    refused("boss", PASSWORD, database)
    log = audit_log(engine=database)
    failures = log[log["action"].isin(["login.failed", "login.locked", "account.lockout"])]
    assert len(failures) == 1 + 5 + 1 + 1
    assert set(failures["actor"]) == {"未登录"}
    first = failures.iloc[-1]  # oldest: the posing name
    assert first["detail"]["typed_username"] == posing[:64] and first["target"] == "login"
    assert first["detail"]["source"] == ATTACKER
    # the page shows the message: the typed name there too, said to be typed, on one line
    assert first["message"] == f"登录失败：用户名不存在（输入的用户名「{posing[:64]}」，来自 {ATTACKER}）"
    refused("a\nb\x00c", WRONG, database)
    assert "输入的用户名「a�b�c」" in audit_log(action="login.failed", limit=1, engine=database)["message"].iloc[0]
    assert set(failures["target"].iloc[:-1]) == {"account:boss"}
    assert posing[:64] not in set(audit_log(engine=database)["actor"])


# -- password rules --------------------------------------------------------------------------------
WEAK = {
    "aaaaaaaaaa": "同一个字符",
    "1234567890": "连续的字母或数字",
    "abcdefghij": "连续的字母或数字",
    "9876543210": "连续的字母或数字",
    "password1234": "常见密码",
    "qwertyuiop": "太容易被猜到",
    "zhangsan2025": "用户名",
}


@pytest.mark.parametrize(("password", "why"), WEAK.items())
def test_weak_passwords_are_refused_saying_why(password: str, why: str) -> None:
    with pytest.raises(InvalidInput, match=why):
        check_password_rules(password, username="zhangsan", display_name="张三")


def test_the_name_and_the_display_name_are_refused() -> None:
    with pytest.raises(InvalidInput, match="用户名"):
        check_password_rules("Wang.Wei.Office", username="wangwei")
    with pytest.raises(InvalidInput, match="姓名"):
        check_password_rules("我是王伟我的密码很长啊", username="ww", display_name="王伟")
    check_password_rules("春眠不觉晓处处闻啼鸟")  # no Latin letters needed
    for good in ("a-long-password", "another-password", "the-right-password", PASSWORD):
        check_password_rules(good, username="boss", display_name="局长")  # what the tests use


@pytest.mark.parametrize("password", WEAK)
def test_weak_passwords_are_refused_when_creating_resetting_and_changing(
    database: Engine, admin: Actor, password: str
) -> None:
    with pytest.raises(InvalidInput):
        create_account("zhangsan", "张三", "viewer", password, engine=database)
    create_account("zhangsan", "张三", "viewer", PASSWORD, engine=database)
    with pytest.raises(InvalidInput):
        accounts.reset_password("zhangsan", password, by=admin, engine=database)
    me = check_session(authenticate("zhangsan", PASSWORD, engine=database), engine=database).actor
    with pytest.raises(InvalidInput):
        accounts.change_password(me, PASSWORD, password, engine=database)
    assert authenticate("zhangsan", PASSWORD, engine=database)  # nothing changed


def test_the_command_line_refuses_weak_passwords(
    database: Engine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setenv("DATABASE_URL", url_of(database))
    for weak in ("aaaaaaaaaa", "1234567890", "chief-chief-chief"):
        monkeypatch.setenv("ASSESS_NEW_PASSWORD", weak)
        assert manage.main(["create-user", "chief"]) == 2
        assert "密码" in capsys.readouterr().err
    monkeypatch.setenv("ASSESS_NEW_PASSWORD", PASSWORD)
    assert manage.main(["create-user", "chief"]) == 0
    monkeypatch.setenv("ASSESS_NEW_PASSWORD", "1234567890")
    assert manage.main(["set-password", "chief"]) == 2
    assert "连续" in capsys.readouterr().err


def test_guessing_the_old_password_in_change_password_is_throttled(database: Engine, admin: Actor) -> None:
    for _ in range(login_throttle.PAIR_LIMIT):
        with pytest.raises(InvalidInput, match="原密码不正确"):
            accounts.change_password(admin, f"guess-{_}-password", "a-new-password-1", engine=database)
    with pytest.raises(InvalidInput, match="次数过多，请 1[56] 分钟后再试"):
        accounts.change_password(admin, PASSWORD, "a-new-password-1", engine=database)
    assert len(audit_log(action="account.password_failed", engine=database)) == login_throttle.PAIR_LIMIT + 1
    assert authenticate("boss", PASSWORD, engine=database)  # unchanged; sign-in itself is not paused
    age_attempts(database, timedelta(minutes=15, seconds=1))
    accounts.change_password(admin, PASSWORD, "a-new-password-1", engine=database)
    assert authenticate("boss", "a-new-password-1", engine=database)


# -- the client's address ----------------------------------------------------------------------------
XFF = {"X-Forwarded-For": "203.0.113.7"}


def test_forwarded_headers_are_ignored_unless_the_proxy_is_trusted() -> None:
    assert resolve("10.0.0.2", XFF, "") == "10.0.0.2"
    assert resolve("10.0.0.2", {"X-Real-IP": "203.0.113.7"}, "") == "10.0.0.2"
    assert resolve("10.0.0.2", XFF, "0") == "10.0.0.2"
    assert resolve("10.0.0.2", XFF, "10.0.9.0/24") == "10.0.0.2"  # a peer that is not our proxy
    assert resolve(None, {}, "") == "127.0.0.1"  # Streamlit reports this machine as no address


def test_a_trusted_proxy_gives_the_client_address() -> None:
    assert resolve("10.0.0.2", XFF, "1") == "203.0.113.7"
    assert resolve("10.0.0.2", {"x-forwarded-for": "203.0.113.7"}, "1") == "203.0.113.7"
    assert resolve("10.0.0.2", {"X-Real-IP": "203.0.113.7"}, "1") == "203.0.113.7"
    assert resolve("10.0.0.2", XFF, "10.0.0.2") == "203.0.113.7"
    assert resolve("10.0.0.2", XFF, "10.0.0.0/24, 192.0.2.1") == "203.0.113.7"
    assert resolve("10.0.0.2", {"X-Forwarded-For": "203.0.113.7:5100, 10.0.0.9"}, "10.0.0.0/8") == "203.0.113.7"
    assert resolve("10.0.0.2", {"X-Forwarded-For": "2001:db8::7"}, "1") == "2001:db8::7"


def test_a_client_cannot_forge_its_address_through_a_trusted_proxy() -> None:
    # nginx appends the real peer to what the client sent: "forged, real"
    forged = {"X-Forwarded-For": "1.2.3.4, 203.0.113.7"}
    assert resolve("10.0.0.2", forged, "1") == "203.0.113.7"
    assert resolve("10.0.0.2", forged, "10.0.0.2") == "203.0.113.7"
    assert resolve("10.0.0.2", {"X-Forwarded-For": "not-an-address"}, "1") == "10.0.0.2"
    assert resolve("10.0.0.2", {}, "2") == "10.0.0.2"  # the proxies said nothing


@pytest.mark.parametrize(("trusted", "recorded"), [("", "10.0.0.2"), ("1", "203.0.113.7")])
def test_the_login_page_records_the_client_address(
    demo_url: str,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    trusted: str,
    recorded: str,
) -> None:
    monkeypatch.setenv("DATABASE_URL", demo_url)
    monkeypatch.setenv("ASSESS_SEED_DEMO", "1")
    monkeypatch.setenv("ASSESS_TRUSTED_PROXIES", trusted)
    # What the documented nginx proxy (10.0.0.2) passes on for a browser at 203.0.113.7.
    monkeypatch.setattr(ContextProxy, "ip_address", property(lambda self: "10.0.0.2"))
    monkeypatch.setattr(ContextProxy, "headers", property(lambda self: {"X-Forwarded-For": "203.0.113.7"}))
    _as_a_running_server(monkeypatch)
    at = AppTest.from_file(APP, default_timeout=60).run()
    login(at, "demo-viewer", "not-the-password")
    assert [e.value for e in at.error] == [LOGIN_REFUSED]
    login(at, "demo-viewer")
    assert not at.error
    log = audit_log(action=["login.failed", "login.ok"], limit=2)  # this case's (the database is shared)
    assert log["detail"].map(lambda d: d["source"]).tolist() == [recorded, recorded]
    assert log["actor"].tolist() == ["演示领导（demo-viewer）", "未登录"]


def test_the_command_line_says_the_rules_before_asking(
    database: Engine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setenv("DATABASE_URL", url_of(database))
    monkeypatch.delenv("ASSESS_NEW_PASSWORD", raising=False)
    typed = iter(["abcdefghij", "abcdefghij"])
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(typed))
    assert manage.main(["create-user", "chief"]) == 2
    err = capsys.readouterr().err
    assert err.index("不能是常见密码") < err.index("密码不能是连续的字母或数字")
