"""Where a draft starts: the next version of a stored scheme, a copy under a new key, or an empty
skeleton. Pure (no Streamlit): the page offers these, the loader validates what comes of them."""

from __future__ import annotations

import copy
import re
from collections.abc import Collection
from typing import Any

_LAST_NUMBER = re.compile(r"(\d+)(?!.*\d)")
KEY_PATTERN = re.compile(r"[a-z][a-z0-9_]{1,39}")


def next_version(version: str, taken: Collection[str] = ()) -> str:
    """The version after `version`: its last number counted up (2025.1 → 2025.2, v3 → v4), or
    「.1」 appended when it has none; never one already in `taken`."""
    candidate = version
    while candidate == version or candidate in taken:
        m = _LAST_NUMBER.search(candidate)
        if m is None:
            candidate = f"{candidate}.1"
        else:
            candidate = candidate[: m.start()] + str(int(m.group(1)) + 1) + candidate[m.end() :]
    return candidate


def key_problem(key: str, taken: Collection[str]) -> str | None:
    """Why `key` cannot name a new scheme (it is the scheme's id, kept in file names and links)."""
    if not KEY_PATTERN.fullmatch(key):
        return "方案编码须以小写英文字母开头，由小写字母、数字和下划线组成，2–40 个字符（如 township_2026）"
    if key in taken:
        return f"方案编码 {key} 已被其他方案使用，请换一个"
    return None


def copy_key(key: str, taken: Collection[str]) -> str:
    """A free key for a copy of scheme `key`: key_copy, key_copy2, …"""
    base = f"{key}_copy"[:36]
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}{n}"
    return candidate


def copy_of(data: dict[str, Any], key: str, name: str, version: str) -> dict[str, Any]:
    """A copy of a scheme as written, under a new key, name and version (everything else kept)."""
    out = copy.deepcopy(data)
    out.update({"id": key, "name": name, "version": version})
    return out


def skeleton(key: str, name: str, version: str) -> dict[str, Any]:
    """An empty scheme that loads: one 一级指标 with one direct-score leaf worth the whole 100."""
    return {
        "id": key,
        "name": name,
        "version": version,
        "categories": [],
        "period_type": "year",
        "total": 100,
        "criteria": [
            {
                "code": "A",
                "name": "一级指标",
                "items": [{"code": "A1", "name": "评分细则", "method": "direct", "points": 100}],
            }
        ],
    }
