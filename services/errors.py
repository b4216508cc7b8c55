"""Errors whose text is shown to users as is (Simplified Chinese, with the details located)."""

from __future__ import annotations

from scoring.errors import Problem


class ServiceError(Exception):
    """An operation refused or impossible; str(error) is the message for the user."""


class NotFound(ServiceError):
    """No such unit, scheme, version, period or submission."""


class Conflict(ServiceError):
    """The request contradicts what is stored (a used scheme version changed, versions mixed …)."""


class InvalidInput(ServiceError):
    """A parameter that cannot be used as given (an empty reason, a malformed period …)."""


class Busy(ServiceError):
    """The database stayed locked by other writers for too long; trying again later will work."""


class PeriodLocked(ServiceError):
    """The period is locked: nothing may be imported into it or rolled back in it."""

    def __init__(self, message: str, period: str, by: str | None, at: object, reason: str | None):
        super().__init__(message)
        self.period = period
        self.by = by
        self.at = at
        self.reason = reason


class ImportRefused(ServiceError):
    """Values that cannot be stored. Every problem found is listed, not only the first."""

    def __init__(self, summary: str, problems: list[Problem]):
        self.summary = summary
        self.problems = problems
        lines = [summary, *(f"  {p}" for p in problems[:50])]
        if len(problems) > 50:
            lines.append(f"  ……另有 {len(problems) - 50} 个问题")
        super().__init__("\n".join(lines))


class Forbidden(ServiceError):
    """The signed-in account's role (or its assigned schemes / categories) does not allow this."""
