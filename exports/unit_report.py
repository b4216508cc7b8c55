"""A one-unit workbook: its result (概况), its tag subtotals (各标签得分, when the scheme has tags), the
full criteria tree with traces (评分明细), its history (历史)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import numpy as np
import pandas as pd

from exports.workbook import (
    LOST_FILL,
    Book,
    Column,
    local_naive,
    setup_page,
    write_header,
    write_rows,
    write_text,
    write_title,
)
from reports import numbers
from reports.overview import rank_arrow
from reports.unit import TAG_COLUMNS, TOTAL_LINE, award_status, dimension_subtotals, tag_subtotals
from scoring import Results, fmt
from scoring.methods import round_half_up
from scoring.names import METHOD_NAMES
from scoring.periods import period_name
from scoring.scheme import BASE_METHODS, Criterion

SHEETS = {"summary": "概况", "tags": "各标签得分", "tree": "评分明细", "history": "历史"}
HEADER_ROW = 1
FIRST = 2


def _unit_row(results: Results, unit: str, period: str) -> pd.Series:
    u = results.units
    rows = u[(u["unit"].astype(str) == unit) & (u["period"].astype(str) == period)]
    if rows.empty:
        raise KeyError(f"没有单位「{unit}」在 {period_name(period)} 的结果")
    return rows.iloc[0]


def _number(value: object) -> float | None:
    if value is None or value is pd.NA:
        return None
    v = float(value)  # type: ignore[arg-type]
    return None if np.isnan(v) else v


def _award_text(r: pd.Series) -> str:
    eligible, why = award_status(r)  # 末位 or vetoed: never 「可以」 (the page and bulletin say the same)
    return "可以" if eligible else f"不得评先评优：{why}"


def _score_lines(results: Results, unit: str, period: str) -> tuple[list[tuple[str, object, Column]], dict[str, str]]:
    """总分's lines as the 单位详情 page lists them (reports.unit.dimension_subtotals): each
    dimension, 扣分, 按适用项折算, 加分 and 一票否决 as numbers that add up to the 总分 above them (so
    Excel's own sum agrees), with what each stands for; and what a total with bonus in it holds."""
    d = results.scheme.decimals
    score = Column("", "number", decimals=d)
    lines = dimension_subtotals(results.explain(unit, period))
    rows: list[tuple[str, object, Column]] = []
    notes: dict[str, str] = {}
    for r in lines.itertuples(index=False):
        name, earned, full, note = r[0], r[1], r[2], r[4]
        if name == TOTAL_LINE:
            notes["总分"] = f"{note}（方案满分 {numbers.points(full, d)} 分）" if note else ""
            continue
        label = f"　{name}"
        rows.append((label, round_half_up(float(earned), d), score))
        notes[label] = f"满分 {numbers.points(full, d)} 分" if not pd.isna(full) else note
    return rows, notes


def _write_summary(
    book: Book, results: Results, unit: str, name: str, period: str, by: str, at: datetime | None
) -> None:
    scheme = results.scheme
    r = _unit_row(results, unit, period)
    ws = book.sheet(SHEETS["summary"])
    write_title(book, ws, f"{name} {period_name(period)} 考核结果")
    key, text = Column("项目", width=16), Column("内容", width=44, wrap=True)
    note = Column("说明", width=48, wrap=True)
    write_header(book, ws, HEADER_ROW, [key, text, note], height=20)
    lines, notes = _score_lines(results, unit, period)
    d = scheme.decimals
    score = Column("", "number", decimals=d)
    delta = Column("", "delta", decimals=d)
    rows: list[tuple[str, object, Column]] = [
        ("单位", f"{name}（{unit}）", text),
        ("类别", str(r["category"]), text),
        ("考核方案", f"{scheme.name}（版本 {scheme.version}）", text),
        ("考核期间", f"{period_name(period)}（{period}）", text),
        ("总分", r["total"], score),
        *lines,
        ("等级", str(r["grade"]), text),
        ("同类排名", f"{int(r['rank'])} / {int(r['group_size'])}", text),
        ("较上期", None if pd.isna(r.get("delta_total")) else round(float(r["delta_total"]), d), delta),
        ("名次变化", rank_arrow(r.get("delta_rank", np.nan)), text),
        ("距下一等级", r.get("gap_next_grade"), score),
        ("距末位线", r.get("gap_bottom_line"), delta),
        ("末位", f"是（{r['bottom_reason']}）" if r["bottom"] else "否", text),
        ("一票否决", f"是（{r['veto_reason']}）" if r["veto"] else "否", text),
        ("评先评优", _award_text(r), text),
        ("未达标项", r["unmet_targets"], Column("", "int")),
        ("生成人", by, text),
    ]
    key_format = book.cell(key, bold=True)
    row = FIRST
    note_format = book.cell(note)
    for row, (label, value, column) in enumerate(rows, start=FIRST):
        write_text(ws, row, 0, label, key_format)
        if notes.get(label):
            write_text(ws, row, 2, notes[label], note_format)
        cell_format = book.cell(column, align="left")
        if column.kind == "text":
            write_text(ws, row, 1, value, cell_format)
        elif _number(value) is not None:
            ws.write_number(row, 1, _number(value), cell_format)
        else:
            write_text(ws, row, 1, "—", cell_format)
    if at is not None:
        write_text(ws, row + 1, 0, "生成时间", key_format)
        ws.write_datetime(row + 1, 1, local_naive(at), book.cell(Column("", "datetime"), align="left"))
    setup_page(ws, HEADER_ROW)


def _write_tags(book: Book, results: Results, unit: str, name: str, period: str) -> None:
    """各标签得分: the unit's table as 单位详情 shows it (reports.unit.tag_subtotals), the same texts,
    so a rate just below a rule's line keeps the decimals that tell it from the line."""
    table = tag_subtotals(results.explain(unit, period), results.scheme.decimals)
    if table.empty:  # a scheme without tags gets no such sheet
        return
    ws = book.sheet(SHEETS["tags"])
    write_title(book, ws, f"{name} {period_name(period)} 各标签得分")
    widths = {"标签": 18, "得分": 10, "适用分值": 10, "得分率": 10, "标签规则": 56}
    columns = [Column(c, width=widths[c], wrap=c == "标签规则") for c in TAG_COLUMNS]
    write_header(book, ws, HEADER_ROW, columns, height=20)
    last = write_rows(book, ws, FIRST, columns, table[TAG_COLUMNS].itertuples(index=False))
    setup_page(ws, HEADER_ROW, freeze_col=1, last_row=last, last_col=len(columns) - 1)


def _notes(results: Results, unit: str, period: str) -> dict[str, str]:
    """Leaf code -> the assessors' notes for this unit and period (task notes go to their checklist)."""
    notes = results.notes
    if notes is None or notes.empty:
        return {}
    rows = notes[(notes["unit"].astype(str) == unit) & (notes["period"].astype(str) == period)]
    owner = {t.code: leaf.code for leaf in results.scheme.leaves for t in getattr(leaf, "tasks", [])}
    out: dict[str, list[str]] = {}
    for code, assessor, note in zip(rows["code"].astype(str), rows["assessor"], rows["note"]):
        if not isinstance(note, str) or not note:
            continue
        who = f"{assessor}：" if isinstance(assessor, str) and assessor else ""
        out.setdefault(owner.get(code, code), []).append(who + note)
    return {code: "；".join(texts) for code, texts in out.items()}


def _write_tree(book: Book, results: Results, unit: str, name: str, period: str) -> None:
    scheme = results.scheme
    explained = results.explain(unit, period).set_index("code")
    notes = _notes(results, unit, period)
    ws = book.sheet(SHEETS["tree"])
    write_title(book, ws, f"{name} {period_name(period)} 评分明细")
    columns = [
        Column("编码", width=9),
        Column("指标", width=30, wrap=True),
        Column("评分方法", width=9),
        Column("分值", "number", 7, 2),
        Column("填报值", "number", 9, 2),
        Column("得分", "number", 8, 2),
        Column("失分", "number", 8, 2),
        Column("计算过程", width=50, wrap=True),
        Column("评分规则", width=40, wrap=True),
        Column("备注", width=30, wrap=True),
    ]
    write_header(book, ws, HEADER_ROW, columns)
    text, number = book.cell(columns[0]), book.cell(columns[3])
    lost_format = book.cell(columns[6], bg_color=LOST_FILL, font_color="#9C0006")
    row = FIRST

    def leaves_below(c: Criterion) -> list[str]:
        return [leaf.code for leaf in c.items] + [code for child in c.children for code in leaves_below(child)]

    def criterion(c: Criterion, level: int) -> None:
        nonlocal row
        codes = [x for x in leaves_below(c) if scheme.leaf(x).method in BASE_METHODS]
        part = explained.loc[codes]
        applies = part["applicable"].to_numpy(dtype=bool)
        bold = book.cell(columns[0], bold=True)
        write_text(ws, row, 0, c.code, bold)
        write_text(ws, row, 1, c.name, book.cell(columns[1], bold=True, indent=level))
        write_text(ws, row, 2, "", bold)
        ws.write_number(row, 3, round(float(part["points"][applies].sum()), 6), book.cell(columns[3], bold=True))
        write_text(ws, row, 4, "", bold)
        ws.write_number(row, 5, round(float(part["earned"][applies].sum()), 6), book.cell(columns[5], bold=True))
        ws.write_number(row, 6, round(float(part["lost"][applies].sum()), 6), book.cell(columns[6], bold=True))
        row += 1
        for leaf in c.items:
            e = explained.loc[leaf.code]
            write_text(ws, row, 0, leaf.code, text)
            write_text(ws, row, 1, leaf.name, book.cell(columns[1], indent=level + 1))
            write_text(ws, row, 2, METHOD_NAMES[leaf.method], text)
            ws.write_number(row, 3, float(leaf.points), number)
            value = _number(e["value"])
            if value is not None and leaf.method == "levels" and leaf.label_of(value) is not None:
                write_text(ws, row, 4, leaf.label_of(value), text)  # the level's name, not its points
            elif value is not None and leaf.method != "checklist":
                ws.write_number(row, 4, value, number)
            elif not e["applicable"]:
                write_text(ws, row, 4, "不适用", text)
            ws.write_number(row, 5, float(e["earned"]), number)
            lost = float(e["lost"])
            ws.write_number(row, 6, round(lost, 6), lost_format if lost > 1e-9 else number)
            write_text(ws, row, 7, e["trace"], book.cell(columns[7]))
            write_text(ws, row, 8, e["rule"], book.cell(columns[8]))
            write_text(ws, row, 9, notes.get(leaf.code, ""), book.cell(columns[9]))
            row += 1
        for child in c.children:
            criterion(child, level + 1)

    for c in scheme.criteria:
        criterion(c, 0)
    last = row - 1
    r = _unit_row(results, unit, period)
    d = scheme.decimals  # as the 概况 sheet and the pages write scores
    bold = book.cell(columns[1], bold=True)
    for label, value in (
        (
            "基础分（适用分值内）",
            f"{numbers.points(r['earned_base'], d)} / {numbers.points(r['applicable_points'], d)}",
        ),
        ("加分", numbers.points(r["bonus"], d)),
        *_from_total_line(r, d),
        (
            "总分",
            f"{numbers.points(r['total'], d)}（基础分 × {fmt(scheme.total)} ÷ 适用分值 + 加分{_minus_from_total(r)}）",
        ),
    ):
        row += 1
        write_text(ws, row, 1, label, bold)
        write_text(ws, row, 7, value, bold)
    setup_page(ws, HEADER_ROW, freeze_col=2, last_row=last, last_col=len(columns) - 1)


def _from_total_line(r: pd.Series, d: int) -> list[tuple[str, str]]:
    """The 从总分扣分 line of the score sheet's foot, only when the unit had such a deduction."""
    deducted = float(r.get("deducted", 0.0) or 0.0)
    return [("从总分扣分", f"扣 {numbers.points(deducted, d)} 分（总分最低为 0）")] if deducted > 1e-9 else []


def _minus_from_total(r: pd.Series) -> str:
    return " − 从总分扣分" if float(r.get("deducted", 0.0) or 0.0) > 1e-9 else ""


def _write_history(book: Book, results: Results, unit: str, name: str, period: str, history: pd.DataFrame) -> None:
    ws = book.sheet(SHEETS["history"])
    write_title(book, ws, f"{name} 历次考核结果")
    d = results.scheme.decimals
    columns = [
        Column("期间", width=14),
        Column("总分", "number", 9, d),
        Column("等级", width=8),
        Column("同类排名", "int", 8),
        Column("同类单位数", "int", 9),
        Column("较上期", "delta", 9, d),
        Column("名次变化", width=9),
        Column("末位", width=6),
        Column("一票否决", width=8),
    ]
    write_header(book, ws, HEADER_ROW, columns)
    h = history[(history["unit"].astype(str) == unit) & (history["period"].astype(str) <= period)]
    h = h.assign(period=h["period"].astype(str)).drop_duplicates("period", keep="last").sort_values("period")
    rows = (
        (
            period_name(p),
            total,
            str(grade),
            rank,
            size,
            delta,
            rank_arrow(dr),
            "是" if bottom else "",
            "是" if veto else "",
        )  # fmt: skip
        for p, total, grade, rank, size, delta, dr, bottom, veto in zip(
            h["period"],
            h["total"],
            h["grade"],
            h["rank"],
            h["group_size"],
            h["delta_total"].round(d),
            h["delta_rank"],
            h["bottom"],
            h["veto"],
        )  # fmt: skip
    )
    last = write_rows(book, ws, FIRST, columns, rows)
    setup_page(ws, HEADER_ROW, freeze_col=1, last_row=last, last_col=len(columns) - 1)


def write_unit_report(
    results: Results,
    unit: str,
    period: str,
    names: Mapping[str, str],
    history: pd.DataFrame | None = None,
    generated_by: str = "",
    generated_at: datetime | None = None,
) -> bytes:
    """One unit's workbook as xlsx bytes. `history`: `Results.units` over periods (default `results.units`).

    Raises KeyError (with a Chinese message) when the unit has no result in `period`.
    """
    name = names.get(unit, unit)
    book = Book()
    _write_summary(book, results, unit, name, period, generated_by, generated_at)
    _write_tags(book, results, unit, name, period)
    _write_tree(book, results, unit, name, period)
    _write_history(book, results, unit, name, period, results.units if history is None else history)
    return book.close()
