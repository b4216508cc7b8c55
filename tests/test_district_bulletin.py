"""全区通报 (issue 21 part 4): the official 通报 in Word and the 全区 Excel workbook — every published
scheme of a period, the published numbers with each scheme's decimals, never the draft; the
export-bulletin command; on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import docx
import openpyxl
import pandas as pd
import pytest
from conftest import SmallDb
from sqlalchemy import Engine

from exports.bulletin_docx import write_district_docx
from exports.district_xlsx import SUMMARY_SHEET, sheet_names
from reports.bulletin import OBJECTION_COLUMNS, RectificationSummary
from reports.district import DistrictBulletin
from services.audit import audit_log
from services.district_bulletin import (
    DEFAULT_BUREAU,
    district_docx,
    district_workbook,
    gather,
    published_schemes,
)
from services.errors import Forbidden, NotFound
from services.meeting import meeting_bulletin
from services.permissions import Actor
from services.publishing import publish
from services.results import published_only, results

MONTH = "2025-12"
AT = datetime(2026, 1, 8, 9, 30)
VIEWER = Actor(1, "ld", "领导甲", "viewer")
OWN = Actor(2, "c03", "西城中心", "unit", unit_code="C03")
ADMIN = Actor(3, "admin2", "管理员乙", "admin")
LATIN = re.compile(r"[A-Za-z]")


def text_of(document: docx.document.Document) -> list[str]:
    """Every visible text of the document: paragraphs, table cells, footers."""
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        lines += [cell.text for row in table.rows for cell in row.cells]
    for section in document.sections:
        lines += [p.text for p in section.footer.paragraphs]
    return lines


def table_rows(table) -> list[list[str]]:  # noqa: ANN001
    return [[cell.text for cell in row.cells] for row in table.rows]


def open_docx(data: bytes) -> docx.document.Document:
    return docx.Document(io.BytesIO(data))


# -- the Word 通报 on the demo district ----------------------------------------------------------------
def test_the_word_bulletin_holds_every_published_scheme_with_the_pages_numbers(demo_database: Engine) -> None:
    published = published_schemes(MONTH, engine=demo_database)
    assert [key for key, _ in published] == ["community_monthly", "hospital_monthly", "village_monthly"]
    district, data = district_docx(MONTH, actor="李四", at=AT, engine=demo_database)
    document = open_docx(data)
    lines = text_of(document)
    body = "\n".join(lines)
    assert "关于2025年12月全区卫生健康单位绩效考核情况的通报" in lines
    assert "〔2026〕　　号" in lines and DEFAULT_BUREAU in lines and "2026年1月8日" in lines
    for heading in ("一、总体情况", "二、末位及一票否决情况", "三、未达标指标情况", "四、申诉处理情况"):
        assert heading in lines
    assert "五、整改落实情况" in lines and "六、工作要求" in lines
    assert len(document.tables) == len(published) == len(district.parts)
    for (key, name), table in zip(published, document.tables, strict=True):
        assert f"{name}2025年12月考核排名表" in lines
        with published_only():
            units = results(key, MONTH, engine=demo_database).units
        d = district.parts[[p.scheme.id for p in district.parts].index(key)].scheme.decimals
        shown = meeting_bulletin(key, MONTH, engine=demo_database).ranking  # what the meeting page lists
        rows = table_rows(table)
        assert rows[0][:2] == ["名次", "单位"] and rows[0][-4:] == ["总分", "等级", "较上期", "标记"]
        assert [r[1] for r in rows[1:]] == shown["name"].tolist()
        assert [r[-4] for r in rows[1:]] == [f"{t:.{d}f}" for t in shown["total"]]
        published_totals = dict(zip(units["name"], units["total"], strict=True))
        assert {r[1]: r[-4] for r in rows[1:]} == {n: f"{t:.{d}f}" for n, t in published_totals.items()}
        mean = f"平均 {units['total'].mean():.{d}f} 分"
        assert mean in body
    # the 末位 unit of each scheme is named with its consequence; no English, None or scheme key
    assert "西城街道社区卫生服务中心（社区卫生服务中心，71.98 分，合格）：末位" in body
    assert "处理：月通报点名，限期整改" in body
    assert not [line for line in lines if LATIN.search(line)], "English, None or a scheme key in the text"


def test_the_word_bulletin_is_a4_with_page_numbers_and_chinese_fonts(demo_database: Engine) -> None:
    _, data = district_docx(MONTH, ["community_monthly"], actor="李四", at=AT, engine=demo_database)
    document = open_docx(data)
    section = document.sections[0]
    assert round(section.page_width.cm, 1) == 21.0 and round(section.page_height.cm, 1) == 29.7
    footer = section.footer._element.xml
    assert 'w:fldCharType="begin"' in footer and "<w:instrText" in footer and " PAGE " in footer
    assert 'w:fldCharType="end"' in footer
    fonts = {}
    for name in ("通报正文", "通报一级标题", "通报二级标题", "通报标题", "Normal"):
        rfonts = document.styles[name].element.rPr.rFonts
        fonts[name] = rfonts.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia")
    assert fonts == {
        "通报正文": "仿宋",
        "通报一级标题": "黑体",
        "通报二级标题": "楷体",
        "通报标题": "宋体",
        "Normal": "仿宋",
    }
    body = [p for p in document.paragraphs if p.style.name == "通报正文" and p.text.startswith("为推动")]
    assert body and body[0].style.font.size.pt == 16
    # the chosen scheme only
    assert len(document.tables) == 1
    assert "区级医院月度绩效考核" not in "\n".join(text_of(document))


def test_a_veto_appears_with_its_consequence(demo_database: Engine) -> None:
    _, data = district_docx("2025-08", actor="李四", at=AT, engine=demo_database)
    document = open_docx(data)
    body = "\n".join(text_of(document))
    vetoed = re.search(r"文昌街道社区卫生服务中心（社区卫生服务中心，[\d.]+ 分，[^）]+）：一票否决[^\n]*", body)
    assert vetoed is not None and "取消评先评优资格" in vetoed.group(0)
    flags = [r for r in table_rows(document.tables[0]) if r[1] == "文昌街道社区卫生服务中心"]
    assert flags and "一票否决" in flags[0][-1]


def test_an_annual_period_holds_the_annual_schemes(demo_database: Engine) -> None:
    district, data = district_docx("2025", actor="李四", at=AT, engine=demo_database)
    assert {p.scheme.id for p in district.parts} == {"staff_annual", "township_annual"}
    body = "\n".join(text_of(open_docx(data)))
    assert "关于2025年度全区卫生健康单位绩效考核情况的通报" in body
    assert "名职工" in body  # the staff scheme counts people, not units


def test_choices_permission_and_audit(demo_database: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(NotFound, match="没有考核方案「nope」"):
        district_docx(MONTH, ["nope"], "李四", engine=demo_database)
    with pytest.raises(NotFound, match="职工年度考核的考核结果尚未发布"):
        district_docx(MONTH, ["community_monthly", "staff_annual"], "李四", engine=demo_database)
    with pytest.raises(NotFound, match="没有已发布的考核结果"):
        district_docx("2019-01", None, "李四", engine=demo_database)
    with pytest.raises(Forbidden):
        district_docx(MONTH, by=OWN, engine=demo_database)
    with pytest.raises(Forbidden):
        district_workbook(MONTH, by=OWN, engine=demo_database)
    assert audit_log(action="export", engine=demo_database).empty
    monkeypatch.setenv("ASSESS_BUREAU_NAME", "清河区卫生健康局")
    district, _ = district_docx(MONTH, by=VIEWER, engine=demo_database)
    assert district.bureau == "清河区卫生健康局"
    district_workbook(MONTH, by=VIEWER, engine=demo_database)
    log = audit_log(action="export", engine=demo_database)
    assert log["actor"].tolist() == ["领导甲（ld）"] * 2
    assert set(log["target"]) == {f"district:{MONTH}"}
    messages = set(log["message"])
    names = "社区卫生服务中心月度绩效考核、区级医院月度绩效考核、村卫生室月度考核"
    assert f"导出 2025年12月 全区考核通报（Word，{names}）" in messages
    assert f"导出 2025年12月 全区考核通报（Excel，{names}）" in messages


# -- the 全区 Excel workbook --------------------------------------------------------------------------
def test_the_district_workbook_has_a_summary_and_one_sheet_per_scheme(demo_database: Engine) -> None:
    district, data = district_workbook(MONTH, actor="李四", at=AT, engine=demo_database)
    wb = openpyxl.load_workbook(io.BytesIO(data))
    names = [p.scheme.name for p in district.parts]
    assert wb.sheetnames == [SUMMARY_SHEET, *names]
    summary = list(wb[SUMMARY_SHEET].iter_rows(min_row=3, max_row=2 + len(names), values_only=True))
    for row, part in zip(summary, district.parts, strict=True):
        b, d = part.bulletin, part.scheme.decimals
        with published_only():
            units = results(part.scheme.id, MONTH, engine=demo_database).units
        assert row[0] == part.scheme.name and row[1] == len(units)
        assert row[2] == round(units["total"].mean(), d) and row[4] == units["total"].max()
        assert row[6] == int(units["bottom"].sum()) and row[7] == int(units["veto"].sum()) and row[8] == len(b.unmet)
        ranking = [r for r in wb[part.scheme.name].iter_rows(min_row=3, values_only=True) if r[0] is not None]
        assert [r[3] for r in ranking] == b.ranking["name"].tolist()
        assert [r[5] for r in ranking] == b.ranking["total"].tolist()
    cells = [c for r in wb[SUMMARY_SHEET].iter_rows(values_only=True) for c in r if c is not None]
    assert "末位与一票否决（各方案合并）" in cells and "西城街道社区卫生服务中心" in cells and "清河区康复医院" in cells
    assert "李四" in cells
    assert not [c for c in cells if isinstance(c, str) and LATIN.search(c)]  # no codes, keys or None


def test_sheet_names_are_valid_and_distinct() -> None:
    long = "很长的方案名称" * 6
    names = sheet_names(["甲/乙:方案", long, long, "全区"])
    assert names[0] == "甲_乙_方案" and len(names[1]) == 31 and names[2].endswith("（2）") and len(names[2]) <= 31
    assert names[3] != SUMMARY_SHEET and len(set(names)) == 4


# -- published only, never the draft (the small scheme: values stated cell by cell) ---------------
def test_only_published_results_never_the_draft(small: SmallDb) -> None:
    p = "2025-03"
    small.put(p, {u: {"D1": 40, "D2": 20, "K1": 1} for u in ("U1", "U2", "U3", "U4")})
    with pytest.raises(NotFound, match="没有已发布的考核结果"):
        district_docx(p, None, "李四", engine=small.engine)
    publish("t", p, by=ADMIN, engine=small.engine)
    small.put(p, {"U1": {"D1": 10, "D2": 5, "K1": 0}})  # a draft change, not published
    draft = results("t", p, engine=small.engine)
    assert draft.draft and draft.units.set_index("unit").loc["U1", "total"] == 35  # what the draft says
    district, data = district_docx(p, None, "李四", engine=small.engine)
    rows = table_rows(open_docx(data).tables[0])
    totals = {r[1]: r[-4] for r in rows[1:]}
    assert totals["甲中心"] == "75.00"  # published: 40 + 20 + (20 - 5), not the draft's 10 + 5 + 20
    _, book = district_workbook(p, None, "李四", engine=small.engine)
    ranking = openpyxl.load_workbook(io.BytesIO(book))["测试方案"]
    assert 35 not in [r[5] for r in ranking.iter_rows(min_row=3, values_only=True)]


# -- the writer: 申诉 and 整改 sections, odd text ----------------------------------------------------------
def test_objections_and_rectification_are_written_when_there_are_any(demo_database: Engine) -> None:
    _, district = gather(MONTH, ["community_monthly"], "李四", engine=demo_database)
    part = district.parts[0]
    objections = pd.DataFrame(
        [["C03", "西城街道社区卫生服务中心", "处方合格率", "数据录入有误", "已更正", "核实后更正为 96%"]],
        columns=OBJECTION_COLUMNS,
    )
    rect = RectificationSummary(
        as_of=date(2026, 1, 5),
        issued=3,
        accepted=1,
        submitted=1,
        overdue=1,
        overdue_units=[("西城街道社区卫生服务中心", 1)],
        overdue_tasks=[("西城街道社区卫生服务中心", "处方点评", date(2026, 1, 1), "已下达")],
    )
    bulletin = replace(part.bulletin, objections=objections, rectification=rect)
    data = write_district_docx(DistrictBulletin(MONTH, "区卫生健康局", [replace(part, bulletin=bulletin)]), AT)
    body = "\n".join(text_of(open_docx(data)))
    assert "共收到申诉 1 件：已更正 1 件。" in body
    assert "西城街道社区卫生服务中心对「处方合格率」提出申诉，已更正：核实后更正为 96%。" in body
    assert "共下达整改任务 3 项，已验收 1 项，整改完成率 50.0%" in body and "整改完成率 = 已验收" in body
    # a control character in a unit's name cannot break the document
    names = bulletin.ranking.assign(name=bulletin.ranking["name"].str.replace("西城", "西\x07城"))
    odd = replace(bulletin, ranking=names)
    data = write_district_docx(DistrictBulletin(MONTH, "区卫生健康局", [replace(part, bulletin=odd)]), AT)
    assert "西城街道社区卫生服务中心" in "\n".join(text_of(open_docx(data)))


@pytest.mark.parametrize("demo_database", ["sqlite"], indirect=True)
def test_libreoffice_renders_the_word_bulletin(demo_database: Engine, tmp_path: Path) -> None:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("本机没有安装 LibreOffice（soffice），跳过渲染检查")
    _, data = district_docx(MONTH, actor="李四", at=AT, engine=demo_database)
    source = tmp_path / "通报.docx"
    source.write_bytes(data)
    subprocess.run(
        [soffice, "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(source)],
        check=True,
        timeout=300,
        capture_output=True,
    )
    pdf = tmp_path / "通报.pdf"
    assert pdf.exists() and pdf.stat().st_size > 10_000
    if shutil.which("pdftotext"):  # poppler: read the rendered pages back
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True, timeout=60)
        pages = [re.sub(r"\s", "", page) for page in text.stdout.decode("utf-8").split("\f")]
        assert "关于2025年12月全区卫生健康单位绩效考核情况的通报" in pages[0]
        assert "—1—" in pages[0] and "—2—" in pages[1]  # the PAGE field, filled in on every page
        assert any("区级医院月度绩效考核2025年12月考核排名表" in page for page in pages)


# -- the command --------------------------------------------------------------------------------------
@pytest.mark.parametrize("demo_database", ["sqlite"], indirect=True)
def test_export_bulletin_command_writes_word_and_district_excel(
    demo_database: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from conftest import url_of

    from manage import main

    monkeypatch.setenv("DATABASE_URL", url_of(demo_database))
    out = tmp_path / "通报.docx"
    assert main(["export-bulletin", "--format", "docx", "--period", MONTH, "--out", str(out), "--by", "李四"]) == 0
    said = capsys.readouterr().out
    assert "已导出 2025年12月 全区考核通报（Word，社区卫生服务中心月度绩效考核、区级医院月度绩效考核" in said
    assert len(open_docx(out.read_bytes()).tables) == 3 and not list(tmp_path.glob("*.part"))

    book = tmp_path / "全区.xlsx"
    args = ["export-bulletin", "--period", MONTH, "--out", str(book), "--scheme", "community_monthly,hospital_monthly"]
    assert main(args) == 0
    assert openpyxl.load_workbook(book).sheetnames == ["全区", "社区卫生服务中心月度绩效考核", "区级医院月度绩效考核"]
    one = tmp_path / "一个方案.docx"  # the format from the file's extension, one scheme chosen
    assert main(["export-bulletin", "--period", MONTH, "--scheme", "hospital_monthly", "--out", str(one)]) == 0
    assert len(open_docx(one.read_bytes()).tables) == 1
    capsys.readouterr()

    assert main(["export-bulletin", "--format", "docx", "--period", MONTH, "--out", str(tmp_path / "x.xlsx")]) == 2
    assert "输出文件应以 .docx 结尾" in capsys.readouterr().err
    assert main(["export-bulletin", "--period", "2019-01", "--out", str(out)]) == 2
    assert "2019年1月（2019-01）没有已发布的考核结果" in capsys.readouterr().err
    assert main(["export-bulletin", "--period", MONTH, "--scheme", "staff_annual", "--out", str(out)]) == 2
    assert "职工年度考核的考核结果尚未发布" in capsys.readouterr().err


def test_numbers_carry_the_schemes_decimals_and_missing_ones_show_a_dash() -> None:
    from exports.bulletin_docx import number, signed

    assert number(92.944, 2) == "92.94" and number(92.944, 1) == "92.9" and number(90, 0) == "90"
    assert signed(0.55, 2) == "+0.55" and signed(-4.35, 2) == "-4.35"
    assert number(pd.NA, 2) == number(float("nan"), 2) == signed(None, 2) == "—"
