"""Reading a unit register (单位清单) from an uploaded .xlsx or .csv, with located errors.

The result is the frame `services.catalog.upsert_units` takes; every row-level problem names the
row as the user sees it in their sheet (the header is row 1).
"""

from __future__ import annotations

import io

import pandas as pd

from services.errors import InvalidInput

# Column headings accepted (Chinese, or the register's own English names).
HEADINGS = {
    "编码": "code", "单位编码": "code", "名称": "name", "单位名称": "name", "类别": "category",
    "上级": "parent", "上级单位": "parent", "上级编码": "parent", "人口": "population", "服务人口": "population",
    "别名": "aliases", "启用": "active",
}  # fmt: skip
LABELS = {"population": "人口", "active": "启用"}
YES = {"是", "启用", "1", "true", "yes", "y", "√"}
NO = {"否", "停用", "0", "false", "no", "n", "×"}


def _read(name: str, data: bytes) -> pd.DataFrame:
    try:
        if name.lower().endswith(".csv"):
            return pd.read_csv(io.BytesIO(data), dtype=str, encoding="utf-8-sig", keep_default_na=False)
        return pd.read_excel(io.BytesIO(data), dtype=str, engine="calamine", keep_default_na=False)
    except Exception as exc:  # noqa: BLE001 - any unreadable file gets the same plain answer
        raise InvalidInput("无法读取该文件：请上传 .xlsx（Excel）或 UTF-8 编码的 .csv 文件。") from exc


def read_unit_register(name: str, data: bytes) -> pd.DataFrame:
    """The register in `data` as UNIT_COLUMNS; InvalidInput listing every located problem."""
    frame = _read(name, data)
    frame = frame.rename(columns=lambda c: HEADINGS.get(str(c).strip(), str(c).strip()))
    frame = frame.map(lambda v: v.strip() if isinstance(v, str) else v)
    frame = frame[~(frame == "").all(axis=1)]  # blank rows between blocks are not units
    problems = []
    if "code" in frame.columns:
        problems += [(i, "「编码」: 为空") for i in frame.index[frame["code"] == ""]]
    if "population" in frame.columns:
        text = frame["population"]
        number = pd.to_numeric(text.str.replace(",", ""), errors="coerce")
        bad = (text != "") & (number.isna() | (number < 0) | (number % 1 != 0))
        problems += [(i, f"「人口」: '{v}' 不是非负整数") for i, v in text[bad].items()]
        frame["population"] = number.where((text != "") & ~bad).astype("Int64")
    if "active" in frame.columns:
        text = frame["active"].str.lower()
        bad = (text != "") & ~text.isin(YES | NO)
        problems += [(i, f"「启用」: '{frame['active'][i]}' 应为 是 或 否") for i in text[bad].index]
        frame["active"] = text.map(lambda v: None if v == "" else v in YES)
    for col in ("parent", "aliases"):
        if col in frame.columns:
            frame[col] = frame[col].replace("", None)
    if problems:
        raise InvalidInput(
            "单位清单有误，未做任何修改：\n" + "\n".join(f"  第 {i + 2} 行{p}" for i, p in sorted(problems))
        )
    return frame
