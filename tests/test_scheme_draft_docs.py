"""The worked example of importing a 评分细则表 in docs/schemes.md: the table shown there, written
as a Word table, gives the report shown there."""

from __future__ import annotations

import re
from pathlib import Path

from scheme_draft_tables import docx_bytes

from sheets.scheme_draft import read_draft
from sheets.scheme_draft.report import report_rows

DOC = Path(__file__).resolve().parents[1] / "docs" / "schemes.md"


def _table(marker: str) -> list[list[str]]:
    text = DOC.read_text(encoding="utf-8")
    block = text.split(f"<!-- draft-example: {marker} -->\n", 1)[1]
    table = block.split("\n\n", 1)[0].splitlines()  # the table ends at the first blank line
    rows = [[c.strip() for c in line.strip().strip("|").split("|")] for line in table]
    return [r for r in rows if not all(re.fullmatch(r"-+", c) for c in r)]


def test_the_documented_table_gives_the_documented_report() -> None:
    source = _table("source")
    draft = read_draft(docx_bytes(source), "评分细则.docx")
    expected = _table("report")
    assert [list(r) for r in report_rows(draft)] == expected[1:]
    assert draft.warnings == ["表格第 5 行「信息报送」: 评分标准最多得 1 分，本项分值为 5 分，请核对"]
    assert draft.scheme["total"] == 30 and draft.scheme["criteria"][0]["points"] == 20
