"""`python manage.py import` on both databases: templates, long files, dry runs, errors, locks."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest
from conftest import url_of
from sqlalchemy import Engine, func, select

from manage import main
from services.results import results
from services.submissions import history
from services.uploads import make_template, version_for
from services.values import current_values
from storage.models import Submission, SubmissionValue

KEY, PERIOD = "community_monthly", "2025-08"


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture):  # noqa: ANN201
    def run(engine: Engine, *argv: str) -> tuple[int, str, str]:
        monkeypatch.setenv("DATABASE_URL", url_of(engine))
        monkeypatch.setenv("ASSESS_USER", "运维员")
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def _counts(engine: Engine) -> tuple[int, int]:
    with engine.connect() as conn:
        return tuple(conn.scalar(select(func.count()).select_from(t)) for t in (Submission, SubmissionValue))


def _template(engine: Engine, path: Path, edit: dict[tuple[str, str], object] | None = None) -> Path:
    """The prefilled wide template of 考核一组 for August, with some cells (unit, code) changed."""
    version = version_for(KEY, PERIOD, engine=engine)
    data = make_template(version.id, PERIOD, "wide", assessor="考核一组", prefill=True, engine=engine)
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb["评分"]
    rows = {ws.cell(r, 1).value: r for r in range(8, ws.max_row + 1)}
    cols = {ws.cell(7, c).value: c for c in range(1, ws.max_column + 1)}
    for (unit, code), value in (edit or {}).items():
        ws.cell(rows[unit], cols[code]).value = value
    wb.save(path)
    return path


def test_dry_run_then_import_then_noop(demo_database: Engine, cli, tmp_path: Path) -> None:  # noqa: ANN001
    path = _template(demo_database, tmp_path / "8月.xlsx", {("C08", "A1"): 2})
    counts = _counts(demo_database)
    code, out, _ = cli(demo_database, "import", "--scheme", KEY, "--period", PERIOD, "--dry-run", str(path))
    assert code == 0, out
    assert "修改 1 个" in out and "C08 新华街道社区卫生服务中心 · A1 门诊服务规范 [考核一组]：8.5 → 2" in out
    assert "C08 新华街道社区卫生服务中心：总分" in out and "试运行" in out
    assert _counts(demo_database) == counts

    code, out, _ = cli(demo_database, "import", "--scheme", KEY, "--period", PERIOD, "--note", "更正", str(path))
    assert code == 0 and "已导入" in out
    latest = history(KEY, PERIOD, engine=demo_database).iloc[0]
    assert (latest["submitted_by"], latest["note"], latest["file_name"]) == ("运维员（命令行）", "更正", "8月.xlsx")
    values = current_values(KEY, PERIOD, engine=demo_database)
    cell = values[(values["unit"] == "C08") & (values["code"] == "A1") & (values["assessor"] == "考核一组")]
    assert cell["value"].tolist() == [2.0]

    code, out, _ = cli(demo_database, "import", "--scheme", KEY, "--period", PERIOD, str(path))
    assert code == 0 and "未重复导入" in out


def test_errors_are_listed_located_and_nothing_is_stored(demo_database: Engine, cli, tmp_path: Path) -> None:  # noqa: ANN001
    path = _template(demo_database, tmp_path / "错.xlsx", {("C02", "A2"): "九十", ("C03", "A1"): 99})
    annotated = tmp_path / "标注.xlsx"
    counts = _counts(demo_database)
    argv = ["import", "--scheme", KEY, "--period", PERIOD, "--annotate", str(annotated), str(path)]
    code, _, err = cli(demo_database, *argv)
    assert code == 1
    assert "发现 2 处错误" in err and "'九十' 不是数字" in err and "'99' 超出范围" in err
    assert "第 9 行 D 列「处方合格率」" in err  # C02 is the second unit row; A2 the second leaf
    assert annotated.is_file() and "校验结果" in openpyxl.load_workbook(annotated).sheetnames
    assert _counts(demo_database) == counts


def test_a_long_csv_goes_into_a_new_period(demo_database: Engine, cli, tmp_path: Path) -> None:  # noqa: ANN001
    """Issue 3's `import`: a long-format file (单位, 指标编码, 数值, 考核人, 备注) into a scheme and period."""
    v = current_values(KEY, PERIOD, engine=demo_database)
    shown = ["不适用" if na else ("" if x != x else f"{x:g}") for x, na in zip(v["value"], v["na"], strict=True)]
    lines = ["单位,指标编码,数值,考核人,备注"] + [
        f"{u},{c},{x},{a},{n}"
        for u, c, x, a, n in zip(v["unit"], v["code"], shown, v["assessor"], v["note"], strict=True)
    ]
    path = tmp_path / "long.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    code, out, _ = cli(demo_database, "import", "--scheme", KEY, "--period", "2026-01", str(path))
    assert code == 0 and "长表" in out and "新参评" in out and "已导入" in out, out
    new = results(KEY, "2026-01", engine=demo_database).units.set_index("unit")["total"]
    old = results(KEY, PERIOD, engine=demo_database).units.set_index("unit")["total"]
    assert new.to_dict() == pytest.approx(old.to_dict())


def test_locked_period_unknown_scheme_and_version(demo_database: Engine, cli, tmp_path: Path) -> None:  # noqa: ANN001
    path = _template(demo_database, tmp_path / "8月.xlsx", {("C01", "A1"): 7})
    assert cli(demo_database, "lock", PERIOD, "--reason", "8月通报已发布")[0] == 0
    counts = _counts(demo_database)
    code, _, err = cli(demo_database, "import", "--scheme", KEY, "--period", PERIOD, str(path))
    assert code == 2 and "8月通报已发布" in err and "不能导入数据" in err
    code, _, err = cli(demo_database, "import", "--scheme", "nope", "--period", PERIOD, str(path))
    assert code == 2 and "方案 nope 尚未登记" in err
    code, _, err = cli(demo_database, "import", "--scheme", KEY, "--version", "9", "--period", PERIOD, str(path))
    assert code == 2 and "没有版本 9" in err and "2025.1" in err
    code, _, err = cli(demo_database, "import", "--scheme", KEY, "--period", "2025-Q3", str(path))
    assert code == 2 and "按月度" in err
    assert _counts(demo_database) == counts
