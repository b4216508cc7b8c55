"""Cell text as published tables write it: full-width digits, 「10分」, numbering, ★ marks."""

from __future__ import annotations

import re
import unicodedata

STAR = "★"
_KEEP = frozenset("，；：！？（）、。")
_STARS = "★☆*"
_POINTS = re.compile(r"^(\d+(?:\.\d+)?)\s*分?$")
# 「一、」「（一）」「1.」「1.1」「A1」「一级指标 1」: a node's own number at the start of its cell.
_CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_NUMBERING = (
    re.compile(r"^([一二三四五六七八九十]{1,3})\s*[、.．]\s*"),
    re.compile(r"^[（(]\s*([一二三四五六七八九十]{1,3})\s*[)）]\s*[、.．]?\s*"),
    re.compile(r"^[（(]\s*(\d{1,3})\s*[)）]\s*[、.．]?\s*"),
    re.compile(r"^(\d{1,3}(?:\.\d{1,3})*)(?:\s*[、.．]\s*|\s+)(?=\D)"),  # 「65岁以上」 is a name
    re.compile(r"^([A-Z]\d{0,3}(?:\.\d{1,3})*)\s*[、.．]\s*"),
)
# 「基本公共卫生服务（40分）」: a subtotal the table prints in a section's name.
_NAME_POINTS = re.compile(r"^(.*?)\s*[（(]\s*(\d+(?:\.\d+)?)\s*分\s*[)）]\s*$")
TOTAL_WORDS = ("合计", "总计", "总分")
SUBTOTAL_WORDS = ("小计",)


def clean(text: object) -> str:
    """NFKC (full-width digits and brackets become ASCII), spaces and line breaks collapsed."""
    if text is None:
        return ""
    if isinstance(text, float) and text.is_integer():
        text = int(text)
    # Full-width digits, letters, %, . and ≥-style ASCII become half-width; the Chinese punctuation
    # a rule text is written in (，；：（）) stays, so descriptions read as the table wrote them.
    out = "".join(ch if ch in _KEEP else unicodedata.normalize("NFKC", ch) for ch in str(text))
    return re.sub(r"\s+", " ", out).strip()


def squeezed(text: str) -> str:
    """Without any space: 「合 计」 is 合计."""
    return re.sub(r"\s+", "", text)


def parse_points(text: str) -> float | None:
    """「10」「10.0」「１０分」「10 分」 → 10.0; anything else (blank, 「一票否决」) → None."""
    m = _POINTS.match(squeezed(clean(text)))
    return float(m.group(1)) if m else None


def cn_number(text: str) -> int | None:
    """「一」→1, 「十二」→12, 「二十」→20 (numbering goes no further in a scoring table)."""
    if not text or any(ch not in _CN_DIGITS for ch in text):
        return None
    if len(text) == 1:
        return _CN_DIGITS[text]
    if text[0] == "十":
        return 10 + _CN_DIGITS[text[1]] if len(text) == 2 else None
    if text[1] == "十":
        tail = _CN_DIGITS.get(text[2], 0) if len(text) == 3 else 0
        return _CN_DIGITS[text[0]] * 10 + tail
    return None


def split_numbering(text: str) -> tuple[str, str]:
    """(own number, rest): 「一、基本医疗」→('1', '基本医疗'), 「（二）门诊」→('2', '门诊'),
    「1.2 处方」→('1.2', '处方'), 「A1. 门诊」→('A1', '门诊'); no numbering → ('', text)."""
    for pattern in _NUMBERING:
        m = pattern.match(text)
        if m and m.end() < len(text):
            number = m.group(1)
            value = cn_number(number)
            return (str(value) if value is not None else number), text[m.end() :].strip()
    return "", text


def split_star(text: str) -> tuple[bool, str]:
    """(starred, text without the mark): 「★居民健康档案」→(True, '居民健康档案')."""
    starred = STAR in text or text.startswith("*")
    return starred, text.replace(STAR, "").lstrip("*").strip()


def split_name_points(text: str) -> tuple[str, float | None]:
    """「基本公共卫生服务（40分）」→('基本公共卫生服务', 40.0); otherwise (text, None)."""
    m = _NAME_POINTS.match(clean(text))
    return (m.group(1).strip(), float(m.group(2))) if m and m.group(1).strip() else (text, None)


def total_word(text: str) -> str:
    """'合计' or '小计' when the cell is such a row label (「合 计」, 「小计：」), else ''."""
    word = squeezed(clean(text)).rstrip(":：")
    if word in TOTAL_WORDS:
        return "合计"
    if word in SUBTOTAL_WORDS:
        return "小计"
    return ""


def num(x: float) -> str:
    return f"{x:g}"
