"""The draft's report as plain Chinese lines (the command line prints it; the page shows a table)."""

from __future__ import annotations

from sheets.scheme_draft.draft import Draft
from sheets.scheme_draft.text import num

COLUMNS = ("行", "编码", "名称", "分值", "识别结果", "需要确认")


def report_rows(draft: Draft) -> list[tuple[str, str, str, str, str, str]]:
    """One tuple per source row, in the order of COLUMNS."""
    return [
        (str(r.row), r.code, r.name, "" if r.points is None else num(r.points), r.recognised, r.to_confirm)
        for r in draft.rows
    ]


def report_lines(draft: Draft, where: str = "表格") -> list[str]:
    recognised = draft.recognised_count
    lines = [
        f"共 {len(draft.rows)} 行评分细则，识别出评分规则 {recognised} 行，需要人工确认 {len(draft.rows) - recognised} 行："
    ]
    for row, code, name, points, said, confirm in report_rows(draft):
        shown = f"{points} 分" if points else "不计分"
        head = f"  第 {row} 行 {code}「{name}」{shown}" if code else f"  第 {row} 行"
        lines.append("：".join(x for x in (head, said) if x) + (f"  【需要确认】{confirm}" if confirm else ""))
    if draft.warnings:
        lines.append(f"请核对以下 {len(draft.warnings)} 处：")
        lines += [f"  {w}" for w in draft.warnings]
    if draft.problems:
        lines.append("草稿未通过方案校验，请修改：")
        lines += [f"  {p}" for p in draft.problems]
    lines += draft.notes
    return lines
