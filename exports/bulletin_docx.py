"""The official 全区通报 as a Word document (docx), in the form a bureau issues it.

「关于2025年12月全区卫生健康单位绩效考核情况的通报」: 文号 placeholder, 主送, the opening, then
一、总体情况 (each scheme and category), 二、末位及一票否决情况 (with consequences), 三、未达标指标
情况, 四、申诉处理情况, 五、整改落实情况, 六、工作要求, the list of attachments, 落款 (the bureau and
the date) and, after a page break, one ranking table per scheme (附件). A4, margins and type as in
GB/T 9704 (仿宋 三号 body, 黑体 and 楷体 headings, 28 pt fixed line spacing), page numbers in the
footer as a PAGE field (「— 1 —」), so the document stays editable in Word and WPS.

Fonts are named styles (通报正文, 通报一级标题 …) whose East-Asian font is set in w:rFonts
w:eastAsia: Word and WPS both use that attribute for Chinese text, the plain font name alone only
for Latin text. Every number is written with its scheme's decimals, as the pages show it.
"""

from __future__ import annotations

import io
import re
from datetime import datetime

import pandas as pd
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from docx.styles.style import ParagraphStyle
from docx.table import Table
from docx.text.paragraph import Paragraph

from reports import numbers
from reports.bulletin import Bulletin, _who, mean_clause, objection_counts, unmet_sentence
from reports.district import DistrictBulletin, SchemeBulletin

TITLE_FONT, BODY_FONT, HEADING_FONT, SUBHEADING_FONT = "宋体", "仿宋", "黑体", "楷体"
STYLES = {  # name: (East-Asian font, size in pt, bold)
    "通报标题": (TITLE_FONT, 22, True),  # 二号
    "通报文号": (BODY_FONT, 16, False),
    "通报正文": (BODY_FONT, 16, False),  # 三号
    "通报一级标题": (HEADING_FONT, 16, False),
    "通报二级标题": (SUBHEADING_FONT, 16, False),
    "通报落款": (BODY_FONT, 16, False),
    "通报附件标题": (HEADING_FONT, 16, False),
    "通报表格": (BODY_FONT, 11, False),
    "通报表头": (HEADING_FONT, 11, False),
    "通报页码": (TITLE_FONT, 14, False),  # 四号
}
LINE = Pt(28)  # 固定值 28 磅: 22 lines of 28 characters on an A4 page
NUMERALS = "一二三四五六七八九十"
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # not allowed in XML


def _clean(text: object) -> str:
    """Text for a run: no characters XML cannot hold; blank for missing values."""
    if text is None or (not isinstance(text, str) and pd.isna(text)):  # type: ignore[arg-type]
        return ""
    return CONTROL.sub("", str(text))


def number(x: object, decimals: int) -> str:
    """A score as the pages show it: the scheme's decimals (reports.numbers); — when missing."""
    return numbers.points(x, decimals)  # type: ignore[arg-type]


def signed(x: object, decimals: int) -> str:
    return numbers.change(x, decimals)  # type: ignore[arg-type]


def _ordinal(i: int) -> str:
    """1 → 一, 11 → 十一, 21 → 二十一 (enough for the headings of a bulletin)."""
    if i <= 10:
        return NUMERALS[i - 1]
    tens, ones = divmod(i, 10)
    return (NUMERALS[tens - 1] if tens > 1 else "") + "十" + (NUMERALS[ones - 1] if ones else "")


# -- styles and page ---------------------------------------------------------------------------
def _set_fonts(style: ParagraphStyle, east_asian: str, size: float, bold: bool) -> None:
    style.font.name = east_asian
    style.font.size = Pt(size)
    style.font.bold = bold
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), east_asian)
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:eastAsia"), "zh-CN")


def _styles(doc: Document) -> None:  # type: ignore[valid-type]
    _set_fonts(doc.styles["Normal"], BODY_FONT, 16, False)
    for name, (font, size, bold) in STYLES.items():
        style = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = doc.styles["Normal"]
        style.quick_style = True
        _set_fonts(style, font, size, bold)
        f = style.paragraph_format
        f.space_before = f.space_after = Pt(0)
        if name in ("通报表格", "通报表头"):
            f.line_spacing_rule = WD_LINE_SPACING.SINGLE
            f.alignment = WD_ALIGN_PARAGRAPH.CENTER
            continue
        f.line_spacing_rule, f.line_spacing = WD_LINE_SPACING.EXACTLY, LINE
        f.widow_control = True
        if name in ("通报一级标题", "通报二级标题", "通报附件标题"):
            f.keep_with_next = True  # a heading never ends a page
        if name in ("通报正文", "通报一级标题", "通报二级标题"):
            f.first_line_indent = Pt(32)  # two characters
            f.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        elif name in ("通报标题", "通报文号", "通报附件标题", "通报页码"):
            f.alignment = WD_ALIGN_PARAGRAPH.CENTER
        elif name == "通报落款":
            f.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            f.right_indent = Pt(64)  # 落款 ends four characters from the right margin
    title = doc.styles["通报标题"].paragraph_format
    title.line_spacing = Pt(36)
    title.space_after = Pt(16)


def _page(doc: Document) -> None:  # type: ignore[valid-type]
    """A4 portrait, margins of GB/T 9704, and 「— 页码 —」 centred in the footer."""
    s = doc.sections[0]
    s.orientation = WD_ORIENT.PORTRAIT
    s.page_width, s.page_height = Cm(21.0), Cm(29.7)
    s.top_margin, s.bottom_margin, s.left_margin, s.right_margin = Cm(3.7), Cm(3.5), Cm(2.8), Cm(2.6)
    s.footer_distance = Cm(2.5)
    p = s.footer.paragraphs[0]
    p.style = doc.styles["通报页码"]
    p.add_run("— ")
    _page_field(p.add_run())
    p.add_run(" —")


def _page_field(run) -> None:  # noqa: ANN001
    """A PAGE field in `run` (Word and WPS fill it in on every page; 1 until they do)."""
    begin, code, separate, shown, end = (
        OxmlElement(t) for t in ("w:fldChar", "w:instrText", "w:fldChar", "w:t", "w:fldChar")
    )
    begin.set(qn("w:fldCharType"), "begin")
    code.set(qn("xml:space"), "preserve")
    code.text = " PAGE "
    separate.set(qn("w:fldCharType"), "separate")
    shown.text = "1"
    end.set(qn("w:fldCharType"), "end")
    for element in (begin, code, separate, shown, end):
        run._r.append(element)


# -- writing -----------------------------------------------------------------------------------
class _Writer:
    def __init__(self, district: DistrictBulletin) -> None:
        self.district = district
        self.doc = Document()
        _styles(self.doc)
        _page(self.doc)
        # the template's only paragraph is empty: use it for the 文号 line
        self.first = self.doc.paragraphs[0] if self.doc.paragraphs else None

    def para(self, text: str, style: str = "通报正文", *, indent: bool = True) -> Paragraph:
        if self.first is not None:
            p, self.first = self.first, None
            p.style = self.doc.styles[style]
            p.add_run(_clean(text))
        else:
            p = self.doc.add_paragraph(_clean(text), style=style)
        if not indent:
            p.paragraph_format.first_line_indent = Pt(0)
        return p

    def heading(self, i: int, text: str) -> None:
        self.para(f"{_ordinal(i)}、{text}", "通报一级标题")

    def subheading(self, i: int, text: str) -> None:
        self.para(f"（{_ordinal(i)}）{text}", "通报二级标题")

    def save(self) -> bytes:
        out = io.BytesIO()
        self.doc.save(out)
        return out.getvalue()


def _scheme_names(district: DistrictBulletin) -> str:
    return "、".join(f"《{p.scheme.name}》" for p in district.parts)


def _count(b: Bulletin, n: int) -> str:
    word, noun = _who(b)
    return f"{n} {word}{noun}"


def _mean_sentence(b: Bulletin) -> str:
    return mean_clause(b)  # the meeting summary's words and rounding, so both read the same


def _overall(b: Bulletin) -> str:
    """参加考核 8 个单位，平均 89.23 分，较上月提高 0.55 分；最高 … ；按等级分：… 。"""
    r, d = b.ranking, b.decimals
    text = f"参加考核 {_count(b, len(r))}，{_mean_sentence(b)}"
    scored = r.dropna(subset=["total"])
    if len(scored):
        top, low = scored.loc[scored["total"].idxmax()], scored.loc[scored["total"].idxmin()]
        text += (
            f"；最高 {number(top['total'], d)} 分（{top['name']}），最低 {number(low['total'], d)} 分（{low['name']}）"
        )
        grades = r["grade"][r["grade"] != ""].value_counts(sort=False)
        if len(grades):
            word = _who(b)[0]
            text += "；按等级分：" + "、".join(f"{g} {n} {word}" for g, n in grades.items())
    return text + "。"


def _by_category(b: Bulletin) -> str:
    """分类别看：… (only when the scheme ranks several categories)."""
    r, d = b.ranking, b.decimals
    if r["category"].nunique() < 2:
        return ""
    parts = [
        f"{cat or '未分类'} {_count(b, len(rows))}，平均 {number(rows['total'].mean(), d)} 分"
        for cat, rows in r.groupby("category", sort=False)
    ]
    return "分类别看：" + "；".join(parts) + "。"


def _red_lines(b: Bulletin) -> list[str]:
    d = b.decimals
    lines = []
    for r in b.red_list.itertuples():
        where = "，".join(x for x in (_clean(r.category), f"{number(r.total, d)} 分", _clean(r.grade)) if x)
        line = f"{r.name}（{where}）：{r.kind}"
        if r.reason:
            line += f"，原因：{r.reason}"
        if r.consequence:
            line += f"。处理：{r.consequence}"
        lines.append(line + "。")
    return lines


def _unmet_lines(b: Bulletin) -> list[str]:
    if b.unmet.empty:  # the summary's sentence (reports.bulletin.unmet_sentence), from the same count
        return [unmet_sentence(b) or "本方案未设目标值指标。"]
    head = unmet_sentence(b).rstrip("。") + "："
    return [head] + [f"{r.name}（{r.count} 项）：{r.indicators}。" for r in b.unmet_by_unit.itertuples()]


def _objection_lines(b: Bulletin) -> list[str]:
    o = b.objections
    lines = [objection_counts(o) + "。"]
    for r in o.itertuples():
        line = f"{r.name}对「{r.item}」提出申诉，{r.status}"
        if _clean(r.outcome):
            line += f"：{_clean(r.outcome)}"
        lines.append(line + "。")
    return lines


REQUIREMENTS = [
    "对照问题抓整改。列入末位和被一票否决的单位要深入分析原因，明确责任人和整改时限，"
    "按要求报送整改报告并接受验收；整改不到位的，将在下期考核中从严认定。",
    "聚焦短板补弱项。各单位要对照未达标指标逐项查找差距，把考核结果与日常管理、"
    "绩效分配结合起来，确保问题不反弹、短板补到位。",
    "巩固成效促提升。考核结果较好的单位要总结经验、保持势头；各单位要如实、及时报送考核数据，"
    "对考核结果有异议的，应在公示期内按程序提出申诉。",
]


def _ranking_table(w: _Writer, part: SchemeBulletin) -> Table:
    b, d = part.bulletin, part.bulletin.decimals
    r = b.ranking
    several = r["category"].nunique() > 1
    noun = _who(b)[1]
    header = ["名次", noun, *(["类别"] if several else []), "总分", "等级", "较上期", "标记"]
    # centimetres, 15.6 in all: the width between the margins
    widths = [1.3, 4.6, 2.5, 1.9, 1.5, 1.8, 2.0] if several else [1.4, 6.0, 2.0, 1.8, 2.0, 2.4]
    table = w.doc.add_table(rows=1, cols=len(header))
    table.style = w.doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.paragraphs[0].style = w.doc.styles["通报表头"]
        cell.paragraphs[0].add_run(text)
    repeat = OxmlElement("w:tblHeader")  # the header row repeats on every page
    repeat.set(qn("w:val"), "true")
    table.rows[0]._tr.get_or_add_trPr().append(repeat)
    for row in r.itertuples():
        flags = "、".join(x for x, on in (("一票否决", row.veto), ("末位", row.bottom)) if on)
        values = [str(int(row.rank)), _clean(row.name), *([_clean(row.category)] if several else [])]
        values += [number(row.total, d), _clean(row.grade) or "—", signed(row.delta_total, d), flags]
        for cell, text in zip(table.add_row().cells, values, strict=True):
            cell.paragraphs[0].style = w.doc.styles["通报表格"]
            cell.paragraphs[0].add_run(text)
    table.autofit = False
    for column, width in zip(table.columns, widths, strict=True):
        column.width = Cm(width)  # the table grid: LibreOffice lays the table out from it
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = Cm(width)  # the cells: Word and WPS
    return table


def write_district_docx(district: DistrictBulletin, generated_at: datetime) -> bytes:
    """The 全区通报 as docx bytes. `generated_at` gives the year of the 文号 and the 落款 date,
    which the bureau overwrites when it issues the document."""
    w = _Writer(district)
    parts = district.parts
    props = w.doc.core_properties
    props.title = f"关于{district.period_name}全区卫生健康单位绩效考核情况的通报"
    props.author = props.last_modified_by = district.bureau
    props.subject, props.keywords, props.comments, props.category = "绩效考核通报", "绩效考核", "", ""

    w.para(f"〔{generated_at.year}〕　　号", "通报文号")
    w.para(props.title, "通报标题")
    w.para("各有关单位：", indent=False)
    w.para(
        f"为推动各单位持续提升服务质量和管理水平，根据{_scheme_names(district)}，{district.bureau}"
        f"对{district.period_name}全区卫生健康单位绩效进行了考核，考核结果已经审定发布。现将有关情况通报如下："
    )

    section = 1
    w.heading(section, "总体情况")
    assessed = "、".join(f"{p.scheme.name}（{_count(p.bulletin, len(p.bulletin.ranking))}）" for p in parts)
    w.para(f"{district.period_name}共有 {len(parts)} 个考核方案发布考核结果：{assessed}。")
    for i, p in enumerate(parts, start=1):
        w.subheading(i, p.scheme.name)
        w.para(_overall(p.bulletin) + _by_category(p.bulletin))

    section += 1
    w.heading(section, "末位及一票否决情况")
    flagged = [p for p in parts if len(p.bulletin.red_list)]
    if not flagged:
        w.para(f"{district.period_name}各考核方案均无列入末位或被一票否决的单位。")
    for i, p in enumerate(flagged, start=1):
        w.subheading(i, p.scheme.name)
        for line in _red_lines(p.bulletin):
            w.para(line)
    clean = [p.scheme.name for p in parts if not len(p.bulletin.red_list)]
    if flagged and clean:
        w.para(f"{'、'.join(clean)}无列入末位或被一票否决的单位。")

    section += 1
    w.heading(section, "未达标指标情况")
    for i, p in enumerate(parts, start=1):
        w.subheading(i, p.scheme.name)
        for line in _unmet_lines(p.bulletin):
            w.para(line)

    section += 1
    w.heading(section, "申诉处理情况")
    objected = [p for p in parts if len(p.bulletin.objections)]
    if not objected:
        w.para(f"{district.period_name}考核结果公示期间，各考核方案均未收到申诉。")
    for i, p in enumerate(objected, start=1):
        w.subheading(i, p.scheme.name)
        for line in _objection_lines(p.bulletin):
            w.para(line)

    section += 1
    w.heading(section, "整改落实情况")
    rectified = [p for p in parts if p.bulletin.rectification is not None and p.bulletin.rectification.issued]
    if not rectified:
        w.para("各考核方案暂未下达整改任务。")
    for i, p in enumerate(rectified, start=1):
        w.subheading(i, p.scheme.name)
        w.para(p.bulletin.rectification.sentence)  # type: ignore[union-attr]
    if rectified:
        w.para(rectified[0].bulletin.rectification.rule)  # type: ignore[union-attr]

    section += 1
    w.heading(section, "工作要求")
    for i, text in enumerate(REQUIREMENTS, start=1):
        head, _, rest = text.partition("。")
        last_body = w.para(f"（{_ordinal(i)}）{head}。{rest}")

    # 附件说明 and 落款 kept on one page with the date and the last paragraph of the body: a 落款
    # never stands alone on a page
    closing = [last_body, w.para("")]
    for i, p in enumerate(parts, start=1):
        label = "附件：" if i == 1 else "　　　"
        number_ = f"{i}. " if len(parts) > 1 else ""
        closing.append(w.para(f"{label}{number_}{p.scheme.name}{district.period_name}考核排名表"))
    closing += [w.para(""), w.para(district.bureau, "通报落款")]
    w.para(f"{generated_at.year}年{generated_at.month}月{generated_at.day}日", "通报落款")
    for paragraph in closing:
        paragraph.paragraph_format.keep_with_next = True

    for i, p in enumerate(parts, start=1):
        head = w.para(f"附件{i}" if len(parts) > 1 else "附件", "通报一级标题", indent=False)
        head.paragraph_format.page_break_before = True
        w.para(f"{p.scheme.name}{district.period_name}考核排名表", "通报附件标题")
        _ranking_table(w, p)
        note = "名次为同类排名，并列同名次，一票否决单位列末位；较上期为与上一期总分之差。"
        w.para(note, "通报表格").alignment = WD_ALIGN_PARAGRAPH.LEFT
    return w.save()
