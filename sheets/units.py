"""The unit register as the readers need it: a units file, and matching what a sheet says to a unit.

A sheet may name a unit by its code (C01), its name (城关街道社区卫生服务中心) or an alias
(城关社区中心), with any spacing or full-width characters. `UnitDirectory.match` resolves many
texts at once (each distinct text once) and suggests the closest names for the rest.
"""

from __future__ import annotations

import difflib
import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sheets.text import clean_uncached, key

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
    from sheets.package import PackageRefused
    from sheets.table import read_file

    try:
        return read_file(path)  # refuses a file larger than an upload may be before reading it whole
    except PackageRefused as exc:
        raise UnitsFileError(f"单位清单 {path.name}：{exc}") from None
    except OSError:
        raise UnitsFileError(f"找不到单位清单 {path}") from None


def _text(value: object) -> str:
    if type(value) is str:
        return clean_uncached(value)
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    if isinstance(value, float) and value == int(value):
        return str(int(value))
    return clean_uncached(str(value))


def _texts(column: pd.Series) -> list[str]:
    # tolist() first: iterating an Arrow-backed column goes through Python one scalar at a time.
    # Categories and aliases repeat: each distinct value is cleaned once.
    memo: dict[object, str] = {}
    out = []
    for v in column.tolist():
        t = memo.get(v)
        if t is None:
            t = memo[v] = _text(v)
        out.append(t)
    return out


def _key_of_clean(text: str) -> str:
    """`key` of a text already `clean`ed."""
    return text.replace(" ", "").upper()


def _read_csv(data: bytes, name: str) -> pd.DataFrame:
    from sheets.longfile import csv_rows
    from sheets.package import PackageRefused

    try:
        rows = csv_rows(data)  # the upload guards: size, lines, UTF-8 or GBK
    except PackageRefused as exc:
        raise UnitsFileError(f"单位清单 {name}：{exc}") from None
    rows = [r for r in rows if any(v.strip() for v in r)]
    if not rows:
        raise UnitsFileError(f"单位清单 {name} 是空的")
    header, seen = [], Counter()
    for h in rows[0]:  # a repeated heading gets a suffix, as pandas gives it
        header.append(f"{h}.{seen[h]}" if seen[h] else h)
        seen[h] += 1
    width = len(header)
    return pd.DataFrame([(r + [""] * width)[:width] for r in rows[1:]], columns=header, dtype=object)


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


SUGGESTIONS = 50  # unknown unit texts that get 'did you mean' suggestions, per directory
_COMPARE_ALL = 2000  # registers up to this size are compared in full


def _grams(k: str) -> set[str]:
    return {k[i : i + 2] for i in range(len(k) - 1)} or {k}


class UnitDirectory:
    """Look units up by code, name or alias, after normalising spaces and full-width characters."""

    def __init__(self, units: pd.DataFrame):
        frame = units.reset_index(drop=True)
        n = len(frame)
        self.codes = _texts(frame["code"])
        self.names = _texts(frame["name"]) if "name" in frame.columns else list(self.codes)
        self.name_of = dict(zip(self.codes, self.names, strict=True))
        cats = _texts(frame["category"]) if "category" in frame.columns else [""] * n
        self.category_of = dict(zip(self.codes, cats, strict=True))
        aliases = _texts(frame["aliases"]) if "aliases" in frame.columns else [""] * n
        code_keys = [_key_of_clean(c) for c in self.codes]
        name_keys = [_key_of_clean(n) for n in self.names]
        self._by_code = dict(zip(code_keys, self.codes, strict=True))
        # Name or alias key → unit code; keys shared by several units also go to `_shared`.
        first: dict[str, str] = {}
        shared: dict[str, set[str]] = {}
        for code, k, alias_text in zip(self.codes, name_keys, aliases, strict=True):
            for nk in (k, *map(_key_of_clean, alias_text.split("|"))) if alias_text else (k,):
                if nk and first.setdefault(nk, code) != code:
                    shared.setdefault(nk, {first[nk]}).add(code)
        self._first, self._shared = first, shared
        self._suggested = 0
        self._pairs: dict[str, list[str]] | None = None  # character pair → keys, built on first need
        self._keys = list(first)
        # Texts exactly as the register (and so the templates) write them resolve without
        # normalising: the common case, one dict lookup per row.
        self._exact: dict[str, tuple[str, str, list[str]]] = {}
        for name, k in zip(self.names, name_keys, strict=True):
            if k and k not in self._by_code and k not in shared:
                self._exact[name] = (first[k], "ok", [])
        for code, k in zip(self.codes, code_keys, strict=True):
            if k:
                self._exact[code] = (self._by_code[k], "ok", [])

    def _units_named(self, k: str) -> set[str]:
        """Codes of the units whose name or alias has key `k` (empty when none)."""
        if k in self._shared:
            return self._shared[k]
        return {self._first[k]} if k in self._first else set()

    def lookup(self, text: str) -> tuple[str, str, list[str]]:
        """(code, status, candidate names) for one text."""
        hit = self._exact.get(text)
        if hit is not None:
            return hit
        k = key(text)
        if not k:
            return "", "blank", []
        if k in self._by_code:
            return self._by_code[k], "ok", []
        codes = self._units_named(k)
        if codes and len(codes) == 1:
            return next(iter(codes)), "ok", []
        if codes:
            return "", "ambiguous", sorted(self.name_of[c] for c in codes)
        return "", "unknown", self.suggest(k)

    def suggest(self, k: str, n: int = 3) -> list[str]:
        """Up to `n` unit names closest to the text (by name or alias), for an unknown unit.

        In a large register the names sharing most character pairs with the text are compared
        (comparing with all of a province's would take seconds per text), and only the first
        `SUGGESTIONS` unknown texts of a directory get suggestions at all.
        """
        if self._suggested >= SUGGESTIONS:
            return []
        self._suggested += 1
        keys = self._keys if len(self._keys) <= _COMPARE_ALL else self._candidates(k)
        close = difflib.get_close_matches(k, keys, n=n * 2, cutoff=0.5)
        if not close:  # a short form contained in a longer name: 城关 → 城关街道社区卫生服务中心
            close = [x for x in keys if k in x or x in k][: n * 2]
        names: list[str] = []
        for x in close:
            for code in sorted(self._units_named(x)):
                if self.name_of[code] not in names:
                    names.append(self.name_of[code])
        return names[:n]

    def _candidates(self, k: str) -> list[str]:
        """The `_COMPARE_ALL` keys sharing the most character pairs (or characters) with `k`."""
        if self._pairs is None:
            self._pairs = {}
            for x in self._keys:
                for gram in _grams(x):
                    self._pairs.setdefault(gram, []).append(x)
        counts: Counter[str] = Counter()
        postings = sorted((self._pairs.get(g, []) for g in _grams(k)), key=len)
        # Pairs every name has (卫生, 中心) tell nothing and cost most: the rarest ones decide.
        for keys in [p for p in postings if len(p) <= 5 * _COMPARE_ALL] or postings[:1]:
            counts.update(keys)
        return [x for x, _n in counts.most_common(_COMPARE_ALL)]

    def match(self, texts: np.ndarray | list) -> UnitMatch:
        """Resolve many texts; each distinct text is looked up once."""
        found: dict[object, tuple[str, str, list[str]]] = {}
        code = np.empty(len(texts), dtype=object)
        status = np.empty(len(texts), dtype=object)
        for i, t in enumerate(texts.tolist() if isinstance(texts, np.ndarray) else texts):
            hit = found.get(t)
            if hit is None:
                hit = found[t] = self._exact.get(t) if type(t) is str else None
                if hit is None:
                    hit = found[t] = self.lookup(_text(t))
            code[i], status[i] = hit[0], hit[1]
        candidates = {_text(t): x[2] for t, x in found.items() if x[2]}
        return UnitMatch(code=code, status=status, candidates=candidates)
