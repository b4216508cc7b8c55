"""Text from people shown literally: Markdown escaping (ui.text) and chart text (ui.charts).

The property behind `md_escape`: after CommonMark undoes backslash escapes, the reader sees the
original text (on one line, spaces at the ends and invisible word joiners aside); in the escaped
source no character that starts inline markup, no directive colon and no block marker at the
start stands unescaped; and the features that act on the unescaped text (GFM bare links and
e-mail addresses, emoji and icon shortcodes) find no pattern to act on. The browser test
(test_browser_markup.py) renders the same kind of text in a real Streamlit page.
"""

from __future__ import annotations

import re
import string
import unicodedata

import pandas as pd
from hypothesis import example, given
from hypothesis import strategies as st

from ui.charts import plotly_text, ranking_bars, trend_lines
from ui.text import WORD_JOINER, md_escape, md_join, md_lines

EVIL = (
    '![x](http://127.0.0.1:9/x.png) [链接](http://example.invalid) :red[红] <a href="http://e.invalid">a</a> '
    "https://evil.invalid"
)
PUNCTUATION = set(string.punctuation)

# What the browser's Markdown stack matches on text nodes *after* escapes are undone
# (mdast-util-gfm-autolink-literal and remark-emoji / Streamlit's shortcode test).
GFM_URL = re.compile(r"(?i)(https?://|www(?=\.))[-.\w]+")
GFM_EMAIL = re.compile(r"[-.\w+]+@[-\w]+(?:\.[-\w]+)+")
SHORTCODE = re.compile(r":[\w+-][\w_+-]*:", re.ASCII)


def unescape(source: str) -> str:
    """CommonMark's backslash escapes undone (what a text node holds)."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", source)


def bare(source: str) -> list[tuple[int, str]]:
    """(position in the unescaped text, character) of every character that stands unescaped."""
    out, i, n = [], 0, 0
    while i < len(source):
        if source[i] == "\\" and i + 1 < len(source) and source[i + 1] in PUNCTUATION:
            i, n = i + 2, n + 1
            continue
        out.append((n, source[i]))
        i, n = i + 1, n + 1
    return out


def word_like(c: str) -> bool:
    return bool(c) and not c.isspace() and unicodedata.category(c)[0] not in "PSC" and c != "_"


def starts_no_markup(source: str) -> bool:
    chars = bare(source)
    seen = unescape(source)
    if any(c in "\\`*[]<>~$|&" for _, c in chars):
        return False
    if any(c == "_" and not (word_like(seen[i - 1 : i]) and word_like(seen[i + 1 : i + 2])) for i, c in chars):
        return False  # "_" may stand unescaped only inside a word, where it starts no emphasis
    if any(c == ":" and re.match(r"[A-Za-z_]", seen[i + 1 : i + 2]) for i, c in chars):
        return False
    at = {i for i, _ in chars}
    if seen[:1] and seen[0] in "-+=#>" and 0 in at:  # a list, heading, setext line or quote
        return False
    ordered = re.match(r"(\d{1,9})[.)](\s|$)", seen)  # an ordered list
    return not (ordered and len(ordered.group(1)) in at)


def one_line(text: str) -> str:
    return re.sub(r"\r\n|[\r\n\u2028\u2029\x0b\x0c\x1c\x1d\x1e\x85]", " ", text)


PIECES = list(string.punctuation) + [" ", "\n", "http", "https://", "www.", "@a.cn", ":red[", ":smile:", "卫生院"]
text = st.lists(st.one_of(st.sampled_from(PIECES), st.characters()), max_size=40).map("".join)


@given(text)
@example(EVIL)
@example(":smile: :material/home: $x^2$ **b** _i_ `c` # h\n- item a@b.cn www.e.invalid")
@example("\\")
@example("\\*")
@example("1. 第一")
@example("  # 标题")
@example("注意:small 与 :red[红]")
def test_md_escape_reads_as_the_text_and_starts_no_markup(raw: str) -> None:
    escaped = md_escape(raw)
    assert starts_no_markup(escaped)
    seen = unescape(escaped)
    assert seen.replace(WORD_JOINER, "") == one_line(raw).strip().replace(WORD_JOINER, "")
    assert "\n" not in seen and "\r" not in seen
    assert not GFM_URL.search(seen)
    assert not GFM_EMAIL.search(seen)
    assert not SHORTCODE.search(seen)


def test_md_escape_leaves_ordinary_text_alone() -> None:
    assert md_escape("西城街道社区卫生服务中心") == "西城街道社区卫生服务中心"
    assert md_escape(None) == ""
    for plain in (
        "10:30 会议",
        "联系人 张三 (内科)",
        "平均 89.2 分",
        "已撤回提交 #12",
        "第 2 行「人口」: '六十'",
        "community_monthly",
    ):
        assert md_escape(plain) == plain  # punctuation that starts nothing where it stands


def test_the_audit_examples_are_broken_up() -> None:
    escaped = md_escape(EVIL)
    for mark in ("!\\[x\\](http", "\\[链接\\](http", "\\:red\\[红\\]", "\\<a href="):
        assert mark in escaped
    assert "https://" not in unescape(escaped)


def test_md_lines_keeps_lines_and_md_join_escapes_each_part() -> None:
    assert md_lines("单位清单有误：\n  第 2 行 [x](y)\n- 3") == "单位清单有误：  \n第 2 行 \\[x\\](y)  \n\\- 3"
    assert md_join(["*a*", "b_"]) == "\\*a\\*、b\\_"


@given(st.text(max_size=40))
def test_plotly_text_has_no_tag_and_reads_back(raw: str) -> None:
    shown = plotly_text(raw)
    assert "<" not in shown and ">" not in shown
    assert shown.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&") == raw


def _texts(fig) -> list[str]:  # noqa: ANN001
    out: list[str] = []
    for trace in fig.data:
        for attr in ("x", "y", "name", "hovertext", "text"):
            values = getattr(trace, attr, None)
            if isinstance(values, str):
                out.append(values)
            elif values is not None:
                out.extend(v for v in values if isinstance(v, str))
    return out


def test_charts_get_no_markup_from_unit_names() -> None:
    units = pd.DataFrame(
        {
            "unit": ["A", "B"],
            "name": [EVIL, "普通卫生院"],
            "grade": ["<b>优秀</b>", "合格"],
            "total": [91.0, 70.0],
            "rank_overall": [1, 2],
            "category": ["<i>乡镇</i>", "乡镇"],
        }
    )
    fig = ranking_bars(units, ["<b>优秀</b>", "合格"], 80)
    texts = _texts(fig) + list(fig.layout.yaxis.categoryarray)
    assert any("&lt;a href=" in t for t in texts)
    assert not any("<" in t for t in texts)
    history = pd.DataFrame(
        {"period": ["2025-01", "2025-02"] * 2, "name": [EVIL, EVIL, "乙", "乙"], "total": [1, 2, 3, 4]}
    )
    trend = trend_lines(history, "total")
    assert not any("<" in t for t in _texts(trend))
