"""The ranking of one period as plain CSV (UTF-8 with BOM, so Excel reads the Chinese correctly)."""

from __future__ import annotations

import csv
import io

import numpy as np
import pandas as pd

from exports.safe_text import neutralise
from reports.bulletin import Bulletin

# (bulletin.ranking column, header)
CSV_COLUMNS = [
    ("rank", "同类排名"),
    ("rank_overall", "总排名"),
    ("unit", "单位编码"),
    ("name", "单位名称"),
    ("category", "类别"),
    ("total", "总分"),
    ("grade", "等级"),
    ("delta_total", "较上期"),
    ("arrow", "名次变化"),
    ("bottom", "末位"),
    ("bottom_reason", "末位原因"),
    ("veto", "一票否决"),
    ("veto_reason", "否决事项"),
    ("unmet_targets", "未达标项"),
]
# last, and only when some unit has one: the columns above keep their places for existing readers
DEDUCTED_COLUMN = ("deducted", "从总分扣分")
_NUMBERS = {"rank", "rank_overall", "total", "delta_total", "unmet_targets", "deducted"}
_FLAGS = {"bottom", "veto"}


def _cell(column: str, value: object, decimals: int) -> str:
    if column in _FLAGS:
        return "是" if bool(value) else ""
    if column in _NUMBERS:
        if value is None or (isinstance(value, float) and np.isnan(value)):
            return ""
        if column in ("total", "delta_total", "deducted"):
            return f"{float(value):.{decimals}f}"  # type: ignore[arg-type]
        return str(int(value))  # type: ignore[call-overload]
    return neutralise(value)


def ranking_csv(bulletin: Bulletin) -> bytes:
    """The bulletin's ranking rows as CSV bytes (utf-8-sig, CRLF line ends, text neutralised).

    Numbers are written plainly (a negative change stays a number); every text cell goes through
    `neutralise`, so a unit called "=HYPERLINK(…)" arrives as the text "'=HYPERLINK(…)".
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    listed = CSV_COLUMNS + ([DEDUCTED_COLUMN] if bulletin.deducts_from_total else [])
    writer.writerow([header for _, header in listed])
    frame = bulletin.ranking
    columns = [frame[c].tolist() for c, _ in listed]
    for values in zip(*columns):
        writer.writerow([_cell(c, v, bulletin.decimals) for (c, _), v in zip(listed, values)])
    return out.getvalue().encode("utf-8-sig")


def text_table_csv(frame: pd.DataFrame) -> bytes:
    """Any shown table (e.g. the audit log) as CSV bytes, every cell written as neutralised text."""
    return frame.map(neutralise).to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")
