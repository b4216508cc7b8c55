"""`read_scheme_book(data)`: the scheme dict a 评分细则 workbook holds, or every problem, located.

The file is opened by `sheets.package.open_workbook` (the same safety checks as a scoresheet
upload). Every cell problem is collected, then the scheme's own checks run and their key paths
(`criteria[0].items[2].target`) are turned back into the sheet, row and column a person edits.
"""

from __future__ import annotations

from typing import Any, get_args

from scoring.errors import SchemeError, SchemeProblem
from scoring.loader import scheme_from_dict
from scoring.names import METHOD_NAMES
from scoring.scheme import Leaf, Scheme
from sheets.package import PackageRefused, open_workbook
from sheets.scheme_book import layout as L
from sheets.scheme_book.cells import CellProblem, from_cell, is_blank, read_bool, read_number, read_pairs
from sheets.text import clean

MAX_ROWS = 5000  # far more than any scheme has: a sheet longer than this is not a scheme's
LEAF_MODELS = {cls.model_fields["method"].annotation.__args__[0]: cls for cls in get_args(get_args(Leaf)[0])}


class SchemeBookError(ValueError):
    """A workbook that does not make a valid scheme; `messages` are located Chinese lines."""

    def __init__(self, messages: list[str]):
        self.messages = messages
        super().__init__("\n".join(messages))


class NotOurBook(ValueError):
    """A readable file that is not a 评分细则 workbook of this product (no 评分参数 sheet): a
    bureau's own table, for the draft importer (sheets.scheme_draft)."""


def _fields(cls: type) -> set[str]:
    return {f.alias or name for name, f in cls.model_fields.items()}


def _open(data: bytes) -> Any:
    try:
        return open_workbook(data, "评分细则.xlsx")
    except PackageRefused as exc:
        if exc.problem.startswith("这是 Word"):
            raise NotOurBook(exc.problem) from None
        text = exc.problem + (f"。{exc.suggestion}" if exc.suggestion else "")
        raise SchemeBookError([text]) from None


class _Reader:
    def __init__(self, book: Any):
        self.book = book
        self.names = [s.name for s in book.sheets]
        self.problems: list[str] = []
        self.where: dict[str, tuple[str, int, str, dict[str, str]]] = {}  # key path → location
        self.row_of: dict[tuple[str, str], int] = {}  # (sheet, code) → Excel row

    def rows(self, sheet: str, columns: list[L.Col], required: tuple[str, ...] = ()) -> list[tuple[int, dict]]:
        """(Excel row, {key: value}) of the sheet's non-blank rows; missing sheet: [] (or a problem)."""
        if sheet not in self.names:
            if required or sheet in L.REQUIRED_SHEETS:
                self.problems.append(f"缺少工作表「{sheet}」")
            return []
        try:
            raw = self.book.sheet_rows(sheet)
        except PackageRefused as exc:
            self.problems.append(f"工作表「{sheet}」: {exc.problem}")
            return []
        if not raw:
            return []
        heads = {clean(str(h)).replace(" ", ""): i for i, h in enumerate(raw[0]) if not is_blank(h)}
        at = {}
        missing = []
        for col in columns:
            i = heads.get(clean(col.header).replace(" ", ""))
            if i is not None:
                at[col.key] = (i, col)
            elif col.key in required:
                missing.append(col.header)
        if missing:  # the rows cannot be understood without them: say only that
            self.problems.append(f"{sheet}: 缺少「{'」「'.join(missing)}」列")
            return []
        out = []
        for n, cells in enumerate(raw[1 : MAX_ROWS + 1], start=2):
            row = {}
            for key, (i, col) in at.items():
                cell = cells[i] if i < len(cells) else None
                if is_blank(cell):
                    continue
                try:
                    row[key] = from_cell(col, cell)
                except CellProblem as exc:
                    self.problems.append(f"{sheet} 第 {n} 行「{col.header}」: {exc}")
            if any(not is_blank(c) for c in cells):
                out.append((n, row))
        if len(raw) > MAX_ROWS + 1:
            self.problems.append(f"{sheet}: 超过 {MAX_ROWS} 行，不像是方案的参数表")
        return out

    def locate(self, path: str, sheet: str, row: int, code: str, columns: list[L.Col]) -> None:
        self.where[path] = (sheet, row, code, {c.key: c.header for c in columns})


def _nest(row: dict) -> dict:
    """{'stretch.target': 110} → {'stretch': {'target': 110}}."""
    out: dict = {}
    for key, value in row.items():
        *head, last = key.split(".")
        d = out
        for part in head:
            d = d.setdefault(part, {})
        d[last] = value
    return out


def read_scheme_book(data: bytes) -> dict:
    """The scheme dict of a workbook written by `write_scheme_book` (and edited by a person).

    Raises SchemeBookError with every located problem, or NotOurBook for another kind of table."""
    book = _open(data)
    r = _Reader(book)
    if L.PARAMS_SHEET not in r.names:
        raise NotOurBook("这不是本系统导出的评分细则工作簿（没有「评分参数」工作表）")
    scheme = _info(r)
    criteria = _criteria(r)
    leaves = _leaves(r, criteria)
    _children(r, leaves)
    _variants(r, leaves)
    for sheet, columns, key in (
        (L.GRADES_SHEET, L.GRADE_COLUMNS, "grades"),
        (L.TAGS_SHEET, L.TAG_COLUMNS, "tags"),
        (L.TAG_RULES_SHEET, L.TAG_RULE_COLUMNS, "tag_rules"),
    ):
        rows = r.rows(sheet, columns)
        if rows:
            scheme[key] = [row for _, row in rows]
            for i, (n, _) in enumerate(rows):
                r.locate(f"{key}[{i}]", sheet, n, "", columns)
    scheme["criteria"] = [c for c in criteria.values() if c.pop("_top")]
    for c in criteria.values():
        for key in ("children", "items"):
            if not c[key]:
                del c[key]
    scheme = _tidy({k: scheme[k] for k in Scheme.model_fields if k in scheme})  # the YAML's usual order
    if r.problems:
        raise SchemeBookError(r.problems)
    _locate_tree(r, scheme["criteria"], "criteria")
    try:
        scheme_from_dict(scheme)
    except SchemeError as exc:
        raise SchemeBookError([_located(r, problem) for problem in exc.problems]) from None
    return scheme


def _info(r: _Reader) -> dict:
    if L.INFO_SHEET not in r.names:
        r.problems.append(f"缺少工作表「{L.INFO_SHEET}」")
        return {}
    by_header = {clean(c.header).replace(" ", ""): c for c in L.INFO_ROWS}
    values: dict = {}
    for n, cells in enumerate(r.book.sheet_rows(L.INFO_SHEET)[1:], start=2):
        label = clean(str(cells[0])).replace(" ", "") if cells and not is_blank(cells[0]) else ""
        value = cells[1] if len(cells) > 1 else None
        if not label:
            continue
        col = by_header.get(label)
        if col is None:
            r.problems.append(f"{L.INFO_SHEET} 第 {n} 行: 不认识的项目「{label}」")
            continue
        r.locate(col.key, L.INFO_SHEET, n, "", [L.Col("", col.header)])
        if is_blank(value):
            continue
        try:
            values[col.key] = from_cell(col, value)
        except CellProblem as exc:
            r.problems.append(f"{L.INFO_SHEET} 第 {n} 行「{col.header}」: {exc}")
    return _nest(values)


def _criteria(r: _Reader) -> dict[str, dict]:
    out: dict[str, dict] = {}
    rows = r.rows(L.CRITERIA_SHEET, L.CRITERIA_COLUMNS, L.REQUIRED_HEADERS[L.CRITERIA_SHEET])
    for n, row in rows:
        code = row.get("code")
        if code is None:
            r.problems.append(f"{L.CRITERIA_SHEET} 第 {n} 行「编码」: 须填写指标编码")
            continue
        if code in out:
            r.problems.append(f"{L.CRITERIA_SHEET} 第 {n} 行「编码」: 指标编码 {code} 重复")
            continue
        c = {k: v for k, v in row.items() if k != L.PARENT}
        out[code] = {**c, "children": [], "items": [], "_top": True, "_row": n}
        r.row_of[(L.CRITERIA_SHEET, code)] = n
    for n, row in rows:
        parent, code = row.get(L.PARENT), row.get("code")
        if parent is None or code not in out or out[code]["_row"] != n:
            continue
        if parent not in out:
            r.problems.append(f"{L.CRITERIA_SHEET} 第 {n} 行「上级指标编码」: 没有编码为 {parent} 的指标")
        elif parent == code:
            r.problems.append(f"{L.CRITERIA_SHEET} 第 {n} 行「上级指标编码」: 指标不能是自己的上级")
        else:
            out[parent]["children"].append(out[code])
            out[code]["_top"] = False
    for c in out.values():
        c.pop("_row")
    return out


def _leaves(r: _Reader, criteria: dict[str, dict]) -> dict[str, tuple[int, dict]]:
    out: dict[str, tuple[int, dict]] = {}
    headers = {c.key: c.header for c in L.LEAF_COLUMNS}
    for n, row in r.rows(L.PARAMS_SHEET, L.LEAF_COLUMNS, L.REQUIRED_HEADERS[L.PARAMS_SHEET]):
        where = f"{L.PARAMS_SHEET} 第 {n} 行"
        code, parent, method = row.pop("code", None), row.pop(L.PARENT, None), row.get("method")
        if code is None:
            r.problems.append(f"{where}「编码」: 须填写评分细则编码")
            continue
        if code in out:
            r.problems.append(f"{where}「编码」: 编码 {code} 重复")
            continue
        if (parent is None or parent not in criteria) and L.CRITERIA_SHEET in r.names:
            said = "须填写所属指标编码" if parent is None else f"「{L.CRITERIA_SHEET}」表中没有编码为 {parent} 的指标"
            r.problems.append(f"{where}「所属指标编码」: {said}")
        if method is None:
            r.problems.append(f"{where}「评分方法」: 须选择评分方法")
            continue
        allowed = _fields(LEAF_MODELS[method])
        unused = [headers[k] for k in row if k.split(".")[0] not in allowed]
        if unused:
            r.problems.append(
                f"{where}（{code}）: 评分方法「{METHOD_NAMES[method]}」不用「{'」「'.join(unused)}」，请留空"
            )
        leaf = {"code": code, **_nest(row)}
        out[code] = (n, leaf)
        r.row_of[(L.PARAMS_SHEET, code)] = n
        if parent in criteria:
            criteria[parent]["items"].append(leaf)
    return out


def _children(r: _Reader, leaves: dict[str, tuple[int, dict]]) -> None:
    for sheet in L.CHILD_SHEETS:
        for n, row in r.rows(sheet.name, sheet.columns, (L.LEAF,)):
            code = row.pop(L.LEAF, None)
            where = f"{sheet.name} 第 {n} 行「所属编码」"
            if code is None or code not in leaves:
                said = (
                    "须填写所属评分细则的编码"
                    if code is None
                    else f"「{L.PARAMS_SHEET}」表中没有编码为 {code} 的评分细则"
                )
                r.problems.append(f"{where}: {said}")
                continue
            row_no, leaf = leaves[code]
            if leaf.get("method") not in sheet.methods:
                method = METHOD_NAMES.get(leaf.get("method"), "")
                r.problems.append(f"{where}: {code} 的评分方法是「{method}」，不用「{sheet.name}」表")
                continue
            items = leaf.setdefault(sheet.key, [])
            items.append(row)
            r.locate(f"@{code}.{sheet.key}[{len(items) - 1}]", sheet.name, n, code, sheet.columns)


def _variant_value(param: str, raw: object) -> Any:
    if param == "applicable":
        return read_bool(raw)
    if param == "bands":
        return [{"threshold": read_number(t), "points": p} for t, p in read_pairs(raw, "达到:得分")]
    if param == "stretch":
        pairs = read_pairs(raw, "力争目标:加分")
        if len(pairs) != 1:
            raise CellProblem("力争目标应写成一组「力争目标:加分」，如 110:2")
        return {"target": read_number(pairs[0][0]), "points": pairs[0][1]}
    return read_number(raw)


def _variants(r: _Reader, leaves: dict[str, tuple[int, dict]]) -> None:
    columns = [*L.VARIANT_COLUMNS[:-1], L.Col("value", "值")]  # text here, parsed by its parameter
    for n, row in r.rows(L.VARIANTS_SHEET, columns, (L.LEAF, "category", "param")):
        code, category, param = row.get(L.LEAF), row.get("category"), row.get("param")
        where = f"{L.VARIANTS_SHEET} 第 {n} 行"
        if code not in leaves:
            r.problems.append(f"{where}「所属编码」: 「{L.PARAMS_SHEET}」表中没有编码为 {code} 的评分细则")
            continue
        if category is None or param is None or "value" not in row:
            r.problems.append(f"{where}: 单位类别、参数和值都须填写")
            continue
        try:
            value = _variant_value(param, row["value"])
        except CellProblem as exc:
            r.problems.append(f"{where}「值」: {exc}")
            continue
        leaves[code][1].setdefault("variants", {}).setdefault(category, {})[param] = value
        r.locate(f"@{code}.variants.{category}", L.VARIANTS_SHEET, n, code, columns)


def _tidy(data: Any) -> Any:
    """Whole numbers as ints (60, not 60.0), so the YAML written from the dict reads as typed."""
    if isinstance(data, dict):
        return {k: _tidy(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_tidy(v) for v in data]
    if isinstance(data, float) and data.is_integer():
        return int(data)
    return data


def _locate_tree(r: _Reader, criteria: list[dict], path: str) -> None:
    """Key paths of the built tree (criteria[0].items[2]) → the rows they came from."""
    params_row = {}
    for i, c in enumerate(criteria):
        here = f"{path}[{i}]"
        r.where[here] = (
            L.CRITERIA_SHEET,
            r.row_of[(L.CRITERIA_SHEET, c["code"])],
            c["code"],
            {col.key: col.header for col in L.CRITERIA_COLUMNS},
        )
        for k, leaf in enumerate(c.get("items", [])):
            params_row[f"{here}.items[{k}]"] = leaf["code"]
        _locate_tree(r, c.get("children", []), f"{here}.children")
    leaf_cols = {col.key: col.header for col in L.LEAF_COLUMNS}
    for lpath, code in params_row.items():
        r.where[lpath] = (L.PARAMS_SHEET, r.row_of[(L.PARAMS_SHEET, code)], code, leaf_cols)
        for key, loc in list(r.where.items()):
            if key.startswith(f"@{code}."):
                r.where[lpath + key[len(code) + 1 :]] = loc


def _located(r: _Reader, problem: SchemeProblem) -> str:
    """A problem at 「criteria[0].items[1].target」 → 「评分参数 第 3 行（A2）「目标值」: 必须大于 0」: the
    cell it came from; the scheme's own located wording where no cell holds it."""
    path, text = problem.path, problem.text
    best = max((p for p in r.where if path == p or path.startswith((p + ".", p + "["))), key=len, default=None)
    if not path or best is None:
        return problem.message
    sheet, row, code, headers = r.where[best]
    rest = path[len(best) :].lstrip(".")
    where = sheet + (f" 第 {row} 行" if row else "") + (f"（{code}）" if code else "")
    header = headers.get(rest) or headers.get("")
    return f"{where}「{header}」: {text}" if header else f"{where}: {text}"
