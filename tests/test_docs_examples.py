"""The worked examples in docs/schemes.md compute what the document says.

Examples marked `# example: <name>` are read out of the document together with the table that
follows them (input → points / bonus / total / grade / veto), so the YAML shown to readers is the
YAML tested. A leaf snippet is scored inside a minimal scheme, with a filler direct leaf that takes
the base points up to 100 and is given full marks, and `bonus_cap: 5`. The sections without a
marked example (assessors, grades, bottom rule, ranking, roll-up, missing values) are checked below
with the numbers the document states.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import takewhile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from reports.unit import award_status, tag_subtotals
from scoring import Part, Results, Scheme, SchemeError, ScoringInputError, parse_scheme, roll_up, scheme_from_dict
from scoring import score as score_values
from scoring.lint import lint

DOC = Path(__file__).resolve().parents[1] / "docs" / "schemes.md"
_BLOCK = re.compile(r"```yaml\n# example: (\S+)\n(.*?)```\n(.*?)(?=```|\Z)", re.S)
_BASE = ("direct", "target", "checklist", "deduction", "levels", "peer_rank")
# `# check: <name>` YAML, then the next plain code block: the messages loading or lint gives, exactly.
_CHECK = re.compile(r"```yaml\n# check: (\S+)\n(.*?)```\n(?:(?!```).)*```\n(.*?)```", re.S)


@dataclass
class Example:
    name: str
    spec: Any
    header: list[str]
    rows: list[list[str]]


def _examples() -> list[Example]:
    out = []
    for name, body, after in _BLOCK.findall(DOC.read_text(encoding="utf-8")):
        lines = after.splitlines()
        start = next(i for i, line in enumerate(lines) if line.startswith("|"))
        table = list(takewhile(lambda line: line.startswith("|"), lines[start:]))  # the first table only
        cells = [[c.strip() for c in line.strip("|").split("|")] for line in table]
        out.append(Example(name, yaml.safe_load(body), cells[0], cells[2:]))
    return out


EXAMPLES = _examples()


def _scheme(spec: Any) -> tuple[Scheme, list[str]]:
    """The example as a scheme, and the codes of the leaves the example shows."""
    if isinstance(spec, dict) and "id" in spec:
        scheme = scheme_from_dict(spec)
        return scheme, [leaf.code for leaf in scheme.leaves]
    leaves = spec if isinstance(spec, list) else [spec]
    base = sum(leaf.get("points", 0) for leaf in leaves if leaf["method"] in _BASE)
    filler = [{"code": "F", "name": "其他指标", "method": "direct", "points": 100 - base}] if base < 100 else []
    scheme = scheme_from_dict(
        {
            "id": "doc",
            "name": "文档示例",
            "version": "1",
            "period_type": "month",
            "bonus_cap": 5,
            "criteria": [{"code": "DOC", "name": "示例", "items": leaves + filler}],
        }
    )
    return scheme, [leaf["code"] for leaf in leaves]


def _values(cell: str, scheme: Scheme) -> pd.DataFrame:
    rows = []
    text = cell.strip("`")
    category = None
    for pair in [] if text == "—" else text.split(";"):
        code, value = (part.strip() for part in pair.split("="))
        if code == "类别":  # the unit's category, for schemes with variants by category
            category = value
            continue
        na = value == "不适用"
        rows.append(("U", code, np.nan if na else float(value), na))
    if any(leaf.code == "F" for leaf in scheme.leaves):
        rows.append(("U", "F", scheme.leaf("F").points, False))
    frame = pd.DataFrame(rows, columns=["unit", "code", "value", "na"])
    return frame if category is None else frame.assign(category=category)


def test_the_document_has_its_examples() -> None:
    names = [e.name for e in EXAMPLES]
    assert len(names) == len(set(names)) >= 17
    assert all(e.rows and e.header[0] == "input" for e in EXAMPLES)


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.name for e in EXAMPLES])
def test_worked_example(example: Example) -> None:
    scheme, shown = _scheme(example.spec)
    for row in example.rows:
        results = score_values(scheme, _values(row[0], scheme))
        unit = results.units.iloc[0]
        leaves = results.leaves
        for column, expected in zip(example.header[1:], row[1:]):
            where = f"{example.name}: {row[0]} → {column}"
            if column == "points":
                earned = leaves.loc[leaves["leaf"].isin(shown), "earned"].sum()
                assert earned == pytest.approx(float(expected), abs=1e-9), where
            elif column in ("bonus", "total"):
                assert unit[column] == pytest.approx(float(expected), abs=1e-9), where
            elif column == "grade":
                assert unit["grade"] == expected, where
            elif column in ("veto", "bottom"):
                assert bool(unit[column]) == (expected == "yes"), where
            elif column == "award":  # eligible for 评先评优, as every page decides it
                assert award_status(unit.to_dict())[0] == (expected == "yes"), where
            elif column in scheme.tag_names:  # a tag's score rate, as the unit's 各标签得分 table writes it
                rates = {
                    r["标签"].lstrip(scheme.tag_mark(column)): r["得分率"]
                    for r in tag_subtotals(results.explain("U")).to_dict("records")
                }
                assert rates[column] == expected, where
            else:
                pytest.fail(f"unknown column {column}")


CHECKS = _CHECK.findall(DOC.read_text(encoding="utf-8"))


def test_the_document_has_its_checks() -> None:
    assert [name for name, _, _ in CHECKS] == ["subtotal", "rounding-warning"]


@pytest.mark.parametrize(("name", "source", "expected"), CHECKS, ids=[c[0] for c in CHECKS])
def test_checked_example(name: str, source: str, expected: str) -> None:
    """A scheme shown with its error or warning lines: loading (or lint) gives exactly those lines."""
    try:
        got = lint(parse_scheme(source))
    except SchemeError as exc:
        got = exc.messages
    assert got == expected.strip().splitlines(), name


# -- sections without a marked example -----------------------------------------------------------
def _one_leaf_scheme(**top: Any) -> Scheme:
    return scheme_from_dict(
        {
            "id": "doc",
            "name": "文档示例",
            "version": "1",
            "period_type": "month",
            **top,
            "criteria": [
                {
                    "code": "A",
                    "name": "综合",
                    "items": [
                        {"code": "A1", "name": "门诊服务规范", "method": "direct", "points": 10},
                        {"code": "F", "name": "其他指标", "method": "direct", "points": 80},
                        {"code": "C3", "name": "有效投诉", "method": "deduction", "points": 6, "per_occurrence": 1},
                        {
                            "code": "B4",
                            "name": "任务清单",
                            "method": "checklist",
                            "points": 4,
                            "tasks": [{"code": "B4-1", "name": "传染病疫情报告及时、完整", "points": 4}],
                        },
                        {"code": "V1", "name": "发生重大医疗安全事故", "method": "veto"},
                    ],
                }
            ],
        }
    )


def _frame(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["unit", "code", "value", "assessor"])


def _earned(results: Results, leaf: str) -> float:
    lv = results.leaves
    return float(lv.loc[lv["leaf"] == leaf, "earned"].item())


@pytest.mark.parametrize(("combine", "expected"), [("mean", 9.0), ("trimmed_mean", 9.5)])
def test_several_assessors(combine: str, expected: float) -> None:
    scheme = _one_leaf_scheme(combine=combine)
    three = [("U", "A1", v, a) for v, a in ((9.5, "一组"), (10, "二组"), (7.5, "三组"))]
    rest = [("U", "F", 80, "一组"), ("U", "B4-1", 1, "一组")]
    assert _earned(score_values(scheme, _frame(three + rest)), "A1") == pytest.approx(expected)
    two = [("U", "A1", 9, "一组"), ("U", "A1", 8, "二组")]
    assert _earned(score_values(scheme, _frame(two + rest)), "A1") == pytest.approx(8.5)


def test_assessors_on_tasks_vetoes_and_counts() -> None:
    scheme = _one_leaf_scheme()
    rows = [
        ("U", "A1", 10, "一组"),
        ("U", "F", 80, "一组"),
        ("U", "B4-1", 1, "一组"),
        ("U", "B4-1", 0, "二组"),  # a 1 : 1 split is no majority: not done
        ("U", "C3", 1, "一组"),
        ("U", "C3", 2, "二组"),  # 1.5 occurrences
        ("U", "V1", 0, "一组"),
        ("U", "V1", 1, "二组"),  # any assessor's veto counts
    ]
    results = score_values(scheme, _frame(rows))
    assert _earned(results, "B4") == 0
    assert _earned(results, "C3") == pytest.approx(4.5)
    assert bool(results.units["veto"].item())
    with pytest.raises(ScoringInputError, match="考核人意见不一致"):
        disagree = _frame(rows[:2] + [("U", "B4-1", 1, "一组"), ("U", "A1", 9, "二组")]).assign(na=False)
        disagree.loc[3, ["value", "na"]] = (np.nan, True)
        score_values(_one_leaf_scheme(missing="not_applicable"), disagree)


def _totals_scheme(**top: Any) -> Scheme:
    return parse_scheme(
        yaml.safe_dump(
            {
                "id": "doc",
                "name": "排名示例",
                "version": "1",
                "period_type": "month",
                **top,
                "criteria": [
                    {
                        "code": "A",
                        "name": "综合",
                        "items": [
                            {"code": "A1", "name": "综合评分", "method": "direct", "points": 100},
                            {"code": "V1", "name": "发生重大医疗安全事故", "method": "veto"},
                        ],
                    }
                ],
            },
            allow_unicode=True,
        )
    )


def _score_totals(scheme: Scheme, totals: dict[str, float], vetoed: tuple[str, ...] = ()) -> pd.DataFrame:
    rows = [(u, "A1", v, "") for u, v in totals.items()] + [(u, "V1", 1, "") for u in vetoed]
    return score_values(scheme, _frame(rows)).units.set_index("unit")


def test_grades() -> None:
    units = _score_totals(_totals_scheme(), {"甲": 90, "乙": 89.99, "丙": 59.99, "丁": 80})
    assert units["grade"].astype(str).to_dict() == {"甲": "优秀", "乙": "良好", "丙": "不合格", "丁": "良好"}
    assert units.loc["乙", "gap_next_grade"] == pytest.approx(0.01)


def test_bottom_rule() -> None:
    scheme = _totals_scheme(bottom={"threshold": 80, "lowest_pct": 10, "consequence": "停岗 / 待岗 / 下岗"})
    totals = {"甲": 95, "乙": 93, "丙": 92, "丁": 91, "戊": 90, "己": 88, "庚": 79.99, "辛": 80}
    units = _score_totals(scheme, totals)
    assert units.index[units["bottom"]].tolist() == ["庚"]  # the lowest 10% of 8 is 1 unit: 庚 again
    assert units.loc["庚", "bottom_reason"] == "低于 80 分，同类后 10%"
    assert units.loc["庚", "consequence"] == "停岗 / 待岗 / 下岗"
    assert units.loc["庚", "gap_bottom_line"] == pytest.approx(-0.01)


def test_ranking_table() -> None:
    units = _score_totals(
        _totals_scheme(), {"甲": 95.5, "乙": 93.004, "丙": 92.996, "丁": 90.2, "戊": 96}, vetoed=("戊",)
    )
    assert units["total"].to_dict() == {"甲": 95.5, "乙": 93.0, "丙": 93.0, "丁": 90.2, "戊": 96.0}
    assert units["rank"].to_dict() == {"甲": 1, "乙": 2, "丙": 2, "丁": 4, "戊": 5}
    assert units.loc["戊", "grade"] == "不合格"


def test_award_ineligibility() -> None:
    leaf = {
        "code": "B1",
        "name": "标准化创建验收得分",
        "method": "target",
        "points": 8,
        "mode": "all_or_nothing",
        "target": 80,
        "unit": "分",
        "allow_na": True,
        "ineligible_if_unmet": "标准化创建验收不合格，院长不得评先评优",
    }
    scheme = scheme_from_dict(
        {
            "id": "doc",
            "name": "评优资格示例",
            "version": "1",
            "period_type": "year",
            "criteria": [
                {
                    "code": "B",
                    "name": "标准化建设",
                    "items": [leaf, {"code": "F", "name": "其他指标", "method": "direct", "points": 92}],
                }
            ],
        }
    )
    values = pd.DataFrame(
        [("甲", "B1", 72.5, False), ("甲", "F", 92, False), ("乙", "B1", np.nan, True), ("乙", "F", 92, False)],
        columns=["unit", "code", "value", "na"],
    )
    units = score_values(scheme, values).units.set_index("unit")
    assert not units.loc["甲", "award_eligible"]
    assert units.loc["甲", "award_reason"] == "标准化创建验收不合格，院长不得评先评优"
    assert units.loc["乙", "award_eligible"] and units.loc["乙", "total"] == 100


def test_roll_up() -> None:
    scheme = _totals_scheme()
    annual = scheme.model_copy(update={"period_type": "year"})  # the year-end scheme: same leaves
    monthly = pd.concat(
        [
            score_values(scheme, _frame([("甲", "A1", v, ""), ("乙", "A1", 70, "")]).assign(period=p)).units
            for p, v in (("2025-01", 80), ("2025-02", 85), ("2025-03", 90))
        ]
    )
    year_end = score_values(annual, _frame([("甲", "A1", 90, ""), ("甲", "V1", 0, "")]).assign(period="2025")).units
    out = roll_up(scheme, [Part("平时", monthly, 0.4), Part("年终", year_end, 0.6)], period="2025").set_index("unit")
    assert out.loc["甲", "total"] == pytest.approx(88)
    assert out.loc["乙", "total"] == pytest.approx(70)
    assert out.loc["乙", "rollup_note"] == "缺少年终，权重按已有部分折算"
    vetoed = score_values(annual, _frame([("甲", "A1", 90, ""), ("甲", "V1", 1, "")]).assign(period="2025")).units
    out = roll_up(scheme, [Part("平时", monthly, 0.4), Part("年终", vetoed, 0.6)], period="2025").set_index("unit")
    assert out.loc["甲", "veto"] and out.loc["甲", "grade"] == "不合格"


def test_missing_values() -> None:
    rows = [("U", "A1", 8, ""), ("U", "F", 80, "")]  # B4-1 blank, C3 and V1 blank
    with pytest.raises(ScoringInputError, match="缺少数值（空白不等于 0"):
        score_values(_one_leaf_scheme(), _frame(rows))
    zero = score_values(_one_leaf_scheme(missing="zero"), _frame(rows)).units
    assert zero["total"].item() == 94  # 8 + 80 + 6 (no deduction) + 0 (task not done)
    na = score_values(_one_leaf_scheme(missing="not_applicable"), _frame(rows)).units
    assert na["applicable_points"].item() == 96 and na["total"].item() == pytest.approx(97.92)  # 94 × 100 / 96


def test_not_applicable_needs_allow_na_and_version_is_text() -> None:
    values = _frame([("U", "A1", np.nan, ""), ("U", "F", 80, ""), ("U", "B4-1", 1, "")]).assign(na=[True, False, False])
    with pytest.raises(ScoringInputError, match="该指标不允许填写「不适用」"):
        score_values(_one_leaf_scheme(), values)
    with pytest.raises(SchemeError, match="「版本」: 必须是文字"):
        parse_scheme(
            DOC.read_text(encoding="utf-8").split("# example: rescale\n")[1].split("```")[0].replace('"1"', "1")
        )


# `# peers: <name>` YAML (one peer_rank leaf), then a table of units scored together in one period:
# unit | category | <leaf code> | points.
_PEERS = re.compile(r"```yaml\n# peers: (\S+)\n(.*?)```\n(.*?)(?=```|\Z)", re.S)
PEER_EXAMPLES = [
    (name, yaml.safe_load(body), [[c.strip() for c in line.strip("|").split("|")] for line in after.splitlines()])
    for name, body, after in _PEERS.findall(DOC.read_text(encoding="utf-8"))
]


def test_the_document_has_its_peer_examples() -> None:
    assert [name for name, _, _ in PEER_EXAMPLES] == ["peer-rank-pct", "peer-rank-top-n"]


@pytest.mark.parametrize(("name", "leaf", "lines"), PEER_EXAMPLES, ids=[e[0] for e in PEER_EXAMPLES])
def test_peer_example(name: str, leaf: dict, lines: list[list[str]]) -> None:
    scheme, _ = _scheme(leaf)
    table = [cells for cells in lines if len(cells) == 4][2:]  # after the header and its rule
    assert len(table) >= 3, name
    rows = []
    for unit, category, value, _ in table:
        na = value == "不适用"
        rows.append((unit, category, leaf["code"], np.nan if na else float(value), na))
        rows.append((unit, category, "F", scheme.leaf("F").points, False))
    values = pd.DataFrame(rows, columns=["unit", "category", "code", "value", "na"])
    lv = score_values(scheme, values).leaves
    mine = lv[lv["leaf"] == leaf["code"]].set_index(lv[lv["leaf"] == leaf["code"]]["unit"].astype(str))
    for unit, _, _, points in table:
        assert mine.loc[unit, "earned"] == pytest.approx(float(points), abs=1e-9), (name, unit)


# -- 监测指标: the traces the document shows ------------------------------------------------------
MONITOR_EXAMPLES = [
    (name, yaml.safe_load(body), [[c.strip() for c in line.strip("|").split("|")] for line in after.splitlines()])
    for name, body, after in re.findall(r"```yaml\n# monitors: (\S+)\n(.*?)```\n(.*?)(?=```|\Z)", DOC.read_text(encoding="utf-8"), re.S)
]  # fmt: skip


def test_the_document_has_its_monitor_examples() -> None:
    assert [name for name, _, _ in MONITOR_EXAMPLES] == ["monitor-trace"]


@pytest.mark.parametrize(("name", "leaf", "lines"), MONITOR_EXAMPLES, ids=[e[0] for e in MONITOR_EXAMPLES])
def test_monitor_example(name: str, leaf: dict, lines: list[list[str]]) -> None:
    scheme, _ = _scheme(leaf)
    table = [cells for cells in lines if len(cells) == 3][2:]  # after the header and its rule
    assert len(table) >= 4, name
    rows = [(unit, "F", 100.0) for unit, _, _ in table]
    rows += [(unit, leaf["code"], float(value)) for unit, value, _ in table if value != "—"]
    results = score_values(scheme, pd.DataFrame(rows, columns=["unit", "code", "value"]))
    for unit, _, trace in table:
        explained = results.explain(unit).set_index("code")
        assert explained.loc[leaf["code"], "trace"] == trace, (name, unit)
        assert results.units.set_index("unit").loc[unit, "total"] == 100  # never scored


def test_monitoring_only_scheme_as_documented() -> None:
    spec = {"id": "mon", "name": "监测", "version": "1", "period_type": "year",
            "criteria": [{"code": "M", "name": "监测", "items": [MONITOR_EXAMPLES[0][1]]}]}  # fmt: skip
    scheme = scheme_from_dict(spec)
    assert scheme.total == 0 and [g.name for g in scheme.grades] == ["不计分"]
    with pytest.raises(SchemeError):
        scheme_from_dict({**spec, "bottom": {"threshold": 60}})


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.name)
def test_every_example_survives_a_dump_and_a_reload(example: Example) -> None:
    """What-if, category variants and scheme exports validate a scheme again from its dump, where
    every default is written out: that must give the same scheme, not a refusal."""
    scheme, _ = _scheme(example.spec)
    again = scheme_from_dict(scheme.model_dump(by_alias=True))
    assert again == scheme


@pytest.mark.parametrize("path", sorted((DOC.parents[1] / "data" / "schemes").glob("*.yaml")), ids=lambda p: p.stem)
def test_every_shipped_scheme_survives_a_dump_and_a_reload(path: Path) -> None:
    scheme = parse_scheme(path.read_text(encoding="utf-8"))
    assert scheme_from_dict(scheme.model_dump(by_alias=True)) == scheme
