"""Fuzzing cell contents (hypothesis): whatever a cell holds, reading never crashes, every problem is
located, and a cell reads the same alone (`normalise_cell`) as inside a column (`normalise_column`).
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sheets_corpus import (
    GOOD,
    PERIOD,
    SHEET,
    cell_of,
    fill_wide,
    long_csv,
    make_scheme,
    make_units,
    template,
)

from sheets import normalise_cell, normalise_column, read_scores, rules_for

SCHEME = make_scheme()
UNITS = make_units()
RULES = rules_for(SCHEME)
WIDE = template()
INPUTS = [(code, unit) for unit in GOOD for code in RULES if not RULES[code].only_na]
CELL_LOCATED = {
    "blank", "not_number", "date", "bool", "percent_text", "percent_format", "not_yesno", "na_not_allowed", "negative",
    "out_of_range", "not_integer", "not_finite", "only_na", "formula", "error_value", "checklist_partly_na",
}  # fmt: skip

# Text people (and programs) put in cells: words, numbers with decoration, full-width forms,
# formula-looking strings, yes/no spellings, invisible characters.
_WORDS = st.sampled_from([
    "是", "否", "√", "×", "完成", "未完成", "不适用", "N/A", "60%", "６０", "六十", "92。5", "8分", "3次", "1,234.5",
    "=SUM(A1:A3)", "=1/0", "+1", "-", "@", "#DIV/0!", "#N/A", "TRUE", "nan", "inf", "-inf", "1e309", "1_000",
    " 60 ", "\u200b60", "0x10", "１２．５％", "%50", "—", "／", "", "   ", "\u3000",
])  # fmt: skip
_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=30)
_NUMBERS = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    st.floats(min_value=-200, max_value=200),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.sampled_from([0.0, -0.0, 1e308, -1e308, 5e-324, 1e15, 0.1 + 0.2]),
)
_DATES = st.one_of(st.dates(min_value=dt.date(1900, 3, 1)), st.datetimes(min_value=dt.datetime(1900, 3, 1)))
CELL = st.one_of(_WORDS, _TEXT, _NUMBERS, _DATES, st.booleans(), st.none())


# -- one cell -------------------------------------------------------------------------------------
@given(
    value=st.one_of(CELL, st.integers(), st.floats(), st.sampled_from([math.nan, math.inf, 10**400, dt.time(8, 30)]))
)
@settings(max_examples=400, deadline=None)
def test_a_cell_reads_the_same_alone_and_in_a_column(value):
    for rule in RULES.values():
        cell = normalise_cell(value, rule)
        col = normalise_column(np.array([value, 1.0, ""], dtype=object), rule)
        if cell.kind:
            assert list(col.bad[:1]) == [0] and col.kinds[0] == cell.kind, (value, rule.code)
        else:
            assert 0 not in col.bad, (value, rule.code, col.kinds)
            assert bool(col.na[0]) == cell.na
            if math.isnan(cell.value):
                assert math.isnan(col.value[0])
            else:
                assert col.value[0] == cell.value and rule.lo <= cell.value <= rule.hi


# -- whole sheets ------------------------------------------------------------------------------------
def _located(errors) -> None:
    for e in errors:
        assert e.kind != "internal", str(e)
        assert str(e) and e.problem
        if e.kind in CELL_LOCATED:
            assert e.sheet and e.row and e.column and e.header, e
            assert f"第 {e.row} 行 {e.column} 列" in str(e)
        else:
            assert e.sheet or e.file, e


@given(cells=st.dictionaries(st.sampled_from(INPUTS), CELL, min_size=1, max_size=6))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_fuzzed_wide_sheets_never_crash_and_errors_are_located(cells):
    def edit(wb):
        ws = wb[SHEET]
        for (code, unit), value in cells.items():
            ws[cell_of(code, unit)].value = value  # '=…' becomes a formula without a cached value

    parsed = read_scores(fill_wide(WIDE, edit=edit), SCHEME, period=PERIOD, units=UNITS, file_name="评分.xlsx")
    _located(parsed.errors)
    assert parsed.ok == (not parsed.errors)
    if parsed.ok:  # then every value read is within its leaf's rule
        for r in parsed.values.itertuples():
            rule = RULES[str(r.code)]
            assert r.na or math.isnan(r.value) or rule.lo <= r.value <= rule.hi


@given(rows=st.lists(st.lists(st.one_of(_WORDS, _TEXT.filter(lambda t: "\n" not in t and "\r" not in t)),
                              min_size=0, max_size=5), max_size=8))  # fmt: skip
@settings(max_examples=60, deadline=None)
def test_fuzzed_long_csv_never_crashes(rows):
    data = long_csv(rows)
    parsed = read_scores(data, SCHEME, period=PERIOD, units=UNITS, file_name="scores.csv")
    _located(parsed.errors)


@given(data=st.binary(max_size=2000))
@settings(max_examples=60, deadline=None)
@pytest.mark.parametrize("name", ["x.xlsx", "x.csv"])
def test_random_bytes_are_refused_cleanly(name, data):
    parsed = read_scores(data, SCHEME, period=PERIOD, units=UNITS, file_name=name)
    _located(parsed.errors)
    assert not parsed.ok or len(parsed.values) == 0 or parsed.layout == "long"
