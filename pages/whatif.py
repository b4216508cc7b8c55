"""模拟测算 (admin): change points, targets or settlement parameters of the chosen scheme and see
every unit's score, rank, grade and amount before and after, on the period's stored values.
Nothing is stored until 另存为新版本."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import streamlit as st

from reports import numbers as number_text
from scoring.names import SETTLEMENT_MODE_NAMES
from services.errors import ServiceError
from services.whatif import (
    Edits,
    Simulation,
    edits_summary,
    free_version,
    leaf_table,
    save_as_version,
    settlement_block,
    simulate,
)
from ui.guard import current_actor
from ui.safe_table import edit_table, show_table
from ui.tables import PAGE_ROWS, pager
from ui.text import md_lines
from ui.view import caption, current_view

MODES = {m: SETTLEMENT_MODE_NAMES[m] for m in ("grade_coefficient", "base_times_score", "pool")}  # in this order
DEFAULT_COEFFICIENTS = [1.0, 0.95, 0.85, 0.6]  # 优秀, 良好, 合格, 不合格 in the example


def _changed(original: pd.DataFrame, edited: pd.DataFrame, column: str) -> dict[str, float]:
    """{leaf code: new value} of the rows whose `column` the admin changed."""
    return {
        code: _number(new)
        for code, old, new in zip(original["code"], original[column], edited[column], strict=True)
        if not _same(old, new)
    }


def _signed(pattern: str):  # noqa: ANN202 - a Styler formatter
    """+1.50 / -2 for a change, plain 0 for none."""
    return lambda v: "—" if pd.isna(v) else (pattern.format(v) if abs(v) > 1e-9 else "0")


def _height(rows: int) -> int:
    return 35 * (rows + 1) + 3  # every row visible, no inner scrollbar


def _number(v: Any) -> float:
    return math.nan if v is None or pd.isna(v) else float(v)


def _same(a: Any, b: Any) -> bool:
    a, b = _number(a), _number(b)
    return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b)


def _settlement_editor(scheme_key: str, block: dict[str, Any] | None, grades: list[str]) -> dict[str, Any] | None:
    """The settlement block after the admin's changes (None: unchanged, or none wanted)."""
    st.subheader("资金结算参数")
    if block is None:
        st.caption("本方案未设置资金结算；可在此试算，另存为新版本后生效。")
        if not st.toggle("试算资金结算", key=f"wi_money_{scheme_key}"):
            return None
    current = block or {}
    c = st.columns(3)
    modes = list(MODES)
    mode = c[0].selectbox(
        "结算方式", modes, index=modes.index(current.get("mode", "grade_coefficient")), format_func=MODES.get
    )
    on_veto = c[1].selectbox(
        "一票否决单位",
        ["keep", "zero"],
        index=["keep", "zero"].index(current.get("on_veto", "keep")),
        format_func={"keep": "按其结果结算", "zero": "不予拨付"}.get,
    )
    out: dict[str, Any] = {"mode": mode, "on_veto": on_veto}
    if "name" in current:
        out["name"] = current["name"]
    same = current if current.get("mode") == mode else {}
    if mode == "pool":
        p = st.columns(3)
        out["pool"] = p[0].number_input(
            "资金池（元）", min_value=0.0, value=float(same.get("pool", 1_000_000)), step=10_000.0
        )
        out["floor"] = p[1].number_input("保底（元）", min_value=0.0, value=float(same.get("floor", 0)), step=1_000.0)
        cap = p[2].number_input(
            "封顶（元，0 为不封顶）", min_value=0.0, value=float(same.get("cap") or 0), step=1_000.0
        )
        out["cap"] = cap or None
        weighted = c[2].toggle("按服务人口加权", value=same.get("weight_attribute", "population") == "population")
        out["weight_attribute"] = "population" if weighted else None
        if same.get("default_weight") is not None:
            out["default_weight"] = same["default_weight"]
        return out
    for key in ("base_attribute", "base_by_category", "allow_above_base"):
        if key in same:
            out[key] = same[key]
    out["base"] = c[2].number_input(
        "统一基数（元）", min_value=0.0, value=float(same.get("base") or 100_000), step=1_000.0
    )
    if mode == "grade_coefficient":
        known = same.get("coefficients", {})
        defaults = DEFAULT_COEFFICIENTS + [DEFAULT_COEFFICIENTS[-1]] * len(grades)
        table = pd.DataFrame({"等级": grades, "系数": [float(known.get(g, defaults[i])) for i, g in enumerate(grades)]})
        edited = edit_table(
            table,
            hide_index=True,
            disabled=["等级"],
            column_config={"系数": st.column_config.NumberColumn(min_value=0.0, step=0.01, format="%.2f")},
            key=f"wi_coef_{scheme_key}",
        )
        out["coefficients"] = {g: _number(v) for g, v in zip(edited["等级"], edited["系数"], strict=True)}
    return None if out == block else out


def _show(sim: Simulation) -> None:
    t = sim.table
    d = sim.after.decimals
    c = st.columns(4)
    c[0].metric("名次变化的单位", sim.changed_rank, border=True)
    c[1].metric("等级变化的单位", sim.changed_grade, border=True)
    before, after = sim.amount_totals()
    money = before is not None or after is not None
    if money:
        c[2].metric("调整前金额合计（元）", "—" if before is None else f"{before:,.2f}", border=True)
        c[3].metric(
            "调整后金额合计（元）",
            "—" if after is None else f"{after:,.2f}",
            None if before is None or after is None else f"{after - before:+,.2f}",
            border=True,
        )
    shown = pd.DataFrame(
        {
            "单位": t["name"],
            **({"类别": t["category"]} if t["category"].nunique() > 1 else {}),
            "总分(前)": t["total_before"],
            "总分(后)": t["total_after"],
            "总分变化": t["delta_total"],
            **(
                {"从总分扣分(前)": t["deducted_before"], "从总分扣分(后)": t["deducted_after"]}
                if "deducted_after" in t
                else {}
            ),
            "名次(前)": t["rank_before"],
            "名次(后)": t["rank_after"],
            "名次变化": t["delta_rank"],
            "等级(前)": t["grade_before"],
            "等级(后)": t["grade_after"],
            **(
                {"金额(前)": t["amount_before"], "金额(后)": t["amount_after"], "金额变化": t["delta_amount"]}
                if money
                else {}
            ),
        }
    )

    def changed(row: pd.Series) -> list[str]:
        moved = row["名次变化"] != 0 or row["等级(前)"] != row["等级(后)"]
        return ["background-color: #fff4ce" if moved else ""] * len(row)

    shown = shown.dropna(axis=1, how="all")  # e.g. no amounts before a settlement is introduced
    # Pages of rows: a Styler over every unit sends them all and fails past its cell limit (issue 23).
    page = pager(len(shown), "wi_page_no")
    shown = shown.iloc[page * PAGE_ROWS : (page + 1) * PAGE_ROWS]
    # scores and money as every page and export writes them (reports.numbers): 0.00 for no change
    numbers = {"总分(前)": f"{{:.{d}f}}", "总分(后)": f"{{:.{d}f}}", "总分变化": lambda v: number_text.change(v, d)}
    numbers |= {"从总分扣分(前)": f"{{:.{d}f}}", "从总分扣分(后)": f"{{:.{d}f}}"}
    numbers |= {"名次变化": _signed("{:+.0f}"), "金额(前)": "{:,.2f}", "金额(后)": "{:,.2f}"}
    numbers |= {"金额变化": lambda v: number_text.change(v, 2)}
    show_table(
        shown.style.apply(changed, axis=1).format({k: v for k, v in numbers.items() if k in shown}, na_rep="—"),
        hide_index=True,
        key="wi_table",
    )
    st.caption("名次变化为正表示上升；黄色底为名次或等级有变化的单位。金额以元计，精确到分。")


view, _ = current_view(with_groups=False)
st.title("模拟测算")
caption(view)
if view.detail is None:
    st.info("模拟测算在某一期已录入的评分数据上进行，请在页面上方选择具体月份（或方案本身的期间）。")
    st.stop()
st.caption(
    "在本期已录入的数据上试算调整后的分值、目标值和资金结算参数；不会改变任何已发布的结果，另存为新版本后才生效。"
)

scheme = view.scheme
key = f"{scheme.id}_{scheme.version}_{view.period}"
leaves = leaf_table(scheme)
st.subheader("评分细则分值")
scored = leaves[~leaves["method"].isin(["加分", "一票否决"])][["code", "name", "method", "points"]]
points = edit_table(
    scored,
    hide_index=True,
    disabled=["code", "name", "method"],
    column_config={
        "code": st.column_config.TextColumn("编码"),
        "name": st.column_config.TextColumn("指标", width="large"),
        "method": st.column_config.TextColumn("评分方法"),
        "points": st.column_config.NumberColumn("分值", min_value=0.0, step=0.5, format="%g"),
    },
    height=_height(len(scored)),
    key=f"wi_points_{key}",
)
points_sum = float(pd.to_numeric(points["points"], errors="coerce").fillna(0).sum())
note = f"分值合计 {points_sum:g}，方案总分 {scheme.total:g}"
(st.caption if math.isclose(points_sum, scheme.total) else st.warning)(note)

targets = leaves[leaves["method"] == "目标值"][["code", "name", "direction", "target", "measure"]]
if len(targets):
    st.subheader("目标值")
    new_targets = edit_table(
        targets,
        hide_index=True,
        disabled=["code", "name", "direction", "measure"],
        column_config={
            "code": st.column_config.TextColumn("编码"),
            "name": st.column_config.TextColumn("指标", width="large"),
            "direction": st.column_config.TextColumn("方向"),
            "target": st.column_config.NumberColumn("目标值", format="%g"),
            "measure": st.column_config.TextColumn("单位"),
        },
        height=_height(len(targets)),
        key=f"wi_targets_{key}",
    )
else:
    new_targets = targets

settlement = _settlement_editor(key, settlement_block(scheme), [g.name for g in scheme.grades])
edits = Edits(
    points=_changed(scored, points, "points"), targets=_changed(targets, new_targets, "target"), settlement=settlement
)

st.subheader("调整前后对比")
try:
    sim = simulate(scheme.id, view.period, edits, by=current_actor())
except ServiceError as exc:
    st.error(md_lines(exc))
    st.stop()
changes = edits_summary(scheme, edits)
if not changes:
    st.caption("尚未调整：下表为现行方案的结果。修改上方的分值、目标值或结算参数即可看到变化。")
_show(sim)

st.subheader("另存为新版本")
with st.form(f"wi_save_{key}"):
    left, right = st.columns([1, 3])
    version = left.text_input("新版本号", value=free_version(scheme.id, scheme.version))
    text = right.text_input("版本说明", value="模拟测算调整：" + "；".join(changes) if changes else "")
    saved = st.form_submit_button("另存为新版本", type="primary", disabled=not changes)
if saved:
    try:
        registration = save_as_version(sim.source, version, note=text, by=current_actor())
    except ServiceError as exc:
        st.error(md_lines(exc))
    else:
        st.success(md_lines(registration.message) + "。已有的考核结果仍按原版本计分；新上传的评分表将使用新版本。")
