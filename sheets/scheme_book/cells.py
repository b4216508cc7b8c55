"""One field value ⇄ one cell, both ways, for the columns of `layout`.

`to_cell` writes what a person reads (labels, 是/否, 「类别：金额；…」); `from_cell` accepts that,
the stored values, full-width digits and 「10分」, and says in Chinese what is wrong otherwise.
"""

from __future__ import annotations

import math
import re

from scoring import names
from scoring.explain import fmt
from sheets.scheme_book.layout import LIST_SEP, NONE_WORD, PAIR_SEP, Col
from sheets.text import clean

_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_YES = {"是", "TRUE", "true", "True", "1", "√", "Y", "y"}
_NO = {"否", "FALSE", "false", "False", "0", "×", "N", "n"}


class CellProblem(ValueError):
    """A cell that cannot be read; the message says why, the caller says where."""


def number_text(x: float) -> str:
    """A number as it reads in a cell of text: 60.0 → 60, 0.95 → 0.95 (no rounding of data)."""
    return fmt(x, 6)


def to_cell(col: Col, value: object) -> object:
    """The cell content for a field value: a number, a string, or None for a blank."""
    if value is None:
        return NONE_WORD if col.kind == "number" else None
    if col.kind == "bool":
        return names.YES_NO_NAMES[bool(value)]
    if col.kind == "choice":
        return col.names.get(value, str(value))
    if col.kind == "list":
        return LIST_SEP.join(str(v) for v in value) or None
    if col.kind == "mapping":
        return PAIR_SEP.join(f"{k}：{number_text(v)}" for k, v in value.items()) or None
    if col.kind in ("number", "int"):
        return float(value)
    return str(value)


def is_blank(raw: object) -> bool:
    return raw is None or (isinstance(raw, str) and not clean(raw)) or (isinstance(raw, float) and math.isnan(raw))


def read_number(raw: object, *, whole: bool = False) -> float | int:
    """A number from a cell: 10, '10', '１０', '10分', '10.0'; an int where `whole`."""
    if isinstance(raw, bool):
        raise CellProblem(f"'{'是' if raw else '否'}' 不是数字")
    if isinstance(raw, int | float):
        x = float(raw)
    else:
        text = clean(str(raw)).replace(" ", "").removesuffix("分").replace(",", "")
        if not _NUMBER.fullmatch(text):
            raise CellProblem(f"'{clean(str(raw))}' 不是数字")
        x = float(text)
    if not math.isfinite(x):
        raise CellProblem(f"'{raw}' 不是数字")
    if whole:
        if x != int(x):
            raise CellProblem(f"'{number_text(x)}' 不是整数")
        return int(x)
    return x


def _text(raw: object) -> str:
    if isinstance(raw, float) and raw == int(raw):
        return str(int(raw))  # a code typed as 1 reads back as 1.0
    if isinstance(raw, bool):
        return names.YES_NO_NAMES[raw]
    if not isinstance(raw, str):
        return clean(str(raw))
    return raw if "\n" in raw else raw.strip()  # a text of several lines is kept as written


def read_bool(raw: object) -> bool:
    if isinstance(raw, bool):
        return raw
    text = _text(raw)
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise CellProblem(f"'{text}' 应填「是」或「否」")


def read_choice(col: Col, raw: object) -> object:
    text = clean(_text(raw))
    for value, label in col.names.items():
        if text in (label, clean(label), str(value)):
            return value
    allowed = "、".join(col.names.values())
    raise CellProblem(f"'{text}' 不是可选的{col.header}（可选：{allowed}）")


def read_pairs(raw: object, what: str) -> list[tuple[str, float]]:
    """「乡镇卫生院：200000；社区：150000」 or 「60:10；50:6」 → [(key, number) …]."""
    out = []
    for part in re.split(r"[；;]", _text(raw)):
        if not part.strip():
            continue
        m = re.fullmatch(r"\s*(.+?)\s*[:：]\s*(.+?)\s*", part)
        if not m:
            raise CellProblem(f"'{part.strip()}' 应写成「{what}」")
        out.append((clean(m.group(1)), read_number(m.group(2))))
    return out


def from_cell(col: Col, raw: object) -> object:
    """The field value of a non-blank cell; raises CellProblem with a Chinese reason."""
    if col.kind == "number":
        if _text(raw) == NONE_WORD:
            return None
        return read_number(raw)
    if col.kind == "int":
        return read_number(raw, whole=True)
    if col.kind == "bool":
        return read_bool(raw)
    if col.kind == "choice":
        return read_choice(col, raw)
    if col.kind == "list":
        return [clean(p) for p in re.split(r"[、,，;；]", _text(raw)) if clean(p)]
    if col.kind == "mapping":
        return dict(read_pairs(raw, "名称：数值"))
    return _text(raw)
