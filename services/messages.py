"""站内消息: what the app tells an account (results published, 公示, an objection answered, a
task due or overdue), and the one place another channel (SMS, WeCom) could be plugged in.

`notify` fans a message out to the active accounts of the given units (and/or given accounts) in
the caller's transaction, so a message exists exactly when the change it reports was committed.
A `dedup_key` makes a reminder idempotent: the same key reaches an account once.

Other channels: `register_sender(fn)`; every sender is called after the message rows are
written, with the account ids and the message; a failing sender is logged and never undoes the
change. None is registered by default.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Account, Message, Unit

log = logging.getLogger(__name__)

KIND_NAMES = {
    "published": "结果发布",
    "publicity": "公示",
    "objection": "申诉",
    "task": "整改任务",
    "reminder": "到期提醒",
    "system": "系统通知",
}


@dataclass(frozen=True)
class Outgoing:
    kind: str
    title: str
    body: str
    link: str


Sender = Callable[[list[int], Outgoing], None]
_senders: list[Sender] = []


def register_sender(sender: Sender) -> None:
    """Also deliver every message through `sender` (e.g. an SMS or WeCom gateway)."""
    _senders.append(sender)


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
    """Write the message for every account of `units` and every id in `accounts`; returns how
    many accounts got it (those that already had `dedup_key` are skipped)."""
    targets = sorted(set(unit_accounts(session, units)) | {int(a) for a in accounts})
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
    if targets:
        out = Outgoing(kind, title, body, link)
        for sender in list(_senders):
            try:
                sender(targets, out)
            except Exception:  # noqa: BLE001 - another channel failing must not undo the change
                log.exception("站内消息的外部发送失败：%s", title)
    return len(targets)
