"""The monthly bulletin as data, and its summary paragraph: typical, zero and first-period cases."""

from __future__ import annotations

import pandas as pd
import pytest

from data.demo import SCHEME_DIR, build_demo
from reports.bulletin import Bulletin, Changes, build_bulletin, summary_text
from scoring import Results, Scheme, load_scheme, parse_scheme, score

MEETING_SCHEME = """\
id: meeting
name: 社区中心月度考核
version: "1"
period_type: month
categories: [社区卫生服务中心]
bottom: {threshold: 80, consequence: 月通报点名，限期整改}
criteria:
  - code: A
    name: 综合
    items:
      - {code: A1, name: 综合评分, method: direct, points: 90}
      - {code: T1, name: 处方合格率, method: target, points: 10, mode: all_or_nothing, target: 95, unit: "%", decimals: 1}
      - {code: V1, name: 发生重大医疗安全事故, method: veto}
"""
NAMES = {"U1": "甲中心", "U2": "乙中心", "U3": "丙中心", "U4": "丁中心"}
# period -> unit -> (A1, T1, V1): totals are A1 + 10 when T1 ≥ 95
MONTHS = {
    "2025-07": {"U1": (85, 96, 0), "U2": (80, 90, 0), "U3": (75, 96, 0), "U4": (65, 90, 0)},  # 95 80 85 65
    "2025-08": {"U1": (88, 96, 0), "U2": (68, 90, 0), "U3": (80, 96, 1), "U4": (72, 96, 0)},  # 98 68 90v 82
    "2025-09": {"U1": (85, 96, 0), "U2": (75, 96, 0), "U3": (80, 96, 0), "U4": (72, 96, 0)},  # 95 85 90 82
}


def meeting_values(periods: list[str], months: dict = MONTHS, note: dict | None = None) -> pd.DataFrame:
    rows = []
    for p in periods:
        for unit, (a1, t1, v1) in months[p].items():
            for code, value in (("A1", a1), ("T1", t1), ("V1", v1)):
                rows.append((p, unit, code, float(value), (note or {}).get((p, unit, code), "")))
    return pd.DataFrame(rows, columns=["period", "unit", "code", "value", "note"])


def meeting_results(periods: list[str], scheme_text: str = MEETING_SCHEME, months: dict = MONTHS) -> Results:
    return score(parse_scheme(scheme_text), meeting_values(periods, months))


def test_a_typical_month() -> None:
    b = build_bulletin(meeting_results(["2025-07", "2025-08"]), "2025-08", NAMES)
    assert b.period == "2025-08" and b.period_name == "2025年8月" and b.previous_period == "2025-07"
    assert (b.headline.assessed, b.headline.mean, b.headline.below_line, b.headline.vetoed) == (4, 84.5, 1, 1)
    assert b.headline.mean_change == pytest.approx(3.25)
    assert b.changes == Changes(newly_below=["U2"], recovered=["U4"], newly_vetoed=["U3"])
    assert summary_text(b) == (
        "2025年8月共考核 4 个单位，平均 84.50 分，较上月提高 3.25 分；1 个单位低于 80 分：乙中心；"
        "1 个单位被一票否决：丙中心（发生重大医疗安全事故）。"
        "与上月相比，乙中心新低于 80 分；丁中心不再低于 80 分；丙中心被一票否决。"
        "共有 1 项目标未达标，涉及 1 个单位。"
    )


def test_the_ranking_rows() -> None:
    b = build_bulletin(meeting_results(["2025-07", "2025-08"]), "2025-08", NAMES)
    r = b.ranking
    assert r["unit"].tolist() == ["U1", "U4", "U2", "U3"]  # the vetoed unit last, whatever its points
    assert r["name"].tolist() == ["甲中心", "丁中心", "乙中心", "丙中心"]
    assert r["rank"].tolist() == [1, 2, 3, 4]
    assert r["total"].tolist() == [98, 82, 68, 90]
    assert r["delta_total"].tolist() == [3, 17, -12, 5]
    assert r["arrow"].tolist() == ["—", "↑2", "—", "↓2"]  # 7月: U1 1, U3 2, U2 3, U4 4
    assert r["grade"].tolist() == ["优秀", "良好", "合格", "不合格"]
    assert r["bottom"].tolist() == [False, False, True, False]
    assert r.loc[r["unit"] == "U2", "consequence"].item() == "月通报点名，限期整改"


def test_the_red_list_puts_vetoes_first_with_reason_and_consequence() -> None:
    b = build_bulletin(meeting_results(["2025-07", "2025-08"]), "2025-08", NAMES)
    red = b.red_list
    assert red[["unit", "name", "kind", "reason", "consequence"]].values.tolist() == [
        ["U3", "丙中心", "一票否决", "发生重大医疗安全事故", "评为不合格，取消评先评优资格"],
        ["U2", "乙中心", "末位", "低于 80 分", "月通报点名，限期整改"],
    ]


def test_movers_and_unmet_targets() -> None:
    b = build_bulletin(meeting_results(["2025-07", "2025-08"]), "2025-08", NAMES)
    assert b.movers_up["unit"].tolist() == ["U4", "U3", "U1"]
    assert b.movers_down["unit"].tolist() == ["U2"]
    assert b.movers_down[["prev_total", "total", "delta_total", "arrow"]].values.tolist() == [[80, 68, -12, "—"]]
    assert b.unmet[["unit", "name", "leaf", "leaf_name", "actual", "target", "measure"]].values.tolist() == [
        ["U2", "乙中心", "T1", "处方合格率", 90.0, 95.0, "%"]
    ]
    assert b.unmet_by_unit.values.tolist() == [["U2", "乙中心", 1, "处方合格率（实际 90%，目标 ≥ 95%）"]]


def test_a_month_with_nothing_to_report() -> None:
    b = build_bulletin(meeting_results(["2025-07", "2025-08", "2025-09"]), "2025-09", NAMES)
    assert b.red_list.empty and b.unmet.empty
    assert summary_text(b) == (
        "2025年9月共考核 4 个单位，平均 88.00 分，较上月提高 3.50 分；无单位低于 80 分；未发生一票否决事项。"
        "与上月相比，乙中心不再低于 80 分。各单位目标均已达标。"
    )


def test_the_first_period_has_no_comparison() -> None:
    b = build_bulletin(meeting_results(["2025-07"]), "2025-07", NAMES)
    assert b.previous_period is None and b.headline.mean_change is None and b.changes == Changes()
    assert b.movers_up.empty and b.movers_down.empty
    assert summary_text(b) == (
        "2025年7月共考核 4 个单位，平均 81.25 分；1 个单位低于 80 分：丁中心；未发生一票否决事项。"
        "共有 2 项目标未达标，涉及 2 个单位。"
    )


def test_previous_results_can_come_separately() -> None:
    july = meeting_results(["2025-07"]).units
    b = build_bulletin(meeting_results(["2025-08"]), "2025-08", NAMES, previous=july)
    assert b.previous_period == "2025-07" and b.changes.newly_vetoed == ["U3"]
    assert b.ranking["delta_total"].tolist() == [3, 17, -12, 5]
    assert "较上月提高 3.25 分" in summary_text(b)


def test_changes_scored_by_the_engine_are_kept_without_the_previous_rows() -> None:
    july = meeting_results(["2025-07"]).units
    august = score(parse_scheme(MEETING_SCHEME), meeting_values(["2025-08"]), previous=july)
    b = build_bulletin(august, "2025-08", NAMES)
    assert b.previous_period == "2025-07" and b.ranking["delta_total"].tolist() == [3, 17, -12, 5]
    assert b.changes == Changes()  # who was below the line in July is not known here
    assert summary_text(b).startswith("2025年8月共考核 4 个单位，平均 84.50 分，较上月提高 3.25 分；")


def test_a_gap_names_the_period_compared_with_and_the_mean_can_stay_level() -> None:
    b = build_bulletin(meeting_results(["2025-07", "2025-09"]), "2025-09", NAMES)
    assert b.previous_period == "2025-07"
    assert summary_text(b).startswith("2025年9月共考核 4 个单位，平均 88.00 分，较2025年7月提高 6.75 分；")
    level = {**MONTHS, "2025-10": MONTHS["2025-09"]}
    b = build_bulletin(meeting_results(["2025-09", "2025-10"], months=level), "2025-10", NAMES)
    assert "平均 88.00 分，与上月持平；" in summary_text(b)


def test_a_drop_and_names_without_a_display_name() -> None:
    b = build_bulletin(meeting_results(["2025-09", "2025-08"]), "2025-09", {"U1": "甲中心"})
    assert b.name("U2") == "U2"
    b2 = build_bulletin(meeting_results(["2025-07", "2025-08"]), "2025-07", {})
    assert "1 个单位低于 80 分：U4" in summary_text(b2)


def test_a_rule_of_lowest_n_lists_the_reason() -> None:
    text = MEETING_SCHEME.replace("bottom: {threshold: 80, ", "bottom: {threshold: null, lowest_n: 1, ")
    b = build_bulletin(meeting_results(["2025-07", "2025-08"], text), "2025-08", NAMES)
    # the vetoed unit ranks last, so it is the lowest 1 of its peer group
    assert "1 个单位列入末位：丙中心（同类末 1 名）" in summary_text(b)
    assert "丙中心新列入末位" in summary_text(b) and "丁中心退出末位" in summary_text(b)


def test_long_lists_end_in_deng() -> None:
    many = {f"U{i:02d}": (50 + i, 96, 0) for i in range(12)}  # totals 60 … 71
    b = build_bulletin(meeting_results(["2025-07"], months={"2025-07": many}), "2025-07", {})
    assert "12 个单位低于 80 分：U11、U10、U09、U08、U07、U06、U05、U04、U03、U02等；" in summary_text(b)


def test_staff_are_counted_as_people() -> None:
    scheme = load_scheme(SCHEME_DIR / "staff_annual.yaml")
    demo = build_demo()
    results = score(scheme, demo.values["staff_annual"], categories=demo.units.set_index("code")["category"])
    names = dict(zip(demo.units["code"], demo.units["name"]))
    text = summary_text(build_bulletin(results, "2025", names))
    assert text.startswith("2025年度共考核 60 名职工，")
    assert "6 名职工低于 80 分：" in text and "1 名职工被一票否决：" in text


def test_an_unknown_period_is_refused() -> None:
    with pytest.raises(ValueError, match="没有 2025年12月（2025-12）的考核结果"):
        build_bulletin(meeting_results(["2025-07"]), "2025-12", NAMES)


@pytest.fixture(scope="module")
def demo_bulletin() -> tuple[Bulletin, Scheme]:
    """The demo district's community centres, scored for two consecutive months."""
    demo = build_demo()
    scheme = load_scheme(SCHEME_DIR / "community_monthly.yaml")
    values = demo.values["community_monthly"]
    values = values[values["period"].isin(["2025-07", "2025-08"])]
    results = score(scheme, values, categories=demo.units.set_index("code")["category"])
    return build_bulletin(results, "2025-08", dict(zip(demo.units["code"], demo.units["name"]))), scheme


def test_the_demo_month_with_a_veto(demo_bulletin: tuple[Bulletin, Scheme]) -> None:
    b, _ = demo_bulletin
    assert len(b.ranking) == 8 and b.previous_period == "2025-07"
    assert b.changes.newly_vetoed == ["C07"]
    vetoed = b.red_list[b.red_list["kind"].str.contains("一票否决")]
    assert vetoed["name"].tolist() == ["文昌街道社区卫生服务中心"]
    assert vetoed["reason"].tolist() == ["发生重大医疗安全事故"]
    text = summary_text(b)
    assert text.startswith("2025年8月共考核 8 个单位，平均 ")
    assert "较上月" in text and "1 个单位被一票否决：文昌街道社区卫生服务中心（发生重大医疗安全事故）" in text
    assert b.ranking["unit"].iloc[-1] == "C07"
    assert set(b.unmet_by_unit["unit"]) == set(b.unmet["unit"])
    assert b.unmet_by_unit["count"].sum() == len(b.unmet)
