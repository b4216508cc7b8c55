"""The 全区通报 from the meeting page in a real browser: the Word document downloads, opens with
python-docx and holds every scheme published in the month; the Excel one has its 全区 sheet."""

from __future__ import annotations

import io
from pathlib import Path

import docx
import openpyxl
import pytest
from test_browser_meeting import open_meeting

pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.browser


def test_the_district_bulletin_downloads_from_the_meeting_page(page, server: str) -> None:  # noqa: ANN001
    open_meeting(page, server, "2025年12月")
    with page.expect_download(timeout=120_000) as info:
        page.get_by_role("button", name="下载全区通报（Word）").click()
    download = info.value
    assert download.suggested_filename == "2025年12月全区考核通报.docx"
    document = docx.Document(io.BytesIO(Path(download.path()).read_bytes()))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "关于2025年12月全区卫生健康单位绩效考核情况的通报" in text
    assert "（一）社区卫生服务中心月度绩效考核" in text and "（二）区级医院月度绩效考核" in text
    assert "（三）村卫生室月度考核" in text
    assert len(document.tables) == 3

    with page.expect_download(timeout=120_000) as info:
        page.get_by_role("button", name="下载全区通报（Excel）").click()
    book = openpyxl.load_workbook(io.BytesIO(Path(info.value.path()).read_bytes()))
    assert book.sheetnames == ["全区", "社区卫生服务中心月度绩效考核", "区级医院月度绩效考核", "村卫生室月度考核"]
