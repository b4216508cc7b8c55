"""The editor's tables ⇄ scheme dict conversion, the version and key helpers, and the diff of two
versions, without Streamlit."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from scoring import scheme_from_dict
from services.scheme_diff import diff_versions
from ui.scheme_editor.convert import locate, scheme_to_tables, tables_to_scheme, to_yaml
from ui.scheme_editor.starts import copy_key, copy_of, key_problem, next_version, skeleton

SCHEMES = sorted((Path(__file__).resolve().parents[1] / "data" / "schemes").glob("*.yaml"))


def _raw(name: str) -> dict:
    return yaml.safe_load((SCHEMES[0].parent / f"{name}.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", SCHEMES, ids=lambda p: p.stem)
def test_every_stored_scheme_goes_through_the_tables_unchanged(path: Path) -> None:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    data, problems = tables_to_scheme(scheme_to_tables(copy.deepcopy(raw)))
    assert problems == []
    again = scheme_from_dict(yaml.safe_load(to_yaml(data)))  # through the stored form, too
    assert again.model_dump() == scheme_from_dict(raw).model_dump()


def test_the_tables_name_methods_in_chinese_and_keep_the_tree() -> None:
    tables = scheme_to_tables(_raw("township_annual"))
    assert list(tables.criteria.columns) == ["编码", "名称", "上级编码", "声明分值", "声明加分"]
    first = tables.leaves.iloc[0]
    assert (first["编码"], first["所属指标"], first["评分方法"], first["分值"]) == ("A1.1", "A1", "目标值", 10)
    assert tables.criteria.set_index("编码").loc["A1", "上级编码"] == "A"
    assert tables.details["A1.1"]["target"] == 60


def test_a_renamed_leaf_keeps_its_rule_and_a_changed_method_drops_the_old_fields() -> None:
    tables = scheme_to_tables(_raw("township_annual"))
    tables.leaves.loc[0, "编码"] = "A1.1x"
    tables.leaves.loc[1, ["评分方法"]] = "直接评分"
    data, problems = tables_to_scheme(tables)
    assert problems == []
    items = data["criteria"][0]["children"][0]["items"]
    assert items[0]["code"] == "A1.1x" and items[0]["target"] == 60
    assert items[1] == {"code": "A1.2", "name": "高血压患者规范管理率", "method": "direct", "points": 8,
                        "description": items[1]["description"]}  # fmt: skip


def test_table_mistakes_get_located_messages() -> None:
    tables = scheme_to_tables(_raw("township_annual"))
    tables.criteria.loc[1, "上级编码"] = "Z"
    tables.leaves.loc[2, "所属指标"] = "Q9"
    tables.leaves.loc[3, "评分方法"] = None
    _, problems = tables_to_scheme(tables)
    assert problems == [
        "指标「A1」的「上级编码」: 'Z' 不是指标表中的编码",
        "评分细则表第 3 行「所属指标」: 'Q9' 不是指标表中的编码",
        "评分细则表第 4 行「评分方法」: 请选择评分方法",
    ]


def test_a_loop_of_parents_is_reported() -> None:
    tables = scheme_to_tables(_raw("township_annual"))
    tables.criteria.loc[0, "上级编码"] = "A1"  # A under A1 under A
    _, problems = tables_to_scheme(tables)
    assert "指标「A」的「上级编码」形成循环（上级的上级最终又是它自己）" in problems


def test_loader_messages_are_located_by_code_and_chinese_field_names() -> None:
    raw = _raw("township_annual")
    line = locate("criteria[0].children[0].items[0].bands[1].points: 不能小于 0", raw)
    assert line == "评分细则 A1.1「分档（达到值 → 得分）第 2 项 › 分值」: 不能小于 0"
    assert locate("grades[1].min: 太高", raw) == "方案设置「等级第 2 项 › 下限」: 太高"
    assert locate("评分细则分值合计 90，与方案总分 100 不一致", raw) == "评分细则分值合计 90，与方案总分 100 不一致"


@pytest.mark.parametrize(
    ("version", "taken", "expected"),
    [("2025.1", [], "2025.2"), ("2025.9", ["2025.10"], "2025.11"), ("v3", [], "v4"), ("初版", [], "初版.1")],
)
def test_the_next_version_counts_up_the_last_number(version: str, taken: list[str], expected: str) -> None:
    assert next_version(version, taken) == expected


def test_a_copy_gets_a_free_key_and_keys_are_checked() -> None:
    assert copy_key("township_annual", {"township_annual_copy"}) == "township_annual_copy2"
    assert key_problem("township_annual", {"township_annual"}) == "方案编码 township_annual 已被其他方案使用，请换一个"
    assert key_problem("乡镇", set()).startswith("方案编码须以小写英文字母开头")
    assert key_problem("t2026", set()) is None
    copied = scheme_from_dict(copy_of(_raw("township_annual"), "t2026", "乡镇卫生院2026", "2026.1"))
    assert (copied.id, copied.name, copied.version, len(copied.leaves)) == ("t2026", "乡镇卫生院2026", "2026.1", 17)
    assert scheme_from_dict(skeleton("blank", "新方案", "1")).leaves[0].points == 100


def test_the_diff_names_the_leaf_and_each_changed_rule_old_to_new() -> None:
    raw = _raw("township_annual")
    old = scheme_from_dict(raw)
    new = copy.deepcopy(raw)
    new["version"] = "2025.2"
    a11 = new["criteria"][0]["children"][0]["items"][0]
    a11["target"], a11["bands"][0]["threshold"] = 65, 65
    a12 = new["criteria"][0]["children"][0]["items"][1]
    new["criteria"][0]["children"][0]["items"][1] = {
        "code": a12["code"],
        "name": a12["name"],
        "method": "direct",
        "points": 8,
    }
    new["criteria"][0]["children"][0]["items"].append({"code": "A1.9", "name": "新增细则", "method": "bonus", "per_occurrence": 1, "cap": 2})  # fmt: skip
    new["bottom"]["threshold"] = 75
    diff = diff_versions(old, scheme_from_dict(new))
    assert diff.lines == [
        "方案版本：2025.1 → 2025.2",
        "方案末位规则 › 末位线：80 → 75",
        "新增评分细则 A1.9 新增细则",
        "修改评分细则 A1.1 居民健康档案电子建档率：目标值：60 → 65；分档（达到值 → 得分）：60：10 分；50：6 分；40：3 分 → 65：10 分；50：6 分；40：3 分",
        "修改评分细则 A1.2 高血压患者规范管理率：评分方法：目标值 → 直接评分；评分规则：按原方法 → 按新方法重新设置",
    ]
    assert diff_versions(old, old).empty
