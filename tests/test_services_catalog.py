"""Units, categories and scheme versions on both databases."""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest
from conftest import SMALL_SCHEME, SMALL_UNITS, SmallDb
from sqlalchemy import Engine

from services import catalog
from services.audit import audit_log
from services.errors import Conflict, ImportRefused, InvalidInput, NotFound
from services.results import results
from storage.db import reading
from storage.sql import counter_value


def catalog_revision(engine: Engine, counter: str = catalog.CATALOG_COUNTER) -> int:
    with reading(engine) as s:
        return counter_value(s, counter)


# -- units -----------------------------------------------------------------------------------
def test_units_round_trip_with_categories_aliases_parents(database: Engine) -> None:
    frame = pd.DataFrame(
        {
            "code": ["T01", "V01", "V02"],
            "name": ["柳塘镇中心卫生院", "柳塘镇东湖村卫生室", "柳塘镇西岭村卫生室"],
            "category": ["乡镇卫生院", "村卫生室", "村卫生室"],
            "parent": ["", "T01", "T01"],
            "population": pd.array([45000, 1200, None], dtype="Int64"),
            "aliases": ["柳塘卫生院|柳塘中心卫生院", "东湖村卫生室", ""],
        }
    )
    changes = catalog.upsert_units(frame, "管理员", engine=database)
    assert (changes.created, changes.updated, changes.categories_created) == (3, 0, ["乡镇卫生院", "村卫生室"])
    units = catalog.list_units(engine=database)
    assert units[["code", "name", "category", "parent", "aliases"]].to_dict("list") == {
        "code": ["T01", "V01", "V02"],
        "name": list(frame["name"]),
        "category": list(frame["category"]),
        "parent": ["", "T01", "T01"],
        "aliases": list(frame["aliases"]),
    }
    assert units["population"].tolist() == [45000, 1200, pd.NA] and units["active"].all()
    assert catalog.list_categories(engine=database) == ["乡镇卫生院", "村卫生室"]


def test_an_unchanged_register_changes_nothing(small: SmallDb) -> None:
    revision = catalog_revision(small.engine)
    entries = len(audit_log(engine=small.engine))
    changes = catalog.upsert_units(SMALL_UNITS, "管理员", engine=small.engine)
    assert (changes.created, changes.updated, changes.unchanged) == (0, 0, 6)
    assert catalog_revision(small.engine) == revision and len(audit_log(engine=small.engine)) == entries


def test_a_changed_unit_is_updated_and_audited(small: SmallDb) -> None:
    revision, labels = catalog_revision(small.engine), catalog_revision(small.engine, catalog.LABELS_COUNTER)
    edited = SMALL_UNITS.assign(name=SMALL_UNITS["name"].where(SMALL_UNITS["code"] != "U2", "乙中心（更名）"))
    changes = catalog.upsert_units(edited, "管理员", engine=small.engine)
    assert (changes.created, changes.updated) == (0, 1) and "更新 1 个" in changes.message
    # A new name: shown beside the scores, not scored with (issue 23): stored results stay valid.
    assert catalog_revision(small.engine) == revision
    assert catalog_revision(small.engine, catalog.LABELS_COUNTER) == labels + 1
    assert audit_log(action="units.upsert", engine=small.engine).iloc[0]["actor"] == "管理员"

    regrouped = edited.assign(category=edited["category"].where(edited["code"] != "U2", "测试类二"))
    catalog.upsert_units(regrouped, "管理员", engine=small.engine)
    assert catalog_revision(small.engine) == revision + 1  # a new peer group: scores change
    catalog.set_unit_active("U2", False, "管理员", engine=small.engine)
    assert catalog_revision(small.engine) == revision + 2


def test_the_register_kept_between_reads_follows_every_change(small: SmallDb) -> None:
    """list_units is kept per process; a rename, a new unit, a parent and a deactivation are seen
    at once, and a caller changing its copy never changes what the next caller gets."""
    before = catalog.list_units(engine=small.engine)
    mine = catalog.list_units(engine=small.engine)
    mine["name"] = "改掉"
    mine.loc[0, "code"] = "X"
    assert catalog.list_units(engine=small.engine).equals(before)
    renamed = before[["code", "name", "category"]].assign(name=lambda f: f["name"] + "（新）")
    new = pd.DataFrame({"code": ["N1"], "name": ["新单位"], "category": [before["category"].iloc[0]]})
    catalog.upsert_units(pd.concat([renamed, new]), "管理员", engine=small.engine)
    after = catalog.list_units(engine=small.engine)
    assert after["name"].str.endswith("（新）").sum() == len(before) and "N1" in set(after["code"])
    catalog.set_unit_active("N1", False, "管理员", engine=small.engine)
    assert "N1" not in set(catalog.list_units(include_inactive=False, engine=small.engine)["code"])
    assert not catalog.list_units(engine=small.engine).set_index("code").loc["N1", "active"]


@pytest.mark.parametrize(
    ("frame", "expected"),
    [
        (
            pd.DataFrame({"code": ["A", "A"], "name": ["甲", "乙"], "category": ["类", "类"]}),
            "单位编码 A 出现了不止一次",
        ),
        (pd.DataFrame({"code": ["A"], "name": [""], "category": ["类"]}), "单位 A：名称为空"),
        (pd.DataFrame({"code": ["A"], "name": ["甲"], "category": ["类"], "parent": ["Q"]}), "上级单位 Q 不存在"),
        (pd.DataFrame({"code": ["A"], "name": ["甲"]}), "缺少列 category"),
    ],
    ids=["duplicate", "no-name", "no-parent", "no-category"],
)
def test_a_bad_register_changes_nothing(database: Engine, frame: pd.DataFrame, expected: str) -> None:
    with pytest.raises(InvalidInput, match=expected):
        catalog.upsert_units(frame, "管理员", engine=database)
    assert catalog.list_units(engine=database).empty


def test_parent_cycles_are_refused(database: Engine) -> None:
    catalog.upsert_units(pd.DataFrame({"code": ["A", "B"], "name": ["甲", "乙"], "category": "类", "parent": ["", "A"]}),
                         "管理员", engine=database)  # fmt: skip
    with pytest.raises(InvalidInput, match="循环"):
        catalog.upsert_units(pd.DataFrame({"code": ["A"], "name": ["甲"], "category": ["类"], "parent": ["B"]}),
                             "管理员", engine=database)  # fmt: skip
    assert catalog.list_units(engine=database)["parent"].tolist() == ["", "A"]


def test_a_deactivated_unit_refuses_new_values_but_keeps_its_history(small: SmallDb) -> None:
    small.put("2025-03", {"U4": {"D1": 1, "D2": 2}})
    catalog.set_unit_active("U4", False, "管理员", engine=small.engine)
    with pytest.raises(ImportRefused, match="已停用"):
        small.put("2025-04", {"U4": {"D1": 1, "D2": 2}})
    assert small.current("2025-03")[("U4", "D1", "")] == 1
    assert "U4" not in set(catalog.list_units(include_inactive=False, engine=small.engine)["code"])
    assert audit_log(action="unit.deactivate", engine=small.engine).iloc[0]["target"] == "unit:U4"
    with pytest.raises(NotFound):
        catalog.set_unit_active("NOPE", True, "管理员", engine=small.engine)


def test_unit_labels_for_matching_names_in_sheets(small: SmallDb) -> None:
    catalog.upsert_units(pd.DataFrame({"code": ["U9"], "name": ["乙"], "category": ["测试类"]}), "管理员",
                         engine=small.engine)  # fmt: skip
    labels = catalog.unit_labels(engine=small.engine)
    row = labels[labels["label"] == "甲社区"].iloc[0]
    assert (row["code"], row["kind"], row["ambiguous"]) == ("U1", "alias", False)
    assert set(labels.loc[labels["label"] == "乙", "code"]) == {"U2", "U9"}
    assert labels.loc[labels["label"] == "乙", "ambiguous"].all()
    assert "Z9" not in set(labels["code"])  # inactive units are not offered


# -- schemes ---------------------------------------------------------------------------------
def test_the_same_yaml_is_the_same_version(small: SmallDb) -> None:
    again = catalog.register_scheme(SMALL_SCHEME, "别人", engine=small.engine)
    assert again.status == "existing" and again.version.id == small.version_id
    assert again.version.sha256 == hashlib.sha256(SMALL_SCHEME.encode()).hexdigest()
    assert again.version.source == SMALL_SCHEME and again.version.load().id == "t"
    assert len(catalog.scheme_versions("t", engine=small.engine)) == 1


def test_an_unused_version_may_be_corrected_in_place(small: SmallDb) -> None:
    corrected = SMALL_SCHEME.replace("直接评分一", "直接评分（一）")
    reg = catalog.register_scheme(corrected, "管理员", engine=small.engine)
    assert reg.status == "replaced" and reg.version.id == small.version_id
    assert catalog.get_version(small.version_id, engine=small.engine).source == corrected
    entry = audit_log(action="scheme.replace", engine=small.engine).iloc[0]
    assert entry["detail"]["old_sha256"] == hashlib.sha256(SMALL_SCHEME.encode()).hexdigest()


def test_a_version_in_use_never_changes(small: SmallDb) -> None:
    small.put("2025-03", {"U1": {"D1": 1, "D2": 2}})
    before = catalog.get_version(small.version_id, engine=small.engine)
    with pytest.raises(Conflict, match="内容不能再修改.*version 改为新的版本号"):
        catalog.register_scheme(SMALL_SCHEME.replace("直接评分一", "改过的名字"), "管理员", engine=small.engine)
    assert catalog.get_version(small.version_id, engine=small.engine) == before

    new = catalog.register_scheme(SMALL_SCHEME.replace('version: "1"', 'version: "2"'), "管理员", engine=small.engine)
    assert new.status == "created" and new.version.id != small.version_id and "新版本 2" in new.message
    assert catalog.latest_version("t", engine=small.engine).version == "2"
    assert [s.version for s in catalog.list_schemes(engine=small.engine)] == ["2"]
    assert results("t", "2025-03", engine=small.engine).version.version == "1"  # scored with its own version


def test_an_invalid_scheme_is_refused_with_located_messages(database: Engine) -> None:
    with pytest.raises(InvalidInput) as err:
        catalog.register_scheme(SMALL_SCHEME.replace("points: 50", "points: -5"), "管理员", engine=database)
    assert "一级指标「测试指标」 › 指标 D1「直接评分一」的「分值」: 必须大于 0" in str(err.value)
    with pytest.raises(InvalidInput, match="方案文本格式错误"):
        catalog.register_scheme("id: [unclosed", "管理员", engine=database)
    assert catalog.scheme_versions(engine=database) == []


def test_unknown_versions_and_schemes(database: Engine) -> None:
    with pytest.raises(NotFound, match="编号为 42 的方案版本"):
        catalog.get_version(42, engine=database)
    with pytest.raises(NotFound, match="尚未登记"):
        catalog.latest_version("nope", engine=database)
