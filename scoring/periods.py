"""Period labels: months '2026-03', quarters '2026-Q1', years '2026'. They sort as strings."""

from __future__ import annotations

import re

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")


def period_type(label: str) -> str | None:
    """'month', 'quarter', 'year', or None for a label that is none of them."""
    for name, pattern in (("month", _MONTH), ("quarter", _QUARTER), ("year", _YEAR)):
        if pattern.match(label):
            return name
    return None


def quarter_of(label: str) -> str:
    m = _MONTH.match(label)
    if not m:
        raise ValueError(f"'{label}' 不是月份（应为 2026-03 这样的格式）")
    return f"{m.group(1)}-Q{(int(m.group(2)) - 1) // 3 + 1}"


def year_of(label: str) -> str:
    if not period_type(label):
        raise ValueError(f"'{label}' 不是期间（应为 2026-03、2026-Q1 或 2026）")
    return label[:4]


def period_name(label: str) -> str:
    """Chinese display name: 2026年3月, 2026年第1季度, 2026年度."""
    kind = period_type(label)
    if kind == "month":
        return f"{label[:4]}年{int(label[5:])}月"
    if kind == "quarter":
        return f"{label[:4]}年第{label[-1]}季度"
    if kind == "year":
        return f"{label}年度"
    return label


def previous_period(label: str) -> str | None:
    """The period before, of the same type: 2026-01 → 2025-12, 2026-Q1 → 2025-Q4, 2026 → 2025.
    None for a label that is not a period (a frame without periods has no earlier period)."""
    kind = period_type(label)
    if kind is None:
        return None
    year = int(label[:4])
    if kind == "month":
        month = int(label[5:])
        return f"{year - 1}-12" if month == 1 else f"{year}-{month - 1:02d}"
    if kind == "quarter":
        q = int(label[-1])
        return f"{year - 1}-Q4" if q == 1 else f"{year}-Q{q - 1}"
    return str(year - 1)


def same_period_last_year(label: str) -> str | None:
    """上年同期: 2026-03 → 2025-03, 2026-Q1 → 2025-Q1, 2026 → 2025; None for a non-period."""
    if period_type(label) is None:
        return None
    return f"{int(label[:4]) - 1}{label[4:]}"


def baseline_period(label: str, compare: str) -> str | None:
    """The period a `compare: previous | last_year` leaf measures `label` against."""
    return previous_period(label) if compare == "previous" else same_period_last_year(label)
