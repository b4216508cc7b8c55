"""Working days (工作日) for 公示 windows: Monday to Friday, less the bureau's holidays, plus the
weekend days that are worked instead (调休).

Holidays and 调休 days change every year by State Council notice, so they are configuration, not
code: `ASSESS_HOLIDAYS` and `ASSESS_EXTRA_WORKDAYS`, comma-separated ISO dates
(`2026-10-01,2026-10-02`). Unset: plain Monday–Friday. A date that cannot be read is ignored
(and logged): a typo must not stop a 公示 from starting.
"""

from __future__ import annotations

import logging
import os
from datetime import date, timedelta

log = logging.getLogger(__name__)

HOLIDAYS_ENV = "ASSESS_HOLIDAYS"
EXTRA_WORKDAYS_ENV = "ASSESS_EXTRA_WORKDAYS"


def _dates(env: str) -> frozenset[date]:
    out = set()
    for part in os.environ.get(env, "").replace("，", ",").split(","):
        part = part.strip()
        if not part:
            continue
        try:
            out.add(date.fromisoformat(part))
        except ValueError:
            log.warning("%s: 无法识别的日期 %r，已忽略", env, part)
    return frozenset(out)


def is_workday(day: date) -> bool:
    """Whether `day` is a working day under the configured holidays and 调休 days."""
    return _working(day, _dates(HOLIDAYS_ENV), _dates(EXTRA_WORKDAYS_ENV))


def _working(day: date, holidays: frozenset[date], extra: frozenset[date]) -> bool:
    return day in extra or (day not in holidays and day.weekday() < 5)


def add_workdays(start: date, days: int) -> date:
    """The last day of a window of `days` working days that begins on `start`.

    `start` itself counts when it is a working day (a 公示 started on a Monday morning runs that
    day); otherwise the window begins on the next working day. `days` must be at least 1.
    """
    if days < 1:
        raise ValueError("days must be at least 1")
    holidays, extra = _dates(HOLIDAYS_ENV), _dates(EXTRA_WORKDAYS_ENV)
    day, counted = start, 0
    while True:
        if _working(day, holidays, extra):
            counted += 1
            if counted == days:
                return day
        day += timedelta(days=1)
