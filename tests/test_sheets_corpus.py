"""Malformed uploads (tests/sheets_corpus.py, one defect each) → the located message for that defect.

Each case goes through `sheets.read_scores` exactly as an upload does; the error must name the
sheet, row and column letter the corpus states, carry the header, the value found and what was
expected (for cell problems), and the annotated copy must mark that cell with a comment.
"""

from __future__ import annotations

import io
import tracemalloc

import openpyxl
import pytest
from sheets_corpus import (
    GOOD,
    PERIOD,
    SHEET,
    Case,
    cell_of,
    corpus,
    fill_wide,
    make_scheme,
    make_units,
    set_cell,
    template,
)

from sheets import Limits, annotate_workbook, read_scores
from sheets.annotate import REPORT_SHEET
from sheets.package import PackageRefused

CASES = corpus()
# Problems with one cell's content: the message must show the header, the value and what fits.
VALUE_KINDS = {
    "not_number", "negative", "out_of_range", "not_integer", "not_yesno", "na_not_allowed", "date", "bool",
    "percent_text", "percent_format", "error_value",
}  # fmt: skip
BOMBS = [c for c in CASES if "bomb" in c.name or "laughs" in c.name]


@pytest.fixture(scope="module")
def scheme():
    return make_scheme()


@pytest.fixture(scope="module")
def units():
    return make_units()


def _read(case: Case, data: bytes, scheme, units):
    return read_scores(data, scheme, period=case.period, units=units, file_name=case.file_name, limits=case.limits)


def _matching(case: Case, errors):
    return [
        e
        for e in errors
        if e.kind == case.kind
        and case.text in str(e)
        and (case.sheet is None or e.sheet == case.sheet)
        and e.row == case.row
        and e.column == case.column
    ]


def test_the_corpus_is_large_and_names_are_unique():
    assert len(CASES) >= 30
    assert len({c.name for c in CASES}) == len(CASES)
    kinds = {c.kind for c in CASES}
    # Every defect the issue lists has at least one case.
    for kind in ("file", "formula", "unknown_unit", "duplicate_unit", "unit_out_of_scheme", "unknown_column",
                 "missing_column", "not_number", "negative", "out_of_range", "not_yesno", "blank",
                 "period_mismatch", "duplicate_cell"):  # fmt: skip
        assert kind in kinds, kind


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case_yields_its_located_message(case: Case, scheme, units):
    data = case.build()
    parsed = _read(case, data, scheme, units)

    assert not parsed.ok
    assert all(e.kind != "internal" for e in parsed.errors), parsed.error_report()
    hits = _matching(case, parsed.errors)
    assert hits, f"expected {case.kind} at {case.sheet}!{case.column}{case.row} saying {case.text!r}; got:\n" + (
        parsed.error_report()
    )
    e = hits[0]
    text = str(e)
    if case.sheet and e.sheet:
        assert text.startswith(f"表「{case.sheet}」")
    if case.row:
        assert f"第 {case.row} 行" in text
    if case.column:
        assert f"{case.column} 列" in text
    if case.kind in VALUE_KINDS:
        assert e.header and f"「{e.header}」" in text
        assert e.value and (e.value in text or case.kind in ("percent_format", "na_not_allowed"))
        assert e.expected and f"应为 {e.expected}" in text
    if case.kind == "file":
        assert not len(parsed.values) and parsed.layout == ""
        assert case.file_name in text or e.sheet  # the whole file (or the sheet) is named


@pytest.mark.parametrize("case", BOMBS, ids=[c.name for c in BOMBS])
def test_bombs_are_refused_in_bounded_memory(case: Case, scheme, units):
    data = case.build()
    tracemalloc.start()
    try:
        parsed = _read(case, data, scheme, units)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [e.kind for e in parsed.errors] == ["file"]
    assert "拒绝读取" in str(parsed.errors[0])
    # Inflated in 4 MB chunks and stopped at the limit: far below what the part would inflate to.
    assert peak < len(data) + (48 << 20), f"peak {peak / 2**20:.0f} MB"


ANNOTATABLE = [c for c in CASES if c.row and c.kind != "file" and c.sheet]


@pytest.mark.parametrize("case", ANNOTATABLE, ids=[c.name for c in ANNOTATABLE])
def test_annotated_copy_marks_the_cell(case: Case, scheme, units):
    data = case.build()
    parsed = _read(case, data, scheme, units)
    marked = annotate_workbook(data, parsed.errors, file_name=case.file_name)

    wb = openpyxl.load_workbook(io.BytesIO(marked))
    assert wb.sheetnames[0] == REPORT_SHEET
    e = _matching(case, parsed.errors)[0]
    sheet = wb[e.sheet] if e.sheet in wb.sheetnames else wb.worksheets[1]  # a CSV becomes one sheet
    cell = sheet[f"{e.column or 'A'}{e.row}"]
    assert cell.comment is not None and e.problem in cell.comment.text
    assert cell.fill.fgColor.rgb.endswith(("FFC7CE", "FFEB9C"))
    report = wb[REPORT_SHEET]
    listed = [str(report.cell(r, 4).value) for r in range(2, report.max_row + 1)]
    assert str(e) in listed
    link = report.cell(2 + listed.index(str(e)), 3).hyperlink
    assert link is not None and f"!{e.column or 'A'}{e.row}" in link.location


def test_annotating_a_refused_file_refuses_too(scheme, units):
    bomb = next(c for c in CASES if c.name == "xml_entity_bomb")
    with pytest.raises(PackageRefused):
        annotate_workbook(bomb.build(), [], file_name="评分.xlsx")


def test_every_error_is_reported_not_just_the_first(scheme, units):
    edits = [
        set_cell(cell_of("A1", "U01"), "六十"),
        set_cell(cell_of("A2", "U02"), 150),
        set_cell(cell_of("B1-1", "U03"), "差不多"),
        set_cell(cell_of("B2", "U04"), -1),
    ]

    def edit(wb):
        for e in edits:
            e(wb)

    parsed = read_scores(fill_wide(template(), edit=edit), scheme, period=PERIOD, units=units, file_name="评分.xlsx")
    cells = [(e.cell, e.kind) for e in parsed.errors]
    assert cells == [
        (cell_of("A1", "U01"), "not_number"),
        (cell_of("A2", "U02"), "out_of_range"),
        (cell_of("B1-1", "U03"), "not_yesno"),
        (cell_of("B2", "U04"), "negative"),
    ]
    assert all(e.sheet == SHEET for e in parsed.errors)


def test_errors_beyond_the_limit_are_counted(scheme, units):
    values = {u: {**cells, "A1": "坏"} for u, cells in GOOD.items()}
    parsed = read_scores(fill_wide(template(), values), scheme, period=PERIOD, units=units, file_name="评分.xlsx",
                         limits=Limits(max_errors=2))  # fmt: skip
    assert parsed.total_errors == 4
    assert [e.kind for e in parsed.errors] == ["not_number", "not_number", "truncated"]
    assert "只列出前 2 处（共 4 处）" in str(parsed.errors[-1])


def test_suggestion_names_the_closest_units(scheme, units):
    case = next(c for c in CASES if c.name == "unknown_unit_suggests")
    e = _matching(case, _read(case, case.build(), scheme, units).errors)[0]
    assert e.suggestion.startswith("您是不是要找：城关街道社区卫生服务中心")
    assert e.value == "城关社区卫生中心"


def test_large_register_suggestions_are_bounded():
    import pandas as pd

    from sheets.units import SUGGESTIONS, UnitDirectory

    n = 20_000
    directory = UnitDirectory(pd.DataFrame({"code": [f"T{i:05d}" for i in range(n)],
                                            "name": [f"第{i}号乡镇卫生院" for i in range(n)]}))  # fmt: skip
    code, status, names = directory.lookup("第12345号乡镇卫生")
    assert (code, status) == ("", "unknown") and names[0] == "第12345号乡镇卫生院"
    later = [directory.lookup(f"第{i}号卫生所")[2] for i in range(SUGGESTIONS + 5)]
    assert all(later[: SUGGESTIONS - 1]) and later[-5:] == [[]] * 5
