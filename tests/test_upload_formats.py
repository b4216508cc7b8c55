"""The 上传评分表 page with files in other formats, and with warnings (audit finding 15).

The uploader takes any file, so the reader — not Streamlit's English refusal — says what a file is
and how to convert it; warnings on cells read (0.9 in a percentage column) show with the preview.
"""

from __future__ import annotations

from test_upload_page import _sheet, _upload, at, engine, role  # noqa: F401  (fixtures)

CFB = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 2048  # the start of an .xls file


def test_uploader_takes_any_file_and_the_reader_explains_in_chinese(at, engine):  # noqa: F811
    uploader = next(u for u in at.file_uploader if u.key.startswith("up_file_"))
    assert list(uploader.proto.type) == []  # no filter: Streamlit would refuse other files in English
    assert "另存为" in uploader.proto.help
    _upload(at, "旧表.xls", CFB)
    errors = at.dataframe[0].value
    problem = " ".join(errors["问题"]) + " ".join(errors["建议"])
    assert "旧版 Excel 格式（.xls）" in problem and "另存为" in problem and ".xlsx" in problem
    assert not [b for b in at.button if b.label == "确认导入"]


def test_fraction_in_a_percentage_column_is_warned_with_the_preview(at, engine):  # noqa: F811
    _upload(at, "8月更正.xlsx", _sheet(engine, {("C08", "A2"): 0.9}))  # 处方合格率: target 95 %
    assert [s.value for s in at.subheader][-2:] == ["3. 预览：导入后会发生什么", "4. 确认导入"]
    warned = [w.value for w in at.warning if "可能是 90%" in w.value]
    assert len(warned) == 1 and "不影响导入" in warned[0] and "改填 90" in warned[0]
