"""The 证明材料 page and the evidence in 单位详情's drill-down under AppTest, on a private copy of
the demo district: upload (several files, one hostile), list, download, removal with a reason,
an assessor's categories, and what a unit account may not open."""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import Engine, func, select
from streamlit.testing.v1 import AppTest
from test_pages import choose, signed_in_app

from services.catalog import list_units
from services.evidence import attach_evidence, evidence_items
from services.periods import lock_period
from services.permissions import Actor, page_allowed
from storage.db import make_engine, reading
from storage.models import Attachment

KEY, P = "community_monthly", "2025-12"


def photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (10, 120, 200)).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
def engine(_templates, tmp_path: Path) -> Iterator[Engine]:  # noqa: ANN001
    path = tmp_path / "assessment.db"
    shutil.copyfile(_templates.sqlite_file("demo"), path)
    eng = make_engine(f"sqlite:///{path}")
    yield eng
    eng.dispose()


def _app(engine: Engine, role: str, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    return signed_in_app(engine.url.render_as_string(hide_password=False), role, monkeypatch)


def _open(at: AppTest, unit: str, code: str) -> AppTest:
    at.switch_page("pages/evidence.py").run()
    assert not at.exception, at.exception
    at.selectbox(key="ev_scheme").set_value(KEY).run()
    at.selectbox(key=f"ev_period_{KEY}").set_value(P).run()
    at.selectbox(key=f"ev_unit_{KEY}").set_value(unit).run()
    at.selectbox(key=f"ev_item_{KEY}").set_value(code).run()
    assert not at.exception, at.exception
    return at


def _stored(engine: Engine) -> int:
    with reading(engine) as s:
        return s.scalar(select(func.count()).select_from(Attachment))


def test_an_administrator_uploads_lists_and_removes_evidence(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    code = evidence_items(KEY, P, engine=engine)[0].code
    at = _open(_app(engine, "admin", monkeypatch), "C01", code)
    assert any("尚无证明材料" in i.value for i in at.info)

    at.file_uploader(key="ev_files_0").set_value(
        [("现场照片.jpg", photo(), "image/jpeg"), ("记录.pdf", b"<html><script>x</script></html>", "application/pdf")]
    )
    at.text_input(key="ev_note_0").input("12月督查")
    next(b for b in at.button if b.label == "上传").click().run()
    assert not at.exception, at.exception
    assert any("已保存「现场照片.jpg」" in s.value for s in at.success)
    assert any("「记录.pdf」的内容不是" in e.value for e in at.error)  # refused, the other file kept
    assert _stored(engine) == 1

    table = at.dataframe[0].value
    assert list(table["文件"]) == ["现场照片.jpg"] and list(table["说明"]) == ["12月督查"]
    assert list(table["类型"]) == ["图片（JPEG）"] and list(table["上传人"])[0].startswith("演示管理员")
    assert any(d.label == "下载「现场照片.jpg」" for d in at.get("download_button"))

    next(b for b in at.button if b.label == "删除").click().run()  # no reason
    assert any("请填写删除原因" in e.value for e in at.error) and _stored(engine) == 1
    at.text_input(key="ev_reason").input("传错了")
    next(b for b in at.button if b.label == "删除").click().run()
    assert not at.exception, at.exception
    assert any("已删除证明材料「现场照片.jpg」" in s.value for s in at.success)
    assert _stored(engine) == 0


def test_the_drill_down_shows_the_units_evidence_with_a_download(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    code = evidence_items(KEY, P, engine=engine)[0].code
    attach_evidence(KEY, P, "C03", code, "督查记录.jpg", photo(), "抽查", engine=engine)
    at = _app(engine, "viewer", monkeypatch)
    choose(at, KEY, P)
    at.session_state["unit"] = "C03"
    at.switch_page("pages/unit_detail.py").run()
    assert not at.exception, at.exception
    assert "证明材料" in [s.value for s in at.subheader]
    table = next(d.value for d in at.dataframe if "文件" in d.value.columns)
    assert list(table["文件"]) == ["督查记录.jpg"] and list(table["大小"])[0].endswith("KB")
    assert any(d.label == "下载「督查记录.jpg」" for d in at.get("download_button"))

    at.session_state["unit"] = "C01"  # another unit: none of C03's files
    at.run()
    assert not any("督查记录.jpg" in str(d.value) for d in at.dataframe)
    assert any("没有为该单位上传证明材料" in c.value for c in at.caption)


def test_an_assessor_sees_only_units_of_their_categories_and_a_unit_account_cannot_open_the_page(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    register = list_units(engine=engine)
    inside = register[(register["category"] == "社区卫生服务中心") & register["active"]]
    at = _app(engine, "assessor", monkeypatch)  # demo-assessor: community_monthly, 社区卫生服务中心
    at.switch_page("pages/evidence.py").run()
    assert not at.exception, at.exception
    assert len(at.selectbox(key="ev_scheme").options) == 1
    shown = at.selectbox(key=f"ev_unit_{KEY}").options
    assert sorted(shown) == sorted(f"{n}（{c}）" for c, n in zip(inside["code"], inside["name"], strict=True))

    assert not page_allowed(Actor(9, "demo-unit", "单位", "unit", unit_code="C03"), "pages/evidence.py")
    unit = _app(engine, "unit", monkeypatch)
    with pytest.raises(ValueError, match="evidence.py"):  # not in a unit account's navigation at all
        unit.switch_page("pages/evidence.py")


def test_the_upload_page_lists_a_scoring_value_without_evidence_and_imports_nothing(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    import yaml

    from services.catalog import latest_version, register_scheme
    from services.submissions import history

    spec = yaml.safe_load(latest_version(KEY, engine=engine).source)
    spec["version"] = "2026.1"
    leaf = next(item for c in spec["criteria"] for item in c.get("items", []) if item["code"] == "A1")
    leaf["evidence_required"] = True  # 「无书面材料不得分」 on A1 from this version on
    register_scheme(yaml.safe_dump(spec, allow_unicode=True), "测试员", engine=engine)
    period = "2026-11"  # no values yet: uploads use the new version

    at = _app(engine, "admin", monkeypatch)
    at.switch_page("pages/upload.py").run()
    at.selectbox(key="entry_scheme").set_value(KEY).run()
    at.selectbox(key=f"entry_period_{KEY}").set_value(period).run()
    data = "单位,指标编码,数值\nC01,A1,8\nC02,A1,0\n".encode("utf-8-sig")
    next(u for u in at.file_uploader if u.key.startswith("up_file_")).set_value(("a1.csv", data, "text/csv")).run()
    assert not at.exception, at.exception
    errors = at.dataframe[0].value
    assert len(errors) == 1 and errors["行"].iloc[0] == 2  # C02's 0 needs no evidence
    assert "无书面材料不得分" in errors["问题"].iloc[0] and "C01" in errors["问题"].iloc[0]
    assert not any(b.label == "确认导入" for b in at.button)
    assert len(history(KEY, period, engine=engine)) == 0


def test_a_locked_period_says_so_once(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """Found in the browser: 「2025年12月已锁定（已锁定（演示管理员 于 …））」."""
    lock_period(P, "管理员", "公示结束，申诉已处理完毕", engine=engine)
    code = evidence_items(KEY, P, engine=engine)[0].code
    at = _open(_app(engine, "admin", monkeypatch), "C01", code)
    (said,) = [w.value for w in at.warning if "不能上传或删除证明材料" in w.value]
    assert said.count("已锁定") == 1 and "原因：公示结束，申诉已处理完毕" in said, said
    assert not at.get("file_uploader")
