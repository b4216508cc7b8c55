"""The unit register as the readers need it: a units file, and matching what a sheet says to a unit.

A sheet may name a unit by its code (C01), its name (城关街道社区卫生服务中心) or an alias
(城关社区中心), with any spacing or full-width characters. `UnitDirectory.match` resolves many
texts at once (each distinct text once) and suggests the closest names for the rest.
"""

from __future__ import annotations

import difflib
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sheets.text import clean, key

UNIT_COLUMNS = {
    "code": ("code", "单位编码", "编码", "机构编码", "单位代码", "代码"),
    "name": ("name", "单位名称", "名称", "单位", "机构名称"),
    "category": ("category", "类别", "单位类别", "机构类别", "类型"),
    "aliases": ("aliases", "别名", "简称"),
}


class UnitsFileError(ValueError):
    """A units file that cannot be used; the message is in Chinese."""


def read_units(source: str | Path | bytes, file_name: str | None = None) -> pd.DataFrame:
    """A units file (CSV or XLSX) → frame of code, name, category, aliases (all text).

    Headers may be English (code, name, category, aliases) or Chinese (单位编码, 单位名称, 类别, 别名).
    Raises UnitsFileError naming the problem.
    """
    name = file_name or (str(source) if not isinstance(source, bytes) else "units")
    data = source if isinstance(source, bytes) else _read_bytes(Path(source))
    if name.lower().endswith((".xlsx", ".xlsm")) or data[:4] == b"PK\x03\x04":
        frame = _read_xlsx(data, name)
    else:
        frame = _read_csv(data, name)
    columns = {}
    for target, names in UNIT_COLUMNS.items():
        wanted = {key(n) for n in names}
        for c in frame.columns:
            if key(str(c)) in wanted and target not in columns:
                columns[target] = c
    missing = [t for t in ("code", "name") if t not in columns]
    if missing:
        shown = "、".join({"code": "单位编码(code)", "name": "单位名称(name)"}[m] for m in missing)
        raise UnitsFileError(f"单位清单 {name} 缺少列：{shown}")
    out = pd.DataFrame({t: frame[c].map(_text) for t, c in columns.items()})
    for t in ("category", "aliases"):
        if t not in out.columns:
            out[t] = ""
    out = out[(out["code"] != "") | (out["name"] != "")]
    blank_code = out.index[out["code"] == ""]
    if len(blank_code):
        raise UnitsFileError(f"单位清单 {name} 第 {int(blank_code[0]) + 2} 行没有单位编码")
    dup = out["code"].duplicated()
    if dup.any():
        raise UnitsFileError(f"单位清单 {name} 中单位编码 {out.loc[dup, 'code'].iloc[0]} 重复")
    return out[["code", "name", "category", "aliases"]].reset_index(drop=True)


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        raise UnitsFileError(f"找不到单位清单 {path}") from None


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, float) and value == int(value):
        return str(int(value))
    return clean(str(value))


def _read_csv(data: bytes, name: str) -> pd.DataFrame:
    from sheets.longfile import decode_text

    text = decode_text(data)
    if text is None:
        raise UnitsFileError(f"单位清单 {name} 的文本编码无法识别（支持 UTF-8 和 GBK）")
    try:
        return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise UnitsFileError(f"单位清单 {name} 无法读取：{exc}") from None


def _read_xlsx(data: bytes, name: str) -> pd.DataFrame:
    from sheets.package import PackageRefused, open_workbook

    try:
        book = open_workbook(data, name)
        rows = book.sheet_rows(book.sheets[0].name) if book.sheets else []
    except PackageRefused as exc:
        raise UnitsFileError(f"单位清单 {name}：{exc}") from None
    rows = [r for r in rows if any(v != "" for v in r)]
    if not rows:
        raise UnitsFileError(f"单位清单 {name} 是空的")
    header = [_text(v) for v in rows[0]]
    return pd.DataFrame(rows[1:], columns=header, dtype=object)


# -- matching ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class UnitMatch:
    """Per text: the unit code matched ('' when none), why not, and suggestions."""

    code: np.ndarray  # object array of unit codes, '' where unmatched
    status: np.ndarray  # object array: 'ok', 'blank', 'unknown', 'ambiguous'
    candidates: dict[str, list[str]]  # text → names (ambiguous: the matching units; unknown: closest)


class UnitDirectory:
    """Look units up by code, name or alias, after normalising spaces and full-width characters."""

    def __init__(self, units: pd.DataFrame):
        frame = units.reset_index(drop=True)
        self.codes = [_text(c) for c in frame["code"]]
        self.names = [_text(n) for n in frame["name"]] if "name" in frame.columns else list(self.codes)
        self.name_of = dict(zip(self.codes, self.names, strict=True))
        cats = frame["category"] if "category" in frame.columns else pd.Series([""] * len(frame))
        self.category_of = {c: _text(v) for c, v in zip(self.codes, cats, strict=True)}
        aliases = frame["aliases"] if "aliases" in frame.columns else pd.Series([""] * len(frame))
        self._by_code = {key(c): c for c in self.codes}
        by_name: dict[str, set[str]] = {}
        for code, name, alias_text in zip(self.codes, self.names, aliases, strict=True):
            for text in [name, *_text(alias_text).split("|")]:
                if key(text):
                    by_name.setdefault(key(text), set()).add(code)
        self._by_name = by_name
        self._keys = list(by_name)

    def lookup(self, text: str) -> tuple[str, str, list[str]]:
        """(code, status, candidate names) for one text."""
        k = key(text)
        if not k:
            return "", "blank", []
        if k in self._by_code:
            return self._by_code[k], "ok", []
        codes = self._by_name.get(k)
        if codes and len(codes) == 1:
            return next(iter(codes)), "ok", []
        if codes:
            return "", "ambiguous", sorted(self.name_of[c] for c in codes)
        return "", "unknown", self.suggest(k)

    def suggest(self, k: str, n: int = 3) -> list[str]:
        """Up to `n` unit names closest to the text (by name or alias), for an unknown unit."""
        close = difflib.get_close_matches(k, self._keys, n=n * 2, cutoff=0.5)
        if not close:  # a short form contained in a longer name: 城关 → 城关街道社区卫生服务中心
            close = [x for x in self._keys if k in x or x in k][: n * 2]
        names: list[str] = []
        for x in close:
            for code in sorted(self._by_name[x]):
                if self.name_of[code] not in names:
                    names.append(self.name_of[code])
        return names[:n]

    def match(self, texts: np.ndarray | list) -> UnitMatch:
        """Resolve many texts; each distinct text is looked up once."""
        arr = np.asarray([_text(t) for t in texts] if not isinstance(texts, np.ndarray) else texts, dtype=object)
        codes, uniques = pd.factorize(pd.Series(arr, dtype=object).map(_text), use_na_sentinel=False)
        looked = [self.lookup(str(u)) for u in uniques]
        code = np.array([x[0] for x in looked], dtype=object)[codes] if len(looked) else np.array([], dtype=object)
        status = np.array([x[1] for x in looked], dtype=object)[codes] if len(looked) else np.array([], dtype=object)
        candidates = {str(u): x[2] for u, x in zip(uniques, looked, strict=True) if x[2]}
        return UnitMatch(code=code, status=status, candidates=candidates)
