"""Progress of a long export: `progress(fraction, message)` with a fraction from 0 to 1 and a
Chinese sentence saying what is being done (services/export_jobs.py shows it to the person)."""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[float, str], None]


def part(progress: Progress | None, start: float, end: float) -> Progress | None:
    """A callback that maps a step's own 0…1 onto `start`…`end` of `progress` (None stays None,
    so a caller without a progress pays nothing)."""
    if progress is None:
        return None

    def report(fraction: float, message: str) -> None:
        progress(start + (end - start) * min(max(fraction, 0.0), 1.0), message)

    return report
