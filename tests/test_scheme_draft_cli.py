"""`python manage.py scheme-draft FILE --out FILE.yaml`: the draft written, the report printed."""

from __future__ import annotations

from pathlib import Path

import pytest
from scheme_draft_tables import COMMUNITY_MERGES, COMMUNITY_NOTE, COMMUNITY_ROWS, docx_bytes

from manage import main
from scoring import load_scheme


def test_a_word_table_becomes_a_yaml_draft_and_a_row_report(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    source = tmp_path / "细则.docx"
    source.write_bytes(docx_bytes(COMMUNITY_ROWS, COMMUNITY_MERGES, "某区社区年度考核方案", COMMUNITY_NOTE))
    out = tmp_path / "draft.yaml"
    assert main(["scheme-draft", str(source), "--out", str(out)]) == 0
    scheme = load_scheme(out)  # the YAML loads as a scheme
    assert [leaf.code for leaf in scheme.leaves] == ["A1", "A2", "A3", "B1", "B2", "B3", "B4", "C1", "C2", "C3"]
    printed = capsys.readouterr().out
    assert "共 10 行评分细则，识别出评分规则 6 行，需要人工确认 4 行" in printed
    assert "第 3 行 A2「院感管理」10 分：识别为扣分项：每次扣 1 分，扣完为止（最多扣 10 分）" in printed
    assert "第 4 行 A3「医疗质量」10 分  【需要确认】未识别评分规则，按直接评分处理，请核对" in printed
    assert "表格第 7 行「传染病报告」: 评分标准最多得 1 分，本项分值为 10 分，请核对" in printed


def test_an_encrypted_file_gets_one_message_and_no_draft(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    source = tmp_path / "加密.docx"
    source.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    out = tmp_path / "draft.yaml"
    assert main(["scheme-draft", str(source), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("加密.docx：文件设有打开密码（已加密）") and "Traceback" not in err
    assert not out.exists()
