"""scoring.lint: warnings when rounding to a leaf's `decimals` moves values onto a boundary, and the
places they are shown (the scheme admin service, `python manage.py check-scheme`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from scheme_factory import direct, make_scheme, one, target

from manage import main
from scoring import Scheme, load_scheme
from scoring.lint import lint, lint_problems
from services.scheme_admin import check_draft

SCHEMES = Path(__file__).resolve().parents[1] / "data" / "schemes"


def _warnings(**leaf: object) -> list[str]:
    spec = {"points": 10, "target": 95, "unit": "%"} | leaf
    return lint(make_scheme(target("T1", **spec), direct("D1", 90)))


def _paths(scheme: Scheme) -> list[str]:
    return [p.path for p in lint_problems(scheme)]


def test_a_target_with_more_decimals_than_the_rounding_is_flagged() -> None:
    assert _warnings(target=95.25, decimals=1) == [
        "一级指标「测试指标」 › 指标 T1「目标T1」的「目标值」: 目标值 95.25% 有 2 位小数，但实际值先四舍五入到 1 位小数再比较"
        "（「保留小数位数」为 1），不会恰好等于 95.25，分界与所写的不同。请把「保留小数位数」改为 2 或更大"
    ]
    assert _warnings(target=95.25, decimals=2) == []


def test_coarse_rounding_onto_the_target_is_flagged_with_the_value_that_slips_through() -> None:
    assert _warnings(decimals=0) == [
        "一级指标「测试指标」 › 指标 T1「目标T1」的「目标值」: 实际值先四舍五入到整数再比较（「保留小数位数」为 0），"
        "94.5% 四舍五入为 95%，计为达到目标值。如要按原值比较，请把「保留小数位数」调大（如 1）"
    ]
    assert _warnings(decimals=1) == []  # half of 0.1 is 0.05 % of 95: fine


def test_the_engine_does_what_the_warning_says() -> None:
    scheme = make_scheme(target("T1", 10, target=95, decimals=0), direct("D1", 90))
    assert one(scheme, {"T1": 94.5, "D1": 90})["total"] == 100
    assert one(scheme, {"T1": 94.49, "D1": 90})["total"] == 90


@pytest.mark.parametrize(
    ("value", "warned"),
    [(100, True), (101, False)],  # half a unit is 0.5 % of 100 (flagged) and 0.495 % of 101 (not)
)
def test_the_coarseness_line_is_half_a_percent(value: float, warned: bool) -> None:
    assert bool(_warnings(target=value, decimals=0, unit="")) is warned


def test_direction_and_inclusiveness_pick_the_example() -> None:
    lower = _warnings(direction="lower", target=3, decimals=0)
    assert "3.4% 四舍五入为 3%，计为达到目标值" in lower[0]
    above = _warnings(target=60, inclusive=False, decimals=0)
    assert "60.4% 四舍五入为 60%，不算高于目标值" in above[0]
    below = _warnings(direction="lower", target=3, inclusive=False, decimals=0)
    assert "2.5% 四舍五入为 3%，不算低于目标值" in below[0]


def test_counts_are_not_flagged() -> None:
    assert _warnings(target=2, decimals=0, unit="次") == []
    assert _warnings(target=2, decimals=0, unit="") != []


def test_band_thresholds_and_the_stretch_target_are_located() -> None:
    bands = _warnings(
        mode="bands", target=60, decimals=1, bands=[{"threshold": 60, "points": 10}, {"threshold": 5, "points": 4}]
    )
    assert bands == [
        "一级指标「测试指标」 › 指标 T1「目标T1」 › 第 2 档的「分界值」: 实际值先四舍五入到 1 位小数再比较（「保留小数位数」为 1），"
        "4.95% 四舍五入为 5%，计为达到第 2 档分界。如要按原值比较，请把「保留小数位数」调大（如 2）"
    ]
    stretch = _warnings(target=8, decimals=2, stretch={"target": 10.125, "points": 2})
    assert [w.split(": ")[0] for w in stretch] == [
        "一级指标「测试指标」 › 指标 T1「目标T1」的「力争目标」›「力争目标值」"
    ]
    spec = {"points": 10, "target": 8, "unit": "%", "decimals": 2, "stretch": {"target": 10.125, "points": 2}}
    assert _paths(make_scheme(target("T1", **spec), direct("D1", 90))) == ["criteria[0].items[0].stretch.target"]


def test_grade_minimums_and_the_line_finer_than_the_total() -> None:
    scheme = make_scheme(
        direct("D1", 100), decimals=1, grades=[{"name": "优秀", "min": 89.95}, {"name": "其他", "min": 0}]
    )
    assert lint(scheme) == [
        "等级「优秀」的「下限」: 等级「优秀」的下限 89.95 有 2 位小数，但总分只保留 1 位（「保留小数位数」），"
        "四舍五入后的总分不会恰好等于 89.95，分界与所写的不同"
    ]


def test_the_shipped_schemes() -> None:
    """Only the hospital scheme rounds coarsely: growth 8 % / 力争 10 % and 9 days at one decimal."""
    for name in ("community_monthly", "staff_annual", "township_annual"):
        assert lint(load_scheme(SCHEMES / f"{name}.yaml")) == [], name
    hospital = lint(load_scheme(SCHEMES / "hospital_monthly.yaml"))
    assert _paths(load_scheme(SCHEMES / "hospital_monthly.yaml")) == [
        "criteria[1].items[0].target",
        "criteria[1].items[0].stretch.target",
        "criteria[1].items[1].target",
    ]
    assert "7.95% 四舍五入为 8%" in hospital[0] and "9.04天 四舍五入为 9天" in hospital[2]


def test_the_admin_service_returns_warnings_beside_a_valid_draft() -> None:
    draft = check_draft((SCHEMES / "hospital_monthly.yaml").read_text(encoding="utf-8"))
    assert draft.ok and draft.problems == [] and len(draft.warnings) == 3
    assert check_draft("id: [").warnings == []


def test_check_scheme_command(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["check-scheme", str(SCHEMES / "hospital_monthly.yaml"), str(SCHEMES / "staff_annual.yaml")]) == 0
    out = capsys.readouterr().out
    assert (
        "请核对以下 3 处（不影响使用）" in out
        and "提示 一级指标「运营效率」 › 指标 B2「平均住院日」的「目标值」: " in out
    )
    assert "staff_annual.yaml：校验通过（职工年度考核" in out
    bad = tmp_path / "bad.yaml"
    source = (SCHEMES / "staff_annual.yaml").read_text(encoding="utf-8")
    bad.write_text(
        source.replace("criteria:", "grades: [{name: 优秀, min: 120}, {name: 其他, min: 0}]\ncriteria:", 1),
        encoding="utf-8",
    )
    assert main(["check-scheme", str(bad)]) == 1
    out = capsys.readouterr().out
    assert (
        "bad.yaml：有 1 处错误，不能使用" in out
        and "等级「优秀」的「下限」: 等级「优秀」的下限 120 分高于方案总分 100 分" in out
    )
