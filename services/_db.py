"""The engine a service uses and its transactions, with lock conflicts turned into `Busy`."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date, datetime
from typing import TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from services.errors import Busy
from storage.db import DatabaseBusy, get_engine, run_read, run_write

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
