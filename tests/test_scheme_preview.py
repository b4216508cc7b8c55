"""方案管理's preview on the latest period: the values are read once per state of the period and
each draft is scored once, however often the editor reruns (issue 23)."""

from __future__ import annotations

import pytest
from conftest import SMALL_SCHEME, SmallDb

from scoring import parse_scheme
from services import scheme_admin


def test_the_preview_reads_the_values_once_and_sees_an_import(small: SmallDb, monkeypatch: pytest.MonkeyPatch) -> None:
    small.put("2025-03", {"U1": {"D1": 40, "D2": 20, "K1": 1}, "U2": {"D1": 30, "D2": 20, "K1": 0}})
    reads = []
    real = scheme_admin.current_values
    monkeypatch.setattr(scheme_admin, "current_values", lambda *a, **k: reads.append(a) or real(*a, **k))
    draft = parse_scheme(SMALL_SCHEME)
    first = scheme_admin.preview(draft, engine=small.engine)
    assert scheme_admin.preview(draft, engine=small.engine) is first and len(reads) == 1
    assert dict(zip(first.units["unit"], first.units["total"], strict=True)) == {"U1": 75, "U2": 70}
    stricter = parse_scheme(SMALL_SCHEME.replace("per_occurrence: 5", "per_occurrence: 10"))
    other = scheme_admin.preview(stricter, engine=small.engine)  # another draft: scored, not read again
    assert len(reads) == 1 and dict(zip(other.units["unit"], other.units["total"], strict=True))["U1"] == 70
    small.put("2025-03", {"U2": {"D1": 50}})
    again = scheme_admin.preview(draft, engine=small.engine)
    assert len(reads) == 2 and dict(zip(again.units["unit"], again.units["total"], strict=True))["U2"] == 90
