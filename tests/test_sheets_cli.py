"""`python manage.py template` and `validate`: files written, exit codes, located errors printed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from sheets_corpus import SHEET

from manage import main

ROOT = Path(__file__).resolve().parents[1]
SCHEME = str(ROOT / "data" / "schemes" / "community_monthly.yaml")


@pytest.fixture
def units_csv(tmp_path: Path) -> Path:
    """The demo's community centres plus a village clinic (outside the scheme's category)."""
    path = tmp_path / "units.csv"
    path.write_text(
        "单位编码,单位名称,类别,别名\n"
        "C01,城关街道社区卫生服务中心,社区卫生服务中心,城关中心\n"
        "C02,东城街道社区卫生服务中心,社区卫生服务中心,\n"
        "V01,东湖村卫生室,村卫生室,\n",
        encoding="utf-8-sig",
    )
    return path


@pytest.fixture
def run(capsys: pytest.CaptureFixture):
    def go(*argv: str) -> tuple[int, str, str]:
        code = main([str(a) for a in argv])
        out, err = capsys.readouterr()
        return code, out, err

    return go


def _template(run, units_csv: Path, tmp_path: Path, layout: str = "wide") -> Path:
    out = tmp_path / f"评分表-{layout}.xlsx"
    code, stdout, _err = run("template", "--scheme", SCHEME, "--period", "2025-03", "--units", units_csv,
                             "--layout", layout, "--out", out)  # fmt: skip
    assert code == 0 and out.is_file()
    assert f"已生成 {out}：2 个单位（另有 1 个单位不属于本方案适用类别，未列入）" in stdout
    return out


def _fill_all(path: Path, edit=None) -> Path:
    """Fill every input cell of a wide template with a plausible value, as a person would."""
    wb = openpyxl.load_workbook(path)
    ws = wb[SHEET]
    for col in range(3, ws.max_column + 1):
        req = str(ws.cell(6, col).value or "")
        code = str(ws.cell(7, col).value)
        for row in (8, 9):
            if "是/否" in req or "一票否决" in req:
                ws.cell(row, col).value = "否"
            elif "填次数" in req:
                ws.cell(row, col).value = 0
            elif "填实际值" in req:
                ws.cell(row, col).value = 88.5
            elif req.startswith(tuple("0123456789")) and not code.endswith("说明"):
                ws.cell(row, col).value = 1
    if edit:
        edit(wb)
    out = path.with_name("filled-" + path.name)
    wb.save(out)
    return out


def test_template_writes_both_layouts(run, units_csv, tmp_path):
    wide = openpyxl.load_workbook(_template(run, units_csv, tmp_path))
    assert wide.sheetnames[:2] == ["评分", "说明"]
    assert [wide["评分"].cell(r, 1).value for r in (8, 9, 10)] == ["C01", "C02", None]
    per_unit = openpyxl.load_workbook(_template(run, units_csv, tmp_path, "per-unit"))
    assert per_unit.sheetnames[:2] == ["城关街道社区卫生服务中心", "东城街道社区卫生服务中心"]


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--period", "2025-Q1"], "期间 2025-Q1 不是月度期间"),
        (["--period", "2025-03", "--scheme", "nope.yaml"], "方案文件有误"),
        (["--period", "2025-03", "--units", "missing.csv"], "找不到单位清单"),
    ],
)
def test_template_bad_arguments_exit_2(run, units_csv, tmp_path, argv, words):
    base = {"--scheme": SCHEME, "--units": str(units_csv), "--out": str(tmp_path / "x.xlsx")}
    for flag, value in zip(argv[::2], argv[1::2], strict=True):
        base[flag] = value
    code, _out, err = run("template", *[x for kv in base.items() for x in kv])
    assert code == 2
    assert words in err and "Traceback" not in err
    assert not (tmp_path / "x.xlsx").exists()


def test_validate_passes_a_good_sheet(run, units_csv, tmp_path):
    filled = _fill_all(_template(run, units_csv, tmp_path))
    code, out, err = run("validate", "--scheme", SCHEME, "--period", "2025-03", "--units", units_csv, filled)
    assert (code, err) == (0, "")
    assert "检查通过（宽表（每行一个单位），2 个单位" in out


def test_validate_lists_located_errors_and_exits_1(run, units_csv, tmp_path):
    wb = openpyxl.load_workbook(_template(run, units_csv, tmp_path))
    cols = {str(c.value): c.column_letter for c in wb[SHEET][7] if c.value}

    def edit(wb):
        wb[SHEET][f"{cols['A1']}8"] = "六十"
        wb[SHEET][f"{cols['A2']}9"] = 120

    filled = _fill_all(_template(run, units_csv, tmp_path), edit)
    annotated = tmp_path / "标注.xlsx"
    code, out, err = run("validate", "--scheme", SCHEME, "--period", "2025-03", "--units", units_csv,
                         "--annotate", annotated, filled)  # fmt: skip
    assert code == 1 and out == ""
    lines = err.strip().splitlines()
    assert lines[0] == f"{filled.name}：发现 2 处错误，整份表格不能导入："
    assert lines[1].strip().startswith(f"表「评分」第 8 行 {cols['A1']} 列「") and "'六十' 不是数字" in lines[1]
    assert lines[2].strip().startswith(f"表「评分」第 9 行 {cols['A2']} 列「") and "'120' 超出范围" in lines[2]
    marked = openpyxl.load_workbook(annotated)
    assert marked.sheetnames[0] == "校验结果"
    assert "不是数字" in marked[SHEET][f"{cols['A1']}8"].comment.text


def test_validate_period_mismatch_and_refused_file(run, units_csv, tmp_path):
    filled = _fill_all(_template(run, units_csv, tmp_path))
    code, _out, err = run("validate", "--scheme", SCHEME, "--period", "2025-04", "--units", units_csv, filled)
    assert code == 1 and "表「评分」第 2 行 B 列「考核期间」: 表中期间为 2025-03，与所选期间 2025-04 不一致" in err
    bad = tmp_path / "坏文件.xlsx"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    code, _out, err = run("validate", "--scheme", SCHEME, "--period", "2025-03", "--units", units_csv,
                          "--annotate", tmp_path / "a.xlsx", bad)  # fmt: skip
    assert code == 1 and "文件「坏文件.xlsx」: 文件已损坏" in err and "Traceback" not in err
    code, _out, err = run("validate", "--scheme", SCHEME, "--period", "2025-03", "--units", units_csv,
                          tmp_path / "nothing.xlsx")  # fmt: skip
    assert code == 2 and "找不到文件" in err


def test_validate_long_csv_with_unknown_unit(run, units_csv, tmp_path):
    path = tmp_path / "scores.csv"
    path.write_text("单位,指标编码,数值\n城关中心,A1,8\n城关社区,A1,8\n", encoding="utf-8")
    code, _out, err = run("validate", "--scheme", SCHEME, "--period", "2025-03", "--units", units_csv, path)
    assert code == 1
    assert (
        "表「scores.csv」第 3 行 A 列「单位」: 单位 '城关社区' 不在单位清单中（您是不是要找：城关街道社区卫生服务中心"
        in err
    )


def test_manage_py_as_a_process(units_csv, tmp_path):
    """The real entry point: exit code and Chinese output through a subprocess."""
    out = tmp_path / "t.xlsx"
    done = subprocess.run([sys.executable, "manage.py", "template", "--scheme", SCHEME, "--period", "2025-03",
                           "--units", str(units_csv), "--out", str(out)], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    done = subprocess.run([sys.executable, "manage.py", "validate", "--scheme", SCHEME, "--period", "2025-03",
                           "--units", str(units_csv), str(out)], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    assert done.returncode == 1
    assert "没有填写任何评分数据" in done.stderr
