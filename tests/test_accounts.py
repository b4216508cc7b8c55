"""Accounts: hashing, sign-in with lockout, sessions with idle timeout, tickets, passwords, CLI."""

from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import url_of
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

import manage
from services import accounts, bootstrap
from services.accounts import LOGIN_REFUSED, LoginRefused, authenticate, check_session, create_account
from services.audit import audit_log
from services.errors import Conflict, Forbidden, InvalidInput
from services.permissions import Actor
from storage.models import Account, AccountSession, LoginAttempt
from storage.types import utcnow

PASSWORD = "correct-horse-battery"


@pytest.fixture
def admin(database: Engine) -> Actor:
    return create_account("boss", "局长", "admin", PASSWORD, engine=database)


def test_passwords_are_stored_as_argon2_hashes_never_as_text(database: Engine, admin: Actor) -> None:
    with database.connect() as conn:
        stored = conn.execute(select(Account.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_short_passwords_and_bad_names_are_refused(database: Engine) -> None:
    with pytest.raises(InvalidInput, match="至少需要 10 个字符"):
        create_account("someone", "某人", "viewer", "short", engine=database)
    with pytest.raises(InvalidInput, match="用户名"):
        create_account("<script>", "某人", "viewer", PASSWORD, engine=database)
    with pytest.raises(InvalidInput, match="未知角色"):
        create_account("someone", "某人", "root", PASSWORD, engine=database)


def test_a_taken_username_is_a_conflict(database: Engine, admin: Actor) -> None:
    with pytest.raises(Conflict):
        create_account("boss", "另一个", "viewer", PASSWORD, engine=database)


def test_unit_accounts_need_an_existing_unit(demo_database: Engine) -> None:
    with pytest.raises(InvalidInput, match="必须指定所属单位"):
        create_account("u1", "单位", "unit", PASSWORD, engine=demo_database)
    with pytest.raises(InvalidInput, match="没有编码为 NOPE"):
        create_account("u1", "单位", "unit", PASSWORD, unit_code="NOPE", engine=demo_database)
    made = create_account("u1", "单位", "unit", PASSWORD, unit_code="C03", engine=demo_database)
    assert made.unit_code == "C03" and made.unit_name == "西城街道社区卫生服务中心"


def test_good_login_starts_a_session_and_is_audited(database: Engine, admin: Actor) -> None:
    token = authenticate("boss", PASSWORD, source="10.0.0.1", engine=database)
    assert check_session(token, engine=database).actor.username == "boss"
    with database.connect() as conn:
        assert conn.execute(select(AccountSession.token_sha256)).scalar_one() != token  # only its hash
    log = audit_log(action="login.ok", engine=database)
    assert log["actor"].tolist() == ["局长（boss）"]


def test_unknown_user_and_wrong_password_get_the_same_answer(database: Engine, admin: Actor) -> None:
    with pytest.raises(LoginRefused) as unknown:
        authenticate("nobody", PASSWORD, engine=database)
    with pytest.raises(LoginRefused) as wrong:
        authenticate("boss", "wrong-password!", engine=database)
    assert str(unknown.value) == str(wrong.value) == LOGIN_REFUSED
    assert LOGIN_REFUSED.startswith("用户名或密码错误")
    assert len(audit_log(action="login.failed", engine=database)) == 2


def _age_attempts(engine: Engine, by: timedelta) -> None:
    """Move every recorded sign-in attempt `by` into the past (as if that time had gone by)."""
    with Session(engine) as session, session.begin():
        for attempt in session.scalars(select(LoginAttempt)):
            attempt.at = attempt.at - by


def test_five_failures_pause_the_name_from_that_address_for_fifteen_minutes(database: Engine, admin: Actor) -> None:
    for _ in range(5):
        with pytest.raises(LoginRefused, match="用户名或密码错误"):
            authenticate("boss", "wrong-password!", source="10.0.0.9", engine=database)
    # Now even the right password is refused from there, with the same answer.
    with pytest.raises(LoginRefused) as paused:
        authenticate("boss", PASSWORD, source="10.0.0.9", engine=database)
    assert str(paused.value) == LOGIN_REFUSED
    lockout = audit_log(action="account.lockout", engine=database)
    assert len(lockout) == 1 and "暂停登录 15 分钟" in lockout["message"].iloc[0]
    assert accounts.list_accounts(engine=database).set_index("username").loc["boss", "locked"]
    # Once the 15 minutes are over, the right password works again.
    _age_attempts(database, timedelta(minutes=15, seconds=1))
    assert authenticate("boss", PASSWORD, source="10.0.0.9", engine=database)
    assert not accounts.list_accounts(engine=database).set_index("username").loc["boss", "locked"]


def test_a_good_login_resets_the_failure_count(database: Engine, admin: Actor) -> None:
    for _ in range(4):
        with pytest.raises(LoginRefused):
            authenticate("boss", "wrong-password!", engine=database)
    authenticate("boss", PASSWORD, engine=database)
    for _ in range(4):
        with pytest.raises(LoginRefused, match="用户名或密码错误"):
            authenticate("boss", "wrong-password!", engine=database)
    assert authenticate("boss", PASSWORD, engine=database)  # 4 + 4 failures: never 5 in a row


def test_an_idle_session_expires(database: Engine, admin: Actor) -> None:
    token = authenticate("boss", PASSWORD, engine=database)
    with database.begin() as conn:
        conn.execute(update(AccountSession).values(last_seen_at=utcnow() - accounts.IDLE - timedelta(seconds=5)))
    result = check_session(token, engine=database)
    assert result.actor is None and result.reason == "expired"
    assert check_session(token, engine=database).reason == ""  # and it is gone


def test_activity_keeps_a_session_alive(database: Engine, admin: Actor) -> None:
    token = authenticate("boss", PASSWORD, engine=database)
    nearly = utcnow() - accounts.IDLE + timedelta(seconds=30)
    with database.begin() as conn:
        conn.execute(update(AccountSession).values(last_seen_at=nearly))
    assert check_session(token, engine=database).actor is not None  # touched: the idle clock restarts
    with database.connect() as conn:
        assert conn.execute(select(AccountSession.last_seen_at)).scalar_one() > nearly + timedelta(seconds=25)


def test_logout_ends_the_session(database: Engine, admin: Actor) -> None:
    token = authenticate("boss", PASSWORD, engine=database)
    accounts.logout(token, engine=database)
    assert check_session(token, engine=database).actor is None
    assert len(audit_log(action="logout", engine=database)) == 1


def test_a_ticket_is_traded_once_for_a_new_token(database: Engine, admin: Actor) -> None:
    token = authenticate("boss", PASSWORD, engine=database)
    ticket = accounts.issue_ticket(token, engine=database)
    cookie = accounts.redeem_ticket(ticket, engine=database)
    assert cookie and cookie != token
    assert check_session(cookie, engine=database).actor.username == "boss"
    assert check_session(token, engine=database).actor is None  # the page's token is retired
    assert accounts.redeem_ticket(ticket, engine=database) is None  # once only
    assert accounts.redeem_ticket("forged", engine=database) is None


def test_an_old_ticket_is_worthless(database: Engine, admin: Actor) -> None:
    token = authenticate("boss", PASSWORD, engine=database)
    ticket = accounts.issue_ticket(token, engine=database)
    with database.begin() as conn:
        conn.execute(update(AccountSession).values(ticket_expires_at=utcnow() - timedelta(seconds=1)))
    assert accounts.redeem_ticket(ticket, engine=database) is None


def test_change_password_needs_the_old_one_and_ends_other_sessions(database: Engine, admin: Actor) -> None:
    here = authenticate("boss", PASSWORD, engine=database)
    elsewhere = authenticate("boss", PASSWORD, engine=database)
    with pytest.raises(InvalidInput, match="原密码不正确"):
        accounts.change_password(admin, "not-the-password", "a-new-password-1", token=here, engine=database)
    with pytest.raises(InvalidInput, match="至少需要"):
        accounts.change_password(admin, PASSWORD, "short", token=here, engine=database)
    accounts.change_password(admin, PASSWORD, "a-new-password-1", token=here, engine=database)
    assert check_session(here, engine=database).actor is not None
    assert check_session(elsewhere, engine=database).actor is None
    with pytest.raises(LoginRefused):
        authenticate("boss", PASSWORD, engine=database)
    assert authenticate("boss", "a-new-password-1", engine=database)


def test_deactivating_an_account_ends_its_sessions_and_refuses_login(database: Engine, admin: Actor) -> None:
    create_account("viewer1", "领导", "viewer", PASSWORD, engine=database)
    token = authenticate("viewer1", PASSWORD, engine=database)
    accounts.update_account("viewer1", active=False, by=admin, engine=database)
    assert check_session(token, engine=database).actor is None
    with pytest.raises(LoginRefused) as refused:
        authenticate("viewer1", PASSWORD, engine=database)
    assert str(refused.value) == LOGIN_REFUSED  # the right password does not tell it is deactivated
    assert audit_log(action="login.failed", engine=database)["message"].iloc[0].startswith("登录失败：账户已停用")


def test_an_admin_cannot_lock_themselves_out(database: Engine, admin: Actor) -> None:
    with pytest.raises(InvalidInput, match="不能停用自己"):
        accounts.update_account("boss", active=False, by=admin, engine=database)


def test_only_administrators_manage_accounts(database: Engine, admin: Actor) -> None:
    viewer = create_account("viewer1", "领导", "viewer", PASSWORD, engine=database)
    with pytest.raises(Forbidden):
        create_account("x2", "某人", "admin", PASSWORD, by=viewer, engine=database)
    with pytest.raises(Forbidden):
        accounts.reset_password("boss", "a-new-password-1", by=viewer, engine=database)
    with pytest.raises(Forbidden):
        accounts.list_accounts(by=viewer, engine=database)


def test_demo_accounts_exist_only_in_demo_mode(database: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", url_of(database))
    monkeypatch.setenv("ASSESS_SEED_DEMO", "1")
    bootstrap._ready.clear()
    bootstrap.ensure_ready(database)
    roles = {u: r for u, _, r, *_ in bootstrap.DEMO_ACCOUNTS}
    for username, role in roles.items():
        token = authenticate(username, bootstrap.DEMO_PASSWORD, engine=database)
        assert check_session(token, engine=database).actor.role == role
    # The same database outside demo mode: the demo accounts are refused, their sessions end.
    token = authenticate("demo-admin", bootstrap.DEMO_PASSWORD, engine=database)
    monkeypatch.setenv("ASSESS_SEED_DEMO", "0")
    assert check_session(token, engine=database).actor is None
    with pytest.raises(LoginRefused) as refused:
        authenticate("demo-admin", bootstrap.DEMO_PASSWORD, engine=database)
    assert str(refused.value) == LOGIN_REFUSED
    bootstrap._ready.clear()


def test_a_production_start_makes_no_demo_accounts(database: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", url_of(database))
    monkeypatch.delenv("ASSESS_SEED_DEMO", raising=False)
    bootstrap._ready.clear()
    bootstrap.ensure_ready(database)
    assert not accounts.has_accounts(engine=database)
    bootstrap._ready.clear()


def test_create_user_command_makes_the_first_admin(
    database: Engine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setenv("DATABASE_URL", url_of(database))
    monkeypatch.setenv("ASSESS_NEW_PASSWORD", "short")
    assert manage.main(["create-user", "chief"]) == 2
    assert "至少需要 10 个字符" in capsys.readouterr().err
    monkeypatch.setenv("ASSESS_NEW_PASSWORD", PASSWORD)
    assert manage.main(["create-user", "chief", "--name", "局长"]) == 0
    assert "已创建账户 chief（管理员）" in capsys.readouterr().out
    assert check_session(authenticate("chief", PASSWORD, engine=database), engine=database).actor.role == "admin"
    assert manage.main(["list-users"]) == 0
    assert "chief" in capsys.readouterr().out


def test_single_sign_on_only_opens_existing_local_accounts(database: Engine, admin: Actor) -> None:
    token = accounts.authenticate_external("boss", engine=database)
    assert check_session(token, engine=database).actor.role == "admin"  # the role is ours, not the provider's
    with pytest.raises(LoginRefused, match="不存在或已停用"):
        accounts.authenticate_external("stranger@example.org", engine=database)
    assert audit_log(action="login.ok", engine=database)["message"].iloc[0] == "统一身份认证登录成功"
