"""站内消息: what the app tells an account (results published, 公示, an objection answered, a
task due or overdue), the account's own inbox, and the one place another channel (SMS, WeCom)
could be plugged in.

`notify` fans a message out to the active accounts of the given units (and/or given accounts) in
the caller's transaction, so a message exists exactly when the change it reports was committed.
A `dedup_key` makes a reminder idempotent: the same key reaches an account once.

Reading and marking (`my_messages`, `unread_count`, `mark_read`, `mark_all_read`) act on the
acting account's own messages only: ids of another account's messages are refused (and the
refusal audited), with nothing marked. A command-line operator has no account, hence no inbox.

Other channels: `register_sender(fn)`, or the environment variable `ASSESS_MESSAGE_SENDERS`
("package.module:function", comma-separated) for an operator who plugs one in without touching
the code. Every sender is called once the transaction that wrote the messages has committed
(never for a change that was rolled back, never twice when a write is retried), with the account
ids and the message. A failing sender — or one that cannot be imported — is logged and never
undoes the change. None is configured by default.
"""

from __future__ import annotations

import importlib
import logging
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, event, func, select, update
from sqlalchemy.orm import Session

from services._db import read, write
from services.errors import InvalidInput
from services.permissions import Actor, check, refusal
from storage.models import Account, Message, Unit
from storage.types import utcnow

log = logging.getLogger(__name__)

KIND_NAMES = {
    "published": "结果发布",
    "publicity": "公示",
    "objection": "申诉",
    "task": "整改任务",
    "reminder": "到期提醒",
    "system": "系统通知",
}
# Column sizes of storage.models.Message: longer text is cut rather than failing the change.
_TITLE_MAX, _LINK_MAX, _KEY_MAX = 200, 300, 200
DEFAULT_LIMIT = 100
_PENDING = "_messages_outgoing"  # Session.info key: what the senders get after the commit
SENDERS_ENV = "ASSESS_MESSAGE_SENDERS"


@dataclass(frozen=True)
class Outgoing:
    kind: str
    title: str
    body: str
    link: str


Sender = Callable[[list[int], Outgoing], None]
_senders: list[Sender] = []


def register_sender(sender: Sender) -> None:
    """Also deliver every message through `sender(account_ids, outgoing)` (e.g. an SMS or WeCom
    gateway). Called after the commit, in the process that made the change; keep it quick."""
    _senders.append(sender)


_from_env: dict[str, list[Sender]] = {}  # the variable's value -> the senders it names


def _configured(spec: str) -> list[Sender]:
    """The senders `ASSESS_MESSAGE_SENDERS` names; one that cannot be loaded is logged and left out."""
    out: list[Sender] = []
    for entry in (e.strip() for e in spec.replace("，", ",").split(",")):
        if not entry:
            continue
        module, _, name = entry.partition(":")
        try:
            sender = getattr(importlib.import_module(module.strip()), name.strip())
            if not callable(sender):
                raise TypeError(f"{entry} is not callable")
        except Exception:  # noqa: BLE001 - a broken plug-in must not stop the app or any change
            log.exception("%s：无法加载消息发送程序 %s（格式：模块:函数），已跳过", SENDERS_ENV, entry)
            continue
        out.append(sender)
    return out


def senders() -> list[Sender]:
    """Every sender in force: those registered in code, then those the environment names."""
    spec = os.environ.get(SENDERS_ENV, "").strip()
    if spec and spec not in _from_env:
        _from_env[spec] = _configured(spec)
    return [*_senders, *(_from_env.get(spec, []) if spec else [])]


def unit_accounts(session: Session, unit_codes: Iterable[str]) -> list[int]:
    """Ids of the active unit accounts of these units."""
    codes = sorted({str(c) for c in unit_codes})
    if not codes:
        return []
    return list(
        session.scalars(
            select(Account.id)
            .join(Unit, Unit.id == Account.unit_id)
            .where(Unit.code.in_(codes), Account.role == "unit", Account.active)
            .order_by(Account.id)
        )
    )


def notify(
    session: Session,
    kind: str,
    title: str,
    body: str = "",
    *,
    units: Iterable[str] = (),
    accounts: Iterable[int] = (),
    link: str = "",
    dedup_key: str | None = None,
) -> int:
    """Write the message for every active account of `units` (unit accounts) and every active
    account in `accounts` (ids); returns how many accounts got it (those that already had
    `dedup_key` are skipped)."""
    if kind not in KIND_NAMES:
        raise ValueError(f"unknown message kind {kind!r}")  # a programming error, not user input
    title, link = title.strip()[:_TITLE_MAX], link.strip()[:_LINK_MAX]
    dedup_key = dedup_key[:_KEY_MAX] if dedup_key is not None else None
    named = sorted({int(a) for a in accounts})
    if named:  # a deactivated account is told nothing (nor forwarded to another channel)
        named = list(session.scalars(select(Account.id).where(Account.id.in_(named), Account.active)))
    targets = sorted(set(unit_accounts(session, units)) | set(named))
    if dedup_key is not None and targets:
        had = set(
            session.scalars(
                select(Message.account_id).where(Message.dedup_key == dedup_key, Message.account_id.in_(targets))
            )
        )
        targets = [t for t in targets if t not in had]
    for account_id in targets:
        session.add(Message(account_id=account_id, kind=kind, title=title, body=body, link=link, dedup_key=dedup_key))
    session.flush()
    if targets and senders():
        _after_commit(session).append((targets, Outgoing(kind, title, body, link)))
    return len(targets)


def _after_commit(session: Session) -> list[tuple[list[int], Outgoing]]:
    """The session's queue for the senders, delivered when its transaction commits."""
    if _PENDING not in session.info:
        session.info[_PENDING] = []
        event.listen(session, "after_commit", _deliver)
        event.listen(session, "after_rollback", _drop)
    return session.info[_PENDING]


def _drop(session: Session) -> None:
    session.info.get(_PENDING, []).clear()  # the change did not happen: nothing to tell


def _deliver(session: Session) -> None:
    queue = session.info.get(_PENDING, [])
    pending, queue[:] = list(queue), []
    for targets, out in pending:
        for sender in senders():
            try:
                sender(targets, out)
            except Exception:  # noqa: BLE001 - another channel failing must not undo the change
                log.exception("站内消息的外部发送失败：%s", out.title)


# -- the account's own inbox -----------------------------------------------------------------
@dataclass(frozen=True)
class MessageInfo:
    id: int
    kind: str
    title: str
    body: str
    link: str
    created_at: datetime
    read_at: datetime | None

    @property
    def kind_name(self) -> str:
        return KIND_NAMES.get(self.kind, "通知")

    @property
    def unread(self) -> bool:
        return self.read_at is None


def _reader(by: Actor | None) -> Actor | None:
    """The acting account, refused without messages.read; None: an operator (no inbox)."""
    return check(by, "messages.read")


def _writer(by: Actor | None) -> Actor:
    actor = _reader(by)
    if actor is None:
        raise InvalidInput("站内消息属于登录的账户；命令行没有账户，也就没有可标记的消息。")
    return actor


def my_messages(
    *, by: Actor | None = None, unread_only: bool = False, limit: int = DEFAULT_LIMIT, engine: Engine | None = None
) -> list[MessageInfo]:
    """The acting account's messages, newest first (at most `limit`)."""
    actor = _reader(by)
    if actor is None:
        return []
    stmt = select(Message).where(Message.account_id == actor.account_id)
    if unread_only:
        stmt = stmt.where(Message.read_at.is_(None))
    stmt = stmt.order_by(Message.created_at.desc(), Message.id.desc()).limit(max(1, int(limit)))

    def work(session: Session) -> list[MessageInfo]:
        return [
            MessageInfo(m.id, m.kind, m.title, m.body or "", m.link or "", m.created_at, m.read_at)
            for m in session.scalars(stmt)
        ]

    return read(engine, work)


def unread_count(*, by: Actor | None = None, engine: Engine | None = None) -> int:
    """How many of the acting account's messages are unread: one COUNT on the (account_id,
    read_at) index, cheap enough for every page run (the sidebar badge)."""
    actor = _reader(by)
    if actor is None:
        return 0
    stmt = select(func.count()).where(Message.account_id == actor.account_id, Message.read_at.is_(None))
    return read(engine, lambda s: int(s.scalar(stmt) or 0))


def mark_read(ids: Iterable[int], *, by: Actor | None = None, engine: Engine | None = None) -> int:
    """Mark these of the account's messages read; returns how many were unread. Any id that is
    not one of the account's messages refuses the whole request (Forbidden), nothing marked."""
    actor = _writer(by)
    try:
        wanted = sorted({int(i) for i in ids})
    except (TypeError, ValueError):
        raise InvalidInput("要标记为已读的消息编号无效。") from None
    if not wanted:
        raise InvalidInput("请先选择要标记为已读的消息。")

    def work(session: Session) -> int:
        own = set(
            session.scalars(select(Message.id).where(Message.id.in_(wanted), Message.account_id == actor.account_id))
        )
        foreign = [i for i in wanted if i not in own]
        if foreign:
            # Another account's message or none at all: the same answer, so ids reveal nothing.
            raise refusal(
                actor,
                f"message:{foreign[0]}",
                f"只能标记本人的站内消息：消息 {'、'.join(map(str, foreign[:10]))} 不属于您。",
            )
        done = session.execute(
            update(Message)
            .where(Message.id.in_(wanted), Message.account_id == actor.account_id, Message.read_at.is_(None))
            .values(read_at=utcnow())
        )
        return int(done.rowcount or 0)

    return write(engine, work)


def mark_all_read(*, by: Actor | None = None, engine: Engine | None = None) -> int:
    """Mark every unread message of the account read; returns how many."""
    actor = _writer(by)

    def work(session: Session) -> int:
        done = session.execute(
            update(Message)
            .where(Message.account_id == actor.account_id, Message.read_at.is_(None))
            .values(read_at=utcnow())
        )
        return int(done.rowcount or 0)

    return write(engine, work)
