"""Throttling sign-in attempts: per user name and client address, per address, and overall.

Three rules, checked before any password is looked at (services/accounts.py):

1. **User name × address** (`PAIR_LIMIT` failures): after 5 failed sign-ins for one user name from
   one client address, that name is refused *from that address* for 15 minutes; each further 5
   failures there double the pause (30, 60 … minutes, at most 24 hours). A success from that
   address, or 24 hours without failures, starts the count afresh. The account itself is never
   locked for everyone, so an attacker hammering the administrator's name from elsewhere cannot
   keep the administrator out.
2. **Address** (`ADDRESS_LIMIT`): an address with 20 failures within 15 minutes, whatever the
   names, is refused until its count falls (stops one machine from trying many names).
3. **Overall** (`OVERALL_LIMIT`): with 100 failures from all addresses within 15 minutes (an
   attack from many machines), only addresses where that user name signed in successfully within
   30 days are let through, until the count falls.

The 修改密码 old-password check counts per account instead (`per_address=False`): whoever holds
a session has already signed in, and only that account's own password change is paused.

Attempts live in the database (table `login_attempt`), so every replica behind a proxy counts the
same. Only successes and failures are stored: a refused attempt is audited but not counted, so
retrying during a pause does not extend it, and hammering a paused name adds no rows here (the
answer is the same as for a wrong password either way).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from storage.models import LoginAttempt

WINDOW = timedelta(minutes=15)
PAIR_LIMIT = 5
PAIR_PAUSE = timedelta(minutes=15)
MAX_PAUSE = timedelta(hours=24)
MEMORY = timedelta(hours=24)  # failures older than this no longer count towards a pause
ADDRESS_LIMIT = 20
OVERALL_LIMIT = 100
KNOWN_FOR = timedelta(days=30)
KEEP = timedelta(days=30)


@dataclass(frozen=True)
class Refusal:
    rule: str  # "pair", "address" or "overall"
    until: datetime | None  # when a pause ends (None: when the failure count falls)
    why: str  # for the audit log, in Chinese


def minutes_left_until(until: datetime | None, now: datetime) -> int:
    """Whole minutes, rounded up, until `until` (a count-based refusal: the length of the window)."""
    if until is None:
        return int(WINDOW.total_seconds() // 60)
    return max(1, int((until - now).total_seconds() // 60) + 1)


def pause_after(failures: int) -> timedelta:
    """How long the pause lasts once `failures` (a multiple of PAIR_LIMIT) failures are reached."""
    rounds = min(failures // PAIR_LIMIT, 20)  # 15 minutes × 2^19 is far past MAX_PAUSE; no overflow
    return min(PAIR_PAUSE * 2 ** (rounds - 1), MAX_PAUSE)


def _pair_filter(kind: str, username: str, source: str, per_address: bool) -> list:  # noqa: ANN202
    where = [LoginAttempt.kind == kind, LoginAttempt.username == username]
    if per_address:
        where.append(LoginAttempt.source == source)
    return where


def _pair_failures(
    session: Session, kind: str, username: str, source: str, now: datetime, per_address: bool
) -> tuple[int, datetime | None]:
    """Failures since the last success (at most MEMORY back), and the time of the latest one."""
    where = _pair_filter(kind, username, source, per_address)
    last_ok = session.scalar(select(func.max(LoginAttempt.at)).where(*where, LoginAttempt.outcome == "ok"))
    since = now - MEMORY if last_ok is None else max(now - MEMORY, last_ok)
    count, last = session.execute(
        select(func.count(), func.max(LoginAttempt.at)).where(
            *where, LoginAttempt.outcome == "failed", LoginAttempt.at > since
        )
    ).one()
    return int(count), last


def _pause_until(failures: int, last: datetime | None) -> datetime | None:
    if failures < PAIR_LIMIT or failures % PAIR_LIMIT or last is None:
        return None  # a pause starts only on every PAIR_LIMIT-th failure; after it, PAIR_LIMIT more tries
    return last + pause_after(failures)


def refusal(
    session: Session, kind: str, username: str, source: str, now: datetime, *, per_address: bool = True
) -> Refusal | None:
    """Why this attempt must be refused without looking at the password, or None."""
    count, last = _pair_failures(session, kind, username, source, now, per_address)
    until = _pause_until(count, last)
    if until is not None and until > now:
        where = "此地址" if per_address else "本账户"
        return Refusal(
            "pair", until, f"连续 {count} 次失败，{where}暂停中，还剩约 {minutes_left_until(until, now)} 分钟"
        )
    if not per_address:
        return None
    recent = [LoginAttempt.kind == kind, LoginAttempt.outcome == "failed", LoginAttempt.at > now - WINDOW]
    from_here = session.scalar(select(func.count()).where(*recent, LoginAttempt.source == source)) or 0
    if from_here >= ADDRESS_LIMIT:
        return Refusal("address", None, f"此地址 15 分钟内失败 {from_here} 次")
    overall = session.scalar(select(func.count()).where(*recent)) or 0
    if overall >= OVERALL_LIMIT:
        known = session.scalar(
            select(LoginAttempt.id)
            .where(*_pair_filter(kind, username, source, True), LoginAttempt.outcome == "ok")
            .where(LoginAttempt.at > now - KNOWN_FOR)
            .limit(1)
        )
        if known is None:
            return Refusal("overall", None, f"全站 15 分钟内失败 {overall} 次，只放行曾成功登录的地址")
    return None


def note(
    session: Session, kind: str, username: str, source: str, outcome: str, now: datetime, *, per_address: bool = True
) -> timedelta | None:
    """Record an attempt. Returns the pause it starts, if this failure starts one."""
    if outcome == "refused":
        return None  # not counted (see the module docstring)
    session.execute(delete(LoginAttempt).where(LoginAttempt.at < now - KEEP))  # indexed; usually nothing
    session.add(LoginAttempt(at=now, kind=kind, username=username[:64], source=source[:64], outcome=outcome))
    if outcome != "failed":
        return None
    session.flush()
    count, _ = _pair_failures(session, kind, username, source, now, per_address)
    return pause_after(count) if count >= PAIR_LIMIT and count % PAIR_LIMIT == 0 else None


def forget(session: Session, username: str) -> None:
    """Lift every pause of this user name (an administrator unlocked it or reset its password)."""
    session.execute(delete(LoginAttempt).where(LoginAttempt.username == username, LoginAttempt.outcome != "ok"))


def paused_names(session: Session, names: list[str], now: datetime) -> set[str]:
    """Which of these user names are paused for sign-in from at least one address right now."""
    if not names:
        return set()
    candidates = session.execute(
        select(LoginAttempt.username, LoginAttempt.source)
        .where(
            LoginAttempt.kind == "login",
            LoginAttempt.username.in_(names),
            LoginAttempt.outcome == "failed",
            LoginAttempt.at > now - MEMORY,
        )
        .group_by(LoginAttempt.username, LoginAttempt.source)
        .having(func.count() >= PAIR_LIMIT)
    ).all()
    paused: set[str] = set()
    for username, source in candidates:
        if username not in paused:
            count, last = _pair_failures(session, "login", username, source, now, True)
            until = _pause_until(count, last)
            if until is not None and until > now:
                paused.add(username)
    return paused
