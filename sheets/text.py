"""Text normalisation shared by every reader: full-width forms, odd spaces, invisible characters.

`clean` is for values shown back to the user; `key` is for matching headers, codes and unit
names, where spaces and letter case carry no meaning.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Zero-width characters that survive NFKC and arrive with text pasted from web pages or WeChat.
_INVISIBLE_CHARS = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
_INVISIBLE = dict.fromkeys(map(ord, _INVISIBLE_CHARS), None)
_HAS_INVISIBLE = re.compile(f"[{_INVISIBLE_CHARS}]")


def _drop_invisible(text: str) -> str:
    # `str.translate` maps every character in Python; a search first is ~20× cheaper when
    # (as nearly always) there is nothing to drop.
    return text.translate(_INVISIBLE) if _HAS_INVISIBLE.search(text) else text


def clean_uncached(text: str) -> str:
    """`clean` without its cache: for many distinct texts at once (unit names of a register),
    where a bounded cache would only be churned."""
    if text.isascii() and text.isprintable() and "  " not in text and text == text.strip():
        return text  # already NFKC, nothing invisible, single spaces: the common case, checked in C
    # str.split() splits on exactly the characters r'\s' matches (str.isspace), in C.
    return " ".join(_drop_invisible(unicodedata.normalize("NFKC", text)).split())


@lru_cache(maxsize=65536)
def clean(text: str) -> str:
    """NFKC (ＡＢ１２．５％ → AB12.5%, full-width space → space), no invisible characters, single spaces."""
    return clean_uncached(text)


def tidy(text: str) -> str:
    """Free text (notes) as written: only invisible characters and surrounding spaces removed."""
    return " ".join(_drop_invisible(text).split())


@lru_cache(maxsize=65536)
def key(text: str) -> str:
    """A matching key: `clean`, without any whitespace, upper case (codes are case-insensitive)."""
    return key_uncached(text)


def key_uncached(text: str) -> str:
    return clean_uncached(text).replace(" ", "").upper()


def as_text(value: object) -> str:
    """A cell value as the user would read it: 60.0 → '60', True → 'TRUE', None → ''."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value != value:  # NaN
            return ""
        return f"{value:.15g}"
    return str(value)


def column_letter(index: int) -> str:
    """0 → 'A', 25 → 'Z', 26 → 'AA'."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def column_index(letters: str) -> int:
    """'A' → 0, 'AA' → 26."""
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n - 1
