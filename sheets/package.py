"""Opening an uploaded workbook safely: checks on the file and its zip parts before any parser runs.

`open_workbook` refuses (raising `PackageRefused` with a Chinese message and suggestion):
- an empty, oversized, non-xlsx (xls, ODS, Word, HTML saved as .xls), encrypted or corrupt file;
- zip parts whose declared or actual inflated size is too large, or inflate too well (bombs) —
  every XML part is inflated once here, counting bytes, and its CRC checked;
- XML parts with a DOCTYPE or ENTITY declaration (entity-expansion bombs), or not in UTF-8;
- worksheets whose used range (rows × columns, measured from the cell references) is too large;
- worksheets with too many merged ranges, or whose merged ranges (clipped to the used range)
  cover too many cells; merged ranges the scan cannot read.

Merged ranges are only ever handed on clipped to the used range (`Workbook.merged`), so what a
reader pays to fill them is bounded by the cells actually used.

The returned `Workbook` reads sheets with python-calamine, and knows per sheet where formulas
without a cached value, error values and percentage-formatted numbers are.
"""

from __future__ import annotations

import io
import logging
import posixpath
import re
import xml.etree.ElementTree as ET
import zipfile
import zlib
from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np
import python_calamine

from sheets import bands
from sheets import messages as msg
from sheets.calcstate import calculated_on_save
from sheets.limits import DEFAULT_LIMITS, Limits
from sheets.text import column_letter
from sheets.usedrange import used_extent
from sheets.xmlscan import (
    MergeScanner,
    SheetScan,
    SheetScanner,
    clip_merges,
    error_cells,
    exact_extent,
    formula_cells_without_value,
    merged_area,
    scan_chunks,
    styled_cells,
)

_log = logging.getLogger(__name__)

_CHUNK = 4 << 20
_NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_NS_STRICT = "{http://purl.oclc.org/ooxml/spreadsheetml/main}"
_NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_NS_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_OFFICE_DOC = "/officeDocument"
_WORKSHEET = "/worksheet"
_PERCENT_BUILTIN = {9, 10}
_QUOTED = re.compile(r'"[^"]*"|\\.')


class PackageRefused(Exception):
    """The file cannot be read safely or at all. `str()` is the Chinese message."""

    def __init__(self, problem: str, suggestion: str | None = None, sheet: str | None = None):
        super().__init__(problem)
        self.problem = problem
        self.suggestion = suggestion
        self.sheet = sheet


@dataclass
class SheetInfo:
    name: str
    part: str
    state: str  # visible, hidden, veryHidden
    scan: SheetScan = field(default_factory=SheetScan)
    xml: bytes | None = None  # the part, inflated, when it is large enough to be read in bands
    merges: list = field(default_factory=list)  # merged ranges from the scan, clipped to the used range

    @property
    def visible(self) -> bool:
        return self.state == "visible"


class Workbook:
    """A workbook that passed the checks. Sheets are read lazily, each once."""

    def __init__(self, data: bytes, file_name: str, sheets: list[SheetInfo], zf: zipfile.ZipFile,
                 calculated: bool = True):  # fmt: skip
        self.data = data
        self.calculated = calculated  # cached formula results come from a calculation (sheets.calcstate)
        self.file_name = file_name
        self.sheets = sheets
        self._zip = zf
        self._rows: dict[str, list[list]] = {}
        self._merged: dict[str, list] = {}
        self._sheets: dict[str, python_calamine.CalamineSheet] = {}

    @cached_property
    def _calamine(self) -> python_calamine.CalamineWorkbook:
        try:
            return python_calamine.CalamineWorkbook.from_object(io.BytesIO(self.data))
        except python_calamine.PasswordError:
            raise PackageRefused(msg.FILE_ENCRYPTED, msg.FILE_ENCRYPTED_HINT) from None
        except (python_calamine.CalamineError, ValueError, OSError) as exc:
            raise PackageRefused(msg.FILE_CORRUPT.format(detail=_short(exc)), msg.FILE_CORRUPT_HINT) from None

    def info(self, name: str) -> SheetInfo:
        return next(s for s in self.sheets if s.name == name)

    def _sheet(self, name: str) -> python_calamine.CalamineSheet:
        """The parsed sheet, once: calamine parses the whole part on every `get_sheet_by_name`."""
        if name not in self._sheets:
            try:
                self._sheets[name] = self._calamine.get_sheet_by_name(name)
            except PackageRefused:
                raise
            except (python_calamine.CalamineError, ValueError, OSError) as exc:
                raise PackageRefused(msg.FILE_CORRUPT.format(detail=_short(exc)), msg.FILE_CORRUPT_HINT, name) from None
        return self._sheets[name]

    def sheet_rows(self, name: str) -> list[list]:
        """Every row from A1 on (row i is Excel row i+1, column j is letter j), '' for empty cells."""
        if name not in self._rows and not self._read_in_bands(name):
            sheet = self._sheet(name)
            try:
                self._rows[name] = sheet.to_python(skip_empty_area=False)
            except (python_calamine.CalamineError, ValueError, OSError) as exc:
                raise PackageRefused(msg.FILE_CORRUPT.format(detail=_short(exc)), msg.FILE_CORRUPT_HINT, name) from None
        return self._rows[name]

    def _read_in_bands(self, name: str) -> bool:
        """Read a large sheet on every core (see `sheets.bands`); False if it is read whole."""
        info = self.info(name)
        scan = info.scan
        threads = bands.cores()
        # A sheet measured by `exact_extent` (odd syntax, cells placed by their order) has no
        # `sheet_data` count, so it is read whole too.
        plain = not (scan.needs_exact or scan.markup) and scan.row_tags == scan.row_refs and scan.sheet_data == 1
        if info.xml is None or threads < 2 or not plain:
            return False
        pieces = bands.cut(info.xml, threads)
        if pieces is None:
            return False
        parts = bands.other_parts(self._zip, [s.part for s in self.sheets])
        got = bands.read(parts, info.part, name, pieces)
        if got is None:
            return False
        self._rows[name], self._merged[name] = got
        return True

    def merged(self, name: str) -> list[tuple[tuple[int, int], tuple[int, int]]]:
        """Merged ranges as ((row0, col0), (row1, col1)), 0-based, inclusive, clipped to the used
        range (so filling them costs at most the cells used), each once."""
        if name not in self._merged:
            try:
                self._merged[name] = list(self._sheet(name).merged_cell_ranges or [])
            except PackageRefused:
                self._merged[name] = []
        scan = self.info(name).scan
        return clip_merges(self._merged[name], scan.row_bound, scan.col_bound)

    def _part(self, name: str) -> bytes:
        info = self.info(name)
        return info.xml if info.xml is not None else self._zip.read(info.part)

    def formula_cells(self, name: str) -> set[tuple[int, int]]:
        """0-based (row, col) of formula cells that have no cached result."""
        return formula_cells_without_value(self._part(name)) if self.info(name).scan.formulas else set()

    def untrusted_formula_cells(self, name: str) -> set[tuple[int, int]]:
        """0-based (row, col) of formula cells whose cached result is 0 or empty in a workbook that
        was not calculated on save (`sheets.calcstate`); cells without a result are not included."""
        if self.calculated or not self.info(name).scan.formulas:
            return set()
        return formula_cells_without_value(self._part(name), zero_too=True) - self.formula_cells(name)

    def error_cells(self, name: str) -> dict[tuple[int, int], str]:
        return error_cells(self._part(name)) if self.info(name).scan.errors else {}

    def percent_cells(self, name: str) -> set[tuple[int, int]]:
        styles = self.info(name).scan.styles
        return styled_cells(self._part(name), styles) if styles else set()

    def may_hold_bools(self, name: str) -> bool:
        return self.info(name).scan.bools


def sniff_kind(data: bytes) -> str:
    """'zip', 'cfb' (xls or encrypted xlsx), 'html', 'xml2003' or 'other', from the first bytes."""
    if data[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return "zip"
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return "cfb"
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<html", b"<!doctype html", b"<table", b"<meta")) or b"<html" in head:
        return "html"
    if head.startswith(b"<?xml") and b"urn:schemas-microsoft-com:office:spreadsheet" in data[:4096]:
        return "xml2003"
    return "other"


def open_workbook(data: bytes, file_name: str, limits: Limits = DEFAULT_LIMITS) -> Workbook:
    """Check `data` and return a Workbook, or raise PackageRefused."""
    if not data:
        raise PackageRefused(msg.FILE_EMPTY)
    if len(data) > limits.max_bytes:
        raise PackageRefused(
            msg.FILE_TOO_BIG.format(size=msg.size_text(len(data)), limit=msg.size_text(limits.max_bytes))
        )
    kind = sniff_kind(data)
    if kind == "cfb":
        encrypted = "EncryptedPackage".encode("utf-16-le") in data or b"EncryptionInfo" in data
        if encrypted or "EncryptionInfo".encode("utf-16-le") in data:
            raise PackageRefused(msg.FILE_ENCRYPTED, msg.FILE_ENCRYPTED_HINT)
        raise PackageRefused(msg.FILE_XLS, msg.FILE_XLS_HINT)
    if kind == "html":
        raise PackageRefused(msg.FILE_HTML, msg.FILE_XLS_HINT)
    if kind == "xml2003":
        raise PackageRefused(msg.FILE_NOT_XLSX + "（Excel 2003 XML 表格）", msg.FILE_XLS_HINT)
    if kind != "zip":
        raise PackageRefused(msg.FILE_NOT_XLSX, msg.FILE_XLS_HINT)
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError) as exc:
        raise PackageRefused(msg.FILE_CORRUPT.format(detail=_short(exc)), msg.FILE_CORRUPT_HINT) from None
    _check_entries(infos, limits)
    names = {i.filename for i in infos}
    _check_is_spreadsheet(names)

    verifier = _Inflater(zf, limits)
    workbook_part = _office_document(zf, verifier)
    sheets = _sheets(zf, verifier, workbook_part)
    percent = _percent_styles(zf, verifier, workbook_part)
    for sheet in sheets:
        sheet.scan, sheet.xml, merges = verifier.scan_sheet(sheet.part, percent, sheet.name)
        _check_extent(sheet, zf, limits)
        sheet.merges = _check_merges(sheet, merges, limits)
    # Every other XML part is inflated once too, so that none can hide a bomb from the reader.
    for info in infos:
        if info.filename not in verifier.done and info.filename.endswith((".xml", ".rels", ".vml")):
            verifier.read(info.filename, keep=False)
    calculated = calculated_on_save(zf, workbook_part, zf.read(workbook_part))
    return Workbook(data, file_name, sheets, zf, calculated)


def _check_entries(infos: list[zipfile.ZipInfo], limits: Limits) -> None:
    if len(infos) > limits.max_entries:
        raise PackageRefused(msg.FILE_BOMB.format(detail=f"包含 {len(infos)} 个部件"), msg.FILE_BOMB_HINT)
    seen: set[str] = set()
    total = 0
    for info in infos:
        if info.filename in seen:
            raise PackageRefused(msg.FILE_CORRUPT.format(detail=f"部件 {info.filename} 重复"), msg.FILE_CORRUPT_HINT)
        seen.add(info.filename)
        if info.flag_bits & 0x1:
            raise PackageRefused(msg.FILE_ENCRYPTED, msg.FILE_ENCRYPTED_HINT)
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise PackageRefused(msg.FILE_UNSUPPORTED_COMPRESSION, msg.FILE_BOMB_HINT)
        total += info.file_size
        if total > limits.max_uncompressed:
            raise PackageRefused(
                msg.FILE_BOMB.format(detail=f"解压后超过 {msg.size_text(limits.max_uncompressed)}"), msg.FILE_BOMB_HINT
            )
        if info.file_size > limits.ratio_floor and info.file_size > limits.max_ratio * max(info.compress_size, 1):
            raise PackageRefused(
                msg.FILE_BOMB.format(
                    detail=f"部件 {info.filename} 压缩比 {info.file_size / max(info.compress_size, 1):.0f}:1"
                ),
                msg.FILE_BOMB_HINT,
            )


def _check_is_spreadsheet(names: set[str]) -> None:
    if "xl/workbook.bin" in names:  # the binary workbook (.xlsb): same package, parts not XML
        raise PackageRefused(msg.FILE_XLSB, msg.FILE_XLS_HINT)
    if "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names):
        return
    if "word/document.xml" in names or "ppt/presentation.xml" in names:
        raise PackageRefused(msg.FILE_WORD)
    if "mimetype" in names and "content.xml" in names:
        raise PackageRefused(msg.FILE_ODS, msg.FILE_XLS_HINT)
    if "[Content_Types].xml" not in names:
        raise PackageRefused(msg.FILE_NOT_XLSX, msg.FILE_XLS_HINT)


class _Inflater:
    """Inflates zip parts with a byte budget, whatever size their headers declare."""

    def __init__(self, zf: zipfile.ZipFile, limits: Limits):
        self.zf = zf
        self.limits = limits
        self.used = 0
        self.done: set[str] = set()

    def _chunks(self, name: str):
        try:
            info = self.zf.getinfo(name)
        except KeyError:
            raise PackageRefused(msg.FILE_CORRUPT.format(detail=f"缺少部件 {name}"), msg.FILE_CORRUPT_HINT) from None
        # Let the inflater run past a (possibly false) declared size, so the real size is counted;
        # the CRC is still checked at the end of the stream.
        probe = zipfile.ZipInfo(info.filename, info.date_time)
        for attr in ("compress_type", "compress_size", "CRC", "flag_bits", "header_offset", "extra", "create_system"):
            setattr(probe, attr, getattr(info, attr))
        budget = self.limits.max_uncompressed - self.used
        probe.file_size = budget + 1
        size = 0
        try:
            with self.zf.open(probe) as stream:
                while True:
                    chunk = stream.read(_CHUNK)
                    if not chunk:
                        break
                    size += len(chunk)
                    if size > info.file_size or size > budget:
                        raise PackageRefused(
                            msg.FILE_BOMB.format(detail=f"部件 {name} 实际大小超过声明或上限"), msg.FILE_BOMB_HINT
                        )
                    yield chunk
        except PackageRefused:
            raise
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError) as exc:
            raise PackageRefused(msg.FILE_CORRUPT.format(detail=_short(exc)), msg.FILE_CORRUPT_HINT) from None
        if size != info.file_size:
            raise PackageRefused(msg.FILE_CORRUPT.format(detail=f"部件 {name} 大小与声明不符"), msg.FILE_CORRUPT_HINT)
        self.used += size
        self.done.add(name)

    def read(self, name: str, keep: bool = True, cap: int = 64 << 20) -> bytes:
        """A small part, whole (with its DOCTYPE check)."""
        parts: list[bytes] = []
        first = True
        for chunk in self._chunks(name):
            if first:
                first = False
                _check_xml_head(chunk, name)
            elif b"<!DOCTYPE" in chunk or b"<!ENTITY" in chunk:
                raise PackageRefused(msg.FILE_ENTITY, msg.FILE_BOMB_HINT)
            if keep:
                parts.append(chunk)
                if sum(map(len, parts)) > cap:
                    raise PackageRefused(msg.FILE_BOMB.format(detail=f"部件 {name} 过大"), msg.FILE_BOMB_HINT)
        return b"".join(parts)

    def scan_sheet(
        self, name: str, percent: frozenset[int], sheet: str = ""
    ) -> tuple[SheetScan, bytes | None, MergeScanner]:
        """The sheet's scan, the part itself when it is large (kept to be read in bands, and
        scanned on every core), and its merged ranges."""
        xml = None
        merges = MergeScanner(self.limits.max_merges)
        chunks = self._merge_checked(self._chunks(name), merges, sheet)
        if name in self.zf.namelist() and self.zf.getinfo(name).file_size >= bands.MIN_BYTES:
            scan, xml = scan_chunks(chunks, percent, bands.cores())
        else:
            scanner = SheetScanner(percent)
            for chunk in chunks:
                scanner.feed(chunk)
            scan = scanner.finish()
        if scan.doctype:
            raise PackageRefused(msg.FILE_ENTITY, msg.FILE_BOMB_HINT)
        if scan.utf16:
            raise PackageRefused(msg.FILE_CORRUPT.format(detail="工作表不是 UTF-8 编码"), msg.FILE_CORRUPT_HINT)
        return scan, xml, merges

    def _merge_checked(self, chunks, merges: MergeScanner, sheet: str):  # noqa: ANN001, ANN202 - a generator
        """`chunks`, each read for merged ranges as it passes; refused as soon as there are too many."""
        for chunk in chunks:
            merges.feed(chunk)
            if merges.count > self.limits.max_merges:
                raise _too_many_merges(self.limits, sheet)
            yield chunk


def _too_many_merges(limits: Limits, sheet: str) -> PackageRefused:
    return PackageRefused(msg.FILE_TOO_MANY_MERGES.format(limit=f"{limits.max_merges:,}"), msg.FILE_MERGES_HINT, sheet)


def _check_xml_head(chunk: bytes, name: str) -> None:
    if chunk[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in chunk[:64]:
        raise PackageRefused(msg.FILE_CORRUPT.format(detail=f"部件 {name} 不是 UTF-8 编码"), msg.FILE_CORRUPT_HINT)
    if b"<!DOCTYPE" in chunk or b"<!ENTITY" in chunk:
        raise PackageRefused(msg.FILE_ENTITY, msg.FILE_BOMB_HINT)


def _xml(data: bytes, name: str) -> ET.Element:
    try:
        return ET.fromstring(data)
    except ET.ParseError as exc:
        raise PackageRefused(msg.FILE_CORRUPT.format(detail=f"{name}: {exc}"), msg.FILE_CORRUPT_HINT) from None


def _rels_path(part: str) -> str:
    folder, base = posixpath.split(part)
    return posixpath.join(folder, "_rels", base + ".rels")


def _relationships(zf: zipfile.ZipFile, verifier: _Inflater, part: str) -> list[tuple[str, str, str]]:
    """(id, type, target part) of a part's relationships."""
    rels = _rels_path(part)
    if rels not in zf.namelist():
        return []
    root = _xml(verifier.read(rels), rels)
    folder = posixpath.dirname(part)
    out = []
    for rel in root.iter(f"{_NS_PKG_REL}Relationship"):
        target = rel.get("Target", "")
        if rel.get("TargetMode") == "External":
            continue
        path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
        out.append((rel.get("Id", ""), rel.get("Type", ""), path))
    return out


def _office_document(zf: zipfile.ZipFile, verifier: _Inflater) -> str:
    for _id, typ, path in _relationships(zf, verifier, ""):
        if typ.endswith(_OFFICE_DOC) and path in zf.namelist():
            return path
    if "xl/workbook.xml" in zf.namelist():
        return "xl/workbook.xml"
    raise PackageRefused(msg.FILE_NOT_XLSX, msg.FILE_XLS_HINT)


def _sheets(zf: zipfile.ZipFile, verifier: _Inflater, workbook_part: str) -> list[SheetInfo]:
    root = _xml(verifier.read(workbook_part), workbook_part)
    if root.tag.startswith(_NS_STRICT):  # every element in another namespace: no sheet would be found
        raise PackageRefused(msg.FILE_STRICT, msg.FILE_STRICT_HINT)
    targets = {rid: path for rid, typ, path in _relationships(zf, verifier, workbook_part) if typ.endswith(_WORKSHEET)}
    out = []
    for sheet in root.iter(f"{_NS_MAIN}sheet"):
        rid = sheet.get(f"{_NS_REL}id", "")
        if rid in targets and targets[rid] in zf.namelist():
            out.append(SheetInfo(sheet.get("name", ""), targets[rid], sheet.get("state", "visible")))
    return out


def _percent_styles(zf: zipfile.ZipFile, verifier: _Inflater, workbook_part: str) -> frozenset[int]:
    """Cell style indices (s="…") whose number format shows a percentage."""
    styles = [p for _i, t, p in _relationships(zf, verifier, workbook_part) if t.endswith("/styles")]
    if not styles or styles[0] not in zf.namelist():
        return frozenset()
    root = _xml(verifier.read(styles[0]), styles[0])
    percent_fmts = set(_PERCENT_BUILTIN)
    for fmt in root.iter(f"{_NS_MAIN}numFmt"):
        code = _QUOTED.sub("", fmt.get("formatCode", ""))
        if "%" in code:
            try:
                percent_fmts.add(int(fmt.get("numFmtId", "-1")))
            except ValueError:
                continue
    xfs = root.find(f"{_NS_MAIN}cellXfs")
    if xfs is None:
        return frozenset()
    out = set()
    for i, xf in enumerate(xfs.iter(f"{_NS_MAIN}xf")):
        try:
            if int(xf.get("numFmtId", "0")) in percent_fmts:
                out.add(i)
        except ValueError:
            continue
    return frozenset(out)


def _check_extent(sheet: SheetInfo, zf: zipfile.ZipFile, limits: Limits) -> None:
    scan = sheet.scan
    if scan.needs_exact:
        scan_exact = exact_extent(sheet.xml if sheet.xml is not None else zf.read(sheet.part))
        scan_exact.errors, scan_exact.bools, scan_exact.styles = scan.errors, scan.bools, scan.styles
        scan_exact.formulas = scan.formulas or scan_exact.formulas
        sheet.scan = scan = scan_exact
    if scan.malformed:
        raise PackageRefused(msg.FILE_CORRUPT.format(detail="单元格位置无效"), msg.FILE_CORRUPT_HINT, sheet.name)
    if scan.row_bound > limits.max_rows or scan.cells_bound > limits.max_cells:
        # Tags of rows and cells that hold nothing (Gnumeric writes every formatted row) are not
        # kept by the reader: the limits apply to the cells it keeps (`sheets.usedrange`).
        rows, cols = used_extent(sheet.xml if sheet.xml is not None else zf.read(sheet.part))
        if rows <= limits.max_rows and rows * cols <= limits.max_cells:
            sheet.xml = None  # read whole: bands are cut by row tags, here mostly empty
            return
        scan = replace(scan, max_row=rows, max_col=cols, row_tags=0, row_refs=0, cell_tags=0, cell_refs=0)
    if scan.row_bound > limits.max_rows:
        raise PackageRefused(
            msg.FILE_TOO_MANY_ROWS.format(rows=scan.row_bound, limit=limits.max_rows),
            msg.FILE_TOO_MANY_ROWS_HINT,
            sheet.name,
        )
    if scan.cells_bound > limits.max_cells:
        ref = f"A1:{column_letter(max(scan.col_bound, 1) - 1)}{max(scan.row_bound, 1)}"
        raise PackageRefused(
            msg.FILE_TOO_WIDE.format(ref=ref, cells=f"{scan.cells_bound:,}", limit=f"{limits.max_cells:,}"),
            msg.FILE_TOO_WIDE_HINT,
            sheet.name,
        )


def _check_merges(sheet: SheetInfo, merges: MergeScanner, limits: Limits) -> list:
    """The sheet's merged ranges clipped to its used range, or PackageRefused when they cannot be
    read or would cost too much to fill (checked after `_check_extent`: the used range is known)."""
    if merges.malformed:
        raise PackageRefused(msg.FILE_CORRUPT.format(detail=msg.MERGE_INVALID), msg.FILE_CORRUPT_HINT, sheet.name)
    if merges.count > limits.max_merges:
        raise _too_many_merges(limits, sheet.name)
    clipped = clip_merges(merges.ranges, sheet.scan.row_bound, sheet.scan.col_bound)
    area = merged_area(clipped)
    if area > limits.max_merged_cells:
        (r0, c0), (r1, c1) = max(clipped, key=lambda m: merged_area([m]))
        largest = f"{column_letter(c0)}{r0 + 1}:{column_letter(c1)}{r1 + 1}"
        raise PackageRefused(
            msg.FILE_MERGED_TOO_LARGE.format(cells=f"{area:,}", limit=f"{limits.max_merged_cells:,}", ref=largest),
            msg.FILE_MERGES_HINT,
            sheet.name,
        )
    return clipped


def _short(exc: BaseException) -> str:
    """What was wrong, in Chinese. The library's own text (English, e.g. "File is not a zip
    file") goes to the server log only: a user is never shown it."""
    _log.info("unreadable workbook: %s: %s", type(exc).__name__, exc)
    if isinstance(exc, zipfile.BadZipFile | EOFError):
        return "不是完整的 Excel 工作簿，可能未下载完整"
    if isinstance(exc, zlib.error | NotImplementedError):
        return "压缩内容无法解开"
    return "工作簿内容无法解析"


def column_values(rows: list[list], col: int, start: int, stop: int) -> np.ndarray:
    """One column of a grid (rows[start:stop]) as an object array; '' where a row is short."""
    return np.array([r[col] if col < len(r) else "" for r in rows[start:stop]], dtype=object)
