"""One item of one unit, opened from 单位详情's 失分明细 or from a link (…&unit=C03&item=B2): its
rule, points and 计分过程, the unit's evidence on it, and the way to the same item across units."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from scoring.scheme import Scheme
from services.evidence import item_evidence
from services.permissions import page_allowed
from ui.evidence import show_evidence
from ui.guard import current_actor
from ui.text import md_escape

CRITERIA = "pages/criteria.py"
_SHOWN = "_item_view_shown"  # (unit, item) last brought into view
# The item's section sits below the tables; a newly opened one (a click, a link) is scrolled to.
_SCROLL = """<script>
setTimeout(() => document.querySelector('.st-key-item_detail')?.scrollIntoView({block: 'start'}), 300);
</script>"""


def _points(x: object, decimals: int) -> str:
    return "—" if x is None or pd.isna(x) else f"{float(x):.{decimals}f}"


def show_item(item: pd.Series, scheme: Scheme, period: str, unit: str, decimals: int) -> None:
    """The item's section of 单位详情 (`item`: a row of `Results.explain`)."""
    code, name = str(item["code"]), str(item["name"])
    with st.container(border=True, key="item_detail"):
        st.subheader(md_escape(f"指标详情：{code} {name}"), anchor="item")
        applicable = bool(item.get("applicable", True))
        c = st.columns(3)
        c[0].metric("满分", f"{float(item['points']):g}")
        c[1].metric("得分", _points(item["earned"], decimals) if applicable else "不适用")
        c[2].metric("失分", _points(item["lost"], decimals) if applicable else "—")
        if item.get("dimension"):
            st.markdown(f"**所属维度**：{md_escape(item['dimension'])}")
        if item.get("rule"):
            st.markdown(f"**评分规则**：{md_escape(item['rule'])}")
        if item.get("trace"):
            st.markdown(f"**计分过程**：{md_escape(item['trace'])}")
        evidence = [e for e in item_evidence(scheme.id, period, unit) if e.code == code]
        if evidence:
            show_evidence(evidence, {code: name}, key="item_evidence")
        else:
            st.caption("该单位本期没有为此指标上传证明材料。")
        actor = current_actor()
        if actor is not None and page_allowed(actor, CRITERIA):
            st.page_link(
                CRITERIA,
                label=f"查看各单位的「{name}」",
                icon=":material/grid_on:",
                query_params={"scheme": scheme.id, "period": period, "item": code},
            )
    if st.session_state.get(_SHOWN) != (unit, code):
        st.session_state[_SHOWN] = (unit, code)
        st.html(_SCROLL, unsafe_allow_javascript=True)
