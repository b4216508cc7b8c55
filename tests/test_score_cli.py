"""`python manage.py score`: a long-format file scored without a database, in JSON or as a table."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from manage import main

SCHEME = """\
id: cli_test
name: 命令行测试方案
version: "1"
period_type: month
total: 100
decimals: 1
criteria:
  - code: A
    name: 综合
    items:
      - {code: A1, name: 服务规范, method: direct, points: 60}
      - {code: A2, name: 建档率, method: target, points: 40, mode: proportional, target: 80}
  - code: V
    name: 否决
    items:
      - {code: V1, name: 重大医疗事故, method: veto}
"""


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    scheme = tmp_path / "scheme.yaml"
    scheme.write_text(SCHEME, encoding="utf-8")
    # Chinese headers; 甲 and 乙 are in one peer group, 丙 alone in another.
    scores = tmp_path / "scores.csv"
    scores.write_text(
        "单位,指标编码,数值,期间\n"
        "甲,A1,50,2025-03\n甲,A2,80,2025-03\n甲,V1,否,2025-03\n"
        "乙,A1,55,2025-03\n乙,A2,40,2025-03\n乙,V1,否,2025-03\n"
        "丙,A1,60,2025-03\n丙,A2,100,2025-03\n丙,V1,是,2025-03\n",
        encoding="utf-8",
    )
    units = tmp_path / "units.csv"
    units.write_text("单位编码,单位名称,类别\n甲,甲中心,城区\n乙,乙中心,城区\n丙,丙中心,乡镇\n", encoding="utf-8")
    return {"scheme": scheme, "scores": scores, "units": units}


def run(capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str, str]:
    code = main(["score", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_json_has_totals_ranks_grades_and_flags(files: dict[str, Path], capsys: pytest.CaptureFixture) -> None:
    code, out, _ = run(
        capsys, "--scheme", str(files["scheme"]), "--scores", str(files["scores"]),
        "--units", str(files["units"]), "--format", "json",
    )  # fmt: skip
    assert code == 0
    rows = {r["unit"]: r for r in json.loads(out)}
    # 甲: 50 + 40 × 80/80 = 90; 乙: 55 + 40 × 40/80 = 75 (below 80); 丙: 100 but vetoed.
    assert rows["甲"]["total"] == 90.0 and rows["甲"]["grade"] == "优秀" and rows["甲"]["rank"] == 1
    assert rows["乙"]["total"] == 75.0 and rows["乙"]["bottom"] is True and rows["乙"]["rank"] == 2
    assert rows["丙"]["veto"] is True and rows["丙"]["grade"] == "不合格"
    assert {rows[u]["category"] for u in rows} == {"城区", "乡镇"}
    for row in rows.values():
        assert {"unit", "category", "period", "total", "rank", "grade", "bottom", "veto"} <= row.keys()
        assert row["period"] == "2025-03"


def test_without_units_all_form_one_peer_group(files: dict[str, Path], capsys: pytest.CaptureFixture) -> None:
    code, out, _ = run(capsys, "--scheme", str(files["scheme"]), "--scores", str(files["scores"]), "--format", "json")
    assert code == 0
    ranks = {r["unit"]: r["rank"] for r in json.loads(out)}
    assert ranks == {"甲": 1, "乙": 2, "丙": 3}  # the vetoed unit is ranked last


def test_table_output_to_a_file(files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out_file = tmp_path / "result.txt"
    code, out, _ = run(
        capsys, "--scheme", str(files["scheme"]), "--scores", str(files["scores"]), "--out", str(out_file)
    )
    assert code == 0 and out == ""
    text = out_file.read_text(encoding="utf-8")
    assert "总分" in text and "90.0" in text and "否决" in text


def test_bad_values_exit_non_zero_with_located_messages(files: dict[str, Path], capsys: pytest.CaptureFixture) -> None:
    files["scores"].write_text("单位,指标编码,数值\n甲,A1,六十\n甲,A2,80\n甲,V1,否\n", encoding="utf-8")
    code, out, err = run(capsys, "--scheme", str(files["scheme"]), "--scores", str(files["scores"]))
    assert code != 0 and out == ""
    assert "六十" in err and "第 2 行" in err
    assert "Traceback" not in err


def test_a_wrong_scheme_names_the_indicator_and_field(files: dict[str, Path], capsys: pytest.CaptureFixture) -> None:
    files["scheme"].write_text(SCHEME.replace("target: 80", "target: -5"), encoding="utf-8")
    code, _, err = run(capsys, "--scheme", str(files["scheme"]), "--scores", str(files["scores"]))
    assert code != 0
    assert "一级指标「综合」 › 指标 A2「建档率」的「目标值」: 必须大于 0" in err


def test_missing_files_and_periods_are_reported(files: dict[str, Path], capsys: pytest.CaptureFixture) -> None:
    code, _, err = run(capsys, "--scheme", str(files["scheme"]), "--scores", "nope.csv")
    assert code != 0 and "nope.csv" in err
    code, _, err = run(
        capsys, "--scheme", str(files["scheme"]), "--scores", str(files["scores"]), "--period", "2025-04"
    )
    assert code != 0 and "2025-04" in err


def test_na_on_a_checklists_own_code_is_scored(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """A long file with 不适用 on the checklist's own code: rescaled over the other 60 points."""
    scheme = tmp_path / "scheme.yaml"
    scheme.write_text(
        SCHEME.replace(
            "      - {code: A2, name: 建档率, method: target, points: 40, mode: proportional, target: 80}\n",
            "      - {code: A2, name: 任务清单, method: checklist, points: 40, allow_na: true,\n"
            "         tasks: [{code: A2-1, name: 报告及时, points: 20}, {code: A2-2, name: 按月宣教, points: 20}]}\n",
        ),
        encoding="utf-8",
    )
    scores = tmp_path / "scores.csv"
    scores.write_text("单位,指标编码,数值,期间\n甲,A1,45,2025-03\n甲,A2,不适用,2025-03\n甲,V1,否,2025-03\n", "utf-8")
    code, out, err = run(capsys, "--scheme", str(scheme), "--scores", str(scores), "--format", "json")
    assert code == 0, err
    (row,) = json.loads(out)
    assert row["total"] == 75.0  # 45 of the 60 points that apply, as a score out of 100
