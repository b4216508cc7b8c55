"""Register figures (常住人口 …) read from extra columns of a units file, for computed indicators.

A column named like a figure the scheme uses (「常住人口」) holds each unit's figure for every year;
one with a year in brackets (「常住人口(2025)」「常住人口（2024）」) holds that year's. Rows come out
under both the unit's code and its name, so a scores file may write either.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from sheets.units import UnitsFileError, _read_bytes, _read_csv, _read_xlsx, _text, read_units

_DATED = re.compile(r"(.+?)\s*[（(]\s*(\d{4})\s*年?\s*[)）]")
UNDATED_YEAR = 0  # earlier than any period: used when no dated figure is as recent


def register_names(scheme: object) -> set[str]:
    """Names of the register figures the scheme's computed indicators use."""
    return {i.name for leaf in scheme.leaves for i in getattr(leaf, "inputs", []) if i.source == "register"}


def read_figures(path: Path, names: set[str]) -> pd.DataFrame:
    """unit, year, name, value for the columns of `names`; UnitsFileError on a value that is not a
    number ≥ 0, naming its line and column."""
    data = _read_bytes(path)
    raw = _read_xlsx(data, path.name) if data[:4] == b"PK\x03\x04" else _read_csv(data, path.name)
    units = read_units(data, file_name=path.name)
    rows = []
    for column in raw.columns:
        head = str(column).strip()
        m = _DATED.fullmatch(head)
        name, year = (m.group(1), int(m.group(2))) if m else (head, UNDATED_YEAR)
        if name not in names:
            continue
        for i, cell in enumerate(raw[column].map(_text).tolist()):
            if cell == "" or i >= len(units):
                continue
            try:
                value = float(cell.replace(",", ""))
            except ValueError:
                value = -1.0
            if not value >= 0:
                raise UnitsFileError(f"单位清单 {path.name} 第 {i + 2} 行「{head}」: '{cell}' 不是大于或等于 0 的数字")
            for unit in {units.at[i, "code"], units.at[i, "name"]} - {""}:
                rows.append((unit, year, name, value))
    return pd.DataFrame(rows, columns=["unit", "year", "name", "value"])
