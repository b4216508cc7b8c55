"""`read_scores`: an uploaded scoresheet (xlsx or csv) → values, or every error located in the file.

The file is checked before it is parsed (`sheets.package`), each sheet's layout is recognised
(wide, per-unit, long), the cells are read and checked (`sheets.checks`), and — when nothing is
wrong — the values are scored once by the engine as a cross-check, its problems located too.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from scoring import ScoringInputError, score
from scoring.periods import period_type
from scoring.scheme import Scheme
from sheets import messages as msg
from sheets import perunit, wide
from sheets.cells import rules_for
from sheets.checks import Checked, Context, check
from sheets.extract import Extract, concat_entries, entries_frame, meta_statements
from sheets.gcpause import paused_gc
from sheets.headers import HeaderIndex
from sheets.limits import DEFAULT_LIMITS, Limits
from sheets.longfile import csv_rows, missing_columns, read_long
from sheets.longfile import find_header as find_long_header
from sheets.model import CellError, ParsedUpload, empty_values, file_error
from sheets.package import PackageRefused, Workbook, open_workbook, sniff_kind
from sheets.text import as_text, key
from sheets.units import UnitDirectory

log = logging.getLogger(__name__)

META_SHEET = "_meta"
GUIDE_SHEETS = frozenset(map(key, ["说明", "填表说明", "填写说明", "使用说明", "评分说明", META_SHEET]))


def read_scores(
    source: bytes | str | Path,
    scheme: Scheme,
    *,
    period: str,
    units: pd.DataFrame,
    file_name: str,
    assessor: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
    cross_check: bool = True,
    figures: pd.DataFrame | None = None,
) -> ParsedUpload:
    """Read one uploaded scoresheet for `scheme` and `period`.

    `units`: the unit register (code, name, aliases '|'-joined[, category]); cells may name a
    unit by any of them. `assessor`: who scored, unless the sheet says (考核人). Never raises for
    a bad file: every problem is returned as a located CellError. `figures`: the register's
    figures (unit, year, name, value) computed indicators read (常住人口), for the cross-check.
    """
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    kind, example = msg.PERIOD_KINDS[scheme.period_type]
    if period_type(period) != scheme.period_type:
        err = file_error(msg.PERIOD_WRONG_KIND.format(period=period, kind=kind, example=example), file=file_name,
                         kind="period_wrong_kind")  # fmt: skip
        return ParsedUpload(empty_values(), [err], "", file_name=file_name)
    try:
        with paused_gc():
            return _read(data, scheme, period, units, file_name, assessor, limits, cross_check, figures)
    except PackageRefused as exc:
        return ParsedUpload(empty_values(), [file_error(exc.problem, exc.suggestion, file_name, exc.sheet)], "",
                            file_name=file_name)  # fmt: skip
    except Exception:  # a bug must not surface as a traceback on the upload page
        log.exception("reading %s failed", file_name)
        err = file_error(msg.FILE_INTERNAL, file=file_name, kind="internal")
        return ParsedUpload(empty_values(), [err], "", file_name=file_name)


def _read(data, scheme, period, units, file_name, assessor, limits, cross_check, figures) -> ParsedUpload:
    index = HeaderIndex(scheme)
    rules = rules_for(scheme)
    if file_name.lower().endswith((".csv", ".txt")) and sniff_kind(data) != "zip":
        extract = _csv_extract(data, file_name, index, limits)
        directory = UnitDirectory(units)
    else:
        # Indexing a large register (0.8 s for 100,000 units) is done while the package is
        # inflated and scanned: zlib and numpy release the GIL for most of that work.
        with ThreadPoolExecutor(1) as pool:
            pending = pool.submit(UnitDirectory, units)
            book = open_workbook(data, file_name, limits)
            extract = _workbook_extract(book, index, rules)
            directory = pending.result()
    if extract.layout == "":
        return ParsedUpload(empty_values(), extract.errors, "", file_name=file_name)
    ctx = Context(scheme, rules, index, period, directory, assessor, limits, file_name,
                  duplicates_by_cell=extract.layout == "long")  # fmt: skip
    checked = check(extract, ctx)
    errors = checked.errors
    if not errors and not len(checked.values):
        errors = [file_error(msg.NO_VALUES, msg.NO_VALUES_HINT, file_name, kind="no_values")]
    if not errors and cross_check and len(checked.values):
        errors = _cross_check(checked, scheme, directory, partial=extract.layout == "long", figures=figures)
    total = len(errors) + (checked.dropped if errors is checked.errors else 0)
    if total > limits.max_errors:
        errors = errors[: limits.max_errors] + [
            file_error(
                msg.TOO_MANY_ERRORS.format(shown=limits.max_errors, total=total), file=file_name, kind="truncated"
            )
        ]
    return ParsedUpload(
        values=checked.values,
        errors=errors,
        layout=extract.layout,
        sheet_period=checked.sheet_period,
        file_name=file_name,
        locations=checked.locations,
        sheet_scheme=checked.sheet_scheme,
        sheet_version=checked.sheet_version,
        total_errors=total,
        warnings=checked.warnings,
    )


def _csv_extract(data: bytes, file_name: str, index: HeaderIndex, limits: Limits) -> Extract:
    rows = csv_rows(data, limits)
    h = find_long_header(rows)
    if h is None:
        missing = "、".join(missing_columns(rows))
        err = CellError(file_name, None, None, None, "", msg.LONG_MISSING_COLUMNS.format(columns=missing), None,
                        msg.LONG_MISSING_COLUMNS_HINT, "missing_columns")  # fmt: skip
        return Extract("", entries_frame(), [], [], [err])
    return read_long(rows, file_name, h, index, None)


def _nothing_found(sheet: str | None) -> Extract:
    err = CellError(sheet, None, None, None, "", msg.NO_SCORE_SHEET, None, msg.NO_SCORE_SHEET_HINT, "no_score_sheet")
    return Extract("", entries_frame(), [], [], [err])


def _workbook_extract(book: Workbook, index: HeaderIndex, rules: dict) -> Extract:
    statements = []
    wides: list[Extract] = []
    longs: list[Extract] = []
    per_unit_sheets = []
    for info in book.sheets:
        if info.name == META_SHEET:
            statements += meta_statements(book.sheet_rows(info.name))
            continue
        if not info.visible or key(info.name) in GUIDE_SHEETS:
            continue
        rows = book.sheet_rows(info.name)
        if not _any_value(rows):
            continue
        pu = perunit.find_header(rows)
        lh = find_long_header(rows)
        # A long header names a unit column beside the code and value columns (单位 | 指标编码 |
        # 数值); a per-unit sheet never does (its unit is stated above the header, or is the
        # sheet's name). Both header words sets share 指标编码 and 数值, so the long header wins
        # when it is found at or above the per-unit one — as a CSV with the same headers reads.
        if lh is not None and (pu is None or lh.row <= pu.row):
            longs.append(read_long(rows, info.name, lh, index, book))
            continue
        if pu is not None:
            per_unit_sheets.append((info.name, rows, pu))
            continue
        wh = wide.find_header(rows, book.merged(info.name), index)
        if wh is not None:
            extract = wide.read_wide(book, info.name, rows, wh, index)
            extract.errors += _missing_columns(info.name, wh, index, rules)
            wides.append(extract)
    found = {"wide": wides, "long": longs}
    if per_unit_sheets:
        required = [c for c, r in rules.items() if not r.only_na]
        found["per-unit"] = [perunit.read_per_unit(book, per_unit_sheets, index, required)]
    kinds = [k for k, v in found.items() if v]
    if not kinds:
        return _nothing_found(None)
    if len(kinds) > 1:
        layouts = "、".join(msg.LAYOUT_NAMES[k] for k in kinds)
        err = file_error(msg.MIXED_LAYOUTS.format(layouts=layouts), msg.NO_SCORE_SHEET_HINT, book.file_name,
                         kind="mixed_layouts")  # fmt: skip
        return Extract("", found[kinds[0]][0].entries, [], [], [err])
    merged = _merge(found[kinds[0]], kinds[0])
    merged.statements = merged.statements + statements  # visible cells first: they are reported
    return merged


def _any_value(rows: list[list]) -> bool:
    return any(as_text(v).strip() for r in rows for v in r)


def _merge(parts: list[Extract], layout: str) -> Extract:
    if len(parts) == 1:
        return parts[0]
    entries, offsets = concat_entries([p.entries for p in parts])
    out = Extract(layout, entries)
    for p, off in zip(parts, offsets, strict=True):
        for b in p.blocks:
            b.entry = b.entry + off
        out.blocks += p.blocks
        out.statements += p.statements
        out.errors += p.errors
        out.sheets += p.sheets
    return out


def _missing_columns(sheet: str, h: wide.WideHeader, index: HeaderIndex, rules: dict) -> list[CellError]:
    present = set(h.inputs.values())
    out = []
    for code, rule in rules.items():
        if rule.only_na or code in present:
            continue
        out.append(CellError(sheet, h.key_row + 1, None, None, "",
                             msg.MISSING_COLUMN.format(code=code, name=index.names.get(code, "")), None,
                             msg.MISSING_COLUMN_HINT, "missing_column", code=code))  # fmt: skip
    return out


# -- the engine cross-check ------------------------------------------------------------------------
def _cross_check(
    checked: Checked, scheme: Scheme, directory: UnitDirectory, partial: bool, figures: pd.DataFrame | None = None
) -> list[CellError]:
    """Score the values once; locate any problem the engine still finds (there should be none).

    `partial`: a long file may hold only some leaves of a unit (a second assessor scoring the
    subjective items; the rest comes from other submissions), so leaves it does not mention at
    all are not reported missing.
    """
    values = checked.values.drop(columns=[c for c in ("note", "category") if c in checked.values.columns])
    units = values["unit"].cat.categories
    categories = None
    if all(directory.category_of.get(u) for u in units):
        categories = pd.Series([directory.category_of[u] for u in units], index=list(units))
    try:
        score(scheme, values, categories=categories, figures=figures)
    except ScoringInputError as exc:
        problems = exc.problems
        if partial:
            present = set(zip(values["unit"].astype(str), values["code"].astype(str), strict=True))
            problems = [p for p in problems if not (p.unit and p.code) or (p.unit, p.code) in present]
        # A computed indicator has no cell of its own (blank or absent): point at its first input.
        first_input = {leaf.code: leaf.input_codes[0] for leaf in scheme.leaves if getattr(leaf, "input_codes", None)}
        return [_locate(p, checked, first_input.get(p.code)) for p in problems]
    return []


def _locate(problem, checked: Checked, fallback_code: str | None = None) -> CellError:
    v, loc = checked.values, checked.locations
    hit = np.ones(len(v), dtype=bool)
    if problem.unit:
        hit &= (v["unit"] == problem.unit).to_numpy()
    if problem.assessor:
        hit &= (v["assessor"] == problem.assessor).to_numpy()
    at = np.flatnonzero(hit & (v["code"] == problem.code).to_numpy()) if problem.code else np.flatnonzero(hit)
    if problem.code and not len(at) and fallback_code:
        at = np.flatnonzero(hit & (v["code"] == fallback_code).to_numpy())
    if not len(at) or not (problem.unit or problem.code):
        # No cell to point at: the message names the unit, leaf and period itself.
        return CellError(None, None, None, None, "", str(problem), kind="engine", unit=problem.unit,
                         code=problem.code)  # fmt: skip
    i = int(at[0])
    column = str(loc["column"].iloc[i]) if problem.code else None
    return CellError(str(loc["sheet"].iloc[i]), int(loc["row"].iloc[i]), column, problem.code, "", problem.message,
                     kind="engine", unit=problem.unit, code=problem.code)  # fmt: skip
