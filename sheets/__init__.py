"""Scoresheets: Excel templates generated from a scheme, and uploads read and checked cell by cell.

    from sheets import build_template, read_scores
    data = build_template(scheme, "2025-03", units, layout="wide")
    parsed = read_scores(data, scheme, period="2025-03", units=units, file_name="评分.xlsx")
    parsed.errors      # every problem, located: 表「评分」第 14 行 D 列「建档率」: '六十' 不是数字，…
    parsed.values      # long frame for scoring.score: period, unit, code, value, na, assessor, note

Nothing here touches the database: storing an upload is the caller's business.
"""

from sheets.annotate import annotate_workbook
from sheets.cells import CellRule, normalise_cell, normalise_column, normalise_period, rules_for
from sheets.limits import DEFAULT_LIMITS, Limits
from sheets.longfile import read_long_table
from sheets.model import CellError, ParsedUpload
from sheets.reader import read_scores
from sheets.template import build_template
from sheets.units import UnitDirectory, UnitsFileError, read_units

__all__ = [
    "DEFAULT_LIMITS",
    "CellError",
    "CellRule",
    "Limits",
    "ParsedUpload",
    "UnitDirectory",
    "UnitsFileError",
    "annotate_workbook",
    "build_template",
    "normalise_cell",
    "normalise_column",
    "normalise_period",
    "read_long_table",
    "read_scores",
    "read_units",
    "rules_for",
]
