"""Text normalisation shared by every reader: full-width forms, odd spaces, invisible characters.

`clean` is for values shown back to the user; `key` is for matching headers, codes and unit
names, where spaces and letter case carry no meaning.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Zero-width characters that survive NFKC and arrive with text pasted from web pages or WeChat.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_SPACES = re.compile(r"\s+")


@lru_cache(maxsize=65536)
def clean(text: str) -> str:
    """NFKC (ＡＢ１２．５％ → AB12.5%, full-width space → space), no invisible characters, single spaces."""
    text = unicodedata.normalize("NFKC", text).translate(_INVISIBLE)
    return _SPACES.sub(" ", text).strip()


def tidy(text: str) -> str:
    """Free text (notes) as written: only invisible characters and surrounding spaces removed."""
    return _SPACES.sub(" ", text.translate(_INVISIBLE)).strip()


@lru_cache(maxsize=65536)
def key(text: str) -> str:
    """A matching key: `clean`, without any whitespace, upper case (codes are case-insensitive)."""
    return clean(text).replace(" ", "").upper()


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
