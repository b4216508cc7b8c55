"""`python manage.py scheme export|import`: without a database from YAML files, and with one."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest
import yaml
from conftest import url_of
from sqlalchemy import Engine

from data.demo import SCHEME_DIR
from manage import main
from scoring import load_scheme, parse_scheme
from sheets.scheme_book import layout as L

COMMUNITY = SCHEME_DIR / "community_monthly.yaml"


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture):  # noqa: ANN201
    def run(*argv: str, engine: Engine | None = None) -> tuple[int, str, str]:
        if engine is not None:
            monkeypatch.setenv("DATABASE_URL", url_of(engine))
        else:  # a command that needs no database must not reach for one
            monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
        monkeypatch.setenv("ASSESS_USER", "方案管理员")
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_export_a_yaml_file_and_import_it_back_without_a_database(cli, tmp_path: Path) -> None:  # noqa: ANN001
    book, back = tmp_path / "细则.xlsx", tmp_path / "方案.yaml"
    code, out, _ = cli("scheme", "export", str(COMMUNITY), "--out", str(book))
    assert code == 0 and "已导出「社区卫生服务中心月度绩效考核」版本 2025.1" in out
    code, out, _ = cli("scheme", "import", str(book), "--check")
    assert code == 0 and "校验通过（社区卫生服务中心月度绩效考核 版本 2025.1，共 13 个评分细则）" in out
    assert not back.exists()
    code, out, _ = cli("scheme", "import", str(book), "--out", str(back))
    assert code == 0 and f"已写出方案文件：{back}" in out
    text = back.read_text(encoding="utf-8")
    assert "name: 社区卫生服务中心月度绩效考核" in text  # Chinese left readable
    assert parse_scheme(text).model_dump() == load_scheme(COMMUNITY).model_dump()


def test_a_wrong_workbook_writes_nothing_and_exits_1(cli, tmp_path: Path) -> None:  # noqa: ANN001
    book, back = tmp_path / "细则.xlsx", tmp_path / "方案.yaml"
    cli("scheme", "export", str(COMMUNITY), "--out", str(book))
    wb = openpyxl.load_workbook(book)
    ws = wb[L.PARAMS_SHEET]
    points = next(c for c in range(1, ws.max_column + 1) if ws.cell(1, c).value == "分值")
    ws.cell(2, points).value = "十"
    wb.save(book)
    code, out, err = cli("scheme", "import", str(book), "--out", str(back))
    assert code == 1 and not back.exists() and out == ""
    assert err.splitlines() == [f"{book}：有 1 处问题，未导入", "  评分参数 第 2 行「分值」: '十' 不是数字"]
    code, _, err = cli("scheme", "import", str(tmp_path / "无此文件.xlsx"), "--check")
    assert code == 1 and "找不到或无法读取文件" in err
    other = tmp_path / "自有表格.xlsx"
    foreign = openpyxl.Workbook()
    foreign.active.append(["一级指标", "分值"])
    foreign.save(other)
    code, _, err = cli("scheme", "import", str(other), "--check")  # not ours: read as a draft, which has no rows
    assert code == 1 and "没有找到带分值的评分细则行" in err and "Traceback" not in err


def test_a_table_not_made_here_imports_as_a_draft_written_never_registered(cli, tmp_path: Path) -> None:  # noqa: ANN001
    from scheme_draft_tables import docx_bytes

    table = tmp_path / "评分细则.docx"
    table.write_bytes(
        docx_bytes(
            [
                ["考核项目", "考核内容", "分值", "评分标准"],
                ["一、档案管理", "档案真实性", "10分", "每发现1份不真实档案扣0.5分，扣完为止。"],
            ]
        )
    )
    draft = tmp_path / "草稿.yaml"
    code, out, _ = cli("scheme", "import", str(table), "--out", str(draft))
    assert code == 0 and "识别为扣分项：每次扣 0.5 分" in out
    leaf = yaml.safe_load(draft.read_text(encoding="utf-8"))["criteria"][0]["items"][0]
    assert (leaf["method"], leaf["points"], leaf["per_occurrence"]) == ("deduction", 10, 0.5)
    code, _, err = cli("scheme", "import", str(table))  # a draft is never registered as it stands
    assert code == 1 and "草稿须经人工核对后保存" in err


def test_export_a_stored_scheme_edit_it_and_register_a_new_version(cli, database: Engine, tmp_path: Path) -> None:  # noqa: ANN001
    from services.catalog import register_scheme, scheme_versions

    register_scheme(COMMUNITY.read_text(encoding="utf-8"), "测试员", engine=database)
    book = tmp_path / "细则.xlsx"
    code, out, _ = cli("scheme", "export", "community_monthly", "--version", "9.9", "--out", str(book), engine=database)
    assert code == 1
    code, out, _ = cli("scheme", "export", "community_monthly", "--out", str(book), engine=database)
    assert code == 0, out
    wb = openpyxl.load_workbook(io.BytesIO(book.read_bytes()))
    info = wb[L.INFO_SHEET]
    row = next(r for r in range(2, info.max_row + 1) if info.cell(r, 1).value == "版本")
    info.cell(row, 2).value = "2026.1"
    wb.save(book)
    code, out, err = cli("scheme", "import", str(book), engine=database)
    assert code == 0, err
    assert "已登记方案「社区卫生服务中心月度绩效考核」的新版本 2026.1" in out
    latest = scheme_versions("community_monthly", engine=database)[-1]
    assert latest.version == "2026.1" and latest.note == "由评分细则工作簿「细则.xlsx」导入"
    assert latest.created_by == "方案管理员"
