"""Checks shared by every layout: units, periods, values cell by cell, blanks, duplicates.

Works on an `Extract` (entries + blocks of cells) and returns the long value frame, where each
value came from, and every error located at its cell. Value rules are `sheets.cells` rules,
built from `scoring.inputs.input_columns`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from scoring.periods import period_type
from scoring.scheme import Scheme
from sheets import messages as msg
from sheets.cells import BLANK, NA_NOT_ALLOWED, CellRule, display, normalise_column, normalise_period
from sheets.extract import Block, Extract
from sheets.headers import HeaderIndex
from sheets.limits import Limits
from sheets.model import CellError
from sheets.text import clean, column_index, column_letter
from sheets.units import UnitDirectory


@dataclass
class Context:
    scheme: Scheme
    rules: dict[str, CellRule]
    index: HeaderIndex
    period: str | None  # the period chosen for the upload; None: each row states its own
    directory: UnitDirectory | None  # None: units are kept as written (long files for `score`)
    assessor: str | None
    limits: Limits
    file_name: str
    duplicates_by_cell: bool = False  # long files: the same unit twice is fine, the same cell is not


@dataclass
class Checked:
    values: pd.DataFrame
    locations: pd.DataFrame
    errors: list[CellError]
    sheet_period: str | None
    sheet_scheme: str | None
    sheet_version: str | None
    dropped: int = 0  # errors found but not built as CellError (beyond `Limits.max_errors` per column)
    # Cells read, but probably not as meant (0.6 in a percentage column whose target is 60): shown
    # with the preview, never a reason to refuse the upload.
    warnings: list[CellError] = field(default_factory=list)


def check(extract: Extract, ctx: Context) -> Checked:
    errors: list[CellError] = list(extract.errors)
    sheet_period, sheet_scheme, sheet_version, sheet_assessor = _statements(extract, ctx, errors)
    entries = extract.entries
    n = len(entries)

    # -- cells ----------------------------------------------------------------------------------
    used = np.zeros(n, dtype=bool)
    cells = []
    # Rows after a 合计 / 签名 row are not read: their cells are not judged (the row is reported
    # once if it names a unit and holds values).
    after = entries["after_footer"].to_numpy(dtype=object) != "" if n else np.zeros(0, dtype=bool)
    for block in extract.blocks:
        rule = ctx.rules[block.code]
        col = normalise_column(block.raw, rule, block.percent, block.may_hold_bools, block.empty)
        if after.any():
            block, col = _without_rows(block, col, after[block.entry])
        special = np.zeros(len(block.raw), dtype=bool)
        if block.special:
            special[list(block.special)] = True
        used[block.entry[~col.blank | special]] = True
        if block.note is not None:
            used[block.entry[block.note != ""]] = True
        cells.append((block, rule, col, special))

    # -- units, assessors, periods of the entries --------------------------------------------------
    unit, valid = _units(entries, used, ctx, errors)
    assessor = _assessors(entries, sheet_assessor, ctx)
    period = _periods(entries, valid, ctx, errors)
    if not ctx.duplicates_by_cell:
        _duplicate_entries(entries, unit, assessor, valid, ctx, errors)

    # -- values -----------------------------------------------------------------------------------
    cell_errors: list[CellError] = []
    warnings: list[CellError] = []
    dropped = [0]
    frames = []
    na_leaf: dict[str, np.ndarray] = {}
    task_na: dict[str, list[tuple[Block, np.ndarray]]] = {}
    off_cats = _variant_off(ctx.scheme)
    for i, (block, rule, col, special) in enumerate(cells):
        if off_cats.get(rule.leaf_code) and ctx.directory is not None:
            col, off_errors = _off_cells(block, rule, col, unit, off_cats[rule.leaf_code], ctx)
            cells[i] = (block, rule, col, special)
            cell_errors += off_errors
    # A computed indicator marked 不适用 in its own cell needs none of its inputs.
    computed_na: dict[str, np.ndarray] = {}
    for block, rule, col, _ in cells:
        if rule.only_na and rule.formula and col.na.any():
            computed_na.setdefault(rule.leaf_code, np.zeros(n, dtype=bool))[block.entry[col.na]] = True
    for block, rule, col, special in cells:
        bad = np.zeros(len(block.raw), dtype=bool)
        bad[col.bad] = True
        bad |= special
        found = _cell_errors(block, rule, col, special, unit, ctx.limits.max_errors)
        dropped[0] += int(np.count_nonzero(~special[col.bad])) + len(block.special) - len(found)
        cell_errors += found
        live = valid[block.entry] & used[block.entry]
        if not rule.blank_ok:
            missing = col.blank & ~special & live & ~bad
            if rule.leaf_code in computed_na and not rule.only_na:
                missing &= ~computed_na[rule.leaf_code][block.entry]
            if rule.is_task:
                task_na.setdefault(rule.leaf_code, []).append((block, missing))
            elif missing.any():
                dropped[0] += max(0, int(missing.sum()) - ctx.limits.max_errors)
                cell_errors += _blank_errors(block, rule, np.flatnonzero(missing), unit, ctx.limits.max_errors)
        if rule.is_task and col.na.any():
            task_na.setdefault(rule.leaf_code, [])
        if rule.only_na:
            leaf_na = na_leaf.setdefault(rule.code, np.zeros(n, dtype=bool))
            leaf_na[block.entry[col.na]] = True
        keep = live & ~bad
        frames.append((block, col, keep))
        if rule.percent and rule.target is not None and len(warnings) < ctx.limits.max_errors:
            warnings += _fraction_warnings(block, rule, col, keep, unit)[: ctx.limits.max_errors - len(warnings)]

    # Checklists: 不适用 in task cells marks the whole checklist; blanks then need no value.
    out_rows = _checklists(extract, ctx, cells, task_na, na_leaf, unit, valid & used, cell_errors, dropped)
    errors = sorted(errors + cell_errors, key=_order(extract))
    errors = [replace(e, file=ctx.file_name) if e.sheet is None and e.file is None else e for e in errors]
    values, locations = _frame(frames, out_rows, unit, assessor, period, entries, ctx)
    if ctx.duplicates_by_cell:
        values, locations = _duplicate_cells(values, locations, ctx, errors, dropped)
    warnings = sorted(warnings, key=_order(extract))
    return Checked(values, locations, errors, sheet_period, sheet_scheme, sheet_version, dropped[0], warnings)


# -- category variants ----------------------------------------------------------------------------
def _variant_off(scheme: Scheme) -> dict[str, set[str]]:
    """Leaf code -> the unit categories its variants make 不适用 (the leaves that have any)."""
    out = {leaf.code: {c for c in leaf.variants if leaf.variant_for(c) is None} for leaf in scheme.leaves}
    return {code: cats for code, cats in out.items() if cats}


def _off_cells(block: Block, rule: CellRule, col, unit: np.ndarray, off: set[str], ctx: Context):
    """A unit whose category the scheme does not assess on this leaf: a blank cell is fine, 不适用
    is fine even where the leaf has no allow_na, and a value is refused as the engine words it."""
    category = ctx.directory.category_of
    cats = np.array([category.get(u, "") if u else "" for u in unit[block.entry]], dtype=object)
    is_off = np.isin(cats, list(off))
    if not is_off.any():
        return col, []
    keep = np.ones(len(col.bad), dtype=bool)
    na = col.na.copy()
    for k, i in enumerate(col.bad):
        if is_off[i] and col.kinds[k] == NA_NOT_ALLOWED:
            keep[k] = False
            na[i] = True
    errors = []
    has_value = is_off & ~np.isnan(col.value) & ~col.na
    value = col.value.copy()
    for i in np.flatnonzero(has_value)[: ctx.limits.max_errors]:
        problem = f"{cats[i]}不考核本项（方案规定不适用），请留空或填「{msg.NA_WORD}」"
        errors.append(CellError(block.sheet_at(i), int(block.row[i]), block.column_at(i), block.header,
                                display(block.raw[i]), problem, msg.expected(rule), None, "variant_off",
                                unit[block.entry[i]] or None, block.code))  # fmt: skip
    value[has_value] = np.nan  # refused above; kept out of the values
    blank = col.blank & ~is_off  # a blank there is what the scheme asks for, not a missing value
    col = replace(col, value=value, na=na, blank=blank, bad=col.bad[keep],
                  kinds=[k for k, ok in zip(col.kinds, keep, strict=True) if ok],
                  hints=[h for h, ok in zip(col.hints, keep, strict=True) if ok])  # fmt: skip
    return col, errors


# -- statements --------------------------------------------------------------------------------------
def _statements(extract: Extract, ctx: Context, errors: list[CellError]):
    sheet_period = sheet_scheme = sheet_version = None
    sheet_assessor: dict[str, str] = {}
    kind, example = msg.PERIOD_KINDS[ctx.scheme.period_type]
    for s in extract.statements:
        shown = display(s.value)
        at = (s.sheet or None, s.row or None, s.column or None, s.label or None)
        if s.merged:
            what = msg.STATEMENT_WHAT.get(s.what, s.what)
            start, _, end = s.merged.partition(":")
            right = _right_cell(start)
            errors.append(CellError(*at, "", msg.STATEMENT_MERGED.format(label=s.label, ref=s.merged, what=what),
                                    None, msg.STATEMENT_MERGED_HINT.format(ref=s.merged, cell=right, what=what),
                                    "statement_merged"))  # fmt: skip
            continue
        if s.what == "period":
            found = normalise_period(s.value)
            if found is None:
                errors.append(CellError(*at, shown,
                                        msg.PERIOD_UNREADABLE.format(value=shown), None,
                                        msg.PERIOD_UNREADABLE_HINT.format(example=example), "period_unreadable"))  # fmt: skip
                continue
            sheet_period = sheet_period or found
            if ctx.period and found != ctx.period:
                errors.append(CellError(*at, shown,
                                        msg.PERIOD_MISMATCH.format(found=found, chosen=ctx.period), None,
                                        msg.PERIOD_MISMATCH_HINT.format(chosen=ctx.period), "period_mismatch"))  # fmt: skip
        elif s.what == "scheme":
            sheet_scheme = sheet_scheme or clean(shown)
            if not _same_scheme(shown, ctx.scheme):
                errors.append(CellError(*at, shown,
                                        msg.SCHEME_MISMATCH.format(found=shown, chosen=ctx.scheme.name),
                                        None, msg.SCHEME_MISMATCH_HINT, "scheme_mismatch"))  # fmt: skip
        elif s.what == "version":
            sheet_version = sheet_version or clean(shown)
            if clean(shown).lstrip("vV") != ctx.scheme.version:
                errors.append(CellError(*at, shown,
                                        msg.VERSION_MISMATCH.format(found=shown, chosen=ctx.scheme.version), None,
                                        msg.VERSION_MISMATCH_HINT, "version_mismatch"))  # fmt: skip
        elif s.what == "assessor" and clean(shown):
            sheet_assessor.setdefault(s.sheet, clean(shown))
    # The same problem stated twice (visible cell and hidden meta) is reported once.
    seen: set[tuple[str, str]] = set()
    unique = []
    for e in errors:
        k = (e.kind, e.value)
        if e.kind in ("period_mismatch", "scheme_mismatch", "version_mismatch") and k in seen:
            continue
        seen.add(k)
        unique.append(e)
    errors[:] = unique
    return sheet_period, sheet_scheme, sheet_version, sheet_assessor


def _right_cell(ref: str) -> str:
    """'A2' → 'B2': the cell right of a label, where its value belongs."""
    letters = ref.rstrip("0123456789")
    return column_letter(column_index(letters) + 1) + ref[len(letters) :]


def _same_scheme(shown: str, scheme: Scheme) -> bool:
    text = clean(shown)
    # The template states the name (sheets.template); `clean` has made its full-width brackets plain.
    return (
        text in (scheme.id, scheme.name, clean(scheme.name))
        or text.split(" ")[0] == scheme.id
        or text.endswith(f"（{scheme.id}）")
    )


# -- entries ------------------------------------------------------------------------------------------
def _units(entries: pd.DataFrame, used: np.ndarray, ctx: Context, errors: list[CellError]):
    texts = entries["unit_text"].to_numpy(dtype=object)
    names = entries["name_text"].to_numpy(dtype=object)
    after = entries["after_footer"].to_numpy(dtype=object)
    if ctx.directory is None:
        unit = np.array([clean(str(t)) for t in texts], dtype=object)
        status = np.where(unit == "", "blank", "ok").astype(object)
        candidates: dict[str, list[str]] = {}
    else:
        found = ctx.directory.match(texts)
        unit, status, candidates = found.code.copy(), found.status.copy(), dict(found.candidates)
        has_name = names != ""
        if has_name.any():
            by_name = ctx.directory.match(names)
            use_name = has_name & (status == "blank")
            unit[use_name] = by_name.code[use_name]
            status[use_name] = by_name.status[use_name]
            candidates.update(by_name.candidates)
            both = has_name & ~use_name & (status == "ok") & (by_name.status == "ok") & (by_name.code != unit)
            for i in np.flatnonzero(both):
                e = entries.iloc[i]
                code_name = ctx.directory.name_of.get(unit[i], "")
                errors.append(CellError(e["sheet"], int(e["row"]) or None, e["name_col"], e["name_header"], names[i],
                                        msg.UNIT_MISMATCH.format(code=texts[i], name=names[i]), None,
                                        msg.UNIT_MISMATCH_HINT.format(code=texts[i], code_name=code_name),
                                        "unit_mismatch", unit[i]))  # fmt: skip
                status[i] = "mismatch"
    valid = (status == "ok") & (after == "")
    for i in np.flatnonzero(status != "ok"):
        e = entries.iloc[i]
        if after[i] or not used[i] and status[i] == "blank":
            continue
        shown = texts[i] or names[i]
        by_name = not texts[i] and names[i]
        where = (e["sheet"], int(e["row"]) or None, e["name_col"] if by_name else e["unit_col"],
                 e["name_header"] if by_name else e["unit_header"])  # fmt: skip
        if status[i] == "blank":
            errors.append(CellError(*where, "", msg.UNIT_BLANK, kind="unit_blank"))
        elif status[i] == "unknown":
            close = candidates.get(shown, [])
            hint = msg.UNKNOWN_UNIT_HINT.format(names="、".join(close)) if close else msg.UNKNOWN_UNIT_NO_HINT
            errors.append(CellError(*where, shown, msg.UNKNOWN_UNIT.format(value=shown), None, hint, "unknown_unit"))
        elif status[i] == "ambiguous":
            close = candidates.get(shown, [])
            errors.append(CellError(*where, shown, msg.AMBIGUOUS_UNIT.format(value=shown, names="、".join(close)),
                                    kind="ambiguous_unit"))  # fmt: skip
    # Rows after a 合计 / 签名 row that hold values: not read, so say so — whether they name a unit
    # or not (a row of values with a blank unit cell is data whose unit was left out).
    for i in np.flatnonzero((after != "") & ((status == "ok") | (status == "blank")) & used):
        e = entries.iloc[i]
        problem = msg.AFTER_FOOTER if status[i] == "ok" else msg.AFTER_FOOTER_NO_UNIT
        errors.append(CellError(e["sheet"], int(e["row"]), e["unit_col"], e["unit_header"], texts[i] or names[i],
                                problem.format(footer=after[i]), None, msg.AFTER_FOOTER_HINT,
                                "after_footer", unit[i] or None))  # fmt: skip
    if ctx.directory is not None and ctx.scheme.categories:
        allowed = set(ctx.scheme.categories)
        for i in np.flatnonzero(valid & used):
            category = ctx.directory.category_of.get(unit[i], "")
            if category and category not in allowed:
                e = entries.iloc[i]
                errors.append(CellError(e["sheet"], int(e["row"]) or None, e["unit_col"], e["unit_header"],
                                        texts[i] or names[i],
                                        msg.UNIT_OUT_OF_SCHEME.format(name=ctx.directory.name_of[unit[i]],
                                                                      category=category,
                                                                      categories="、".join(ctx.scheme.categories)),
                                        kind="unit_out_of_scheme", unit=unit[i]))  # fmt: skip
                valid[i] = False
    return unit.astype(object), valid


def _assessors(entries: pd.DataFrame, sheet_assessor: dict[str, str], ctx: Context) -> np.ndarray:
    own = entries["assessor"].to_numpy(dtype=object)
    default = np.full(len(entries), ctx.assessor or "", dtype=object)
    if sheet_assessor:
        sheets = entries["sheet"].to_numpy(dtype=object)
        for sheet, name in sheet_assessor.items():
            default[sheets == sheet] = name
    return np.where(own != "", own, default)


def _periods(entries: pd.DataFrame, valid: np.ndarray, ctx: Context, errors: list[CellError]) -> np.ndarray:
    texts = entries["period_text"].to_numpy(dtype=object)
    out = np.full(len(entries), ctx.period or "", dtype=object)
    stated = np.flatnonzero(texts != "")
    if not len(stated):
        return out
    kind, example = msg.PERIOD_KINDS[ctx.scheme.period_type]
    codes, uniques = pd.factorize(pd.Series(texts[stated], dtype=object))
    normal = [normalise_period(u) for u in uniques]
    for j, i in enumerate(stated):
        found = normal[codes[j]]
        e = entries.iloc[i]
        where = (e["sheet"], int(e["row"]), e["period_col"], "期间")
        if found is None or period_type(found) != ctx.scheme.period_type:
            errors.append(CellError(*where, texts[i], msg.PERIOD_UNREADABLE.format(value=texts[i]), None,
                                    msg.PERIOD_UNREADABLE_HINT.format(example=example), "period_unreadable"))  # fmt: skip
            valid[i] = False
        elif ctx.period and found != ctx.period:
            errors.append(CellError(*where, texts[i], msg.PERIOD_MISMATCH.format(found=found, chosen=ctx.period),
                                    None, msg.PERIOD_MISMATCH_HINT.format(chosen=ctx.period), "period_mismatch"))  # fmt: skip
            valid[i] = False
        else:
            out[i] = found
    return out


def _duplicate_entries(entries, unit, assessor, valid, ctx: Context, errors: list[CellError]) -> None:
    """The same unit twice for one assessor (two rows, or two per-unit sheets)."""
    at = np.flatnonzero(valid)
    if not len(at):
        return
    frame = pd.DataFrame({"u": unit[at], "a": assessor[at]})
    dup = frame.duplicated(keep="first").to_numpy()
    if not dup.any():
        return
    first = frame.drop_duplicates(keep="first").reset_index().set_index(["u", "a"])["index"]
    for j in np.flatnonzero(dup):
        i = at[j]
        f = at[int(first.loc[(unit[i], assessor[i])])]
        e, fe = entries.iloc[i], entries.iloc[f]
        name = ctx.directory.name_of.get(unit[i], unit[i]) if ctx.directory else unit[i]
        first_where = _place(fe["sheet"], int(fe["row"]), e["sheet"])
        errors.append(CellError(e["sheet"], int(e["row"]) or None, e["unit_col"], e["unit_header"],
                                e["unit_text"] or e["name_text"], msg.DUPLICATE_UNIT.format(name=name, first=first_where),
                                kind="duplicate_unit", unit=unit[i]))  # fmt: skip
        valid[i] = False


def _place(sheet: str, row: int, here: str) -> str:
    if sheet != here:
        return f"表「{sheet}」" + (f"第 {row} 行" if row else "")
    return f"第 {row} 行" if row else f"表「{sheet}」"


# -- cells ----------------------------------------------------------------------------------------------
def _without_rows(block: Block, col, skip: np.ndarray):
    """`block` and `col` with the problems of the cells at `skip` dropped (values are kept: not used)."""
    if not skip.any():
        return block, col
    keep = ~skip[col.bad]
    col = replace(col, bad=col.bad[keep], kinds=[k for k, ok in zip(col.kinds, keep, strict=True) if ok],
                  hints=[h for h, ok in zip(col.hints, keep, strict=True) if ok])  # fmt: skip
    if block.special:
        block = replace(block, special={i: v for i, v in block.special.items() if not skip[i]})
    return block, col


def _cell_errors(block: Block, rule: CellRule, col, special: np.ndarray, unit: np.ndarray, cap: int) -> list[CellError]:
    out = []
    expected = msg.expected(rule)
    for k, i in enumerate(col.bad[:cap]):
        if special[i]:
            continue
        shown = display(block.raw[i])
        kind = col.kinds[k]
        out.append(CellError(block.sheet_at(i), int(block.row[i]), block.column_at(i), block.header, shown,
                             msg.cell_problem(kind, shown, rule), expected,
                             msg.suggestion_for(kind, col.hints[k], rule), kind,
                             unit[block.entry[i]] or None, block.code))  # fmt: skip
    for i, (kind, shown) in list(block.special.items())[:cap]:
        if kind == "formula":
            problem, hint = msg.FORMULA_NO_VALUE, msg.FORMULA_NO_VALUE_HINT
        elif kind == "formula_untrusted":
            shown = shown or display(block.raw[i])  # the stored result: 0, or nothing
            problem, hint = msg.FORMULA_UNTRUSTED.format(value=shown or "空"), msg.FORMULA_UNTRUSTED_HINT
        else:
            problem, hint = msg.ERROR_VALUE.format(value=shown), msg.ERROR_VALUE_HINT
        out.append(CellError(block.sheet_at(i), int(block.row[i]), block.column_at(i), block.header, shown, problem,
                             expected, hint, kind, unit[block.entry[i]] or None, block.code))  # fmt: skip
    return out


def _fraction_warnings(block: Block, rule: CellRule, col, keep: np.ndarray, unit: np.ndarray) -> list[CellError]:
    """Percentage cells holding a fraction where a percentage was meant: 0.6 in a column whose
    target is 60 reads as 0.6 %, and was probably typed as 60 % the way a calculator writes it.

    The rule: a value 0 < x ≤ 1, typed as a plain number (no % sign, no percentage format, which
    both say what was meant), in a column whose target is at least 10 times it. A warning only:
    0.6 % may be true (a rate whose target is 5 % is not flagged).
    """
    value = col.value
    with np.errstate(invalid="ignore"):
        hit = keep & ~col.na & (value > 0) & (value <= 1) & (value * 10 <= rule.target)
    out = []
    for i in np.flatnonzero(hit):
        raw = block.raw[i]
        if block.percent is not None and block.percent[i]:
            continue
        if isinstance(raw, str) and "%" in raw.replace("％", "%"):
            continue
        shown = display(raw)
        pct = msg.num(round(float(value[i]) * 100, 10))
        out.append(CellError(block.sheet_at(i), int(block.row[i]), block.column_at(i), block.header, shown,
                             msg.PERCENT_FRACTION.format(value=shown, pct=pct), None,
                             msg.PERCENT_FRACTION_HINT.format(value=shown, pct=pct), "percent_fraction",
                             unit[block.entry[i]] or None, block.code))  # fmt: skip
    return out


def _blank_errors(block: Block, rule: CellRule, at: np.ndarray, unit: np.ndarray, cap: int) -> list[CellError]:
    expected = msg.expected(rule)
    problem = msg.cell_problem(BLANK, "", rule)
    hint = msg.suggestion_for(BLANK, None, rule)
    return [
        CellError(
            block.sheet_at(i),
            int(block.row[i]),
            block.column_at(i),
            block.header,
            "",
            problem,
            expected,
            hint,
            BLANK,
            unit[block.entry[i]] or None,
            block.code,
        )  # fmt: skip
        for i in at[:cap]
    ]


def _checklists(extract, ctx, cells, task_na, na_leaf, unit, live, cell_errors, dropped) -> list[tuple]:
    """Leaf rows marking checklists 不适用; errors for blanks and for partly-不适用 checklists."""
    n = len(extract.entries)
    extra: list[tuple] = []  # (entry, leaf code, sheet, row, column) of 不适用 checklist leaves
    by_leaf: dict[str, list] = {}
    for block, rule, col, special in cells:
        if rule.is_task:
            by_leaf.setdefault(rule.leaf_code, []).append((block, rule, col, special))
    for leaf_code, parts in by_leaf.items():
        na_count = np.zeros(n, dtype=np.int64)
        valued = np.zeros(n, dtype=np.int64)
        for block, _rule, col, _special in parts:
            np.add.at(na_count, block.entry[col.na], 1)
            np.add.at(valued, block.entry[~np.isnan(col.value)], 1)
        whole = (na_count > 0) & (valued == 0)
        # 不适用 written on the checklist's own code is already a leaf row of its own (its cell is
        # read like any other): only a checklist made 不适用 through its task cells needs one added.
        own = na_leaf.get(leaf_code, np.zeros(n, dtype=bool))
        needs_row = whole & ~own
        whole |= own
        partly = (na_count > 0) & (valued > 0)
        name = ctx.index.names.get(leaf_code, leaf_code)
        for block, _rule, col, _special in parts:
            for i in np.flatnonzero(col.na & partly[block.entry]):
                cell_errors.append(CellError(block.sheet_at(i), int(block.row[i]), block.column_at(i), block.header,
                                             display(block.raw[i]), msg.CHECKLIST_PARTLY_NA.format(name=name),
                                             kind="checklist_partly_na", unit=unit[block.entry[i]] or None,
                                             code=block.code))  # fmt: skip
            col.na[:] = False  # task rows carry no 不适用; the leaf row does
        for block, missing in task_na.get(leaf_code, []):
            rule = ctx.rules[block.code]
            still = missing & ~whole[block.entry]
            if still.any():
                dropped[0] += max(0, int(still.sum()) - ctx.limits.max_errors)
                cell_errors.extend(_blank_errors(block, rule, np.flatnonzero(still), unit, ctx.limits.max_errors))
        first_block = parts[0][0]
        for e in np.flatnonzero(needs_row & live):
            at = np.flatnonzero(first_block.entry == e)
            i = int(at[0]) if len(at) else 0
            extra.append((e, leaf_code, first_block.sheet_at(i), int(first_block.row[i]) if len(at) else 0,
                          first_block.column_at(i)))  # fmt: skip
    return extra


def _order(extract: Extract):
    sheets = {name: i for i, name in enumerate(extract.sheets)}

    def key(e: CellError):
        col = e.column or ""
        return (sheets.get(e.sheet or "", -1), e.row or 0, len(col), col)

    return key


# -- the value frame -------------------------------------------------------------------------------------
def _frame(frames, extra_rows, unit, assessor, period, entries, ctx: Context) -> tuple[pd.DataFrame, pd.DataFrame]:
    parts_entry, parts_code, parts_value, parts_na, parts_note = [], [], [], [], []
    parts_sheet, parts_row, parts_col = [], [], []
    codes = list(ctx.rules)
    code_no = {c: i for i, c in enumerate(codes)}
    sheet_names: list[str] = []
    sheet_no: dict[str, int] = {}
    col_names: list[str] = []
    col_no: dict[str, int] = {}

    def intern(value, names, numbers, count):
        if isinstance(value, str):
            if value not in numbers:
                numbers[value] = len(names)
                names.append(value)
            return np.full(count, numbers[value], dtype=np.int32)
        return np.array([intern(v, names, numbers, 1)[0] for v in value], dtype=np.int32)

    for block, col, keep in frames:
        at = np.flatnonzero(keep)
        if not len(at):
            continue
        parts_entry.append(block.entry[at])
        parts_code.append(np.full(len(at), code_no[block.code], dtype=np.int32))
        parts_value.append(col.value[at])
        parts_na.append(col.na[at])
        parts_note.append(block.note[at] if block.note is not None else None)
        parts_sheet.append(intern(block.sheet if isinstance(block.sheet, str) else block.sheet[at], sheet_names,
                                  sheet_no, len(at)))  # fmt: skip
        parts_row.append(block.row[at])
        parts_col.append(intern(block.column if isinstance(block.column, str) else block.column[at], col_names,
                                col_no, len(at)))  # fmt: skip
    for e, leaf_code, sheet, row, column in extra_rows:
        parts_entry.append(np.array([e]))
        parts_code.append(np.array([code_no[leaf_code]], dtype=np.int32))
        parts_value.append(np.array([np.nan]))
        parts_na.append(np.array([True]))
        parts_note.append(np.array([None], dtype=object))
        parts_sheet.append(intern(sheet, sheet_names, sheet_no, 1))
        parts_row.append(np.array([row]))
        parts_col.append(intern(column, col_names, col_no, 1))
    if not parts_entry:
        entry = np.zeros(0, dtype=np.int64)
        code = value = na = note = sheet = row = column = np.zeros(0)
    else:
        gather = _unit_major(parts_entry, [int(p[0]) if len(p) else 0 for p in parts_code], parts_code)
        entry, code, value, na = gather(parts_entry), gather(parts_code), gather(parts_value), gather(parts_na)
        if any(p is not None for p in parts_note):
            note = gather([np.full(len(e), None, object) if p is None else p
                           for e, p in zip(parts_entry, parts_note, strict=True)])  # fmt: skip
            note = np.where(note == "", None, note)
        else:  # no note column anywhere (the common case): no million-row object gather
            note = np.full(len(entry), None, dtype=object)
        sheet, row, column = gather(parts_sheet), gather(parts_row), gather(parts_col)
    unit_codes, unit_labels = _factorize_by_entry(unit, entry)
    assessor_codes, assessor_labels = _factorize_by_entry(assessor, entry)
    period_codes, period_labels = _factorize_by_entry(period, entry)
    values = pd.DataFrame(
        {
            "period": pd.Categorical.from_codes(period_codes, [str(p) for p in period_labels]),
            "unit": pd.Categorical.from_codes(unit_codes, [str(u) for u in unit_labels]),
            "code": pd.Categorical.from_codes(code.astype(np.int32), codes)
            if len(entry)
            else pd.Categorical([], codes),
            "value": value.astype(float),
            "na": na.astype(bool),
            "assessor": pd.Categorical.from_codes(assessor_codes, [str(a) for a in assessor_labels]),
            "note": pd.Series(note, dtype=object),
        }
    )
    if (entries["category"] != "").any():
        values["category"] = entries["category"].to_numpy(dtype=object)[entry]
    locations = pd.DataFrame(
        {
            "sheet": pd.Categorical.from_codes(sheet.astype(np.int32), sheet_names)
            if len(entry)
            else pd.Categorical([]),
            "row": row.astype(np.int64),
            "column": pd.Categorical.from_codes(column.astype(np.int32), col_names)
            if len(entry)
            else pd.Categorical([]),
        }
    )
    return values, locations


def _unit_major(parts_entry: list[np.ndarray], part_codes: list[int], parts_code: list[np.ndarray]):
    """A function putting the parts' cells together in (entry, code) order.

    A wide sheet without problems gives every code the same entries, in order: the parts are
    then columns of one (entry × code) table, laid side by side without any sort (a lexsort of
    millions of cells costs as much as reading them, and so does a gather through its order).
    """
    first = parts_entry[0]
    same = all(len(p) == len(first) for p in parts_entry) and all(np.array_equal(p, first) for p in parts_entry)
    if same and len(set(part_codes)) == len(part_codes) and (len(first) < 2 or (np.diff(first) > 0).all()):
        by_code = np.argsort(part_codes, kind="stable")
        return lambda parts: np.stack([parts[i] for i in by_code], axis=1).ravel()
    entry, code = np.concatenate(parts_entry), np.concatenate(parts_code)
    order = np.lexsort((code, entry)) if len(entry) > 1 else np.arange(len(entry))
    return lambda parts: np.concatenate(parts)[order]


def _factorize_by_entry(per_entry: np.ndarray, entry: np.ndarray) -> tuple[np.ndarray, pd.Index]:
    """`pd.factorize(per_entry[entry])` for a sorted `entry`, hashing each entry once, not each cell."""
    if not len(entry):
        return np.zeros(0, dtype=np.intp), pd.Index([], dtype=object)
    first = np.flatnonzero(np.r_[True, entry[1:] != entry[:-1]])
    codes, labels = pd.factorize(pd.Series(per_entry[entry[first]], dtype=object))
    return np.repeat(codes, np.diff(np.r_[first, len(entry)])), labels


def _duplicate_cells(values: pd.DataFrame, locations: pd.DataFrame, ctx: Context, errors: list[CellError], dropped):
    """Long files: the same unit, code, assessor and period twice."""
    if values.empty:
        return values, locations
    keys = ["unit", "code", "assessor", "period"]
    dup = values.duplicated(subset=keys, keep="first").to_numpy()
    if not dup.any():
        return values, locations
    firsts = values[~values.duplicated(subset=keys, keep="first")].reset_index().set_index(keys)["index"]
    dropped[0] += max(0, int(dup.sum()) - ctx.limits.max_errors)
    for i in np.flatnonzero(dup)[: ctx.limits.max_errors]:
        v, loc = values.iloc[i], locations.iloc[i]
        f = int(firsts.loc[tuple(v[k] for k in keys)])
        name = ctx.directory.name_of.get(v["unit"], v["unit"]) if ctx.directory else v["unit"]
        errors.append(CellError(str(loc["sheet"]), int(loc["row"]), str(loc["column"]), ctx.index.names.get(v["code"]),
                                display(v["value"]) if not v["na"] else msg.NA_WORD,
                                msg.DUPLICATE_CELL.format(name=name, code=v["code"],
                                                          first=_place(str(locations.iloc[f]["sheet"]),
                                                                       int(locations.iloc[f]["row"]),
                                                                       str(loc["sheet"]))),
                                kind="duplicate_cell", unit=str(v["unit"]), code=str(v["code"])))  # fmt: skip
    keep = ~dup
    return values[keep].reset_index(drop=True), locations[keep].reset_index(drop=True)
