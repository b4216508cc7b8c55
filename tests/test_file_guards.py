"""Every file a page or command accepts goes through the upload guards; merged ranges are bounded.

The hostile workbooks are generated here (small builders below): a unit register with one cell
in XFD1048576 (aborted the whole process), a register zip bomb (parsed in full), and merged-cell
bombs (5,000 × A1:XFD40; one merge over A2:XFD1048576) that made the header search and the
annotated copy (openpyxl) run for minutes or exhaust memory. Each hostile case runs in a child
process with its address space capped (RLIMIT_AS) and a timeout: it must end normally, in
seconds, with a Chinese message.
"""

from __future__ import annotations

import io
import os
import re
import resource
import subprocess
import sys
import textwrap
import time
import zipfile
from dataclasses import replace
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import xlsxwriter
import yaml
from sheets_corpus import PERIOD, SHEET, good_wide, make_scheme, make_units, rezip, scheme_dict, sheet_xml
from streamlit.testing.v1 import AppTest
from test_pages import app, demo_url  # noqa: F401 - fixtures

from services.catalog import list_units
from services.errors import InvalidInput
from services.unit_register import read_unit_register
from sheets import annotate_workbook, read_scores
from sheets.limits import DEFAULT_LIMITS
from sheets.package import PackageRefused, open_workbook
from sheets.text import column_letter
from sheets.xmlscan import MergeScanner

ROOT = Path(__file__).resolve().parents[1]
CAP = 1536 << 20  # address space of a child running a hostile file
SECONDS = 45  # "in seconds", generous for a loaded machine; the old code took minutes
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHEET_PART = "xl/worksheets/sheet1.xml"
REGISTER = [["编码", "名称", "类别", "人口"], ["N01", "新建卫生室", "社区卫生服务中心", 1200]]


# -- builders --------------------------------------------------------------------------------------
def xlsx(cells: dict[tuple[int, int], object]) -> bytes:
    """A one-sheet workbook (xlsxwriter) with `cells` at their 0-based (row, column)."""
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    ws = wb.add_worksheet("单位")
    for (r, c), v in cells.items():
        ws.write(r, c, v)
    wb.close()
    return buf.getvalue()


def register_cells(rows: list[list[object]] = REGISTER) -> dict[tuple[int, int], object]:
    return {(r, c): v for r, row in enumerate(rows) for c, v in enumerate(row)}


def with_merges(data: bytes, refs: list[str], part: str = SHEET_PART) -> bytes:
    """`data` with the sheet's merged ranges replaced by `refs` (written as given, overlaps and all)."""
    xml = re.sub(r"<mergeCells.*?</mergeCells>", "", sheet_xml(data, part), flags=re.S)
    merges = f'<mergeCells count="{len(refs)}">' + "".join(f'<mergeCell ref="{r}"/>' for r in refs) + "</mergeCells>"
    return rezip(data, replace={part: xml.replace("</sheetData>", "</sheetData>" + merges, 1).encode()})


def with_far_cell(data: bytes, ref: str, part: str = SHEET_PART) -> bytes:
    """`data` with one more cell (text) at `ref`, in a row below the others."""
    row = re.sub(r"\D", "", ref)
    cell = f'<row r="{row}"><c r="{ref}" t="inlineStr"><is><t>x</t></is></c></row>'
    return rezip(data, replace={part: sheet_xml(data, part).replace("</sheetData>", cell + "</sheetData>").encode()})


def zip_bomb(data: bytes, inflated: int = 64 << 20, part: str = SHEET_PART) -> bytes:
    """`data` with its sheet padded by `inflated` bytes of spaces after the cells, streamed into the zip."""
    xml = sheet_xml(data, part).encode()
    head, tail = xml.split(b"</sheetData>", 1)
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            if info.filename != part:
                z.writestr(info.filename, src.read(info.filename))
                continue
            with z.open(part, "w", force_zip64=True) as f:
                f.write(head + b"</sheetData>")
                for _ in range(inflated >> 20):
                    f.write(b" " * (1 << 20))
                f.write(tail)
    return out.getvalue()


def merge_bomb() -> bytes:
    """A filled scoresheet, its used range widened to XFD40 by one cell, 5,000 × A1:XFD40 merged."""
    return with_merges(with_far_cell(good_wide(), "XFD40"), ["A1:XFD40"] * 5000)


def distinct_merge_bomb() -> bytes:
    """As `merge_bomb`, but 5,000 different ranges: nothing to fold, they cover ~2.7 billion cells."""
    refs = [f"A1:{column_letter(11000 + i)}40" for i in range(5000)]
    return with_merges(with_far_cell(good_wide(), "XFD40"), refs)


def sheet_merge() -> bytes:
    """A filled scoresheet with one merge over A2:XFD1048576 (17 billion cells)."""
    return with_merges(good_wide(), ["A1:N1", "A2:XFD1048576"])


# -- a child process under a memory cap -------------------------------------------------------------
def _cap() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (CAP, CAP))


def run_capped(argv: list[str]) -> tuple[subprocess.CompletedProcess, float]:
    """Run `python argv…` from the repository with the address space capped; (result, seconds)."""
    start = time.monotonic()
    env = {"PYTHONPATH": f"{ROOT}:{ROOT / 'tests'}", "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
           "HOME": os.environ.get("HOME", "/tmp"), "LANG": "C.UTF-8"}  # fmt: skip
    done = subprocess.run([sys.executable, *argv], cwd=ROOT, capture_output=True, text=True, timeout=SECONDS * 3,
                          preexec_fn=_cap, env=env)  # fmt: skip
    return done, time.monotonic() - start


_READ_REGISTER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from services.errors import InvalidInput
    from services.unit_register import read_unit_register
    path = Path(sys.argv[1])
    try:
        frame = read_unit_register(path.name, path.read_bytes())
    except InvalidInput as exc:
        print("REFUSED", exc)
    else:
        print("READ", ",".join(frame["code"]))
    """
)

_READ_SCORES = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from sheets_corpus import PERIOD, make_scheme, make_units
    from sheets import read_scores
    path = Path(sys.argv[1])
    parsed = read_scores(path.read_bytes(), make_scheme(), period=PERIOD, units=make_units(), file_name=path.name)
    for e in parsed.errors:
        print("ERROR", e)
    """
)


def _chinese(text: str) -> bool:
    return re.search(r"[\u4e00-\u9fff]", text) is not None


def _survives(done: subprocess.CompletedProcess, seconds: float) -> None:
    assert "Traceback" not in done.stderr and "MemoryError" not in done.stderr, done.stderr[-2000:]
    assert done.returncode >= 0, f"killed by signal {-done.returncode}: {done.stderr[-2000:]}"
    assert seconds < SECONDS, f"took {seconds:.0f} s"


# -- the unit register ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("case", "build", "words"),
    [
        ("far-cell", lambda: xlsx(register_cells() | {(1048575, 16383): "x"}), "有 1048576 行，超过上限"),
        ("zip-bomb", lambda: zip_bomb(xlsx(register_cells())), "解压后体积异常"),
    ],
)
def test_a_hostile_register_is_refused_in_seconds_under_a_memory_cap(tmp_path: Path, case, build, words) -> None:
    path = tmp_path / f"{case}.xlsx"
    path.write_bytes(build())
    done, seconds = run_capped(["-c", _READ_REGISTER, str(path)])
    _survives(done, seconds)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("REFUSED 无法读取单位清单 "), done.stdout
    assert words in done.stdout and "未做任何修改" in done.stdout


def test_a_register_with_merged_cell_bombs_reads_in_seconds_under_a_memory_cap(tmp_path: Path) -> None:
    bombs = {
        "repeated": with_merges(xlsx(register_cells() | {(0, 16383): "备注"}), ["A1:XFD40"] * 5000),
        "sheet": with_merges(xlsx(register_cells()), ["A2:XFD1048576"]),
    }
    for case, data in bombs.items():
        path = tmp_path / f"{case}.xlsx"
        path.write_bytes(data)
        done, seconds = run_capped(["-c", _READ_REGISTER, str(path)])
        _survives(done, seconds)
        assert done.stdout.strip() == "READ N01", (case, done.stdout, done.stderr[-2000:])


def test_a_register_zip_bomb_on_the_page_changes_nothing(app: AppTest) -> None:  # noqa: F811
    before = list_units()
    app.switch_page("pages/admin_units.py").run()
    app.file_uploader(key="units_file").set_value(("单位.xlsx", zip_bomb(xlsx(register_cells())), XLSX)).run()
    assert not app.exception, app.exception
    message = app.error[0].value
    assert message.startswith("无法读取单位清单 单位.xlsx：文件解压后体积异常") and "未做任何修改" in message
    assert not any(b.key == "units_import" for b in app.button)
    pd.testing.assert_frame_equal(list_units(), before)


def test_a_register_csv_is_bounded_and_its_encoding_checked() -> None:
    header = "编码,名称,类别\n"
    gbk = (header + "N01,新建卫生室,村卫生室\n").encode("gbk")
    assert read_unit_register("单位.csv", gbk)["name"].tolist() == ["新建卫生室"]
    with pytest.raises(InvalidInput, match="无法识别文本编码（支持 UTF-8、GBK 和 UTF-16）"):
        read_unit_register("单位.csv", header.encode() + b"N01,\xff\xff,X\n")
    lines = header.encode() + b"N01,A,B\n" * (DEFAULT_LIMITS.max_rows + 1)
    with pytest.raises(InvalidInput, match=f"超过上限 {DEFAULT_LIMITS.max_rows} 行"):
        read_unit_register("单位.csv", lines)
    big = header.encode() + b"N01,A,B," + b"x" * DEFAULT_LIMITS.max_bytes + b"\n"
    with pytest.raises(InvalidInput, match="超过上限 20.0 MB"):
        read_unit_register("单位.csv", big)
    with pytest.raises(InvalidInput, match="单位清单缺少列：类别"):
        read_unit_register("单位.csv", "编码,名称\nN01,A\n".encode())


def test_a_real_register_still_reads_with_its_rows_located() -> None:
    rows = [["单位编码", "单位名称", "类别", "服务人口", "启用", "别名"],
            ["N01", "新建卫生室", "村卫生室", 1200, "是", "新室|卫生室N01"],
            [None, None, None, None, None, None],
            ["N02", "另一个", "村卫生室", "六十", "也许", ""]]  # fmt: skip
    data = xlsx({k: v for k, v in register_cells(rows).items() if v is not None})
    with pytest.raises(InvalidInput) as refused:
        read_unit_register("单位.xlsx", data)
    assert "第 4 行「人口」: '六十' 不是非负整数" in str(refused.value)
    assert "第 4 行「启用」: '也许' 应为 是 或 否" in str(refused.value)
    rows[3][3:5] = [60, "否"]
    frame = read_unit_register("单位.xlsx", xlsx({k: v for k, v in register_cells(rows).items() if v is not None}))
    assert frame["code"].tolist() == ["N01", "N02"] and frame["population"].tolist() == [1200, 60]
    assert frame["active"].tolist() == [True, False]
    assert frame["aliases"].iloc[0] == "新室|卫生室N01" and pd.isna(frame["aliases"].iloc[1])


# -- merged-cell bombs in a scoresheet ------------------------------------------------------------
@pytest.mark.parametrize("case", ["repeated", "distinct", "sheet"])
def test_upload_validation_of_a_merged_cell_bomb_ends_in_seconds_under_a_memory_cap(tmp_path: Path, case) -> None:
    build = {"repeated": merge_bomb, "distinct": distinct_merge_bomb, "sheet": sheet_merge}[case]
    path = tmp_path / f"{case}.xlsx"
    path.write_bytes(build())
    done, seconds = run_capped(["-c", _READ_SCORES, str(path)])
    _survives(done, seconds)
    assert done.returncode == 0 and done.stdout.startswith("ERROR "), (done.stdout, done.stderr[-2000:])
    assert all(_chinese(line) for line in done.stdout.splitlines())
    if case == "distinct":
        assert done.stdout.startswith(f"ERROR 表「{SHEET}」: 合并单元格覆盖约 "), done.stdout
        assert f"最大的一处为 A1:{column_letter(15999)}40" in done.stdout


def test_too_many_merged_ranges_are_refused_with_the_sheet_named() -> None:
    data = with_merges(good_wide(), [f"A{r}:B{r}" for r in range(1, DEFAULT_LIMITS.max_merges + 2)])
    parsed = read_scores(data, make_scheme(), period=PERIOD, units=make_units(), file_name="评分.xlsx")
    assert [str(e) for e in parsed.errors] == [
        f"表「{SHEET}」: 合并单元格超过 10,000 处（上限）"
        "（可能有合并区域被大量重复或误选了整行整列：请取消多余的合并单元格后另存再上传）"
    ]


def test_a_merged_range_that_cannot_be_read_is_refused() -> None:
    data = with_merges(good_wide(), ["A1:N1", "A1:ZZZZ5"])
    parsed = read_scores(data, make_scheme(), period=PERIOD, units=make_units(), file_name="评分.xlsx")
    assert [e.problem for e in parsed.errors] == ["文件已损坏，无法读取（合并单元格的位置无效）"]
    assert parsed.errors[0].sheet == SHEET


def test_a_whole_row_title_merge_still_reads_and_annotates() -> None:
    """Selecting row 1 and merging it (A1:XFD1) is what people do: clipped, it changes nothing."""
    data = with_merges(good_wide(), [m for m in _template_merges() if m != "A1:N1"] + ["A1:XFD1"])
    parsed = read_scores(data, make_scheme(), period=PERIOD, units=make_units(), file_name="评分.xlsx")
    assert parsed.errors == [] and len(parsed.values)
    bad = with_merges(with_far_cell(good_wide(), "C30"), ["A1:XFD1", "A3:A6"])
    parsed = read_scores(bad, make_scheme(), period=PERIOD, units=make_units(), file_name="评分.xlsx")
    assert parsed.errors
    out = annotate_workbook(bad, parsed.errors, file_name="评分.xlsx")
    assert merge_refs(out) == ["A1:N1", "A3:A6"]
    marked = openpyxl.load_workbook(io.BytesIO(out))[SHEET]
    assert sorted(map(str, marked.merged_cells.ranges)) == ["A1:N1", "A3:A6"]


def _template_merges() -> list[str]:
    return re.findall(r'<mergeCell ref="([^"]+)"', sheet_xml(good_wide()))


# -- validate --annotate ----------------------------------------------------------------------------
@pytest.fixture
def validate_args(tmp_path: Path) -> list[str]:
    scheme = tmp_path / "scheme.yaml"
    scheme.write_text(yaml.safe_dump(scheme_dict(), allow_unicode=True), encoding="utf-8")
    units = tmp_path / "units.csv"
    make_units().to_csv(units, index=False, encoding="utf-8-sig")
    return ["manage.py", "validate", "--scheme", str(scheme), "--period", PERIOD, "--units", str(units)]


@pytest.mark.parametrize("case", ["repeated", "distinct", "sheet"])
def test_validate_annotate_of_a_merged_cell_bomb_ends_with_a_message_under_a_memory_cap(
    tmp_path: Path, validate_args: list[str], case: str
) -> None:
    build = {"repeated": merge_bomb, "distinct": distinct_merge_bomb, "sheet": sheet_merge}[case]
    path = tmp_path / f"{case}.xlsx"
    path.write_bytes(build())
    target = tmp_path / "标注.xlsx"
    done, seconds = run_capped([*validate_args, "--annotate", str(target), str(path)])
    _survives(done, seconds)
    assert done.returncode == 1 and f"{path.name}：发现 " in done.stderr, done.stderr[-2000:]
    if case == "distinct":  # refused: no copy, and the reason said in Chinese
        assert "未生成标注副本：合并单元格覆盖约 " in done.stderr and not target.exists()
    else:  # clipped to the used range: the copy is written, its merges inside the cells used
        assert merge_refs(target.read_bytes()) == (["A1:XFD40"] if case == "repeated" else ["A1:N1", "A2:N11"])


def merge_refs(data: bytes, sheet: str = SHEET) -> list[str]:
    """The merged ranges of `sheet` as written (not through openpyxl: it would fill A1:XFD40 for minutes)."""
    part = open_workbook(data, "x.xlsx").info(sheet).part
    return sorted(re.findall(r'<mergeCell ref="([^"]+)"', sheet_xml(data, part)))


def test_annotate_refuses_a_workbook_too_large_for_openpyxl() -> None:
    small = replace(DEFAULT_LIMITS, max_annotate_cells=100)
    with pytest.raises(PackageRefused, match="超过生成标注副本的上限 100，未生成标注副本"):
        annotate_workbook(good_wide(), [], file_name="评分.xlsx", limits=small)


# -- the merge scan itself --------------------------------------------------------------------------
def test_the_merge_scan_reads_tags_cut_anywhere_between_chunks() -> None:
    xml = (
        b'<worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>mergeCell ref="Z9:Z99"</t></is></c></row>'
        b'</sheetData><mergeCells count="3"><mergeCell ref="A1:N1"/><x:mergeCell  ref = \'$c$3:$a$2\' />'
        b'<mergeCell ref="B7"></mergeCell></mergeCells></worksheet>'
    )
    want = [((0, 0), (0, 13)), ((1, 0), (2, 2)), ((6, 1), (6, 1))]
    splits = [[xml[:cut], xml[cut:]] for cut in range(len(xml) + 1)] + [[xml[i : i + 1] for i in range(len(xml))]]
    for chunks in splits:
        scan = MergeScanner(100)
        for chunk in chunks:
            scan.feed(chunk)
        assert (scan.ranges, scan.count, scan.malformed) == (want, 3, False), chunks


def test_the_merge_scan_flags_what_it_cannot_read() -> None:
    for tag in (b'<mergeCell ref="A1:B"/>', b"<mergeCell/>", b'<mergeCell ref="&#65;1:B2"/>'):
        scan = MergeScanner(100)
        scan.feed(b"<mergeCells>" + tag + b"</mergeCells>")
        assert scan.malformed, tag


# -- files named on the command line --------------------------------------------------------------
def test_a_units_file_named_on_the_command_line_is_bounded(tmp_path: Path, validate_args: list[str],
                                                          capsys: pytest.CaptureFixture) -> None:  # fmt: skip
    from manage import main

    units = tmp_path / "big-units.csv"
    units.write_bytes(
        "单位编码,单位名称,类别\n".encode() + b"U01,A,B\n" * ((DEFAULT_LIMITS.max_bytes + (1 << 20)) >> 3)
    )
    args = [*validate_args[1:]]
    args[args.index("--units") + 1] = str(units)
    sheet = tmp_path / "评分.xlsx"
    sheet.write_bytes(good_wide())
    assert main([*args, str(sheet)]) == 2
    err = capsys.readouterr().err
    assert err.strip() == "单位清单 big-units.csv：文件大小 21.0 MB 超过上限 20.0 MB", err


@pytest.mark.parametrize(
    "data",
    [b"PK\x03\x04" + bytes(200), good_wide()[: len(good_wide()) // 2]],
    ids=["zip header only", "workbook cut in half"],
)
def test_a_broken_workbook_is_described_in_chinese_not_in_the_librarys_words(data: bytes) -> None:
    # zipfile / calamine say "File is not a zip file" and the like: that goes to the log only.
    with pytest.raises(InvalidInput) as refused:
        read_unit_register("单位.xlsx", data)
    with pytest.raises(PackageRefused) as upload:
        open_workbook(data, DEFAULT_LIMITS).sheet_rows(SHEET)
    for text in (str(refused.value), upload.value.problem):
        assert "文件已损坏" in text
        assert not re.search(r"[A-Za-z]{3,}", text.replace("Excel", "").replace("单位.xlsx", "")), text
