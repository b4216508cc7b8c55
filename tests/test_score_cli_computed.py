"""`python manage.py score` with a computed indicator: raw inputs under their own codes, the
register figure (常住人口) from the units file's extra columns, dated or not."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from manage import main

SCHEME = """\
id: cli_formula
name: 计算指标
version: "1"
period_type: month
criteria:
  - code: A
    name: 公共卫生
    items:
      - code: A1
        name: 建档率
        method: target
        points: 10
        mode: proportional
        target: 90
        unit: "%"
        formula: 建档人数 ÷ 常住人口 × 100
        inputs:
          - {code: A1a, name: 建档人数}
          - {name: 常住人口, source: register}
      - {code: F, name: 其他, method: direct, points: 90}
"""


def _run(tmp_path: Path, units: str, capsys: pytest.CaptureFixture) -> tuple[int, str, str]:
    (tmp_path / "s.yaml").write_text(SCHEME, encoding="utf-8")
    (tmp_path / "v.csv").write_text(
        "单位,指标编码,数值,期间\n甲,A1a,27,2025-03\n甲,F,90,2025-03\n乙,A1a,36,2025-03\n乙,F,90,2025-03\n",
        encoding="utf-8",
    )
    (tmp_path / "u.csv").write_text(units, encoding="utf-8")
    code = main(["score", "--scheme", str(tmp_path / "s.yaml"), "--scores", str(tmp_path / "v.csv"),
                 "--units", str(tmp_path / "u.csv"), "--format", "json"])  # fmt: skip
    out = capsys.readouterr()
    return code, out.out, out.err


def test_figures_from_dated_and_undated_columns(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    # 甲: 2024's 30 (2026 is after the period) → 90% = target, 100. 乙: undated 60 → 60%: 90 + 10 × 60/90.
    units = "单位编码,单位名称,类别,常住人口(2024),常住人口（2026）\n甲,甲中心,城区,30,1\n乙,乙中心,城区,,\n"
    units = units.replace("常住人口（2026）\n", "常住人口（2026）,常住人口\n").replace("30,1\n", "30,1,\n")
    units = units.replace("乙,乙中心,城区,,\n", "乙,乙中心,城区,,,60\n")
    code, out, err = _run(tmp_path, units, capsys)
    assert code == 0, err
    rows = {r["unit"]: r["total"] for r in json.loads(out)}
    assert rows == {"甲": 100.0, "乙": pytest.approx(96.67)}


def test_a_zero_or_missing_figure_is_refused_with_its_unit(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    code, _, err = _run(tmp_path, "单位编码,单位名称,常住人口\n甲,甲中心,0\n乙,乙中心,\n", capsys)
    assert code != 0
    assert "单位「甲」 指标 A1: 「常住人口」为 0，无法计算「建档率」" in err
    assert "单位「乙」 指标 A1: 单位清单中没有「常住人口」（2025年或更早）的数字，无法计算「建档率」" in err


def test_a_figure_that_is_not_a_number_names_its_line(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    code, _, err = _run(tmp_path, "单位编码,单位名称,常住人口\n甲,甲中心,三十\n乙,乙中心,40\n", capsys)
    assert code != 0
    assert "第 2 行「常住人口」: '三十' 不是大于或等于 0 的数字" in err
