"""The audit trail: every change is recorded in the transaction that makes it; every download
(`record_download`) and every refused service call (the recorder installed below) is recorded too.

A refusal is raised wherever a permission check fails — sometimes inside a write transaction
that is about to roll back — so it is written by one background thread, after that transaction
has ended, and only in the web server (on the command line and in tests there is no signed-in
user to report). A failing refusal write is logged, never shown.
"""

from __future__ import annotations

import logging
import queue
import threading
import time as _time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from services import permissions
from services._db import engine_or_default, local_time, read, write
from services.permissions import Actor, require
from storage.db import DEFAULT_SQLITE_PATH, uses_default_database
from storage.models import AuditEntry
from storage.types import utcnow

_log = logging.getLogger(__name__)
NOBODY = "（未登录）"  # the actor column of a refusal made with no signed-in account

# action -> Chinese name, for the audit page
ACTIONS = {
    "units.upsert": "更新单位",
    "unit.activate": "启用单位",
    "unit.deactivate": "停用单位",
    "figures.set": "修改单位年度数据",
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
    "account.password_failed": "修改密码时原密码错误",
    "account.reset": "重置密码",
    "account.unlock": "解除锁定",
    "access.denied": "越权访问被拒绝",
    "export": "导出",
    "results.publish": "审定发布考核结果",
    "period.deadline": "设置填报截止日期",
    "reconcile.resolve": "核对考核组差异",
    "evidence.attach": "上传证明材料",
    "evidence.remove": "删除证明材料",
    "publicity.start": "发起公示",
    "publicity.end": "提前结束公示",
    "objection.raise": "提出申诉",
    "objection.uphold": "申诉维持原结果",
    "objection.correct": "申诉更正",
    "task.create": "下达整改任务",
    "task.submit": "提交整改材料",
    "task.accept": "验收整改任务",
    "task.return": "退回整改任务",
    "task.remind": "发送整改到期提醒",
}
# the columns of the audit page's table and of its CSV export
COLUMNS = {"time": "时间", "actor": "操作人", "action_name": "操作", "target": "对象", "message": "内容"}


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


def record_download(
    who: Actor | None, target: str, message: str, *, engine: Engine | None = None, **detail: Any
) -> None:
    """Audit a file handed out (an original submission, a template, a CSV): who, what. Called by
    the service that makes the file, after its permission check; the command line is recorded
    as the system."""
    actor = who.label if who is not None else "系统（命令行）"
    write(engine, lambda s: record(s, actor, "export", target, message, **detail))


def audit_csv(
    *,
    limit: int = 200,
    action: str | list[str] | None = None,
    actor: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    file_name: str = "审计日志.csv",
    shown: Callable[[pd.DataFrame], pd.DataFrame] | None = None,
    by: Actor | None = None,
    engine: Engine | None = None,
) -> bytes:
    """The audit log as the audit page shows it (same filters), as CSV; the export is audited.
    `shown`: how the page words the entries (targets and scheme keys as people name them, see
    ui.audit_text) — the file reads like the page, not like the stored rows. Text a spreadsheet
    would run as a formula is neutralised."""
    from exports.csv_export import text_table_csv

    who = require("audit.read", by)
    log = audit_log(limit=limit, action=action, actor=actor, since=since, until=until, by=who, engine=engine)
    if shown is not None:
        log = shown(log)
    data = text_table_csv(log[list(COLUMNS)].rename(columns=COLUMNS))
    record_download(who, "audit_log", f"导出审计日志 {file_name}（{len(log)} 条）", engine=engine, rows=len(log))
    return data


# -- refusals ------------------------------------------------------------------------------------
_refusals: queue.Queue[tuple[Engine, str, str, str]] = queue.Queue()
_writer_lock = threading.Lock()
_writer: list[threading.Thread] = []


def _record_refusal(who: Actor | None, target: str, message: str) -> None:
    """permissions.refusal's recorder: queue the entry for the writer thread (web server only)."""
    if not permissions.web_process():
        return
    if uses_default_database() and not DEFAULT_SQLITE_PATH.exists():
        return  # no database made yet (nothing runs without one): do not create an empty file
    label = who.label if who is not None and who.role != "anonymous" else NOBODY
    _refusals.put((engine_or_default(None), label, target, message))
    with _writer_lock:
        if not _writer or not _writer[0].is_alive():
            _writer[:] = [threading.Thread(target=_write_refusals, name="audit-refusals", daemon=True)]
            _writer[0].start()


def _write_refusals() -> None:
    while True:
        engine, label, target, message = _refusals.get()
        try:
            write(engine, lambda s, e=(label, target, message): record(s, e[0], "access.denied", e[1], e[2]))
        except Exception:  # noqa: BLE001 - an audit failure is logged, never shown to the user
            _log.exception("could not audit a refusal (%s)", target)
        finally:
            _refusals.task_done()


def flush_refusals(timeout: float = 30.0) -> bool:
    """Wait until queued refusals are written (tests, shutdown); False if still pending."""
    deadline = _time.monotonic() + timeout
    while _refusals.unfinished_tasks:
        if _time.monotonic() > deadline:
            return False
        _time.sleep(0.02)
    return True


permissions.install_refusal_recorder(_record_refusal)
