"""Reading a unit register (单位清单) from an uploaded .xlsx or .csv, with located errors.

The result is the frame `services.catalog.upsert_units` takes; every row-level problem names the
row as the user sees it in their sheet (the header is row 1).

The file is read by `sheets.table.read_table`, through the same guards as a scoresheet upload
(size, zip bombs, used range, merged ranges; a CSV's size, lines and encoding): a hostile file is
refused with a Chinese message before any parser allocates for it.
"""

from __future__ import annotations

import pandas as pd

from services.errors import InvalidInput
from services.unit_figures import figure_heading, figure_name_problem, parse_heading
from sheets.package import PackageRefused
from sheets.table import read_table

# Column headings accepted (Chinese, or the register's own English names).
HEADINGS = {
    "编码": "code", "单位编码": "code", "名称": "name", "单位名称": "name", "类别": "category",
    "上级": "parent", "上级单位": "parent", "上级编码": "parent", "人口": "population", "服务人口": "population",
    "别名": "aliases", "启用": "active",
}  # fmt: skip
LABELS = {"population": "人口", "active": "启用"}
YES = {"是", "启用", "1", "true", "yes", "y", "√"}
NO = {"否", "停用", "0", "false", "no", "n", "×"}
REQUIRED = {"code": "编码", "name": "名称", "category": "类别"}
NAMES = REQUIRED | {"parent": "上级", "population": "人口", "aliases": "别名", "active": "启用"}


def _read(name: str, data: bytes) -> pd.DataFrame:
    """The first sheet (or the CSV) as text, the header its first non-blank row; the index is
    the file's row number less 2, as the messages count rows (header row 1)."""
    try:
        rows = read_table(data, name).rows
    except PackageRefused as exc:
        hint = f"（{exc.suggestion}）" if exc.suggestion else ""
        where = f"表「{exc.sheet}」: " if exc.sheet else ""
        raise InvalidInput(f"无法读取单位清单 {name}：{where}{exc.problem}{hint}。未做任何修改。") from None
    top = next((i for i, r in enumerate(rows) if any(v.strip() for v in r)), None)
    if top is None:
        raise InvalidInput(f"单位清单 {name} 是空的，未做任何修改。")
    header = [v.strip() for v in rows[top]]
    width = len(header)
    body = rows[top + 1 :]
    longer = [(top + 2 + i, r) for i, r in enumerate(body) if len(r) > width and any(v.strip() for v in r[width:])]
    if longer:
        lines = [f"  第 {n} 行有 {len(r)} 列，但表头只有 {width} 列" for n, r in longer[:20]]
        raise InvalidInput("单位清单有误，未做任何修改：\n" + "\n".join(lines))
    cells = [(r + [""] * width)[:width] for r in body]
    # Columns without a heading are not read (as blank columns to the right of the table).
    keep = [j for j, h in enumerate(header) if h]
    frame = pd.DataFrame([[r[j] for j in keep] for r in cells], columns=[header[j] for j in keep], dtype=object)
    frame.index = pd.RangeIndex(top, top + len(frame))
    return frame


def read_unit_register(name: str, data: bytes) -> pd.DataFrame:
    """The register in `data` as UNIT_COLUMNS; InvalidInput listing every located problem."""
    frame = _read(name, data)
    frame = frame.rename(columns=lambda c: HEADINGS.get(str(c).strip(), _figure_column(str(c).strip())))
    missing = [label for col, label in REQUIRED.items() if col not in frame.columns]
    if missing:
        raise InvalidInput(f"单位清单缺少列：{'、'.join(missing)}（第一行应为列名），未做任何修改。")
    twice = sorted({c for c in frame.columns if list(frame.columns).count(c) > 1})
    if twice:
        shown = "、".join(NAMES.get(c, c) for c in twice)
        raise InvalidInput(f"单位清单中这些列出现了不止一次：{shown}，未做任何修改。")
    named = [(c, figure_name_problem(parse_heading(c)[0])) for c in frame.columns if parse_heading(c) is not None]
    if any(why for _, why in named):
        lines = [f"  列「{c}」: {why}" for c, why in named if why]
        raise InvalidInput("单位清单的年度数据列名有误，未做任何修改：\n" + "\n".join(lines))
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
    for column in [c for c in frame.columns if parse_heading(c) is not None]:
        problems += _figure_problems(frame, column)
    for col in ("parent", "aliases"):
        if col in frame.columns:
            frame[col] = frame[col].replace("", None)
    if problems:
        raise InvalidInput(
            "单位清单有误，未做任何修改：\n" + "\n".join(f"  第 {i + 2} 行{p}" for i, p in sorted(problems))
        )
    return frame


def _figure_column(heading: str) -> str:
    """A figure column's heading written one way (「常住人口(2025年)」 → 「常住人口（2025）」), so the
    same figure written twice is caught as a repeated column; other headings as they are."""
    parsed = parse_heading(heading)
    return heading if parsed is None else figure_heading(*parsed)


def _figure_problems(frame: pd.DataFrame, column: str) -> list[tuple[int, str]]:
    """Located problems of one figure column, whose cells become numbers (blank: None) in place."""
    text = frame[column].astype(str)
    number = pd.to_numeric(text.str.replace(",", ""), errors="coerce")
    number = number.where(~number.isin([float("inf"), float("-inf")]))
    problems = []
    for i, v in text[(text != "") & number.isna()].items():
        problems.append((i, f"「{column}」: '{v}' 不是数字"))
    for i, v in text[(text != "") & (number < 0)].items():
        problems.append((i, f"「{column}」: '{v}' 不能小于 0"))
    frame[column] = number.where(text != "").astype(object).where(number.notna(), None)
    return problems
