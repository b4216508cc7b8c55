"""What the readers return: the values found, and every error located in the user's file."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from sheets import messages as msg

VALUE_COLUMNS = ["period", "unit", "code", "value", "na", "assessor", "note"]
LAYOUTS = ("wide", "per-unit", "long")


@dataclass(frozen=True)
class CellError:
    """One problem, located: sheet, 1-based Excel row, column letter and header, where known.

    `str(error)` reads e.g. 表「评分」第 14 行 D 列「建档率」: '六十' 不是数字，应为 0–100 之间的数字
    """

    sheet: str | None
    row: int | None
    column: str | None
    header: str | None
    value: str
    problem: str
    expected: str | None = None
    suggestion: str | None = None
    kind: str = ""  # machine-readable: not_number, unknown_unit, period_mismatch …
    unit: str | None = None  # unit code, where known
    code: str | None = None  # input code, where known
    file: str | None = None  # for problems with the file as a whole

    def __str__(self) -> str:
        place = msg.where(self.sheet, self.row, self.column, self.header)
        if not place and self.file:
            place = f"文件「{self.file}」"
        return msg.located(place, self.problem, self.expected, self.suggestion)

    @property
    def cell(self) -> str | None:
        """'D14', when both column and row are known."""
        return f"{self.column}{self.row}" if self.column and self.row else None


@dataclass
class ParsedUpload:
    """The result of reading one uploaded file.

    `values`: long frame — period, unit (the unit CODE), code, value (NaN = blank), na (不适用),
    assessor, note (+ category for long files that have one); one row per cell read.
    `locations`: sheet, row, column of each row of `values` (same index), for previews and links.
    `errors`: every problem found; an upload with errors must not be stored.
    """

    values: pd.DataFrame
    errors: list[CellError]
    layout: str  # 'wide', 'per-unit', 'long', or '' when nothing could be read
    sheet_period: str | None = None  # the period stated in the sheet, normalised
    file_name: str = ""
    locations: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["sheet", "row", "column"]))
    sheet_scheme: str | None = None  # scheme id stated in the sheet (templates)
    sheet_version: str | None = None
    total_errors: int = 0  # including those beyond the listing limit
    warnings: list[CellError] = field(default_factory=list)  # read, but maybe not as meant (0.6 in a % column)

    @property
    def ok(self) -> bool:
        return not self.errors

    def error_report(self, limit: int | None = None) -> str:
        """The errors as lines of text, for a terminal or a log."""
        shown = self.errors if limit is None else self.errors[:limit]
        lines = [str(e) for e in shown]
        if limit is not None and len(self.errors) > limit:
            lines.append(f"……另有 {len(self.errors) - limit} 处错误")
        return "\n".join(lines)


def empty_values(with_category: bool = False) -> pd.DataFrame:
    cols = VALUE_COLUMNS + (["category"] if with_category else [])
    frame = pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    frame["value"] = frame["value"].astype(float)
    frame["na"] = frame["na"].astype(bool)
    return frame


def file_error(
    problem: str, suggestion: str | None = None, file: str | None = None, sheet: str | None = None, kind: str = "file"
) -> CellError:
    return CellError(sheet, None, None, None, "", problem, None, suggestion, kind, file=file)
