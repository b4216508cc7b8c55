"""User text shown through Streamlit's Markdown, as written and never as markup.

Unit, scheme and file names, notes, reasons and user names come from people. Every Streamlit
call that renders Markdown — st.markdown, st.caption, st.info / warning / error / success,
st.title / header, button, expander and status labels, metric labels — would otherwise turn them
into images that load from any address (`![x](http://…)`), links (`[t](…)`, bare
`https://…`, `www.…`, `a@b.cn`), coloured text (`:red[…]`), icons and emoji (`:material/x:`,
`:smile:`), formulas (`$…$`) or headings and lists.

`md_escape` is the one rule for all of them:
- every ASCII punctuation character gets a backslash: CommonMark shows an escaped punctuation
  character literally, so no emphasis, link, image, HTML, directive or math can start;
- some features act on the text *after* the escapes are undone (GFM bare links and e-mail
  addresses, emoji shortcodes), so those patterns are broken by a WORD JOINER (U+2060, invisible,
  zero width) — only where such a pattern occurs, so ordinary text is unchanged to the eye and to
  copy and paste;
- line breaks become spaces: a name is one line, and a line break could start a new block.

Do not use it for st.text, st.code, table cells, select-box options or chart text: those are not
Markdown and would show the backslashes (charts have `ui.charts.plotly_text`).
"""

from __future__ import annotations

import re

# All ASCII punctuation (CommonMark: any of it may be backslash-escaped and then reads literally).
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
WORD_JOINER = "\u2060"
# What GFM turns into links on the unescaped text: "http://", "https://", "www.", "name@host.tld".
_BARE_LINK = re.compile(r"(?i)(https?)(?=://)|(www)(?=\.)|(@)(?=[-\w]+\.)")
# Emoji and icon shortcodes (":smile:", ":material/home:") are looked up on the unescaped text.
_SHORTCODE = re.compile(r":(?=[\w+/-]+:)")
_LINE_BREAK = re.compile(r"\r\n|[\r\n\u2028\u2029\x0b\x0c\x1c\x1d\x1e\x85]")


def md_escape(text: object) -> str:
    """`text` (None: empty) as Markdown that Streamlit shows literally, on one line."""
    s = "" if text is None else str(text)
    s = _LINE_BREAK.sub(" ", s)
    s = _BARE_LINK.sub(lambda m: m.group(0) + WORD_JOINER, s)
    s = _SHORTCODE.sub(":" + WORD_JOINER, s)
    return _PUNCTUATION.sub(r"\\\1", s)


def md_join(parts: list[object], sep: str = "、") -> str:
    """Several user texts escaped and joined (the separator is ours, so it is not escaped)."""
    return sep.join(md_escape(p) for p in parts)


def md_lines(text: object) -> str:
    """Like `md_escape`, keeping the text's lines (a service's message listing problems)."""
    return "  \n".join(md_escape(line) for line in str("" if text is None else text).splitlines())
