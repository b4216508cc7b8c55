"""The audit trail: every change is recorded in the transaction that makes it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from services._db import local_time, read, write
from services.permissions import Actor, require
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
    "login.ok": "登录成功",
    "login.failed": "登录失败",
    "login.locked": "锁定期间尝试登录",
    "account.lockout": "账户锁定",
    "logout": "退出登录",
    "account.create": "新建账户",
    "account.update": "修改账户",
    "account.password": "修改本人密码",
    "account.reset": "重置密码",
    "account.unlock": "解除锁定",
    "access.denied": "越权访问被拒绝",
    "export": "导出",
    "results.publish": "审定发布考核结果",
    "period.deadline": "设置填报截止日期",
    "reconcile.resolve": "核对考核组差异",
}


def record(session: Session, actor: str, action: str, target: str, message: str, **detail: Any) -> None:
    """Add an audit entry to the caller's transaction (it lands or vanishes with the change)."""
    session.add(AuditEntry(at=utcnow(), actor=actor, action=action, target=target, message=message, detail=detail))


def audit_log(
    *,
    limit: int = 200,
    action: str | list[str] | None = None,
    target: str | None = None,
    actor: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    by: Actor | None = None,
    engine: Engine | None = None,
) -> pd.DataFrame:
    """Newest entries first: id, at (aware UTC), time (display text), actor, action, action_name,
    target, message, detail. `action` one or several; `actor` matches part of the name;
    `since` / `until` (aware) bound the time. Administrators only, on a page."""
    require("audit.read", by)

    def work(session: Session) -> list[AuditEntry]:
        stmt = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
        if isinstance(action, str) and action:
            stmt = stmt.where(AuditEntry.action == action)
        elif action:
            stmt = stmt.where(AuditEntry.action.in_(list(action)))
        if target:
            stmt = stmt.where(AuditEntry.target == target)
        if actor:
            stmt = stmt.where(AuditEntry.actor.contains(actor, autoescape=True))
        if since is not None:
            stmt = stmt.where(AuditEntry.at >= since)
        if until is not None:
            stmt = stmt.where(AuditEntry.at < until)
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


def record_export(what: str, file_name: str, *, by: Actor | None = None, engine: Engine | None = None) -> None:
    """Audit a download (call it from the download button's on_click)."""
    who = require("export", by)
    actor = who.label if who is not None else "系统（命令行）"
    write(engine, lambda s: record(s, actor, "export", f"export:{what}", f"导出 {file_name}"))
