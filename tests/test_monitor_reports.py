"""监测指标 tables (reports/monitor.py) and `manage.py score` on a monitoring-only scheme."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml
from test_monitor import MIXED, ONLY

from manage import main
from reports.monitor import MONITOR_ONLY_NOTE, monitor_series, monitor_spread, monitor_values, monitor_wide
from scoring import scheme_from_dict, score

SCHEME = scheme_from_dict(ONLY)
VALUES = pd.DataFrame(
    [("甲", "M1", 240), ("乙", "M2", 80), ("丙", "M1", 300), ("丁", "M1", 250.04)], columns=["unit", "code", "value"]
)


def _leaves() -> pd.DataFrame:
    return score(SCHEME, VALUES).leaves


def test_wide_table_heads_columns_with_units_and_shows_blanks_as_not_filled() -> None:
    wide = monitor_wide(_leaves(), SCHEME, {"甲": "甲医院"})
    assert list(wide.columns) == ["期间", "单位编码", "单位", "门诊次均费用（元）", "床位使用率（%）"]
    rows = wide.set_index("单位编码")
    assert rows.loc["甲", "单位"] == "甲医院"
    assert rows.loc["甲", "门诊次均费用（元）"] == "240元" and rows.loc["甲", "床位使用率（%）"] == "未填"
    assert rows.loc["丁", "门诊次均费用（元）"] == "250元"  # one decimal: 250.04 shows as 250


def test_values_compare_with_the_reference() -> None:
    v = monitor_values(_leaves(), SCHEME).set_index(["单位编码", "指标编码"])
    assert v.loc[("甲", "M1"), "与参考值比较"] == "优于参考值"  # lower is better: 240 < 250
    assert v.loc[("丙", "M1"), "与参考值比较"] == "差于参考值"
    assert v.loc[("丁", "M1"), "与参考值比较"] == "等于参考值"
    assert v.loc[("乙", "M1"), "与参考值比较"] == "" and v.loc[("乙", "M1"), "数值"] == "未填"


def test_spread_counts_reported_and_blank_units() -> None:
    s = monitor_spread(_leaves(), SCHEME).set_index("指标编码")
    # M1: 240, 300 and 250.04 reported, 乙 blank; the median 250.04 shows at one decimal as 250
    assert (s.loc["M1", "填报单位数"], s.loc["M1", "未填单位数"]) == (3, 1)
    assert (s.loc["M1", "最小值"], s.loc["M1", "中位数"], s.loc["M1", "最大值"]) == ("240", "250", "300")
    assert s.loc["M1", "优于参考值单位数"] == "1"
    assert s.loc["M2", "优于参考值单位数"] == ""  # no reference
    assert (s.loc["M2", "填报单位数"], s.loc["M2", "平均值"]) == (1, "80")


def test_series_over_periods() -> None:
    values = pd.DataFrame(
        [("甲", "M1", 240, "2023"), ("甲", "M1", 230, "2024"), ("乙", "M1", 1, "2024")],
        columns=["unit", "code", "value", "period"],
    )
    series = monitor_series(score(SCHEME, values).leaves, SCHEME, "M1", "甲")
    assert series["期间"].tolist() == ["2023", "2024"] and series["数值"].tolist() == [240, 230]
    assert series["显示"].tolist() == ["240元", "230元"]


def test_mixed_scheme_shows_only_its_monitors() -> None:
    mixed = scheme_from_dict(MIXED)
    res = score(mixed, pd.DataFrame([("甲", "A1", 90), ("甲", "M1", 240)], columns=["unit", "code", "value"]))
    assert set(monitor_values(res.leaves, mixed)["指标编码"]) == {"M1", "M2"}


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    scheme = tmp_path / "mon.yaml"
    scheme.write_text(yaml.safe_dump(ONLY, allow_unicode=True), encoding="utf-8")
    scores = tmp_path / "mon.csv"
    scores.write_text("单位,指标编码,数值\n甲,M1,240\n乙,M2,80\n", encoding="utf-8")
    return {"scheme": scheme, "scores": scores}


def test_score_command_prints_values_not_a_ranking(files: dict[str, Path], capsys: pytest.CaptureFixture) -> None:
    assert main(["score", "--scheme", str(files["scheme"]), "--scores", str(files["scores"])]) == 0
    out = capsys.readouterr().out
    assert out.startswith(MONITOR_ONLY_NOTE) and "240元" in out and "未填" in out and "总分" not in out


def test_score_command_json(files: dict[str, Path], capsys: pytest.CaptureFixture) -> None:
    args = ["score", "--scheme", str(files["scheme"]), "--scores", str(files["scores"]), "--format", "json"]
    assert main(args) == 0
    rows = json.loads(capsys.readouterr().out)
    got = {(r["unit"], r["code"]): r["value"] for r in rows}
    assert got == {("乙", "M1"): None, ("乙", "M2"): 80, ("甲", "M1"): 240, ("甲", "M2"): None}


@pytest.mark.parametrize("spec", [ONLY, MIXED], ids=["monitoring-only", "mixed"])
def test_excel_bulletin_has_a_monitor_sheet(spec: dict) -> None:
    import io
    from datetime import datetime

    import openpyxl

    from exports.bulletin_xlsx import write_bulletin
    from reports.bulletin import build_bulletin

    scheme = scheme_from_dict(spec)
    rows = [("甲", "M1", 240.0, "2025"), ("乙", "M2", 80.0, "2025")]
    rows += [(u, "A1", 90.0, "2025") for u in ("甲", "乙")] if not scheme.monitoring_only else []
    results = score(scheme, pd.DataFrame(rows, columns=["unit", "code", "value", "period"]))
    names = {"甲": "甲医院", "乙": "乙医院"}
    bulletin = build_bulletin(results, "2025", names)
    data = write_bulletin(bulletin, results, scheme, names, None, None, "张三", datetime(2026, 1, 5, 9, 0))
    ws = openpyxl.load_workbook(io.BytesIO(data))["监测指标"]
    assert ("监测方案，不计分" in ws["A1"].value) == scheme.monitoring_only
    got = {(r[0], r[2]): r for r in ws.iter_rows(min_row=3, values_only=True)}
    assert len(got) == 4  # two units × two indicators
    assert list(got["甲", "M1"]) == [
        "甲",
        "甲医院",
        "M1",
        "门诊次均费用",
        240,
        "元",
        "250",
        "优于参考值",
        "监测指标，不计分",
    ]
    assert got["甲", "M2"][4] is None and got["甲", "M2"][8] == "未填"  # 甲 did not report 床位使用率


def test_monitoring_only_bulletin_has_no_ranking_sheets() -> None:
    import io
    from datetime import datetime

    import openpyxl

    from exports.bulletin_xlsx import write_bulletin
    from reports.bulletin import build_bulletin

    results = score(SCHEME, VALUES.assign(period="2025"))
    bulletin = build_bulletin(results, "2025", {})
    data = write_bulletin(bulletin, results, SCHEME, {}, None, None, "张三", datetime(2026, 1, 5, 9, 0))
    assert openpyxl.load_workbook(io.BytesIO(data)).sheetnames == ["说明", "监测指标"]


def test_unit_report_lists_a_monitor_as_not_scored() -> None:
    import io

    import openpyxl

    from exports.unit_report import write_unit_report

    mixed = scheme_from_dict(MIXED)
    values = pd.DataFrame(
        [("甲", "A1", 90, "2025"), ("甲", "M1", 240, "2025")], columns=["unit", "code", "value", "period"]
    )
    data = write_unit_report(score(mixed, values), "甲", "2025", {"甲": "甲医院"})
    ws = openpyxl.load_workbook(io.BytesIO(data))["评分明细"]
    rows = {r[0]: r for r in ws.iter_rows(values_only=True) if r and r[0] in ("M1", "M2")}
    assert rows["M1"][2] == "监测指标" and rows["M1"][7] == "实际 240元，参考值 250元，优于参考值；监测指标，不计分"
    assert rows["M2"][7] == "未填；监测指标，不计分"
