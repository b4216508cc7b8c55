"""Large sheets are scanned and read on several cores: the results must be those of one pass.

- `scan_chunks` (a part scanned in pieces by several threads as it is inflated) finds what the
  streaming `SheetScanner` finds, whatever the piece boundaries cut through;
- a sheet cut into row bands and read by calamine band by band gives the rows and merged ranges
  calamine gives for the whole sheet, and an upload read that way gives the same values.
"""

from __future__ import annotations

import dataclasses
import gc
import io
import re
import zipfile

import pytest
import python_calamine
import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sheets_corpus import PERIOD, fill_per_unit, fill_wide, make_scheme, make_units, rezip, template

from sheets import bands, read_scores, xmlscan
from sheets.gcpause import paused_gc
from sheets.package import open_workbook
from sheets.xmlscan import SheetScanner, scan_chunks

SHEET = "数据"
PART = "xl/worksheets/sheet1.xml"

_VALUES = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.integers(-1000, 1000),
    st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=8),
    st.sampled_from(['<row r="9">', "是", "&<>\"'", "  "]),
    st.booleans(),
)
_CELLS = st.dictionaries(st.tuples(st.integers(0, 60), st.integers(0, 12)), _VALUES, max_size=80)


def _xlsx(cells: dict, merges: int = 0, blanks: tuple = ()) -> bytes:
    """A workbook with one sheet of `cells`; `merges` merged ranges below them; styled empty cells."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet(SHEET)
    style = book.add_format({"bold": True})
    for (r, c), v in sorted(cells.items()):
        sheet.write(r, c, v)
    for k in range(merges):
        sheet.merge_range(70 + 2 * k, 0, 70 + 2 * k, 2, f"合并{k}", style)
    for r, c in blanks:
        sheet.write_blank(r, c, None, style)
    book.close()
    return out.getvalue()


def _whole(data: bytes) -> tuple[list[list], list]:
    sheet = python_calamine.CalamineWorkbook.from_object(io.BytesIO(data)).get_sheet_by_name(SHEET)
    return sheet.to_python(skip_empty_area=False), list(sheet.merged_cell_ranges or [])


def _banded(data: bytes, n: int):
    zf = zipfile.ZipFile(io.BytesIO(data))
    xml = zf.read(PART)
    pieces = bands.cut(xml, n)
    if pieces is None:  # only when no row starts in the second band: nothing to share out
        start, end = xml.find(b"<sheetData>") + len(b"<sheetData>"), xml.rfind(b"</sheetData>")
        assert xml.rfind(b'<row r="') < start + (end - start) // n
        return None
    return bands.read(bands.other_parts(zf, [PART]), PART, SHEET, pieces)


# -- reading in bands ---------------------------------------------------------------------------
@given(cells=_CELLS, n=st.integers(2, 5), merges=st.integers(0, 2),
       blanks=st.lists(st.tuples(st.integers(0, 90), st.integers(0, 20)), max_size=3))  # fmt: skip
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_a_sheet_read_in_bands_is_the_sheet_read_whole(cells, n, merges, blanks):
    data = _xlsx(cells, merges, tuple(blanks))
    got = _banded(data, n)
    if got is not None:
        assert got == _whole(data)


def test_bands_out_of_order_are_refused_and_the_sheet_is_read_whole(monkeypatch):
    data = _xlsx({(r, 0): r for r in range(40)})
    xml = zipfile.ZipFile(io.BytesIO(data)).read(PART).decode()
    start, end = xml.index("<sheetData>") + len("<sheetData>"), xml.index("</sheetData>")
    rows = xml[start:end].split("</row>")[:-1]
    swapped = "</row>".join(rows[20:] + rows[:20]) + "</row>"  # rows 21-40 written before 1-20
    data = rezip(data, replace={PART: (xml[:start] + swapped + xml[end:]).encode()})
    zf = zipfile.ZipFile(io.BytesIO(data))
    assert bands.read(bands.other_parts(zf, [PART]), PART, SHEET, bands.cut(zf.read(PART), 2)) is None
    monkeypatch.setattr(bands, "MIN_BYTES", 1)
    monkeypatch.setattr(bands, "cores", lambda: 2)
    book = open_workbook(data, "x.xlsx")
    assert book.info(SHEET).xml is not None  # kept for the bands, which were refused
    assert [r[0] for r in book.sheet_rows(SHEET)] == list(range(40))


@pytest.mark.parametrize("odd", [re.compile(r' r="[A-Z]+\d+"'), re.compile(r'<row r="\d+"')])
def test_a_sheet_whose_cells_or_rows_go_unreferenced_is_read_whole(odd, monkeypatch):
    data = _xlsx({(r, c): r * 10 + c for r in range(30) for c in range(3)})
    xml = zipfile.ZipFile(io.BytesIO(data)).read(PART).decode()
    data = rezip(data, replace={PART: odd.sub(lambda m: "<row" if m.group().startswith("<row") else "", xml).encode()})
    monkeypatch.setattr(bands, "MIN_BYTES", 1)
    monkeypatch.setattr(bands, "cores", lambda: 2)
    monkeypatch.setattr(bands, "read", lambda *a: pytest.fail("cut into bands"))
    assert open_workbook(data, "x.xlsx").sheet_rows(SHEET) == _whole(data)[0]


def test_assemble_pads_offsets_gaps_and_widths():
    top = bands.Band((0, 0), (1, 1), [[1, 2], [3, ""]], [])
    empty = bands.Band(None, None, [], [])
    low = bands.Band((4, 2), (5, 3), [["a", "b"], ["", "c"]], [])
    assert bands.assemble([top, empty, low]) == [
        [1, 2, "", ""],
        [3, "", "", ""],
        ["", "", "", ""],
        ["", "", "", ""],
        ["", "", "a", "b"],
        ["", "", "", "c"],
    ]
    assert bands.assemble([low, top]) is None
    assert bands.assemble([empty]) == []


def test_cut_needs_a_sheet_data_element_with_rows():
    assert bands.cut(b"<worksheet><sheetData/></worksheet>", 2) is None
    assert bands.cut(b'<worksheet><sheetData><row r="1"></row></sheetData></worksheet>', 1) is None


# -- scanning in stretches ----------------------------------------------------------------------
def _scan_streaming(xml: bytes, chunk: int) -> xmlscan.SheetScan:
    scanner = SheetScanner(frozenset({3}))
    for i in range(0, len(xml), chunk):
        scanner.feed(xml[i : i + chunk])
    return scanner.finish()


_ODD_XML = [
    # prefixes, references out of their usual place, formulas, errors, logical and percent cells,
    # comments and a second sheetData: every flag the scan raises
    b'<x:row r="3"><x:c r="B3"><x:v>1</x:v></x:c></x:row>',
    b'<row r="4" spans="1:2"><c s="3" r="C4"><v>0.5</v></c><c r="D4" t="e"><v>#N/A</v></c></row>',
    b'<row r="5"><c r="E5" t="b"><v>1</v></c><c r="F5"><f>A1+1</f></c><c r="AB5" s="3"><v>2</v></c></row>',
    b'<!-- <row r="999"> --><row><c><v>7</v></c></row><?pi x?>',
    b'<row r="1048577"><c r="XFD7"><v>1</v></c></row>',
]


@pytest.mark.parametrize("odd", [b"", *_ODD_XML])
@pytest.mark.parametrize("threads", [1, 2, 3])
def test_scanning_in_stretches_finds_what_one_pass_finds(odd, threads, monkeypatch):
    rows = b"".join(b'<row r="%d"><c r="A%d" t="s"><v>0</v></c><c r="Z%d"><v>%d</v></c></row>' % (r, r, r, r)
                    for r in range(6, 400))  # fmt: skip
    xml = b'<?xml version="1.0"?><worksheet><sheetData>' + odd + rows + b"</sheetData></worksheet>"
    expected = _scan_streaming(xml, 4 << 20)
    for span in (36, 64, 1000):  # piece boundaries falling inside tags and references
        monkeypatch.setattr(xmlscan, "_SPAN", span)
        for chunk in (5, 36, 4096):
            scan, whole = scan_chunks((xml[i : i + chunk] for i in range(0, len(xml), chunk)), frozenset({3}), threads)
            assert whole == xml
            assert dataclasses.asdict(scan) == dataclasses.asdict(expected)
    assert dataclasses.asdict(_scan_streaming(xml, 13)) == dataclasses.asdict(expected)


def test_the_scan_counts_sheet_data_and_markup():
    plain = _scan_streaming(b'<?xml?><worksheet><sheetData><row r="1"/></sheetData></worksheet>', 1 << 20)
    assert (plain.sheet_data, plain.markup) == (1, False)
    odd = _scan_streaming(b"<?xml?><worksheet><sheetData/><!-- x --><sheetData></sheetData></worksheet>", 1 << 20)
    assert (odd.sheet_data, odd.markup) == (2, True)


# -- an upload read in bands --------------------------------------------------------------------
@pytest.mark.parametrize("layout", ["wide", "per-unit"])
def test_an_upload_read_in_bands_gives_the_values_read_whole(layout, monkeypatch):
    scheme, units = make_scheme(), make_units()
    data = fill_wide(template()) if layout == "wide" else fill_per_unit(template("per-unit"))
    whole = read_scores(data, scheme, period=PERIOD, units=units, file_name="评分.xlsx")
    assert not whole.errors

    calls = []
    real_read = bands.read
    monkeypatch.setattr(bands, "MIN_BYTES", 1)
    monkeypatch.setattr(bands, "cores", lambda: 3)
    monkeypatch.setattr(bands, "read", lambda *a: calls.append(a[2]) or real_read(*a))
    banded = read_scores(data, scheme, period=PERIOD, units=units, file_name="评分.xlsx")
    assert calls, "the score sheet was not read in bands"
    assert not banded.errors
    assert banded.values.equals(whole.values)
    assert banded.locations.equals(whole.locations)


def test_a_large_sheet_keeps_its_xml_for_the_bands(monkeypatch):
    monkeypatch.setattr(bands, "MIN_BYTES", 1)
    book = open_workbook(_xlsx({(r, 0): r for r in range(10)}), "x.xlsx")
    info = book.info(SHEET)
    assert info.xml == zipfile.ZipFile(io.BytesIO(book.data)).read(info.part)
    assert (info.scan.max_row, info.scan.max_col, info.scan.sheet_data) == (10, 1, 1)


# -- the cyclic collector, paused while large uploads are read ------------------------------------
def test_the_collector_resumes_when_the_last_overlapping_read_ends():
    assert gc.isenabled()
    first, second = paused_gc(), paused_gc()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    assert not gc.isenabled()  # the second read is still going
    second.__exit__(None, None, None)
    assert gc.isenabled()


def test_a_collector_switched_off_before_stays_off():
    gc.disable()
    try:
        with paused_gc():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
