"""User text shown through Streamlit's Markdown, as written and never as markup.

Unit, scheme and file names, notes, reasons and user names come from people. Every Streamlit
call that renders Markdown — st.markdown, st.caption, st.info / warning / error / success,
st.title / header, button, expander and status labels, metric labels — would otherwise turn them
into images that load from any address (`![x](http://…)`), links (`[t](…)`, bare
`https://…`, `www.…`, `a@b.cn`), coloured text (`:red[…]`), icons and emoji (`:material/x:`,
`:smile:`), formulas (`$…$`) or headings and lists.

`md_escape` is the one rule for all of them:
- the characters that start inline markup anywhere get a backslash (CommonMark then shows them
  literally): `\\ ` * [ ] < > ~ $ | &` — emphasis, code, links and images, HTML and
  autolinks, strikethrough, formulas, tables, entities — and `_` unless inside a word;
- a colon before a letter gets one too: Streamlit's directives (`:red[…]`, `:small`,
  `:material/x:`) start so;
- what starts a block only at the start of a line (`#`, `>`, `-`, `+`, `=`, `1.`, `1)`) is
  escaped there; spaces at either end are dropped (leading ones would make a code block, and
  a trailing one would stop a page's `**bold**` around the text from closing);
- some features act on the text *after* the escapes are undone (GFM bare links and e-mail
  addresses, emoji shortcodes), so those patterns are broken by a WORD JOINER (U+2060, invisible,
  zero width) — only where such a pattern occurs;
- line breaks become spaces: a name is one line, and a line break could start a new block.
Other punctuation ("89.2", "10:30", "(内科)", "#12") is left as it is: it starts nothing there.

Do not use it for st.text, st.code, table cells, select-box options or chart text: those are not
Markdown and would show the backslashes (charts have `ui.charts.plotly_text`).
"""

from __future__ import annotations

import re

# Inline markup starts with one of these wherever it stands.
_INLINE = re.compile(r"([\\`*\[\]<>~$|&])")
# "_" starts emphasis only next to a space, punctuation or the text's end: inside a word
# ("community_monthly", "zhang_san") it is left alone.
_UNDERSCORE = re.compile(r"(?<![^\s\W_])_|_(?![^\s\W_])")
# A directive is a colon, then a name that starts with a letter.
_DIRECTIVE = re.compile(r":(?=[A-Za-z_])")
# Block markup: only at the start of a line (one line here: the start of the text).
_BLOCK = re.compile(r"^([-+=#>]|\d{1,9}(?=[.)](?:\s|$)))")
WORD_JOINER = "\u2060"
# What GFM turns into links on the unescaped text: "http://", "https://", "www.", "name@host.tld".
_BARE_LINK = re.compile(r"(?i)(https?)(?=://)|(www)(?=\.)|(@)(?=[-\w]+\.)")
# Emoji and icon shortcodes (":smile:", ":+1:") are looked up on the unescaped text.
_SHORTCODE = re.compile(r":(?=[\w+/-]+:)")
_LINE_BREAK = re.compile(r"\r\n|[\r\n\u2028\u2029\x0b\x0c\x1c\x1d\x1e\x85]")


def _block_escape(match: re.Match[str]) -> str:
    lead = match.group(1)
    return "\\" + lead if not lead[0].isdigit() else lead + "\\"  # "1." -> "1\\."


def md_escape(text: object) -> str:
    """`text` (None: empty) as Markdown that Streamlit shows literally, on one line."""
    s = "" if text is None else str(text)
    s = _LINE_BREAK.sub(" ", s).strip()
    s = _BARE_LINK.sub(lambda m: m.group(0) + WORD_JOINER, s)
    s = _SHORTCODE.sub(":" + WORD_JOINER, s)
    s = _INLINE.sub(r"\\\1", s)
    s = _UNDERSCORE.sub(r"\\_", s)
    s = _DIRECTIVE.sub(r"\\:", s)
    return _BLOCK.sub(_block_escape, s, count=1)


def md_join(parts: list[object], sep: str = "、") -> str:
    """Several user texts escaped and joined (the separator is ours, so it is not escaped)."""
    return sep.join(md_escape(p) for p in parts)


def md_lines(text: object) -> str:
    """Like `md_escape`, keeping the text's lines (a service's message listing problems)."""
    return "  \n".join(md_escape(line) for line in str("" if text is None else text).splitlines())
