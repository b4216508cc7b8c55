"""`python manage.py score` with every scheme feature at once, from one long file.

The scheme: a formula over a raw input (建档人数) and the register's 常住人口 (an extra column of
the `--units` file), 同类排名, 逐步提高 against last month (the baseline month is in the same
file; `--period` scores only March), 定性分档 written by label, an all_required checklist,
分类扣分 with 酌情扣分, 酌情加分, 从总分扣分, a 监测指标, ★核心指标 with a grade rule, a target
by category (专科医院 500 m²) and declared subtotals (30 + 40 + 30, 加分 3).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from manage import main

SCHEME = """\
id: cli_all
name: 全功能命令行测试
version: "1"
period_type: month
categories: [综合医院, 专科医院]
bonus_cap: 3
tags:
  - {name: 核心指标, mark: ★}
tag_rules:
  - {tag: 核心指标, below_pct: 60, grade: 合格}
criteria:
  - code: A
    name: 公共卫生
    points: 30
    items:
      - code: A1
        name: 建档率
        method: target
        mode: proportional
        points: 10
        target: 90
        unit: "%"
        tags: [核心指标]
        formula: 建档人数 ÷ 常住人口 × 100
        inputs:
          - {code: A1a, name: 建档人数, unit: 人}
          - {name: 常住人口, source: register}
      - code: A2
        name: 门诊量排名
        method: peer_rank
        points: 10
        bands: [{within: 1, points: 10}]
      - code: A3
        name: 门诊人次
        method: improvement
        points: 10
        compare: previous
        unit: 人次
        improvement: {up: 10, same: 5, down: 0}
        no_baseline: full
  - code: B
    name: 管理
    points: 40
    items:
      - code: B1
        name: 健康教育
        method: levels
        points: 10
        tags: [核心指标]
        levels:
          - {label: 有计划并实施, points: 10}
          - {label: 部分落实, points: 4}
          - {label: 无, points: 0}
      - code: B2
        name: 制度建设
        method: checklist
        points: 10
        all_required: true
        tasks:
          - {code: B2-1, name: 制度上墙}
          - {code: B2-2, name: 台账齐全}
      - code: B3
        name: 信息报告
        method: deduction
        points: 10
        kinds:
          - {code: B3-1, name: 迟报, per_occurrence: 0.5}
          - {code: B3-2, name: 漏报, per_occurrence: 2}
        discretionary_max: 2
        discretionary_code: B3-9
      - code: B4
        name: 业务用房面积
        method: target
        mode: all_or_nothing
        points: 10
        target: 1200
        unit: m²
        variants:
          专科医院: {target: 500}
  - code: C
    name: 其他
    points: 30
    bonus_points: 3
    items:
      - {code: C1, name: 综合评分, method: direct, points: 30}
      - {code: C2, name: 工作创新, method: bonus, discretionary: true, cap: 3}
      - {code: C3, name: 信息报送不及时, method: deduction, from_total: true, per_occurrence: 1, cap: 3}
      - {code: M1, name: 门诊次均费用, method: monitor, unit: 元, valid_min: 0, reference: 250, direction: lower}
"""

UNITS = "单位编码,单位名称,类别,常住人口\n甲,甲医院,综合医院,1000\n乙,乙医院,综合医院,2000\n丙,丙医院,专科医院,500\n"

VALUES = """\
期间,单位,指标编码,数值
2025-02,甲,A3,1000
2025-02,乙,A3,1000
2025-03,甲,A1a,900
2025-03,甲,A2,5000
2025-03,甲,A3,1200
2025-03,甲,B1,有计划并实施
2025-03,甲,B2-1,是
2025-03,甲,B2-2,是
2025-03,甲,B3-1,2
2025-03,甲,B4,1199
2025-03,甲,C1,28
2025-03,甲,C2,1.5
2025-03,甲,M1,240
2025-03,乙,A1a,1200
2025-03,乙,A2,5000
2025-03,乙,A3,1000
2025-03,乙,B1,部分落实
2025-03,乙,B2-1,是
2025-03,乙,B2-2,是
2025-03,乙,B4,1200
2025-03,乙,C1,30
2025-03,乙,C3,2
2025-03,乙,M1,260
2025-03,丙,A1a,500
2025-03,丙,A2,3000
2025-03,丙,A3,800
2025-03,丙,B1,无
2025-03,丙,B2-1,是
2025-03,丙,B2-2,否
2025-03,丙,B3-1,1
2025-03,丙,B3-2,1
2025-03,丙,B3-9,1.5
2025-03,丙,B4,500
2025-03,丙,C1,30
2025-03,丙,C2,3
2025-03,丙,C3,5
"""


def _run(tmp_path: Path, values: str, capsys: pytest.CaptureFixture) -> tuple[int, str, str]:
    for name, text in (("s.yaml", SCHEME), ("u.csv", UNITS), ("v.csv", values)):
        (tmp_path / name).write_text(text, encoding="utf-8")
    code = main(["score", "--scheme", str(tmp_path / "s.yaml"), "--scores", str(tmp_path / "v.csv"),
                 "--units", str(tmp_path / "u.csv"), "--period", "2025-03", "--format", "json"])  # fmt: skip
    out = capsys.readouterr()
    return code, out.out, out.err


def test_every_feature_scored_by_hand(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    code, out, err = _run(tmp_path, VALUES, capsys)
    assert code == 0, err
    rows = {r["unit"]: r for r in json.loads(out)}
    # 甲: A1 900 ÷ 1000 = 90% → 10; A2 5000 ties 乙 for 1st → 10; A3 1200 > 1000 (Feb) → 10;
    # B1 有计划并实施 10; B2 both done 10; B3 迟报 2 × 0.5 → 9; B4 1199 < 1200 → 0; C1 28
    # → 87, + 酌情加分 1.5 = 88.5 (良好; 核心指标 20 of 20).
    assert rows["甲"]["total"] == 88.5 and rows["甲"]["bonus"] == 1.5 and rows["甲"]["grade"] == "良好"
    # 乙: A1 1200 ÷ 2000 = 60% → 10 × 60/90 = 6.667; A2 10; A3 1000 = Feb's 1000 → 持平 5; B1 部分落实 4;
    # B2 10; B3 none 10; B4 10; C1 30 → 85.667, − 2 from the total = 83.67: 良好 by points, but
    # 核心指标 (6.667 + 4) of 20 = 53.3% < 60% caps it at 合格.
    assert rows["乙"]["total"] == 83.67 and rows["乙"]["grade"] == "合格"
    assert rows["乙"]["grade_cap_reason"] == "核心指标得分率 53.3%，低于 60%：等级至多评为合格"
    # 丙 (专科医院): A1 500 ÷ 500 = 100% → 10; A2 alone in its group → 1st, 10; A3 no February → full 10;
    # B1 无 0; B2 one task not done → 0 (all_required); B3 0.5 + 2 + 酌情 1.5 = 4 → 6; B4 500 meets
    # 专科医院's 500 → 10; C1 30 → 76; + 3 bonus (capped) − 3 (5 times, capped at 3) = 76, below 80.
    assert rows["丙"]["total"] == 76.0 and rows["丙"]["bonus"] == 3.0 and rows["丙"]["bottom"] is True
    assert [rows[u]["rank"] for u in "甲乙丙"] == [1, 2, 1]  # 丙 is alone among 专科医院
    assert {r["period"] for r in rows.values()} == {"2025-03"}  # February only served as the baseline


def test_monitor_values_change_no_total(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    code, out, err = _run(tmp_path, VALUES.replace("甲,M1,240", "甲,M1,99999"), capsys)
    assert code == 0, err
    assert {r["unit"]: r["total"] for r in json.loads(out)} == {"甲": 88.5, "乙": 83.67, "丙": 76.0}


def test_bad_cells_of_every_new_kind_are_all_located(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    bad = (
        "期间,单位,指标编码,数值\n2025-03,甲,A1a,-5\n2025-03,甲,B1,2\n2025-03,甲,B2-1,也许\n"
        "2025-03,甲,B3-1,1.5\n2025-03,甲,B3-9,3\n2025-03,甲,C2,4\n2025-03,甲,M1,-1\n2025-03,甲,A2,高\n"
    )
    code, out, err = _run(tmp_path, bad, capsys)
    assert code != 0 and out == ""
    assert "有 8 处错误" in err
    where = "表「v.csv」第 {} 行 D 列"
    for row, text in [
        (2, "「建档人数」: '-5' 是负数，应为 不小于 0 的数字\n"),  # a count, not a percentage
        (3, "「健康教育」: '2' 不是允许的档次（有计划并实施 10 分 / 部分落实 4 分 / 无 0 分）"),
        (4, "「制度上墙」: '也许' 不是「是/否」"),
        (5, "「迟报」: '1.5' 不是整数"),
        (6, "「酌情扣分」: '3' 超出范围，应为 0–2 之间的分数"),
        (7, "「工作创新」: '4' 超出范围，应为 0–3 之间的分数"),
        (8, "「门诊次均费用」: '-1' 是负数"),
        (9, "「门诊量排名」: '高' 不是数字"),
    ]:
        assert where.format(row) + text in err
    assert "Traceback" not in err
