"""The Excel bulletin (月通报) of one period: 说明, 排名, 明细, 未达标, 末位与否决, 趋势, 资金 and 标签得分率.

Every table has its header frozen, an autofilter and print setup for A4 landscape (one page wide,
title and header repeated on each page). Numbers are numbers with number formats; text is
neutralised (see exports/safe_text.py) and written as strings, never as formulas.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd
from xlsxwriter.worksheet import Worksheet

from exports.bulletin_tags import TAG_SHEET, write_tag_rates
from exports.progress import Progress
from exports.safe_text import neutralise
from exports.workbook import (
    DOWN_COLOR,
    GRADE_FILLS,
    LOST_FILL,
    RED_FILL,
    UP_COLOR,
    VETO_FILL,
    Book,
    Column,
    local_naive,
    setup_page,
    write_header,
    write_rows,
    write_text,
    write_title,
)
from reports.bulletin import Bulletin, summary_text, unmet_sentence
from scoring import Results, Scheme, fmt, rule_text
from scoring.names import METHOD_NAMES
from scoring.periods import period_name
from scoring.settlement import describe

SHEETS = {
    "about": "说明",
    "ranking": "排名",
    "detail": "明细",
    "unmet": "未达标",
    "red": "末位与否决",
    "trend": "趋势",
    "money": "资金",
    "objections": "申诉处理情况",
    "monitor": "监测指标",
}
YES = "是"
NOT_APPLICABLE = "不适用"
VETO_HIT = "否决"
CHART_UNITS = 10  # 趋势 draws each unit only when there are at most this many
HEADER_ROW = 1  # row 0 is the sheet's title
FIRST = HEADER_ROW + 1


def _title(bulletin: Bulletin, what: str) -> str:
    return f"{bulletin.scheme_name} {bulletin.period_name} {what}"


def _num(value: object) -> float | None:
    """A plain float for a cell, None for a blank (NaN, NA, None)."""
    if value is None or value is pd.NA:
        return None
    v = float(value)  # type: ignore[arg-type]
    return None if np.isnan(v) else v


def _yes(flag: object) -> str:
    return YES if bool(flag) else ""


# -- 说明 ----------------------------------------------------------------------------------------
def _bottom_rule_text(scheme: Scheme) -> str:
    r = scheme.bottom
    tests = []
    if r.threshold is not None:
        tests.append(f"总分低于 {fmt(r.threshold)} 分")
    if r.lowest_n is not None:
        tests.append(f"同类末 {r.lowest_n} 名")
    if r.lowest_pct is not None:
        tests.append(f"同类后 {fmt(r.lowest_pct)}%")
    if not tests:
        return "未设末位规则"
    joined = "；".join(tests) + ("（满足任一条即列入末位）" if r.combine == "any" and len(tests) > 1 else "")
    if r.combine == "all" and len(tests) > 1:
        joined += "（须同时满足）"
    return joined + (f"；后果：{r.consequence}" if r.consequence else "")


def _write_about(
    book: Book, bulletin: Bulletin, scheme: Scheme, settlement_text: str, generated_by: str, generated_at: datetime
) -> None:
    ws = book.sheet(SHEETS["about"])
    write_title(book, ws, _title(bulletin, "考核通报"))
    h = bulletin.headline
    key, value = Column("项目", width=16), Column("内容", width=90, wrap=True)
    write_header(book, ws, HEADER_ROW, [key, value], height=20)
    previous = (
        f"{period_name(bulletin.previous_period)}（{bulletin.previous_period}）" if bulletin.previous_period else "无"
    )
    rows: list[tuple[str, object, Column]] = [
        # The scheme by its name only: its id (community_monthly) is the system's, not a reader's (issue 21).
        ("考核方案", scheme.name, value),
        ("方案版本", scheme.version, value),
        ("考核期间", f"{bulletin.period_name}（{bulletin.period}）", value),
        ("对比期间", previous, value),
        ("满分", scheme.total, Column("", "number", decimals=scheme.decimals)),
        ("等级划分", "；".join(f"{g.name} ≥ {fmt(g.min)}" for g in scheme.grades), value),
        ("末位规则", _bottom_rule_text(scheme), value),
        ("一票否决事项", "、".join(leaf.name for leaf in scheme.leaves if leaf.method == "veto") or "无", value),
        ("资金结算", settlement_text or "未设置", value),
        ("考核单位数", h.assessed, Column("", "int")),
        ("平均分", h.mean, Column("", "number", decimals=scheme.decimals)),
        ("通报摘要", summary_text(bulletin), value),
        ("生成时间", local_naive(generated_at), Column("", "datetime")),
        ("生成人", generated_by, value),
    ]
    key_format = book.cell(key, bold=True)
    for i, (label, content, column) in enumerate(rows, start=FIRST):
        write_text(ws, i, 0, label, key_format)
        cell_format = book.cell(column, align="left")
        if column.kind == "text":
            write_text(ws, i, 1, content, cell_format)
        elif column.kind == "datetime":
            ws.write_datetime(i, 1, content, cell_format)
        elif _num(content) is not None:
            ws.write_number(i, 1, _num(content), cell_format)
    # the rules, one line per leaf
    start = FIRST + len(rows) + 1
    write_text(ws, start, 0, "评分细则", book.format(bold=True, font_size=12))
    columns = [
        Column("编码", width=16),
        Column("指标", width=90, wrap=True),
    ]
    paths = scheme.leaf_paths()
    lines = [
        (
            leaf.code,
            f"{' / '.join(c.name for c in paths[leaf.code])} / {leaf.name}（{METHOD_NAMES[leaf.method]}，"
            f"{fmt(leaf.points)} 分）：{rule_text(leaf)}",
        )
        for leaf in scheme.leaves
    ]
    write_rows(book, ws, start + 1, columns, lines)
    setup_page(ws, HEADER_ROW)


# -- 排名 ----------------------------------------------------------------------------------------
def _ranking_columns(d: int) -> list[Column]:
    return [
        Column("同类排名", "int", 8),
        Column("总排名", "int", 8),
        Column("单位编码", width=10),
        Column("单位名称", width=28),
        Column("类别", width=14),
        Column("总分", "number", 9, d),
        Column("等级", width=8),
        Column("上期总分", "number", 9, d),
        Column("较上期", "delta", 9, d),
        Column("名次变化", width=9),
        Column("末位", width=6),
        Column("末位原因", width=16, wrap=True),
        Column("一票否决", width=8),
        Column("否决事项", width=22, wrap=True),
        Column("未达标项", "int", 8),
        Column("距末位线", "delta", 9, d),
        Column("评先评优", width=24, wrap=True),
    ]


def _write_ranking(book: Book, bulletin: Bulletin, scheme: Scheme, sheet: str = SHEETS["ranking"]) -> None:
    ws = book.sheet(sheet)  # the 全区 workbook (exports/district_xlsx.py) names it after the scheme
    write_title(book, ws, _title(bulletin, "排名"))
    columns = _ranking_columns(bulletin.decimals)
    r = bulletin.ranking
    # 从总分扣分 last (the highlights address the columns before it by letter), only when any
    extra = [r["deducted"].tolist()] if bulletin.deducts_from_total else []
    if extra:
        columns.append(Column("从总分扣分", "number", 10, bulletin.decimals))
    write_header(book, ws, HEADER_ROW, columns)
    rows = zip(
        r["rank"].tolist(),
        r["rank_overall"].tolist(),
        r["unit"].tolist(),
        r["name"].tolist(),
        r["category"].tolist(),
        r["total"].tolist(),
        r["grade"].tolist(),
        r["prev_total"].tolist(),
        r["delta_total"].tolist(),
        r["arrow"].tolist(),
        [_yes(x) for x in r["bottom"]],
        r["bottom_reason"].tolist(),
        [_yes(x) for x in r["veto"]],
        r["veto_reason"].tolist(),
        r["unmet_targets"].tolist(),
        r["gap_bottom_line"].tolist(),
        ["可以" if ok else f"不得评先评优：{why}" for ok, why in zip(r["award_eligible"], r["award_reason"])],
        *extra,
    )
    last = write_rows(book, ws, FIRST, columns, rows)
    if last >= FIRST:
        _ranking_highlights(book, ws, bulletin, scheme, last, len(columns) - 1)
    setup_page(ws, HEADER_ROW, freeze_col=4, last_row=last, last_col=len(columns) - 1)


def _ranking_highlights(
    book: Book, ws: Worksheet, bulletin: Bulletin, scheme: Scheme, last: int, last_col: int
) -> None:
    """Conditional formats: vetoed rows, rows below the line, grade colours and rank arrows."""
    top = FIRST + 1  # the first data row in A1 notation
    veto = book.format(bg_color=VETO_FILL, font_color="#FFFFFF", bold=True)
    ws.conditional_format(
        FIRST,
        0,
        last,
        last_col,
        {"type": "formula", "criteria": f'=$M{top}="{YES}"', "format": veto, "stop_if_true": True},
    )
    if bulletin.threshold is not None:
        below = f"=AND(ISNUMBER($F{top}),$F{top}<{bulletin.threshold:g})"
    else:
        below = f'=$K{top}="{YES}"'
    ws.conditional_format(
        FIRST, 0, last, last_col, {"type": "formula", "criteria": below, "format": book.format(bg_color=RED_FILL)}
    )
    for i, grade in enumerate(scheme.grades):
        fill = GRADE_FILLS[min(i, len(GRADE_FILLS) - 1)] if i < len(scheme.grades) - 1 else RED_FILL
        ws.conditional_format(
            FIRST,
            6,
            last,
            6,
            {"type": "cell", "criteria": "==", "value": f'"{grade.name}"', "format": book.format(bg_color=fill)},
        )
    for arrow, color in (("↑", UP_COLOR), ("↓", DOWN_COLOR)):
        ws.conditional_format(
            FIRST, 9, last, 9,
            {"type": "text", "criteria": "begins with", "value": arrow, "format": book.format(font_color=color, bold=True)},
        )  # fmt: skip


# -- 明细 ----------------------------------------------------------------------------------------
def _leaf_matrix(results: Results, period: str, units: list[str]) -> dict[str, np.ndarray]:
    """Units × leaves (in `units` order, scheme leaf order) of earned, lost, applicable and value."""
    leaves = results.leaves
    sub = leaves[leaves["period"] == period]
    n_leaf = len(results.scheme.leaves)
    codes = sub["leaf"].cat.codes.to_numpy()
    n = len(sub) // n_leaf
    if len(sub) == n * n_leaf and (codes.reshape(n, n_leaf) == np.arange(n_leaf)).all():
        # the engine's frame is entity-major in scheme order: reshape instead of pivoting
        own = sub["unit"].astype(str).to_numpy()[::n_leaf]
        where = pd.Index(own).get_indexer(units)
        return {col: sub[col].to_numpy().reshape(n, n_leaf)[where] for col in ("earned", "lost", "applicable", "value")}
    out = {}
    order = [leaf.code for leaf in results.scheme.leaves]
    frame = sub.assign(unit=sub["unit"].astype(str), leaf=sub["leaf"].astype(str))
    for col in ("earned", "lost", "applicable", "value"):
        out[col] = frame.pivot(index="unit", columns="leaf", values=col).reindex(index=units, columns=order).to_numpy()
    return out


def _write_detail(book: Book, bulletin: Bulletin, results: Results, scheme: Scheme) -> None:
    ws = book.sheet(SHEETS["detail"])
    write_title(book, ws, _title(bulletin, "得分明细（红底为失分项）"))
    d = bulletin.decimals
    fixed = [
        Column("同类排名", "int", 8),
        Column("单位编码", width=10),
        Column("单位名称", width=26),
        Column("总分", "number", 9, d),
        Column("失分合计", "number", 9, d),  # a score: the scheme's decimals, as 总分 beside it
    ]
    leaves = scheme.leaves
    leaf_columns = [
        Column(
            f"{leaf.code} {leaf.name}（{fmt(leaf.points)}分）" if leaf.points else f"{leaf.code} {leaf.name}",
            "number",
            11,
            2,
        )
        for leaf in leaves
    ]
    columns = fixed + leaf_columns
    write_header(book, ws, HEADER_ROW, columns, height=60)
    r = bulletin.ranking
    units = r["unit"].tolist()
    m = _leaf_matrix(results, bulletin.period, units)
    earned, lost, applicable = m["earned"].tolist(), (m["lost"] > 1e-9).tolist(), m["applicable"].tolist()
    hit = (np.nan_to_num(m["value"].astype(float)) >= 0.5).tolist()
    is_veto = [leaf.method == "veto" for leaf in leaves]
    f_int, f_text, f_total, f_lost_sum = (book.cell(c) for c in fixed[0:1] + fixed[1:2] + fixed[3:5])
    f_num = book.cell(leaf_columns[0]) if leaf_columns else f_total
    f_lost = book.cell(Column("", "number", decimals=2), bg_color=LOST_FILL, font_color="#9C0006")
    f_na = book.cell(Column(""), font_color="#808080", align="center")
    f_veto = book.cell(Column(""), font_color="#C00000", bold=True, align="center")
    own = results.units[results.units["period"].astype(str) == bulletin.period]
    lost_total = own.set_index(own["unit"].astype(str))["lost"].reindex(units).tolist()
    write_number, write_string = ws.write_number, ws.write_string
    n_fixed = len(fixed)
    for i, (rank, unit, name, total) in enumerate(
        zip(r["rank"].tolist(), units, r["name"].tolist(), r["total"].tolist())
    ):
        row = FIRST + i
        write_number(row, 0, rank, f_int)
        write_string(row, 1, neutralise(unit), f_text)
        write_string(row, 2, neutralise(name), f_text)
        write_number(row, 3, total, f_total)
        if lost_total[i] == lost_total[i]:
            write_number(row, 4, round(lost_total[i], 6), f_lost_sum)
        e_row, l_row, a_row = earned[i], lost[i], applicable[i]
        for k in range(len(leaves)):
            col = n_fixed + k
            if is_veto[k]:
                if hit[i][k]:
                    write_string(row, col, VETO_HIT, f_veto)
            elif not a_row[k]:
                write_string(row, col, NOT_APPLICABLE, f_na)
            else:
                write_number(row, col, e_row[k], f_lost if l_row[k] else f_num)
    last = FIRST + len(units) - 1
    setup_page(ws, HEADER_ROW, freeze_col=3, last_row=last, last_col=len(columns) - 1)


# -- 未达标, 末位与否决 ----------------------------------------------------------------------------
def _write_unmet(book: Book, bulletin: Bulletin) -> None:
    ws = book.sheet(SHEETS["unmet"])
    write_title(book, ws, _title(bulletin, "未达标目标"))
    columns = [
        Column("单位编码", width=10),
        Column("单位名称", width=26),
        Column("指标编码", width=9),
        Column("指标", width=28, wrap=True),
        Column("实际值", "number", 10),
        Column("目标", width=6),
        Column("目标值", "number", 10),
        Column("计量单位", width=8),
        Column("失分", "number", 8, 2),
    ]
    write_header(book, ws, HEADER_ROW, columns)
    u = bulletin.unmet
    # Column lists and one neutralised copy per distinct text: this sheet can have a row for
    # every unit and target leaf, so per-row lookups would dominate the time to write it.
    decimals = u["decimals"].astype("Float64").fillna(2).astype(int).tolist()
    value_formats = {d: book.cell(Column("", "number", decimals=d)) for d in set(decimals)}
    text_f, name_f, cmp_f, lost_f = (
        book.cell(columns[0]), book.cell(columns[3]), book.cell(columns[5], align="center"), book.cell(columns[8]),
    )  # fmt: skip

    def safe(column: str) -> list[str]:
        values = u[column].astype(str).tolist()
        memo = {v: neutralise(v) for v in set(values)}
        return [memo[v] for v in values]

    texts = [safe(c) for c in ("unit", "name", "leaf", "leaf_name", "measure")]
    signs = ["≥" if d == "higher" else "≤" for d in u["direction"].tolist()]
    actual, target = u["actual"].astype(float).tolist(), u["target"].astype(float).tolist()
    lost = u["lost"].astype(float).round(6).tolist()
    write_string, write_number = ws.write_string, ws.write_number
    row = FIRST - 1
    for i, (unit, name, leaf, leaf_name, measure) in enumerate(zip(*texts)):
        row = FIRST + i
        vf = value_formats[decimals[i]]
        write_string(row, 0, unit, text_f)
        write_string(row, 1, name, text_f)
        write_string(row, 2, leaf, text_f)
        write_string(row, 3, leaf_name, name_f)
        write_number(row, 4, actual[i], vf)
        write_string(row, 5, signs[i], cmp_f)
        write_number(row, 6, target[i], vf)
        write_string(row, 7, measure, text_f)
        write_number(row, 8, lost[i], lost_f)
    if u.empty:
        # the summary's sentence, from the same count (no target leaves: nothing to claim met)
        write_text(ws, FIRST, 0, unmet_sentence(bulletin).rstrip("。") or "本方案未设目标值指标")
    setup_page(ws, HEADER_ROW, freeze_col=2, last_row=row, last_col=len(columns) - 1)


def _write_red_list(book: Book, bulletin: Bulletin) -> None:
    ws = book.sheet(SHEETS["red"])
    write_title(book, ws, _title(bulletin, "末位与一票否决"))
    d = bulletin.decimals
    columns = [
        Column("单位编码", width=10),
        Column("单位名称", width=26),
        Column("类别", width=14),
        Column("总分", "number", 9, d),
        Column("等级", width=8),
        Column("同类排名", "int", 8),
        Column("类型", width=14),
        Column("原因", width=36, wrap=True),
        Column("后果", width=36, wrap=True),
    ]
    write_header(book, ws, HEADER_ROW, columns)
    red = bulletin.red_list
    rows = zip(
        red["unit"].tolist(), red["name"].tolist(), red["category"].tolist(), red["total"].tolist(),
        red["grade"].tolist(), red["rank"].tolist(), red["kind"].tolist(), red["reason"].tolist(),
        red["consequence"].tolist(),
    )  # fmt: skip
    last = write_rows(book, ws, FIRST, columns, rows)
    if red.empty:
        write_text(ws, FIRST, 0, "本期无末位或一票否决单位")
    setup_page(ws, HEADER_ROW, freeze_col=2, last_row=last, last_col=len(columns) - 1)


# -- 趋势 ----------------------------------------------------------------------------------------
def _write_trend(book: Book, bulletin: Bulletin, history: pd.DataFrame) -> None:
    ws = book.sheet(SHEETS["trend"])
    write_title(book, ws, _title(bulletin, "得分趋势"))
    h = history.assign(period=history["period"].astype(str), unit=history["unit"].astype(str))
    h = h[h["period"] <= bulletin.period].drop_duplicates(["period", "unit"], keep="last")
    periods = sorted(h["period"].unique())
    order = bulletin.ranking["unit"].tolist()
    order += sorted(set(h["unit"]) - set(order))
    table = h.pivot(index="unit", columns="period", values="total").reindex(index=order, columns=periods)
    d = bulletin.decimals
    labels = [period_name(p) for p in periods]
    columns = [Column("单位编码", width=10), Column("单位名称", width=26)]
    columns += [Column(label, "number", 11, d) for label in labels]
    write_header(book, ws, HEADER_ROW, columns)
    unit_values = table.to_numpy().tolist()
    rows = ([u, bulletin.name(u), *values] for u, values in zip(order, unit_values))
    last = write_rows(book, ws, FIRST, columns, rows)
    # summary rows below the table (outside the filter), which the chart draws
    stats = [("平均分", table.mean()), ("最高分", table.max()), ("最低分", table.min())]
    if bulletin.threshold is not None:
        stats.append((f"末位线（{fmt(bulletin.threshold)} 分）", pd.Series(bulletin.threshold, index=periods)))
    first_stat = last + 2
    label_format = book.cell(columns[0], bold=True)
    series: list[_Series] = []
    for i, (label, values) in enumerate(stats):
        row = first_stat + i
        write_text(ws, row, 0, label, label_format)
        write_text(ws, row, 1, "", label_format)
        numbers = [_num(values.get(p)) for p in periods]
        for j, v in enumerate(numbers):
            if v is not None:
                ws.write_number(row, 2 + j, v, book.cell(columns[2 + j], bold=True))
        if label == "平均分":
            series.append(_Series(row, 0, label, numbers, "mean"))
        elif label.startswith("末位线"):
            series.append(_Series(row, 0, label, numbers, "line"))
    if len(order) <= CHART_UNITS:
        for i, (u, values) in enumerate(zip(order, unit_values)):
            series.append(_Series(FIRST + i, 1, bulletin.name(u), [_num(v) for v in values], "unit"))
    setup_page(ws, HEADER_ROW, freeze_col=2, last_row=last, last_col=len(columns) - 1)
    if periods:
        _trend_chart(book, ws, bulletin, labels, series)


@dataclass(frozen=True)
class _Series:
    row: int
    name_col: int
    name: str
    values: list[float | None]
    kind: str  # mean, line (the bottom line) or unit


def _trend_chart(book: Book, ws: Worksheet, bulletin: Bulletin, labels: list[str], series: list[_Series]) -> None:
    """A native line chart over the 趋势 table. Cached values are given, because in constant_memory
    mode xlsxwriter cannot read them back (and would store the period names as numbers)."""
    sheet = SHEETS["trend"]
    chart = book.workbook.add_chart({"type": "line"})
    last_col = 1 + len(labels)
    for s in series:
        style = {
            "mean": {"marker": {"type": "circle", "size": 5}, "line": {"width": 2.5, "color": "#1F4E79"}},
            "line": {"marker": {"type": "none"}, "line": {"width": 1.5, "color": DOWN_COLOR, "dash_type": "dash"}},
            "unit": {"marker": {"type": "circle", "size": 4}, "line": {"width": 1.25}},
        }[s.kind]
        chart.add_series(
            {
                "name": [sheet, s.row, s.name_col],
                "name_data": [neutralise(s.name)],
                "categories": [sheet, HEADER_ROW, 2, HEADER_ROW, last_col],
                "categories_data": labels,
                "values": [sheet, s.row, 2, s.row, last_col],
                "values_data": s.values,
                **style,
            }
        )
    chart.set_title({"name": f"{bulletin.scheme_name} 得分趋势", "name_font": {"size": 12}})
    chart.set_y_axis({"name": "分", "num_format": "0"})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": 760, "height": 380})
    ws.insert_chart(HEADER_ROW, 1 + last_col, chart)


# -- 资金 ----------------------------------------------------------------------------------------
def _write_money(book: Book, bulletin: Bulletin, scheme: Scheme, frame: pd.DataFrame) -> None:
    ws = book.sheet(SHEETS["money"])
    title = scheme.settlement.name if scheme.settlement is not None else "补助资金"
    write_title(book, ws, _title(bulletin, f"{title}结算"))
    d = bulletin.decimals
    pool = scheme.settlement is not None and scheme.settlement.mode == "pool"
    factor = Column("权重", "number", 11, 0) if pool else Column("基数（元）", "money", 14)
    columns = [
        Column("单位编码", width=10),
        Column("单位名称", width=26),
        Column("总分", "number", 9, d),
        Column("等级", width=8),
        factor,
        Column("金额（元）", "money", 15),
        Column("保底/封顶/否决", width=10),
        Column("计算依据", width=70, wrap=True),
    ]
    write_header(book, ws, HEADER_ROW, columns)
    f = frame.assign(period=frame["period"].astype(str), unit=frame["unit"].astype(str))
    f = f[f["period"] == bulletin.period]
    rank = {u: i for i, u in enumerate(bulletin.ranking["unit"])}
    f = f.assign(_order=f["unit"].map(rank).fillna(len(rank))).sort_values(["_order", "unit"], kind="stable")
    rows = zip(
        f["unit"].tolist(), [bulletin.name(u) for u in f["unit"]], f["total"].tolist(), f["grade"].tolist(),
        f["weight" if pool else "base"].tolist(), f["amount"].tolist(), f["limit"].tolist(), f["basis"].tolist(),
    )  # fmt: skip
    last = write_rows(book, ws, FIRST, columns, rows)
    total_row = last + 2
    bold_text = book.cell(columns[0], bold=True)
    write_text(ws, total_row, 0, "合计", bold_text)
    ws.write_number(total_row, 5, int(f["amount_fen"].sum()) / 100, book.cell(columns[5], bold=True))
    if scheme.settlement is not None:
        write_text(ws, total_row + 1, 0, "结算规则", bold_text)
        write_text(ws, total_row + 1, 1, describe(scheme.settlement), book.format(text_wrap=False))
    setup_page(ws, HEADER_ROW, freeze_col=2, last_row=last, last_col=len(columns) - 1)


def write_bulletin(
    bulletin: Bulletin,
    results: Results,
    scheme: Scheme,
    names: Mapping[str, str],
    history: pd.DataFrame | None,
    settlement_frame: pd.DataFrame | None,
    generated_by: str,
    generated_at: datetime,
    progress: Progress | None = None,
) -> bytes:
    """The bulletin workbook as xlsx bytes.

    `results` holds the period's leaves (for 明细); `history` is `Results.units` over the periods
    to chart in 趋势 (default: `results.units`); `settlement_frame` is `scoring.settlement.settle`
    output, and adds the 资金 sheet. `generated_at` is written as the wall-clock time it carries.
    `names` is accepted for symmetry with the other exports; the bulletin already carries them.
    `progress(fraction, message)`, when given, is told before each sheet is written
    (「正在写入「排名」工作表」) and before the file is saved, the fraction rising to 1.0.
    """
    if names and names is not bulletin.names and any(bulletin.names.get(u) != n for u, n in names.items()):
        bulletin = _with_names(bulletin, names)
    n_units, n_leaves = len(bulletin.ranking), len(scheme.leaves)
    book = Book(cells=n_units * (n_leaves + 40) + len(bulletin.unmet) * 9 + len(bulletin.tag_rates))
    settlement_text = (
        describe(scheme.settlement) if scheme.settlement is not None and settlement_frame is not None else ""
    )
    # (sheet name, about how many cells it writes: its share of the progress, write)
    steps: list[tuple[str, int, Callable[[], None]]] = [
        (SHEETS["about"], 30, lambda: _write_about(book, bulletin, scheme, settlement_text, generated_by, generated_at))
    ]
    monitors = (
        SHEETS["monitor"],
        n_units * len(scheme.monitor_leaves),
        lambda: _write_monitors(book, bulletin, results, scheme),
    )
    if scheme.monitoring_only:  # nothing scored: no ranking, detail, red list or trend of totals
        steps.append(monitors)
    else:
        steps += [
            (SHEETS["ranking"], n_units * 12, lambda: _write_ranking(book, bulletin, scheme)),
            (SHEETS["detail"], n_units * (n_leaves + 4), lambda: _write_detail(book, bulletin, results, scheme)),
            (SHEETS["unmet"], len(bulletin.unmet) * 9, lambda: _write_unmet(book, bulletin)),
            (SHEETS["red"], len(bulletin.red_list) * 8, lambda: _write_red_list(book, bulletin)),
            (SHEETS["trend"], n_units * HISTORY_COLUMNS, lambda: _write_trend(book, bulletin, results.units if history is None else history)),
        ]  # fmt: skip
        if scheme.monitor_leaves:
            steps.append(monitors)
        if settlement_frame is not None:
            steps.append((SHEETS["money"], n_units * 8, lambda: _write_money(book, bulletin, scheme, settlement_frame)))
        if len(bulletin.objections):
            steps.append(
                (SHEETS["objections"], len(bulletin.objections) * 6, lambda: _write_objections(book, bulletin))
            )
        if bulletin.rectification is not None and bulletin.rectification.issued:  # only once tasks were given
            steps.append((RECTIFICATION_SHEET, 30, lambda: _write_rectification(book, bulletin)))
        if len(bulletin.tag_rates):  # the scheme has tags (a scheme without them gets no such sheet)
            title = _title(bulletin, "标签得分率")
            steps.append(
                (TAG_SHEET, len(bulletin.tag_rates), lambda: write_tag_rates(book, bulletin, title, HEADER_ROW))
            )
    return _write_steps(book, steps, progress)


HISTORY_COLUMNS = 14  # 趋势: a unit's row holds up to 12 periods and its name
SAVE_SHARE = 0.65  # of the writing: xlsxwriter writes every cell's XML on saving (measured at 4,000 units × 40 leaves)


def _write_steps(book: Book, steps: list[tuple[str, int, Callable[[], None]]], progress: Progress | None) -> bytes:
    """Run the steps, telling `progress` before each sheet in proportion to its cells; then save."""
    total = sum(max(cells, 1) for _, cells, _ in steps)
    done = 0
    for name, cells, write in steps:
        if progress is not None:
            progress((1 - SAVE_SHARE) * done / total, f"正在写入「{name}」工作表")
        write()
        done += max(cells, 1)
    if progress is not None:
        progress(1 - SAVE_SHARE, "正在保存 Excel 文件")
    data = book.close()
    if progress is not None:
        progress(1.0, "Excel 文件已生成")
    return data


def _write_monitors(book: Book, bulletin: Bulletin, results: Results, scheme: Scheme) -> None:
    """监测指标: every unit's monitored values with unit and reference — reported, never scored."""
    from reports.monitor import MONITOR_ONLY_NOTE, monitor_values

    ws = book.sheet(SHEETS["monitor"])
    note = MONITOR_ONLY_NOTE if scheme.monitoring_only else "监测指标，不计分"
    write_title(book, ws, _title(bulletin, f"监测指标（{note}）"))
    columns = [
        Column("单位编码", width=10),
        Column("单位名称", width=26),
        Column("指标编码", width=9),
        Column("指标", width=28, wrap=True),
        Column("数值", "number", 12, max(leaf.decimals for leaf in scheme.monitor_leaves)),
        Column("计量单位", width=8),
        Column("参考值", width=10),
        Column("与参考值比较", width=12),
        Column("说明", width=22),
    ]
    write_header(book, ws, HEADER_ROW, columns)
    rows = monitor_values(results.leaves, scheme, bulletin.names)
    rows = rows[rows["期间"] == bulletin.period]
    shown = rows["数值"].where(rows["_value"].isna(), "监测指标，不计分")  # 「未填」/「不适用」 say why blank
    data = zip(rows["单位编码"], rows["单位"], rows["指标编码"], rows["指标"], rows["_value"], rows["计量单位"],
               rows["参考值"], rows["与参考值比较"], shown, strict=True)  # fmt: skip
    last = write_rows(book, ws, FIRST, columns, ([neutralise(x) if isinstance(x, str) else x for x in r] for r in data))
    setup_page(ws, HEADER_ROW, freeze_col=2, last_row=last, last_col=len(columns) - 1)


def _write_objections(book: Book, bulletin: Bulletin) -> None:
    """申诉处理情况: every objection of the period and its outcome (only when there were any)."""
    ws = book.sheet(SHEETS["objections"])
    write_title(book, ws, _title(bulletin, "申诉处理情况"))
    columns = [
        Column("单位编码", width=10),
        Column("单位名称", width=26),
        Column("申诉指标", width=26, wrap=True),
        Column("申诉理由", width=40, wrap=True),
        Column("处理状态", width=12),
        Column("处理结果", width=48, wrap=True),
    ]
    write_header(book, ws, HEADER_ROW, columns)
    o = bulletin.objections
    rows = zip(*(o[c].astype(str).tolist() for c in ("unit", "name", "item", "reason", "status", "outcome")))
    last = write_rows(book, ws, FIRST, columns, rows)
    setup_page(ws, HEADER_ROW, freeze_col=2, last_row=last, last_col=len(columns) - 1)


def _with_names(bulletin: Bulletin, names: Mapping[str, str]) -> Bulletin:
    """The bulletin with display names taken from `names` (codes without one show as themselves)."""
    from dataclasses import replace

    merged = {**bulletin.names, **names}

    def rename(frame: pd.DataFrame) -> pd.DataFrame:
        if "unit" not in frame.columns or "name" not in frame.columns:
            return frame
        return frame.assign(name=[merged.get(u, u) for u in frame["unit"].astype(str)])

    return replace(
        bulletin,
        names=merged,
        ranking=rename(bulletin.ranking),
        red_list=rename(bulletin.red_list),
        movers_up=rename(bulletin.movers_up),
        movers_down=rename(bulletin.movers_down),
        unmet=rename(bulletin.unmet),
        unmet_by_unit=rename(bulletin.unmet_by_unit),
        tag_rates=rename(bulletin.tag_rates),
        tag_rules=rename(bulletin.tag_rules),
    )


# -- 整改落实 ------------------------------------------------------------------------------------
RECTIFICATION_SHEET = "整改落实"


def _write_rectification(book: Book, bulletin: Bulletin) -> None:
    """整改落实情况: the figures (as of their day) and the overdue tasks."""
    r = bulletin.rectification
    assert r is not None
    ws = book.sheet(RECTIFICATION_SHEET)
    write_title(book, ws, _title(bulletin, "整改落实情况"))
    key, value = Column("项目", width=16), Column("内容", width=30, wrap=True)
    write_header(book, ws, HEADER_ROW, [key, value, Column("", width=14), Column("", width=14)], height=20)
    count = Column("", "int")
    rows: list[tuple[str, object, Column]] = [
        ("统计截至", f"{r.as_of:%Y-%m-%d}", value),
        ("统计范围", f"本方案{bulletin.period_name}及以前各期考核结果下达的整改任务", value),
        ("已下达", r.issued, count),
        ("已验收", r.accepted, count),
        ("已提交待验收", r.submitted, count),
        ("逾期未验收", r.overdue, count),
        ("整改完成率", r.rate, Column("", "percent", decimals=1)),
        ("口径", r.rule, value),
        ("逾期单位", r.overdue_text, value),
    ]
    key_format = book.cell(key, bold=True)
    for i, (label, content, column) in enumerate(rows, start=FIRST):
        write_text(ws, i, 0, label, key_format)
        cell_format = book.cell(column, align="left")
        if column.kind == "text":
            write_text(ws, i, 1, content, cell_format)
        elif content is None:
            write_text(ws, i, 1, "暂无到期任务", cell_format)
        else:
            ws.write_number(i, 1, float(content), cell_format)  # type: ignore[arg-type]
    start = FIRST + len(rows) + 1
    write_text(ws, start, 0, "逾期未验收的整改任务", book.format(bold=True, font_size=12))
    columns = [Column("单位", width=16), Column("整改任务", width=30, wrap=True), Column("整改期限", width=14),
               Column("状态", width=14)]  # fmt: skip
    write_header(book, ws, start + 1, columns, height=20)
    write_rows(book, ws, start + 2, columns, [(n, t, f"{d:%Y-%m-%d}", s) for n, t, d, s in r.overdue_tasks])
    if not r.overdue_tasks:
        write_text(ws, start + 2, 0, "无逾期未验收的整改任务")
    setup_page(ws, HEADER_ROW)
