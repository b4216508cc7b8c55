"""Local accounts: argon2 password hashes, sign-in with lockout, server-side sessions.

- Passwords: at least MIN_PASSWORD characters and not easy to guess (services/password_rules.py),
  stored as argon2id hashes (argon2-cffi).
- Sign-in failures: every failure — unknown name, wrong password, paused, deactivated, a demo
  account outside demo mode — gets one identical answer (LOGIN_REFUSED) after exactly one argon2
  verification, so neither the words nor the time tell whether a name exists or is paused.
  Attempts are throttled per user name × client address, per address and overall
  (services/login_throttle.py); the account is never locked for everyone. Every attempt is
  audited; a failed one under the actor 未登录, the typed name only in the detail, marked as typed.
- Sessions: a random token per signed-in browser; the database keeps only its sha256. A session
  ends on logout, after IDLE minutes without activity, after ABSOLUTE hours, or when the account
  is deactivated, changes role or has its password reset.
- Tickets: the login page gets a one-time ticket (valid TICKET_SECONDS) that the browser trades
  at /auth/session for the HttpOnly cookie holding the token (ui/auth_routes.py).
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pandas as pd
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services import audit, login_throttle
from services._db import local_time, read, write
from services.errors import Conflict, InvalidInput, NotFound, ServiceError
from services.password_rules import MIN_PASSWORD as MIN_PASSWORD  # re-exported for the pages
from services.password_rules import check_password_rules
from services.permissions import ROLE_NAMES, Actor, check
from storage.models import Account, AccountSession, Scheme, Unit, UnitCategory
from storage.types import utcnow

MAX_FAILURES = login_throttle.PAIR_LIMIT
LOCKOUT = login_throttle.PAIR_PAUSE
IDLE = timedelta(minutes=float(os.environ.get("ASSESS_IDLE_MINUTES", "30")))
ABSOLUTE = timedelta(hours=12)
TICKET_SECONDS = 60
TOUCH_EVERY = timedelta(seconds=60)  # last_seen is written at most this often per session
USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{2,64}$")

_hasher = PasswordHasher()
# Verified against when there is no account to check or the attempt is refused, so that every
# answer costs the same argon2 work as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))
# The one answer to every failed sign-in: true whatever the reason, and saying what to do.
LOGIN_REFUSED = "用户名或密码错误。连续多次失败后需等待一段时间才能再试；如仍无法登录，请联系管理员。"
# Who a failed attempt is recorded as: nobody is signed in, and the typed name proves nothing.
NOT_SIGNED_IN = "未登录"


class LoginRefused(ServiceError):
    """Sign-in refused; the message says why without revealing whether the user name exists."""


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _printable(text: str, limit: int = 64) -> str:
    """Typed text fit for the database and the audit log: one line, no NUL (which PostgreSQL
    refuses), at most `limit` characters. Never a valid user name if anything was replaced."""
    return "".join(ch if ch.isprintable() else "�" for ch in (text or "").strip()[:limit])


def hash_password(password: str, *, username: str = "", display_name: str = "") -> str:
    check_password_rules(password, username=username, display_name=display_name)
    return _hasher.hash(password)


def _verify(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def actor_of(a: Account) -> Actor:
    scopes = a.scopes or {}
    return Actor(
        account_id=a.id,
        username=a.username,
        display_name=a.display_name,
        role=a.role,
        unit_code=a.unit.code if a.unit is not None else None,
        unit_name=a.unit.name if a.unit is not None else None,
        unit_category=a.unit.category.name if a.unit is not None else None,
        schemes=tuple(scopes.get("schemes") or ()),
        categories=tuple(scopes.get("categories") or ()),
        is_demo=a.is_demo,
    )


def _demo_mode() -> bool:
    from services.bootstrap import should_seed_demo

    return should_seed_demo()


# -- signing in and out ------------------------------------------------------------------------
def authenticate(username: str, password: str, *, source: str = "", engine: Engine | None = None) -> str:
    """Check the password; on success start a session and return its token. Raises LoginRefused
    (always with LOGIN_REFUSED). `source` is the client address (ui/client.py)."""
    typed, source = _printable(username), _printable(source)
    demo_mode = _demo_mode()

    def work(session: Session) -> str | None:
        now = utcnow()
        a = session.scalars(select(Account).where(Account.username == typed)).one_or_none()
        refused = login_throttle.refusal(session, "login", typed, source, now)
        # Exactly one argon2 verification on every path: the answer's time says nothing.
        if refused is not None:
            _verify(_DUMMY_HASH, password)
            why = f"登录被拒绝：{refused.why}"
        elif a is None:
            _verify(_DUMMY_HASH, password)
            why = "登录失败：用户名不存在"
        elif not _verify(a.password_hash, password):
            why = "登录失败：密码错误"
        elif not a.active:
            why = "登录失败：账户已停用"
        elif a.is_demo and not demo_mode:
            why = "登录失败：演示账户在非演示模式下不可用"
        else:
            if _hasher.check_needs_rehash(a.password_hash):
                a.password_hash = _hasher.hash(password)
            a.last_login_at = now
            login_throttle.note(session, "login", typed, source, "ok", now)
            token = secrets.token_urlsafe(32)
            session.add(
                AccountSession(
                    token_sha256=_sha(token), account_id=a.id, created_at=now, last_seen_at=now, source=source
                )
            )
            audit.record(session, actor_of(a).label, "login.ok", f"account:{typed}", "登录成功", source=source)
            return token
        target = f"account:{a.username}" if a is not None else "login"
        paused = login_throttle.note(session, "login", typed, source, "refused" if refused else "failed", now)
        action = "login.locked" if refused is not None else "login.failed"
        said = f"{why}（输入的用户名「{typed or '（空）'}」，来自 {source or '未知地址'}）"
        audit.record(session, NOT_SIGNED_IN, action, target, said, typed_username=typed, source=source)
        if paused is not None:
            audit.record(
                session, NOT_SIGNED_IN, "account.lockout", target,
                f"同一地址连续 {MAX_FAILURES} 次登录失败，此用户名在该地址暂停登录 {int(paused.total_seconds() // 60)} 分钟",
                typed_username=typed, source=source,
            )  # fmt: skip
        return None

    token = write(engine, work)
    if token is None:
        raise LoginRefused(LOGIN_REFUSED)
    return token


@dataclass(frozen=True)
class SessionCheck:
    actor: Actor | None
    reason: str = ""  # why there is no actor: "" (no such session) or "expired"


def check_session(token: str, *, engine: Engine | None = None) -> SessionCheck:
    """The account signed in with `token`, if its session is still valid; refreshes its idle clock."""
    if not token:
        return SessionCheck(None)
    key = _sha(token)

    def look(session: Session) -> tuple[AccountSession | None, Actor | None]:
        s = session.get(AccountSession, key)
        return s, (actor_of(s.account) if s is not None else None)

    s, actor = read(engine, look)
    if s is None:
        return SessionCheck(None)
    now = utcnow()
    expired = now - s.last_seen_at > IDLE or now - s.created_at > ABSOLUTE
    valid = not expired and s.account.active and (not s.account.is_demo or _demo_mode())
    if not valid:
        write(engine, lambda session: session.execute(delete(AccountSession).where(AccountSession.token_sha256 == key)))
        return SessionCheck(None, "expired" if expired else "")
    if now - s.last_seen_at > TOUCH_EVERY:

        def touch(session: Session) -> None:
            row = session.get(AccountSession, key)
            if row is not None:
                row.last_seen_at = now

        write(engine, touch)
    return SessionCheck(actor)


def logout(token: str, *, engine: Engine | None = None) -> None:
    key = _sha(token or "")

    def work(session: Session) -> None:
        s = session.get(AccountSession, key)
        if s is not None:
            audit.record(session, actor_of(s.account).label, "logout", f"account:{s.account.username}", "退出登录")
            session.delete(s)

    write(engine, work)


def issue_ticket(token: str, *, engine: Engine | None = None) -> str:
    """A one-time ticket the browser can trade (within TICKET_SECONDS) for a cookie holding `token`."""
    ticket = secrets.token_urlsafe(24)

    def work(session: Session) -> None:
        s = session.get(AccountSession, _sha(token))
        if s is None:
            raise NotFound("登录会话不存在或已结束，请重新登录")
        s.ticket_sha256, s.ticket_expires_at = _sha(ticket), utcnow() + timedelta(seconds=TICKET_SECONDS)

    write(engine, work)
    return ticket


def redeem_ticket(ticket: str, *, engine: Engine | None = None) -> str | None:
    """Trade a ticket, once and before it expires, for a new token of the same session.

    The session is re-keyed: the token the login page held stops working, and the new one lives
    only in the HttpOnly cookie. Nothing is kept in memory, so any replica can redeem it.
    """
    if not ticket:
        return None
    key = _sha(ticket)
    token = secrets.token_urlsafe(32)

    def work(session: Session) -> bool:
        s = session.scalars(select(AccountSession).where(AccountSession.ticket_sha256 == key)).one_or_none()
        if s is None:
            return False
        if s.ticket_expires_at is None or s.ticket_expires_at <= utcnow():
            s.ticket_sha256, s.ticket_expires_at = None, None
            return False
        session.add(
            AccountSession(
                token_sha256=_sha(token),
                account_id=s.account_id,
                created_at=s.created_at,
                last_seen_at=utcnow(),
                source=s.source,
            )
        )
        session.delete(s)
        return True

    return token if write(engine, work) else None


def change_password(
    actor: Actor, old: str, new: str, *, token: str = "", source: str = "", engine: Engine | None = None
) -> None:
    """The signed-in user changes their own password; their other sessions end.

    Guessing the old password is throttled like sign-in, per account: after MAX_FAILURES wrong
    old passwords the check pauses (login_throttle), so a stolen session cannot try many."""
    check(actor, "account.self")
    check_password_rules(new, username=actor.username, display_name=actor.display_name)
    if old == new:
        raise InvalidInput("新密码不能与原密码相同")
    source = _printable(source)

    def work(session: Session) -> str:
        a = session.get(Account, actor.account_id)
        if a is None:
            raise NotFound("账户不存在")
        now = utcnow()
        refused = login_throttle.refusal(session, "password", a.username, source, now, per_address=False)
        if refused is not None:
            _verify(_DUMMY_HASH, old)
            minutes = login_throttle.minutes_left_until(refused.until, now)
            audit.record(
                session, actor.label, "account.password_failed", f"account:{a.username}",
                f"修改本人密码被拒绝：原密码连续错误，暂停约 {minutes} 分钟", source=source,
            )  # fmt: skip
            return f"原密码连续输入错误次数过多，请 {minutes} 分钟后再试。"
        if not _verify(a.password_hash, old):
            login_throttle.note(session, "password", a.username, source, "failed", now, per_address=False)
            audit.record(
                session, actor.label, "account.password_failed", f"account:{a.username}",
                "修改本人密码：原密码不正确", source=source,
            )  # fmt: skip
            return "原密码不正确"
        login_throttle.note(session, "password", a.username, source, "ok", now, per_address=False)
        a.password_hash, a.password_changed_at = _hasher.hash(new), now
        session.execute(
            delete(AccountSession).where(AccountSession.account_id == a.id, AccountSession.token_sha256 != _sha(token))
        )
        audit.record(session, actor.label, "account.password", f"account:{a.username}", "修改本人密码")
        return ""

    problem = write(engine, work)  # a failure is recorded (committed) before it is reported
    if problem:
        raise InvalidInput(problem)


# -- administration ------------------------------------------------------------------------------
def _unit_id(session: Session, unit_code: str | None, role: str) -> int | None:
    if role != "unit":
        return None
    if not unit_code:
        raise InvalidInput("单位账户必须指定所属单位")
    uid = session.scalar(select(Unit.id).where(Unit.code == unit_code))
    if uid is None:
        raise InvalidInput(f"没有编码为 {unit_code} 的单位")
    return uid


def _scopes(session: Session, role: str, schemes: list[str], categories: list[str]) -> dict[str, Any]:
    if role != "assessor":
        return {}
    known_schemes = set(session.scalars(select(Scheme.key)))
    known_categories = set(session.scalars(select(UnitCategory.name)))
    bad = [s for s in schemes if s not in known_schemes] + [c for c in categories if c not in known_categories]
    if bad:
        raise InvalidInput(f"不存在的方案或类别：{'、'.join(bad)}")
    return {"schemes": sorted(set(schemes)), "categories": sorted(set(categories))}


def create_account(
    username: str,
    display_name: str,
    role: str,
    password: str,
    *,
    unit_code: str | None = None,
    schemes: list[str] | tuple[str, ...] = (),
    categories: list[str] | tuple[str, ...] = (),
    is_demo: bool = False,
    actor: str = "系统",
    by: Actor | None = None,
    engine: Engine | None = None,
) -> Actor:
    """A new account. Raises InvalidInput (bad name, short password, unknown unit …), Conflict (taken)."""
    who = check(by, "accounts.manage")
    username, display_name = username.strip(), display_name.strip() or username.strip()
    if not USERNAME.match(username):
        raise InvalidInput("用户名须为 2–64 个字母、数字或 _ . @ - 字符")
    if role not in ROLE_NAMES:
        raise InvalidInput(f"未知角色：{role}（可选：{'、'.join(f'{k}={v}' for k, v in ROLE_NAMES.items())}）")
    # Demo accounts carry the published demo password on purpose and only open in demo mode.
    hashed = (
        _hasher.hash(password) if is_demo else hash_password(password, username=username, display_name=display_name)
    )
    actor = who.label if who is not None else actor

    def work(session: Session) -> Actor:
        if session.scalar(select(Account.id).where(Account.username == username)) is not None:
            raise Conflict(f"用户名 {username} 已被使用")
        a = Account(
            username=username,
            display_name=display_name[:100],
            role=role,
            unit_id=_unit_id(session, unit_code, role),
            scopes=_scopes(session, role, list(schemes), list(categories)),
            password_hash=hashed,
            is_demo=is_demo,
        )
        session.add(a)
        session.flush()
        session.refresh(a)
        audit.record(
            session, actor, "account.create", f"account:{username}",
            f"新建账户 {username}（{ROLE_NAMES[role]}）", role=role, unit=unit_code, scopes=a.scopes,
        )  # fmt: skip
        return actor_of(a)

    try:
        return write(engine, work)
    except IntegrityError:  # the same name was taken at the same moment by another process
        raise Conflict(f"用户名 {username} 已被使用") from None


def update_account(
    username: str,
    *,
    display_name: str | None = None,
    role: str | None = None,
    unit_code: str | None = None,
    schemes: list[str] | None = None,
    categories: list[str] | None = None,
    active: bool | None = None,
    by: Actor | None = None,
    engine: Engine | None = None,
) -> Actor:
    """Change an account; a change of role, unit, scope or deactivation ends its sessions."""
    who = check(by, "accounts.manage")

    def work(session: Session) -> Actor:
        a = session.scalars(select(Account).where(Account.username == username)).one_or_none()
        if a is None:
            raise NotFound(f"没有用户名为 {username} 的账户")
        if who is not None and a.id == who.account_id and (active is False or (role and role != a.role)):
            raise InvalidInput("不能停用自己的账户或修改自己的角色")
        new_role = role or a.role
        if new_role not in ROLE_NAMES:
            raise InvalidInput(f"未知角色：{new_role}")
        before = {"role": a.role, "unit_id": a.unit_id, "scopes": a.scopes, "active": a.active}
        if display_name is not None and display_name.strip():
            a.display_name = display_name.strip()[:100]
        a.role = new_role
        current_unit = a.unit.code if a.unit is not None else None
        a.unit_id = _unit_id(session, unit_code if unit_code is not None else current_unit, new_role)
        old = a.scopes or {}
        a.scopes = _scopes(
            session,
            new_role,
            schemes if schemes is not None else list(old.get("schemes") or []),
            categories if categories is not None else list(old.get("categories") or []),
        )
        if active is not None:
            a.active = active
            if active:
                a.failed_logins, a.locked_until = 0, None
        after = {"role": a.role, "unit_id": a.unit_id, "scopes": a.scopes, "active": a.active}
        if before != after:
            session.execute(delete(AccountSession).where(AccountSession.account_id == a.id))
        session.flush()
        session.refresh(a)
        audit.record(
            session, who.label if who else "系统（命令行）", "account.update", f"account:{username}",
            f"修改账户 {username}：角色 {ROLE_NAMES[a.role]}，{'启用' if a.active else '停用'}",
            before={k: str(v) for k, v in before.items()}, after={k: str(v) for k, v in after.items()},
        )  # fmt: skip
        return actor_of(a)

    return write(engine, work)


def reset_password(username: str, password: str, *, by: Actor | None = None, engine: Engine | None = None) -> None:
    """An administrator sets a new password; the account is unlocked and its sessions end."""
    who = check(by, "accounts.manage")

    def work(session: Session) -> None:
        a = session.scalars(select(Account).where(Account.username == username)).one_or_none()
        if a is None:
            raise NotFound(f"没有用户名为 {username} 的账户")
        hashed = hash_password(password, username=a.username, display_name=a.display_name)
        a.password_hash, a.password_changed_at = hashed, utcnow()
        a.failed_logins, a.locked_until = 0, None
        login_throttle.forget(session, a.username)
        session.execute(delete(AccountSession).where(AccountSession.account_id == a.id))
        audit.record(
            session,
            who.label if who else "系统（命令行）",
            "account.reset",
            f"account:{username}",
            f"重置账户 {username} 的密码",
        )

    write(engine, work)


def unlock_account(username: str, *, by: Actor | None = None, engine: Engine | None = None) -> None:
    who = check(by, "accounts.manage")

    def work(session: Session) -> None:
        a = session.scalars(select(Account).where(Account.username == username)).one_or_none()
        if a is None:
            raise NotFound(f"没有用户名为 {username} 的账户")
        a.failed_logins, a.locked_until = 0, None
        login_throttle.forget(session, a.username)
        audit.record(
            session,
            who.label if who else "系统（命令行）",
            "account.unlock",
            f"account:{username}",
            f"解除账户 {username} 的锁定",
        )

    write(engine, work)


def list_accounts(*, by: Actor | None = None, engine: Engine | None = None) -> pd.DataFrame:
    """username, display_name, role, role_name, unit, schemes, categories, active, locked, last_login, demo."""
    check(by, "accounts.manage")
    now = utcnow()

    def work(session: Session) -> tuple[list[Account], set[str]]:
        accounts = list(session.scalars(select(Account).order_by(Account.role, Account.username)))
        return accounts, login_throttle.paused_names(session, [a.username for a in accounts], now)

    rows, paused = read(engine, work)
    return pd.DataFrame(
        {
            "username": [a.username for a in rows],
            "display_name": [a.display_name for a in rows],
            "role": [a.role for a in rows],
            "role_name": [ROLE_NAMES[a.role] for a in rows],
            "unit": [a.unit.code if a.unit is not None else "" for a in rows],
            "schemes": ["、".join((a.scopes or {}).get("schemes") or []) for a in rows],
            "categories": ["、".join((a.scopes or {}).get("categories") or []) for a in rows],
            "active": [a.active for a in rows],
            "locked": [a.username in paused for a in rows],  # paused from at least one address
            "last_login": [local_time(a.last_login_at) for a in rows],
            "demo": [a.is_demo for a in rows],
        }
    )


def has_accounts(*, engine: Engine | None = None) -> bool:
    return read(engine, lambda s: s.scalar(select(Account.id).where(Account.active).limit(1)) is not None)


def record_refusal(actor: Actor, target: str, message: str, *, engine: Engine | None = None) -> None:
    """Audit a refused attempt (a page opened by URL, a service call the role may not make)."""
    write(engine, lambda s: audit.record(s, actor.label, "access.denied", target, message))


# -- single sign-on (optional) ---------------------------------------------------------------------
def oidc_enabled() -> bool:
    """ASSESS_OIDC=1 turns on sign-in through the identity provider configured for st.login
    (docs/accounts.md). Off by default: bureau intranets usually have none."""
    return os.environ.get("ASSESS_OIDC", "").strip().lower() in ("1", "true", "yes")


def authenticate_external(username: str, *, source: str = "oidc", engine: Engine | None = None) -> str:
    """Start a session for an identity the provider has vouched for (its e-mail or user name).

    The account must already exist locally — its role, unit and scopes are set here, never by the
    provider — and be active, not locked, not a demo account. Audited like a password login.
    """
    username = _printable(username)

    def work(session: Session) -> tuple[str | None, str]:
        now = utcnow()
        a = session.scalars(select(Account).where(Account.username == username)).one_or_none()
        if a is None or not a.active or a.is_demo or (a.locked_until is not None and a.locked_until > now):
            audit.record(
                session,
                NOT_SIGNED_IN,
                "login.failed",
                f"account:{a.username}" if a is not None else "login",
                "统一身份认证登录被拒绝",
                typed_username=username,
                source=source,
            )
            return None, "统一身份认证的账户在本系统中不存在或已停用，请联系管理员开通。"
        a.last_login_at = now
        token = secrets.token_urlsafe(32)
        session.add(
            AccountSession(token_sha256=_sha(token), account_id=a.id, created_at=now, last_seen_at=now, source=source)
        )
        audit.record(
            session, actor_of(a).label, "login.ok", f"account:{username}", "统一身份认证登录成功", source=source
        )
        return token, ""

    token, why = write(engine, work)
    if token is None:
        raise LoginRefused(why)
    return token
