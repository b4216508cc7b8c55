"""方案管理: uploading a bureau's own Word 评分细则表 shows the row report and a draft that validates;
nothing is saved until a person saves."""

from __future__ import annotations

from chinese_text import problems_in
from scheme_draft_tables import COMMUNITY_MERGES, COMMUNITY_NOTE, COMMUNITY_ROWS, docx_bytes
from streamlit.testing.v1 import AppTest
from test_pages import app, demo_url  # noqa: F401 - fixtures

from services.catalog import list_schemes

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def test_a_word_table_becomes_a_checked_draft_and_nothing_is_saved(app: AppTest) -> None:  # noqa: F811
    before = {v.scheme_key: v.version for v in list_schemes()}
    app.switch_page("pages/admin_schemes.py").run()
    app.radio(key="scheme_start").set_value("导入已有评分细则表（Word / Excel）").run()
    data = docx_bytes(COMMUNITY_ROWS, COMMUNITY_MERGES, "某区社区卫生服务中心年度考核方案", COMMUNITY_NOTE)
    app.file_uploader(key="scheme_draft_file").set_value(("社区细则.docx", data, DOCX)).run()
    assert not app.exception, app.exception
    assert any("识别出评分规则 6 行，需要人工确认 4 行" in i.value for i in app.info)
    report = app.dataframe[1].value  # [0] is the versions table
    assert list(report.columns) == ["行", "编码", "名称", "分值", "识别结果", "需要确认"]
    assert report.iloc[1].tolist()[:5] == [
        "3",
        "A2",
        "院感管理",
        "10",
        "识别为扣分项：每次扣 1 分，扣完为止（最多扣 10 分）",
    ]
    assert any("评分细则表中有 1 处请核对" in w.value for w in app.warning)
    assert "id: draft" in app.text_area[0].value
    assert any("校验通过：某区社区卫生服务中心年度考核方案 版本 草稿，共 10 个评分细则" in s.value for s in app.success)
    assert {v.scheme_key: v.version for v in list_schemes()} == before  # nothing saved
    shown = [("info", i.value) for i in app.info] + [("caption", c.value) for c in app.caption]
    shown += [("warning", w.value) for w in app.warning] + [("code", c.value) for c in app.code]
    shown += [("cell", str(v)) for v in report.to_numpy().ravel()] + [("column", c) for c in report.columns]
    assert problems_in(shown, before) == []  # the report is Chinese only


def test_an_encrypted_file_is_refused_in_chinese(app: AppTest) -> None:  # noqa: F811
    app.switch_page("pages/admin_schemes.py").run()
    app.radio(key="scheme_start").set_value("导入已有评分细则表（Word / Excel）").run()
    app.file_uploader(key="scheme_draft_file").set_value(
        ("加密.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, DOCX)
    ).run()
    assert not app.exception, app.exception
    assert any("文件设有打开密码（已加密）" in e.value for e in app.error)
