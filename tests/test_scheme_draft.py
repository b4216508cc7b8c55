"""Importing a bureau's own 评分细则表 (Word / foreign Excel) as a draft scheme: tree, codes, points,
recognised methods, the row report, lint, and the files refused with one located message."""

from __future__ import annotations

import io
import zipfile

import pytest
from scheme_draft_tables import (
    COMMUNITY_MERGES,
    COMMUNITY_NOTE,
    COMMUNITY_ROWS,
    NUMBERED_MERGES,
    NUMBERED_ROWS,
    docx_bytes,
    xlsx_bytes,
)

from scoring import scheme_from_dict
from sheets.scheme_draft import DraftRefused, read_draft

TITLE = "XX区社区卫生服务中心年度绩效考核方案"


def community_docx() -> bytes:
    return docx_bytes(COMMUNITY_ROWS, COMMUNITY_MERGES, TITLE, COMMUNITY_NOTE)


def tree(criteria: list[dict]) -> list:
    """(code, name, points) of criteria and leaves, nested."""
    return [
        (
            c["code"],
            c["name"],
            c.get("points"),
            tree(c.get("children", [])),
            [(i["code"], i["name"], i["points"], i["method"]) for i in c.get("items", [])],
        )
        for c in criteria
    ]


def test_a_word_table_with_merged_sections_becomes_the_expected_draft() -> None:
    draft = read_draft(community_docx(), "社区考核细则.docx")
    scheme = draft.scheme
    assert (scheme["name"], scheme["period_type"], scheme["total"], scheme["bonus_cap"]) == (TITLE, "year", 100, 3)
    assert tree(scheme["criteria"]) == [
        (
            "A",
            "基本医疗",
            30,
            [],
            [
                ("A1", "门诊处方合格率", 10, "target"),
                ("A2", "院感管理", 10, "deduction"),
                ("A3", "医疗质量", 10, "direct"),
            ],
        ),
        (
            "B",
            "基本公共卫生服务",
            40,
            [],
            [
                ("B1", "高血压患者规范管理率", 15, "target"),
                ("B2", "健康教育", 5, "checklist"),
                ("B3", "传染病报告", 10, "direct"),
                ("B4", "预防接种", 10, "direct"),
            ],
        ),
        (
            "C",
            "综合管理",
            None,
            [],
            [("C1", "安全生产", 0, "veto"), ("C2", "创新工作", 0, "bonus"), ("C3", "群众满意度", 30, "direct")],
        ),
    ]
    leaves = {i["code"]: i for c in scheme["criteria"] for i in c["items"]}
    assert leaves["A1"]["bands"] == [
        {"threshold": 95, "points": 10},
        {"threshold": 90, "points": 6},
        {"threshold": 80, "points": 3},
    ]
    assert leaves["A1"]["tags"] == ["核心指标"] and leaves["B1"]["tags"] == ["核心指标"] and "tags" not in leaves["A2"]
    assert scheme["tags"][0]["mark"] == "★"
    assert leaves["A2"]["per_occurrence"] == 1
    assert (leaves["B1"]["mode"], leaves["B1"]["target"]) == ("proportional", 60)
    assert leaves["B2"]["tasks"] == [
        {"code": "B2-1", "name": "有年度健康教育计划", "points": 2},
        {"code": "B2-2", "name": "有工作总结", "points": 3},
    ]
    assert (leaves["C2"]["per_occurrence"], leaves["C2"]["cap"]) == (1, 3)
    # the rule text as written (Chinese punctuation kept), with the 考核方法
    assert leaves["B4"]["description"] == "每漏种一人次扣0.5分，每迟报一次扣1分（考核方法：抽查）"
    scheme_from_dict(scheme)  # the draft validates as it is
    assert draft.problems == []


def test_the_report_says_row_by_row_what_was_recognised_and_what_to_decide() -> None:
    draft = read_draft(community_docx(), "社区考核细则.docx")
    rows = {r.row: r for r in draft.rows}
    assert sorted(rows) == list(range(2, 12))  # 表格第 2–11 行; header, 合计 and the note are not leaves
    assert rows[3].recognised == "识别为扣分项：每次扣 1 分，扣完为止（最多扣 10 分）" and rows[3].to_confirm == ""
    assert rows[2].recognised.endswith("带 ★，已加标签「★核心指标」")
    assert (rows[4].method, rows[4].to_confirm) == ("直接评分", "未识别评分规则，按直接评分处理，请核对")
    assert (rows[9].method, rows[9].points) == ("一票否决", None)
    assert rows[10].recognised == "识别为加分项：每次加 1 分，最高加 3 分（不计入基础分）"
    # 「得1分，否则不得分」 on a 10-point item: not a one-task checklist, and a located warning
    assert rows[7].method == "直接评分"
    assert "表格第 7 行「传染病报告」: 评分标准最多得 1 分，本项分值为 10 分，请核对" in draft.warnings


def test_a_three_level_numbered_excel_table_keeps_its_numbering_and_checks_its_subtotals() -> None:
    data = xlsx_bytes(NUMBERED_ROWS, NUMBERED_MERGES, title="乡镇卫生院季度考核评分细则")
    draft = read_draft(data, "乡镇卫生院.xlsx")
    scheme = draft.scheme
    assert (scheme["id"], scheme["period_type"], scheme["total"]) == ("draft", "quarter", 30)
    assert tree(scheme["criteria"]) == [
        (
            "1",
            "公共卫生服务",
            20,  # its 小计 agrees: kept, and checked on every load
            [
                ("1.1", "健康档案", None, [], [("1.1.1", "建档率", 6, "target"), ("1.1.2", "档案使用率", 4, "target")]),
                ("1.2", "慢病管理", None, [], [("1.2.1", "随访完成率", 10, "deduction")]),
            ],
            [],
        ),
        (
            "2",
            "综合管理",
            None,  # its 小计 (12) disagrees with the leaves (10): left out, and warned about
            [("2.1", "制度建设", None, [], [("2.1.1", "制度上墙", 5, "checklist"), ("2.1.2", "培训", 5, "direct")])],
            [],
        ),
    ]
    # Excel rows: title in row 1, header in row 2, so 小计 of 综合管理 (table row 7) is Excel row 9
    assert draft.warnings == [
        "工作表「评分细则」第 9 行「小计」: 一级指标「综合管理」各细则合计 10 分，表中写 12 分，请核对"
    ]
    assert [r.row for r in draft.rows] == [3, 4, 5, 7, 8]
    scheme_from_dict(scheme)


def test_the_same_table_in_word_and_excel_gives_the_same_scheme() -> None:
    word = read_draft(docx_bytes(NUMBERED_ROWS, NUMBERED_MERGES), "a.docx").scheme
    excel = read_draft(xlsx_bytes(NUMBERED_ROWS, NUMBERED_MERGES), "a.xlsx").scheme
    assert word["criteria"] == excel["criteria"]


def test_a_total_row_that_disagrees_is_warned_about_and_the_total_follows_the_leaves() -> None:
    rows = [r[:] for r in COMMUNITY_ROWS]
    rows[-1][2] = "105"
    draft = read_draft(docx_bytes(rows, COMMUNITY_MERGES), "x.docx")
    assert draft.scheme["total"] == 100
    assert "表格第 12 行「合计」: 各细则合计 100 分，表中写 105 分，请核对" in draft.warnings


def test_a_table_without_numbering_and_with_repeated_section_names_gets_generated_codes() -> None:
    rows = [
        ["考核项目", "考核内容", "标准分", "评分办法"],
        ["医疗服务", "门诊日志", "5", "每缺一天扣0.5分，扣完为止"],
        ["医疗服务", "处方点评", "5", "有点评记录得5分，否则不得分"],
        ["公共卫生", "健康档案", "10分", "考核组酌情评分"],
    ]
    scheme = read_draft(docx_bytes(rows), "t.docx").scheme
    assert tree(scheme["criteria"]) == [
        ("A", "医疗服务", None, [], [("A1", "门诊日志", 5, "deduction"), ("A2", "处方点评", 5, "checklist")]),
        ("B", "公共卫生", None, [], [("B1", "健康档案", 10, "direct")]),
    ]


def test_section_rows_across_the_table_and_a_points_cell_merged_over_two_rows() -> None:
    rows = [
        ["序号", "考核内容", "分值", "评分标准"],
        ["一、基本医疗（15分）", "", "", ""],
        ["1", "门诊日志", "5", "每缺一天扣0.5分，扣完为止"],
        ["2", "病历质量", "10", "抽查10份病历，"],
        ["", "", "", "书写不规范的酌情扣分"],
        ["二、公共卫生（12分）", "", "", ""],
        ["3", "健康档案", "10", "≥90%得10分，≥80%得5分"],
        ["合计", "", "25", ""],
    ]
    merges = [((1, 0), (1, 3)), ((5, 0), (5, 3)), ((3, 0), (4, 0)), ((3, 1), (4, 1)), ((3, 2), (4, 2))]
    draft = read_draft(docx_bytes(rows, merges), "t.docx")
    assert tree(draft.scheme["criteria"]) == [
        ("1", "基本医疗", 15, [], [("1.1", "门诊日志", 5, "deduction"), ("1.2", "病历质量", 10, "direct")]),
        ("2", "公共卫生", None, [], [("2.3", "健康档案", 10, "target")]),  # the table's own 序号 3
    ]
    assert draft.scheme["criteria"][0]["items"][1]["description"] == "抽查10份病历；书写不规范的酌情扣分"
    assert draft.warnings == ["表格第 6 行: 一级指标「公共卫生」各细则合计 10 分，名称中写 12 分，请核对"]
    assert [r.row for r in draft.rows] == [3, 4, 7]


def _zip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "a.docx", "文件是空的"),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600,
            "a.docx",
            "文件设有打开密码（已加密），或是旧版 .doc / .xls 格式",
        ),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600,
            "a.xlsx",
            "文件设有打开密码（已加密），或是旧版 .doc / .xls 格式",
        ),
        (b"PK\x03\x04 broken", "a.docx", "文件已损坏"),
        (_zip({"word/document.xml": b"<not xml"}), "a.docx", "文件已损坏"),
        (_zip({"x.txt": b"hello"}), "a.docx", "不是 Word 文档"),
        (b"hello", "a.pdf", "只能导入 Word（.docx）或 Excel（.xlsx）"),
        (docx_bytes([["序号", "名称"], ["1", "门诊"]]), "a.docx", "没有找到带「分值」列的表格"),
        (xlsx_bytes([["指标", "说明"], ["门诊", "检查"]]), "a.xlsx", "没有找到带「分值」列的表格"),
        (docx_bytes([["指标", "分值", "评分标准"]]), "a.docx", "表格中没有找到带分值的评分细则行"),
    ],
)
def test_a_file_that_cannot_be_a_draft_gets_one_chinese_message(data: bytes, name: str, message: str) -> None:
    with pytest.raises(DraftRefused) as caught:
        read_draft(data, name)
    assert message in str(caught.value)
    assert not any(
        c.isascii() and c.isalpha()
        for c in str(caught.value)
        .replace("Word", "")
        .replace("Excel", "")
        .replace("docx", "")
        .replace("xlsx", "")
        .replace("doc", "")
        .replace("xls", "")
        .replace("WPS", "")
    )
