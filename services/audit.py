"""The audit trail: every change is recorded in the transaction that makes it."""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from services._db import local_time, read
from storage.models import AuditEntry
from storage.types import utcnow

# action -> Chinese name, for the audit page
ACTIONS = {
    "units.upsert": "更新单位",
    "unit.activate": "启用单位",
    "unit.deactivate": "停用单位",
    "scheme.register": "登记方案版本",
    "scheme.replace": "替换未使用的方案版本",
    "period.lock": "锁定期间",
    "period.unlock": "解锁期间",
    "period.publish": "公示期间",
    "submission.import": "导入数据",
    "submission.rollback": "撤回提交",
}


def record(session: Session, actor: str, action: str, target: str, message: str, **detail: Any) -> None:
    """Add an audit entry to the caller's transaction (it lands or vanishes with the change)."""
    session.add(AuditEntry(at=utcnow(), actor=actor, action=action, target=target, message=message, detail=detail))


def audit_log(
    *, limit: int = 200, action: str | None = None, target: str | None = None, engine: Engine | None = None
) -> pd.DataFrame:
    """Newest entries first: id, at (aware UTC), time (display text), actor, action, action_name,
    target, message, detail."""

    def work(session: Session) -> list[AuditEntry]:
        stmt = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
        if action:
            stmt = stmt.where(AuditEntry.action == action)
        if target:
            stmt = stmt.where(AuditEntry.target == target)
        return list(session.scalars(stmt))

    rows = read(engine, work)
    return pd.DataFrame(
        {
            "id": [e.id for e in rows],
            "at": [e.at for e in rows],
            "time": [local_time(e.at) for e in rows],
            "actor": [e.actor for e in rows],
            "action": [e.action for e in rows],
            "action_name": [ACTIONS.get(e.action, e.action) for e in rows],
            "target": [e.target for e in rows],
            "message": [e.message for e in rows],
            "detail": [e.detail for e in rows],
        }
    )
