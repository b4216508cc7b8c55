"""证明材料 on items (services/evidence.py) on SQLite and PostgreSQL: attaching (permission,
assessor scope, item of the scheme version, unit of the scheme), listing, downloading only for
those who may see the unit, removal with a reason, locked periods, the audit trail, and
「无书面材料不得分」 enforced by the import (command line path) and the upload check."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from conftest import SMALL_UNITS
from PIL import Image
from sqlalchemy import Engine, func, select

from services import attachments, permissions
from services.audit import audit_log
from services.catalog import register_scheme, upsert_units
from services.errors import Conflict, Forbidden, ImportRefused, InvalidInput, NotFound, PeriodLocked
from services.evidence import (
    attach_evidence,
    evidence_items,
    item_evidence,
    period_evidence,
    remove_evidence,
)
from services.periods import lock_period
from services.permissions import Actor
from services.submissions import import_values
from services.uploads import check_upload, commit
from services.values import current_values
from storage.db import reading
from storage.models import Attachment, Submission

P = "2025-03"
EV_SCHEME = """\
id: ev
name: 书面材料方案
version: "1"
period_type: month
categories: [测试类]
criteria:
  - code: C
    name: 公共卫生
    items:
      - {code: D1, name: 健康教育活动, method: direct, points: 50, evidence_required: true, allow_na: true}
      - {code: D2, name: 日常管理, method: direct, points: 20}
      - code: L1
        name: 制度建设
        method: checklist
        points: 10
        evidence_required: true
        tasks: [{code: L1a, name: 制度上墙, points: 5}, {code: L1b, name: 例会记录, points: 5}]
      - {code: K1, name: 安全检查, method: deduction, points: 20, per_occurrence: 5, evidence_required: true}
"""
ADMIN = Actor(1, "admin", "管理员甲", "admin")
ASSESSOR = Actor(3, "kp", "考核员乙", "assessor", schemes=("ev",))
OTHER_SCHEME = Actor(4, "kp2", "考核员丙", "assessor", schemes=("t",))
OTHER_CATEGORY = Actor(5, "kp3", "考核员丁", "assessor", schemes=("ev",), categories=("测试类二",))
UNIT1 = Actor(6, "u1", "甲中心账户", "unit", unit_code="U1")
UNIT2 = Actor(7, "u2", "乙中心账户", "unit", unit_code="U2")
VIEWER = Actor(8, "ld", "领导", "viewer")


def photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (10, 120, 200)).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
def ev(database: Engine) -> tuple[Engine, int]:
    upsert_units(SMALL_UNITS, "测试员", engine=database)
    version = register_scheme(EV_SCHEME, "测试员", engine=database).version
    return database, version.id


def stored(engine: Engine) -> int:
    with reading(engine) as s:
        return s.scalar(select(func.count()).select_from(Attachment))


def frame(cells: dict[str, dict[str, float | str]]) -> pd.DataFrame:
    rows = [
        (u, c, float("nan") if v == "不适用" else float(v), v == "不适用")
        for u, cs in cells.items()
        for c, v in cs.items()
    ]
    return pd.DataFrame(rows, columns=["unit", "code", "value", "na"])


def put(engine: Engine, version_id: int, cells: dict) -> object:
    f = frame(cells)
    return import_values(P, version_id, f, "测试员", "考核表.csv", f.to_csv(index=False).encode(), engine=engine)


# -- attaching, listing, fetching ------------------------------------------------------------
def test_an_assessor_attaches_evidence_that_is_listed_downloadable_and_audited(ev: tuple[Engine, int]) -> None:
    engine, _ = ev
    data = photo()
    info = attach_evidence("ev", P, "U1", "D1", "活动照片.jpg", data, "3月义诊", by=ASSESSOR, engine=engine)
    assert (info.unit_code, info.code, info.mime, info.size, info.note) == (
        "U1",
        "D1",
        "image/jpeg",
        len(data),
        "3月义诊",
    )
    assert info.uploaded_by == ASSESSOR.label

    listed = period_evidence("ev", P, by=ASSESSOR, engine=engine)
    assert [i.id for i in listed] == [info.id]
    assert period_evidence("ev", P, unit="U2", by=ADMIN, engine=engine) == []
    assert [i.id for i in item_evidence("ev", P, "U1", by=UNIT1, engine=engine)] == [info.id]

    got, body = attachments.fetch(info.id, by=UNIT1, engine=engine)
    assert body == data and got.file_name == "活动照片.jpg"
    assert attachments.fetch(info.id, by=VIEWER, engine=engine)[1] == data

    log = audit_log(action="evidence.attach", engine=engine)
    assert len(log) == 1 and "活动照片.jpg" in log["message"].iloc[0] and "U1" in log["message"].iloc[0]
    assert log["detail"].iloc[0]["sha256"] == info.sha256 and log["action_name"].iloc[0] == "上传证明材料"


def test_a_unit_account_cannot_fetch_another_units_evidence_nor_attach_any(ev: tuple[Engine, int]) -> None:
    engine, _ = ev
    info = attach_evidence("ev", P, "U1", "K1", "督查记录.jpg", photo(), by=ADMIN, engine=engine)
    with pytest.raises(Forbidden, match="只能查看本单位"):
        attachments.fetch(info.id, by=UNIT2, engine=engine)
    with pytest.raises(Forbidden):
        item_evidence("ev", P, "U1", by=UNIT2, engine=engine)
    with pytest.raises(Forbidden):
        attach_evidence("ev", P, "U2", "D1", "自证.jpg", photo(), by=UNIT2, engine=engine)
    with pytest.raises(Forbidden):
        period_evidence("ev", P, by=UNIT1, engine=engine)
    assert stored(engine) == 1


def test_assessors_outside_their_scheme_or_category_are_refused_and_nothing_is_stored(
    ev: tuple[Engine, int],
) -> None:
    engine, _ = ev
    with pytest.raises(Forbidden, match="未被分配考核方案「书面材料方案」"):
        attach_evidence("ev", P, "U1", "D1", "照片.jpg", photo(), by=OTHER_SCHEME, engine=engine)
    with pytest.raises(Forbidden, match="只负责 测试类二"):
        attach_evidence("ev", P, "U1", "D1", "照片.jpg", photo(), by=OTHER_CATEGORY, engine=engine)
    assert stored(engine) == 0
    kept = attach_evidence("ev", P, "U1", "D1", "照片.jpg", photo(), by=ASSESSOR, engine=engine)
    with pytest.raises(Forbidden):
        remove_evidence(kept.id, "误传", by=OTHER_CATEGORY, engine=engine)
    assert period_evidence("ev", P, by=OTHER_CATEGORY, engine=engine) == []  # U1 is not in 测试类二
    assert stored(engine) == 1


@pytest.mark.parametrize(
    ("unit", "code", "says"),
    [
        ("U1", "ZZ9", "指标编码「ZZ9」不在方案「书面材料方案」"),
        ("NOPE", "D1", "单位编码「NOPE」不在单位清单中"),
        ("X1", "D1", "单位「X1」的类别「其他类」不在方案「书面材料方案」的适用范围"),
        ("Z9", "D1", "单位「Z9」已停用"),
    ],
)
def test_an_item_or_unit_outside_the_scheme_is_refused_with_a_located_message(
    ev: tuple[Engine, int], unit: str, code: str, says: str
) -> None:
    engine, _ = ev
    with pytest.raises(InvalidInput, match=says):
        attach_evidence("ev", P, unit, code, "照片.jpg", photo(), by=ADMIN, engine=engine)
    assert stored(engine) == 0


def test_a_hostile_file_is_refused_and_nothing_is_stored(ev: tuple[Engine, int]) -> None:
    engine, _ = ev
    with pytest.raises(InvalidInput, match="内容不是"):
        attach_evidence("ev", P, "U1", "D1", "记录.pdf", b"<html><script>x</script></html>", by=ADMIN, engine=engine)
    assert stored(engine) == 0 and len(audit_log(action="evidence.attach", engine=engine)) == 0


def test_items_are_the_input_codes_of_the_version_in_use_with_the_requirement_marked(ev: tuple[Engine, int]) -> None:
    engine, _ = ev
    items = {i.code: i for i in evidence_items("ev", P, engine=engine)}
    assert list(items) == ["D1", "D2", "L1", "L1a", "L1b", "K1"]
    assert items["D1"].required and not items["D2"].required
    assert items["L1a"].name == "L1a 制度建设 · 制度上墙" and items["D1"].label.endswith("（需书面材料）")


# -- removal and locked periods --------------------------------------------------------------
def test_removal_needs_a_reason_is_audited_and_both_stop_once_the_period_is_locked(ev: tuple[Engine, int]) -> None:
    engine, _ = ev
    a = attach_evidence("ev", P, "U1", "D1", "一.jpg", photo(), by=ADMIN, engine=engine)
    b = attach_evidence("ev", P, "U1", "D1", "二.jpg", photo(), by=ADMIN, engine=engine)
    with pytest.raises(InvalidInput, match="请填写删除原因"):
        remove_evidence(a.id, "  ", by=ADMIN, engine=engine)
    assert "已删除证明材料「一.jpg」" in remove_evidence(a.id, "传错了单位", by=ASSESSOR, engine=engine)
    with pytest.raises(NotFound):
        remove_evidence(a.id, "再删一次", by=ADMIN, engine=engine)
    entry = audit_log(action="evidence.remove", engine=engine)
    assert len(entry) == 1 and "传错了单位" in entry["message"].iloc[0]
    assert entry["detail"].iloc[0]["sha256"] == a.sha256

    lock_period(P, "管理员", "已审定", engine=engine)
    with pytest.raises(PeriodLocked, match="不能删除证明材料"):
        remove_evidence(b.id, "清理", by=ADMIN, engine=engine)
    with pytest.raises(PeriodLocked, match="不能上传证明材料"):
        attach_evidence("ev", P, "U1", "D1", "三.jpg", photo(), by=ADMIN, engine=engine)
    assert [i.id for i in period_evidence("ev", P, by=ADMIN, engine=engine)] == [b.id]


# -- 「无书面材料不得分」 ------------------------------------------------------------------------
FULL = {"D1": 40, "D2": 15, "L1a": 1, "L1b": 0, "K1": 2}


def test_the_import_refuses_points_without_evidence_with_located_problems_and_stores_nothing(
    ev: tuple[Engine, int],
) -> None:
    engine, version_id = ev
    with pytest.raises(ImportRefused) as exc:
        put(engine, version_id, {"U1": FULL, "U2": {**FULL, "D1": 0, "L1a": 0}})
    where = {(p.unit, p.code) for p in exc.value.problems}
    assert where == {("U1", "D1"), ("U1", "L1a")}  # 0 needs no evidence; a deduction (K1) never does
    assert "无书面材料不得分" in str(exc.value.problems[0]) and "单位「U1」" in str(exc.value.problems[0])
    assert len(current_values("ev", P, engine=engine)) == 0
    with reading(engine) as s:
        assert s.scalar(select(func.count()).select_from(Submission)) == 0


def test_evidence_on_the_item_or_its_checklist_lets_the_import_through(ev: tuple[Engine, int]) -> None:
    engine, version_id = ev
    attach_evidence("ev", P, "U1", "D1", "活动.jpg", photo(), by=ADMIN, engine=engine)
    attach_evidence("ev", P, "U1", "L1", "制度.jpg", photo(), by=ADMIN, engine=engine)  # the checklist itself
    out = put(engine, version_id, {"U1": FULL, "U2": {**FULL, "D1": "不适用", "L1a": 0}})
    assert out.rows == 10 and len(current_values("ev", P, engine=engine)) == 10


def test_evidence_attached_to_another_unit_or_period_does_not_count(ev: tuple[Engine, int]) -> None:
    engine, version_id = ev
    attach_evidence("ev", P, "U2", "D1", "乙的.jpg", photo(), by=ADMIN, engine=engine)
    attach_evidence("ev", "2025-02", "U1", "D1", "上月的.jpg", photo(), by=ADMIN, engine=engine)
    with pytest.raises(ImportRefused) as exc:
        put(engine, version_id, {"U1": {**FULL, "L1a": 0}})
    assert [(p.unit, p.code) for p in exc.value.problems] == [("U1", "D1")]


def test_the_upload_check_locates_the_cell_that_lacks_evidence_and_commit_is_refused(
    ev: tuple[Engine, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, version_id = ev
    monkeypatch.setattr(permissions, "_ambient", lambda: ADMIN)
    rows = [["U1", c, v, ""] for c, v in {**FULL, "L1a": 0}.items()]
    data = ("\n".join(["单位,指标编码,数值,考核人"] + [",".join(map(str, r)) for r in rows]) + "\n").encode("utf-8-sig")
    check = check_upload(data, "评分.csv", version_id, P, engine=engine)
    assert not check.ok and check.preview is None
    (err,) = check.errors
    assert (err.unit, err.code, err.kind, err.row) == ("U1", "D1", "evidence_missing", 2)
    assert "无书面材料不得分" in err.problem and err.value == "40"
    assert "证明材料" in check.error_table()["建议"].iloc[0]
    with pytest.raises(InvalidInput, match="未导入任何数据"):
        commit(check, by=ADMIN, engine=engine)

    attach_evidence("ev", P, "U1", "D1", "活动.jpg", photo(), by=ADMIN, engine=engine)
    check = check_upload(data, "评分.csv", version_id, P, engine=engine)
    assert check.ok, check.errors
    assert commit(check, by=ADMIN, engine=engine).rows == 5


def test_every_download_of_evidence_is_audited(ev: tuple[Engine, int]) -> None:
    engine, _ = ev
    info = attach_evidence("ev", P, "U1", "D1", "活动照片.jpg", photo(), by=ADMIN, engine=engine)
    attachments.fetch(info.id, by=UNIT1, engine=engine)
    with pytest.raises(Forbidden):
        attachments.fetch(info.id, by=UNIT2, engine=engine)
    log = audit_log(action="export", engine=engine)
    assert list(log["target"]) == [f"attachment:{info.id}"] and UNIT1.label in log["actor"].iloc[0]
    assert "活动照片.jpg" in log["message"].iloc[0]


def test_the_upload_check_lists_missing_evidence_together_with_other_errors(
    ev: tuple[Engine, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, version_id = ev
    monkeypatch.setattr(permissions, "_ambient", lambda: ADMIN)
    data = "单位,指标编码,数值,考核人\nU1,D1,40,\nQQ,D1,30,\nU2,D1,0,\n".encode("utf-8-sig")
    check = check_upload(data, "评分.csv", version_id, P, engine=engine)
    kinds = sorted((e.kind, e.row) for e in check.errors)
    assert kinds == [("evidence_missing", 2), ("unknown_unit", 3)]  # U2's 0 needs no evidence
    assert check.total_errors == 2


def test_a_period_of_the_wrong_kind_is_refused(ev: tuple[Engine, int]) -> None:
    engine, _ = ev
    with pytest.raises(InvalidInput, match="按月度考核，不能为季度期间 2025-Q1"):
        attach_evidence("ev", "2025-Q1", "U1", "D1", "照片.jpg", photo(), by=ADMIN, engine=engine)
    assert stored(engine) == 0


def test_the_last_evidence_behind_a_scoring_value_cannot_be_removed(ev: tuple[Engine, int]) -> None:
    engine, version_id = ev
    first = attach_evidence("ev", P, "U1", "D1", "一.jpg", photo(), by=ADMIN, engine=engine)
    attach_evidence("ev", P, "U1", "L1a", "制度.jpg", photo(), by=ADMIN, engine=engine)
    put(engine, version_id, {"U1": FULL})
    with pytest.raises(Conflict, match="指标「D1 健康教育活动」要求书面材料.*仅有的证明材料"):
        remove_evidence(first.id, "换一份", by=ADMIN, engine=engine)
    assert stored(engine) == 2 and len(audit_log(action="evidence.remove", engine=engine)) == 0

    second = attach_evidence("ev", P, "U1", "D1", "二.jpg", photo(), by=ADMIN, engine=engine)
    assert "已删除" in remove_evidence(first.id, "换一份", by=ADMIN, engine=engine)  # another file remains
    put(engine, version_id, {"U1": {"D1": 0}})  # corrected to 0: no longer earns points
    assert "已删除" in remove_evidence(second.id, "不再需要", by=ADMIN, engine=engine)
