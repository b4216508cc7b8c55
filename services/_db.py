"""The engine a service uses and its transactions, with lock conflicts turned into `Busy`."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date, datetime
from typing import TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from services.errors import Busy
from storage.db import DatabaseBusy, get_engine, run_read, run_write
from storage.models import Scheme

T = TypeVar("T")
# Times are stored in UTC and shown in the bureau's time zone.
DISPLAY_TZ = ZoneInfo(os.environ.get("ASSESS_TIMEZONE", "Asia/Shanghai"))


def engine_or_default(engine: Engine | None) -> Engine:
    return engine if engine is not None else get_engine()


def write(engine: Engine | None, work: Callable[[Session], T]) -> T:
    try:
        return run_write(engine_or_default(engine), work)
    except DatabaseBusy as exc:
        raise Busy(str(exc)) from exc


def read(engine: Engine | None, work: Callable[[Session], T]) -> T:
    try:
        return run_read(engine_or_default(engine), work)
    except DatabaseBusy as exc:
        raise Busy(str(exc)) from exc


def local_today() -> date:
    """Today in the bureau's time zone (公示 windows, 整改 deadlines)."""
    return datetime.now(DISPLAY_TZ).date()


def local_time(at: datetime | None) -> str:
    """'2025-04-05 10:12' in the display time zone ('' for None)."""
    return "" if at is None else at.astimezone(DISPLAY_TZ).strftime("%Y-%m-%d %H:%M")


def scheme_name_lookup(
    scheme_key: str, *, session: Session | None = None, engine: Engine | None = None
) -> Callable[[], str | None]:
    """The scheme's Chinese name, looked up only when called — for permissions.require_scope's
    `scheme_name`, so a refusal names the scheme a user knows, not its key. In `session` if the
    caller is inside one, else in a read of its own."""

    def name(s: Session) -> str | None:
        return s.scalar(select(Scheme.name).where(Scheme.key == scheme_key))

    return (lambda: name(session)) if session is not None else (lambda: read(engine, name))
