"""The widgets of the form editor: scheme settings, the criteria and leaf tables, and the selected
leaf's method-specific fields. Every label comes from scoring.names; the data lives in a
`SchemeTables` kept in the session, one per draft, and is read back by `convert`."""

from __future__ import annotations

import copy
import re
from typing import Any

import pandas as pd
import streamlit as st

from scoring.names import (
    ASSESSOR_COMBINE_NAMES,
    BOTTOM_COMBINE_NAMES,
    FIELD_VALUE_NAMES,
    METHOD_NAMES,
    MISSING_NAMES,
    PERIOD_TYPE_NAMES,
    field_label,
    label_for,
    value_for,
)
from ui.safe_table import edit_table
from ui.scheme_editor.convert import LEAF_MODELS, SchemeTables, plain, scheme_to_tables, tables_to_scheme
from ui.scheme_editor.fields import Spec, specs_for
from ui.text import md_escape

_UNSET = "（不设）"


def scheme_editor(data: dict[str, Any], *, key: str, categories: list[str]) -> tuple[dict[str, Any], list[str]]:
    """Edit the scheme `data` (as written); returns the edited scheme dict and the located
    problems of the tables themselves. `key` names the draft: a new key starts from `data` again."""
    state = f"scheme_editor_{key}"
    if state not in st.session_state:
        st.session_state[state] = scheme_to_tables(copy.deepcopy(data))
    tables: SchemeTables = st.session_state[state]
    p = f"se_{key}_"
    _settings(tables.settings, p, categories)
    st.markdown("**指标（一级、二级指标）**")
    criteria = edit_table(
        tables.criteria,
        disabled=[],
        num_rows="dynamic",
        hide_index=True,
        key=p + "criteria",
        column_config={
            "编码": st.column_config.TextColumn("编码", help="指标编码，如 A、A1；在方案内唯一", required=True),
            "名称": st.column_config.TextColumn("名称", help="如 基本公共卫生服务"),
            "上级编码": st.column_config.TextColumn("上级编码", help="二级指标填所属一级指标的编码；一级指标留空"),
            "声明分值": st.column_config.NumberColumn(
                "声明分值", help="细则表上印的小计（可不填）；填了就核对下属细则合计", min_value=0
            ),
            "声明加分": st.column_config.NumberColumn(
                "声明加分", help="小计中的加分部分，如「23分+10分」的 10", min_value=0
            ),
        },
    )
    st.markdown("**评分细则**")
    leaves = edit_table(
        tables.leaves,
        disabled=[],
        num_rows="dynamic",
        hide_index=True,
        key=p + "leaves",
        column_config={
            "编码": st.column_config.TextColumn("编码", help="细则编码，考核表上按它填报，如 A1.1", required=True),
            "名称": st.column_config.TextColumn("名称", help="如 居民健康档案电子建档率"),
            "所属指标": st.column_config.TextColumn("所属指标", help="上方指标表中的编码"),
            "评分方法": st.column_config.SelectboxColumn(
                "评分方法", help="选定后在下方设置该方法的参数", options=list(METHOD_NAMES.values()), required=True
            ),
            "分值": st.column_config.NumberColumn(
                "分值", help="本项满分；加分项、否决项、监测指标填 0 或留空", min_value=0
            ),
            "说明": st.column_config.TextColumn("说明", help="评分标准的文字，打印在考核表和细则表上", width="large"),
        },
    )
    edited = SchemeTables(tables.settings, criteria, leaves, tables.details, tables.keys)
    _leaf_form(edited, p)
    return tables_to_scheme(edited)


def _f(value: Any) -> float | None:
    """A number for st.number_input, which refuses an int value beside float bounds."""
    return None if value is None else float(value)


# -- scheme settings ------------------------------------------------------------------------------
def _put(target: dict[str, Any], key: str, value: Any) -> None:
    if value is None or value == "" or value == []:
        target.pop(key, None)
    else:
        target[key] = value


def _settings(settings: dict[str, Any], p: str, categories: list[str]) -> None:
    st.markdown("**方案设置**")
    a, b, c = st.columns([3, 1, 1])
    settings["name"] = a.text_input(field_label("name"), settings.get("name", ""), key=p + "name").strip()
    settings["version"] = b.text_input(
        field_label("version"), str(settings.get("version", "")), key=p + "version", help="保存为新版本时必须改变"
    ).strip()
    periods = list(PERIOD_TYPE_NAMES)
    now = settings.get("period_type", "year")
    settings["period_type"] = c.selectbox(
        field_label("period_type"),
        periods,
        index=periods.index(now) if now in periods else 0,
        format_func=PERIOD_TYPE_NAMES.get,
        key=p + "period",
    )
    a, b, c = st.columns([3, 1, 1])
    known = list(dict.fromkeys([*settings.get("categories", []), *categories]))
    _put(
        settings,
        "categories",
        a.multiselect(
            field_label("categories"),
            known,
            default=settings.get("categories", []),
            key=p + "categories",
            accept_new_options=True,
            help="本方案考核哪些类别的单位；可输入新的类别",
            placeholder="选择或输入单位类别",  # Streamlit's own is English (「Choose options」)
        ),
    )
    total = b.number_input(field_label("total"), value=_f(settings.get("total")), min_value=0.0, key=p + "total")
    _put(settings, "total", plain(total))
    cap = c.number_input(
        field_label("bonus_cap"), value=_f(settings.get("bonus_cap")), min_value=0.0, key=p + "bonus_cap",
        help="全部加分项与力争目标合计最多加多少分",
    )  # fmt: skip
    _put(settings, "bonus_cap", plain(cap))
    left, right = st.columns(2)
    with left:
        grades = pd.DataFrame(settings.get("grades") or [], columns=["name", "min"]).rename(
            columns={"name": "等级", "min": "下限"}
        )
        base = st.session_state.setdefault(p + "grades_base", grades)
        out = st.data_editor(
            base,
            num_rows="dynamic",
            hide_index=True,
            key=p + "grades",
            column_config={
                "等级": st.column_config.TextColumn("等级", help="如 优秀；按下限从高到低排列"),
                "下限": st.column_config.NumberColumn("下限", help="总分达到此分即为该等级；最低等级为 0", min_value=0),
            },
        )
        rows = [
            {"name": plain(r["等级"]), "min": plain(r["下限"])}
            for _, r in out.iterrows()
            if plain(r["等级"]) is not None or plain(r["下限"]) is not None
        ]
        if "grades" in settings or rows != (base.rename(columns={"等级": "name", "下限": "min"}).to_dict("records")):
            _put(settings, "grades", rows)
        st.caption("等级不写时按总分的 90%、80%、60% 划分。")
    with right:
        bottom = dict(settings.get("bottom") or {})
        st.markdown(f"{field_label('bottom')}（末位）")
        x, y, z = st.columns(3)
        for col, name, step in ((x, "threshold", None), (y, "lowest_n", 1), (z, "lowest_pct", None)):
            value = col.number_input(
                field_label(name), value=bottom.get(name), min_value=0, step=step, key=p + "bottom_" + name
            ) if step else col.number_input(field_label(name), value=_f(bottom.get(name)), min_value=0.0, key=p + "bottom_" + name)  # fmt: skip
            _put(bottom, name, plain(value))
        combine = st.selectbox(
            field_label("combine", "bottom"),
            list(BOTTOM_COMBINE_NAMES),
            index=list(BOTTOM_COMBINE_NAMES).index(bottom.get("combine", "any")),
            format_func=BOTTOM_COMBINE_NAMES.get,
            key=p + "bottom_combine",
        )
        _put(bottom, "combine", None if combine == "any" and "combine" not in bottom else combine)
        _put(
            bottom,
            "consequence",
            st.text_input("后果", bottom.get("consequence", ""), key=p + "bottom_consequence").strip(),
        )
        _put(settings, "bottom", bottom or None)
    _more_settings(settings, p)


def _option(settings: dict[str, Any], key: str, names: dict[str, str], where: Any, p: str, help: str) -> None:
    """A scheme option chosen by its Chinese name; its default is not written (the file stays as it was)."""
    options = list(names)
    now = settings.get(key, options[0])
    chosen = where.selectbox(
        field_label(key), options, index=options.index(now) if now in options else 0,
        format_func=names.get, key=p + key, help=help,
    )  # fmt: skip
    _put(settings, key, None if chosen == options[0] and key not in settings else chosen)


def _more_settings(settings: dict[str, Any], p: str) -> None:
    """How several assessors' scores combine, what a blank cell means, the decimals of a total and the
    公示 objection period: the scheme's remaining options, each with its default when not written."""
    a, b, c, d = st.columns(4)
    _option(settings, "combine", ASSESSOR_COMBINE_NAMES, a, p, "同一单位同一细则有几个考核组打分时如何合并")
    _option(settings, "missing", MISSING_NAMES, b, p, "考核表中留空的细则如何处理")
    decimals = c.number_input(
        field_label("decimals"), value=int(settings.get("decimals", 2)), min_value=0, max_value=4, step=1,
        key=p + "decimals", help="总分保留几位小数（四舍五入）",
    )  # fmt: skip
    _put(settings, "decimals", None if decimals == 2 and "decimals" not in settings else int(decimals))
    days = d.number_input(
        field_label("objection_days"), value=int(settings.get("objection_days", 5)), min_value=1, max_value=30,
        step=1, key=p + "objection_days", help="公示后可以申诉的工作日数",
    )  # fmt: skip
    _put(settings, "objection_days", None if days == 5 and "objection_days" not in settings else int(days))


# -- the selected leaf ----------------------------------------------------------------------------
def _leaf_form(tables: SchemeTables, p: str) -> None:
    rows = [(i, r) for i, r in enumerate(tables.leaves.itertuples()) if plain(r.编码) is not None]
    if not rows:
        return
    labels = {i: f"{plain(r.编码)} {plain(r.名称) or ''}" for i, r in rows}
    st.markdown("**选中细则的评分参数**")
    picked = st.selectbox("评分细则", list(labels), format_func=labels.get, key=p + "leaf_pick")
    row = tables.leaves.iloc[picked]
    code = str(plain(row["编码"]))
    holder = tables.detail_key(tables.leaves.index[picked], code)
    details = tables.details.setdefault(holder, {})
    method = value_for("method", str(plain(row["评分方法"]) or ""))
    if method is None:
        st.info("请先在上表中为该细则选择评分方法。")
        return
    shown = f"{p}leaf_shown"
    if st.session_state.get(shown) != (holder, method):  # a new showing: widgets start from the data
        st.session_state[shown] = (holder, method)
        st.session_state[p + "showing"] = st.session_state.get(p + "showing", 0) + 1
    k = f"{p}{st.session_state[p + 'showing']}_"
    st.caption(f"评分方法：{label_for('method', method)}。{md_escape(str(plain(row['说明']) or ''))}")
    specs = specs_for(str(method))
    columns = st.columns(3)
    small = [s for s in specs if s.kind not in ("records", "pair", "tags", "text")]
    for n, spec in enumerate(small):
        with columns[n % 3]:
            _field(details, spec, str(method), k)
    for spec in specs:
        if spec.kind in ("records", "pair", "tags", "text"):
            _field(details, spec, str(method), k)
    if details.get("variants"):
        from services.scheme_diff import say  # the diff's wording of a value

        parts = [f"{cat}：{say('variants', o, method)}" for cat, o in details["variants"].items()]
        st.caption(
            f"{field_label('variants')}：" + "；".join(parts) + "（在评分细则工作簿的「类别差异」表或 YAML 视图中修改）"
        )


def _default(method: str, key: str) -> Any:
    cls = LEAF_MODELS.get(method)
    if cls is None:
        return None
    for name, f in cls.model_fields.items():
        if name == key or f.alias == key:
            return None if f.is_required() else f.get_default(call_default_factory=True)
    return None


def _field(details: dict[str, Any], spec: Spec, method: str, k: str) -> None:
    label, key, now = field_label(spec.key, method), k + spec.key, details.get(spec.key)
    default = _default(method, spec.key)
    if spec.kind in ("number", "int"):
        step = 1 if spec.kind == "int" else None
        value = st.number_input(
            label, value=now if spec.kind == "int" else _f(now), step=step, help=spec.help or None, key=key
        )
        _put(details, spec.key, plain(value))
    elif spec.kind == "bool":
        value = st.checkbox(label, value=bool(now if now is not None else default), help=spec.help or None, key=key)
        if value == bool(default) and spec.key not in details:
            return
        details[spec.key] = value
    elif spec.kind == "choice":
        options: list[Any] = spec.options if spec.key == "mode" else [None, *spec.options]
        unset = _UNSET if default is None else f"默认：{label_for(spec.key, default)}"
        value = st.selectbox(
            label,
            options,
            index=options.index(now) if now in options else 0,
            format_func=lambda v: unset if v is None else label_for(spec.key, v),
            help=spec.help or None,
            key=key,
        )
        _put(details, spec.key, value)
    elif spec.kind == "text":
        _put(details, spec.key, st.text_input(label, now or "", help=spec.help or None, key=key).strip())
    elif spec.kind == "tags":
        text = st.text_input(label, "、".join(now or []), help=spec.help or None, key=key)
        _put(details, spec.key, [t for t in re.split(r"[、,，;；\s]+", text) if t])
    elif spec.kind == "pair":
        st.markdown(f"{label}　<small>{md_escape(spec.help)}</small>", unsafe_allow_html=True)
        parts = st.columns(len(spec.columns))
        out = {}
        for col, (sub, _) in zip(parts, spec.columns, strict=True):
            v = col.number_input(field_label(sub), value=_f((now or {}).get(sub)), key=f"{key}_{sub}")
            if plain(v) is not None:
                out[sub] = plain(v)
        _put(details, spec.key, out or None)
    elif spec.kind == "records":
        _records(details, spec, method, label, key)


def _records(details: dict[str, Any], spec: Spec, method: str, label: str, key: str) -> None:
    subs = [s for s, _ in spec.columns]
    names = {s: field_label(s, method) for s in subs}
    base_key = key + "_base"
    if base_key not in st.session_state:
        rows = details.get(spec.key) or []
        frame = pd.DataFrame(
            [
                {
                    s: (label_for(s, r.get(s)) if kind == "choice" and r.get(s) is not None else r.get(s))
                    for s, kind in spec.columns
                }
                for r in rows
            ],
            columns=subs,
        )
        for s, kind in spec.columns:
            frame[s] = frame[s].astype(float if kind in ("number", "int") else object)
        st.session_state[base_key] = frame.rename(columns=names)
    config: dict[str, Any] = {}
    for s, kind in spec.columns:
        if kind in ("number", "int"):
            config[names[s]] = st.column_config.NumberColumn(names[s], step=1 if kind == "int" else None)
        elif kind == "choice":
            config[names[s]] = st.column_config.SelectboxColumn(names[s], options=list(FIELD_VALUE_NAMES[s].values()))
        else:
            config[names[s]] = st.column_config.TextColumn(names[s])
    st.markdown(f"{label}　<small>{md_escape(spec.help)}</small>", unsafe_allow_html=True)
    out = st.data_editor(st.session_state[base_key], num_rows="dynamic", hide_index=True, key=key, column_config=config)
    records = []
    for _, r in out.iterrows():
        rec = {}
        for s, kind in spec.columns:
            v = plain(r[names[s]])
            if v is not None and kind == "choice":
                v = value_for(s, str(v))
            if v is not None and kind == "int":
                v = int(v)
            if v is not None:
                rec[s] = v
        if rec:
            records.append(rec)
    if records or spec.key in details:
        _put(details, spec.key, records)
