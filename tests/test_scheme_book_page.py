"""方案管理's workbook panel under AppTest: an exported workbook uploaded back passes the check."""

from __future__ import annotations

import io

import openpyxl
from streamlit.testing.v1 import AppTest
from test_pages import app, demo_url  # noqa: F401 - fixtures

from services.catalog import latest_version
from sheets.scheme_book import layout as L
from sheets.scheme_book import write_scheme_book

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _exported(edit: tuple[str, str, object] | None = None) -> bytes:
    data = write_scheme_book(latest_version("hospital_monthly").load())
    if edit is None:
        return data
    book = openpyxl.load_workbook(io.BytesIO(data))
    ws = book[L.PARAMS_SHEET]
    code, header, value = edit
    row = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == code)
    col = next(c for c in range(1, ws.max_column + 1) if ws.cell(1, c).value == header)
    ws.cell(row, col).value = value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_uploaded_workbook_fills_the_editor_and_passes(app: AppTest) -> None:  # noqa: F811
    app.switch_page("pages/admin_schemes.py").run()
    app.radio(key="scheme_start").set_value("上传评分细则工作簿（Excel）").run()
    assert not any("校验通过" in s.value for s in app.success)  # nothing in the editor yet
    assert app.get("download_button")  # the chosen scheme's workbook
    app.file_uploader(key="book_file").set_value(("细则.xlsx", _exported(), XLSX)).run()
    assert not app.exception, app.exception
    assert any("已读入工作簿「细则.xlsx」" in s.value for s in app.success)
    # the stored scheme's next version: the workbook kept 2025.1, which is registered already
    assert any("校验通过：区级医院月度绩效考核 版本 2025.2" in s.value for s in app.success), [
        s.value for s in app.success
    ]
    assert "id: hospital_monthly" in app.text_area[0].value
    assert "各单位的总分和名次都不变。" in [i.value for i in app.info]  # the workbook changed nothing


def test_a_wrong_workbook_shows_located_problems(app: AppTest) -> None:  # noqa: F811
    app.switch_page("pages/admin_schemes.py").run()
    app.radio(key="scheme_start").set_value("上传评分细则工作簿（Excel）").run()
    app.file_uploader(key="book_file").set_value(("细则.xlsx", _exported(("A1.1", "分值", "十")), XLSX)).run()
    assert not app.exception, app.exception
    assert any("工作簿有 1 处问题，未读入" in e.value for e in app.error)
    assert "「分值」: '十' 不是数字" in app.code[0].value
    assert not any("校验通过" in s.value for s in app.success)
