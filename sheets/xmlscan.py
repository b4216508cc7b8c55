"""Byte-level scans of worksheet XML, done while the zip part is inflated, before any parser runs.

The reader (calamine) holds a sheet's used range densely: a workbook with one cell in A1 and one
in XFD1048576 would need terabytes and abort the process. So the used range is measured here
first, from the cell references themselves (never from `<dimension>`, which may lie).

`SheetScanner` is fed the inflated bytes chunk by chunk (`scan_chunks` scans a large part in
pieces on every core while it is inflated). Its fast path finds every `<` (and `:`)
with one numpy pass, tells tags apart by the bytes after them (`<c`, `<row`, `<f`, `<!`), and
reads references at their usual place (`<c r="B7"`, `<row r="7"`). Anything unusual — references elsewhere in the tag, spaces around
`=`, single quotes, cells without a reference, namespace prefixes on elements — makes the counts
disagree, and the sheet is then measured by `exact_extent` (a slower regex pass over the part).

It also notes whether the sheet holds formulas, error values (#DIV/0!), logical values or cells
in a percentage style (C-speed byte searches), so exact positions are looked up later (regex)
only for sheets that need it; and whether it holds comments, CDATA or processing instructions
and how many `<sheetData>`, which decide whether it may be cut into bands (`sheets.bands`).

`MergeScanner`, fed the same chunks, reads the merged ranges (`<mergeCell ref="A1:N1"/>`) so
their number and the cells they cover are bounded before calamine or openpyxl sees them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, fields

import numpy as np

_WINDOW = 24  # bytes kept after the last token start looked at
_BEHIND = 12  # bytes kept before it: a namespace prefix ('<x:') is looked for behind each ':'
_VIEW = 20  # bytes read after a token's start: <c r="XFD1048576" fits
_TAG_END = np.zeros(256, dtype=bool)
_TAG_END[[9, 10, 13, 32, ord(">"), ord("/")]] = True
_SPACE = np.zeros(256, dtype=bool)
_SPACE[[9, 10, 13, 32]] = True
_NAME = np.zeros(256, dtype=bool)  # characters of an XML name (ASCII part)
_NAME[[*range(48, 58), *range(65, 91), *range(97, 123), ord("_"), ord("-"), ord(".")]] = True
_T_ERROR = re.compile(rb"""t\s*=\s*["']e["']""")
_T_BOOL = re.compile(rb"""t\s*=\s*["']b["']""")
_T_ERROR_OR_BOOL = re.compile(rb"""t\s*=\s*["']([eb])["']""")
_SPAN = 4 << 20  # bytes looked at per numpy pass: bounds the temporary arrays (≥ _BEHIND + _WINDOW)
_REF_AT = 6  # <c r="  and  <row r=" → the reference starts 6 / 8 bytes after '<'


@dataclass
class SheetScan:
    max_row: int = 0  # 1-based, from explicit references
    max_col: int = 0  # 1-based
    cell_tags: int = 0
    cell_refs: int = 0  # references found at their usual place
    row_tags: int = 0
    row_refs: int = 0
    max_cells_in_row: int = 0
    formulas: bool = False
    errors: bool = False
    bools: bool = False
    styles: set[int] = field(default_factory=set)  # percentage style ids used by the sheet
    unusual: bool = False  # prefixes, odd attribute order …: measure with `exact_extent`
    malformed: bool = False  # a reference that cannot be a cell (4 letters, 8 digits …)
    doctype: bool = False
    utf16: bool = False
    markup: bool = False  # a comment, CDATA section or processing instruction after the first byte
    sheet_data: int = 0  # <sheetData> elements

    @property
    def needs_exact(self) -> bool:
        return self.unusual or self.cell_tags != self.cell_refs

    @property
    def row_bound(self) -> int:
        """Largest row the reader may place a cell in, rows without a reference included."""
        return self.max_row + max(0, self.row_tags - self.row_refs)

    @property
    def col_bound(self) -> int:
        if self.cell_tags > self.cell_refs:  # some cells are placed by their order in the row
            return max(self.max_col, self.max_cells_in_row)
        return self.max_col

    @property
    def cells_bound(self) -> int:
        return self.row_bound * self.col_bound


class SheetScanner:
    """Feed inflated chunks in order with `feed`, then call `finish`."""

    def __init__(self, percent_styles: frozenset[int] = frozenset()):
        self.scan = SheetScan()
        # The part's first byte is never a token (it is the '<' of '<?xml'): spaces stand before it.
        self._tail = b" " * (_BEHIND - 1)
        self._first = True
        self._percent_ids = sorted(percent_styles)

    def feed(self, chunk: bytes, final: bool = False) -> None:
        if self._first and chunk:
            self._first = False
            if chunk[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in chunk[:64]:
                self.scan.utf16 = True
        buf = self._tail + chunk
        if final:
            buf += b" " * _WINDOW
        stop = len(buf) - _WINDOW  # every token starting before `stop` is wholly in `buf`
        if stop <= _BEHIND and not final:
            self._tail = buf
            return
        if stop > _BEHIND:
            self._tokens(buf, stop)
        # Keep the bytes not yet looked at, and the ones before them (looked behind).
        self._tail = b"" if final else buf[stop - _BEHIND :]

    def finish(self) -> SheetScan:
        self.feed(b"", final=True)
        return self.scan

    def _tokens(self, buf: bytes, stop: int) -> None:
        s = self.scan
        a = np.frombuffer(buf, dtype=np.uint8)
        windows = np.lib.stride_tricks.sliding_window_view(a, _VIEW)
        # One pass finds every '<'; each tag is then told apart by the bytes after it.
        lt = np.flatnonzero(a[_BEHIND:stop] == 60) + _BEHIND
        b1 = a[lt + 1]
        # Closing tags and values (</…>, <v>) are two tokens in three and tell nothing here.
        keep = (b1 != 47) & (b1 != 118)
        lt, b1 = lt[keep], b1[keep]
        b2 = a[lt + 2]

        cells = lt[(b1 == 99) & _TAG_END[b2]]  # <c
        w = windows[cells]
        usual = (w[:, 2] == 32) & (w[:, 3] == 114) & (w[:, 4] == 61) & (w[:, 5] == 34)
        s.cell_tags += len(cells)
        s.cell_refs += int(usual.sum())
        if usual.any():
            self._references(w[usual, _REF_AT:], letters=True)

        rows = lt[(b1 == 114) & (b2 == 111) & (a[lt + 3] == 119) & _TAG_END[a[lt + 4]]]  # <row
        w = windows[rows]
        usual = (w[:, 4] == 32) & (w[:, 5] == 114) & (w[:, 6] == 61) & (w[:, 7] == 34)
        s.row_tags += len(rows)
        s.row_refs += int(usual.sum())
        if usual.any():
            self._references(w[usual, 8:], letters=False)
        # Cells per row matter only for cells without a reference, and those send the sheet to
        # `exact_extent`, which counts them itself: not counted here.

        if not s.formulas:
            s.formulas = bool(((b1 == 102) & _TAG_END[b2]).any())  # <f
        if ((b1 == 33) & ((b2 == 68) | (b2 == 69))).any():  # <!D(OCTYPE), <!E(NTITY)
            s.doctype = True
        s.markup = s.markup or bool(((b1 == 33) | (b1 == 63)).any())  # <!-- <![CDATA[ <?
        for at in lt[(b1 == 115) & (b2 == 104)].tolist():  # <sh…: a handful of elements per sheet
            s.sheet_data += buf[at + 1 : at + 10] == b"sheetData" and bool(_TAG_END[buf[at + 10]])
        self._attributes(buf[: stop + 16])
        self._prefixes(a, windows, stop)

    def _attributes(self, buf: bytes) -> None:
        """t="e" (error values), t="b" (logical values) and s="<percent style>", by C-speed search
        (each stops being looked for once found)."""
        s = self.scan
        if not (s.errors or s.bools):  # one pass for both, in the common case of neither
            m = _T_ERROR_OR_BOOL.search(buf)
            if m is None:
                pass
            elif m.group(1) == b"e":
                s.errors, s.bools = True, _T_BOOL.search(buf, m.end()) is not None
            else:
                s.bools, s.errors = True, _T_ERROR.search(buf, m.end()) is not None
        elif not s.errors:
            s.errors = _T_ERROR.search(buf) is not None
        elif not s.bools:
            s.bools = _T_BOOL.search(buf) is not None
        for style in self._percent_ids:
            if style not in s.styles and (f' s="{style}"'.encode() in buf or f" s='{style}'".encode() in buf):
                s.styles.add(style)

    def _prefixes(self, a: np.ndarray, windows: np.ndarray, stop: int) -> None:
        """Elements with a namespace prefix (<x:c …>) in the sheet's data: read the slow way."""
        s = self.scan
        if s.unusual:
            return
        colons = np.flatnonzero(a[_BEHIND:stop] == 58) + _BEHIND
        if not len(colons):
            return
        before = windows[colons - 11, :11]  # the 11 bytes before each colon
        # A prefix is '<' followed by name characters up to the colon.
        name_run = np.cumprod(_NAME[before[:, ::-1]], axis=1).sum(axis=1)
        opener = before[np.arange(len(colons)), 10 - np.minimum(name_run, 10)] == 60
        if (opener & (name_run > 0) & (name_run < 11)).any():
            at = colons[opener & (name_run > 0) & (name_run < 11)]
            local = windows[at + 1, :5]
            # only the elements the reader places: c, row, v, is, f
            hit = (
                ((local[:, 0] == 99) & _TAG_END[local[:, 1]])
                | ((local[:, 0] == 118) & _TAG_END[local[:, 1]])
                | ((local[:, 0] == 102) & _TAG_END[local[:, 1]])
                | ((local[:, 0] == 105) & (local[:, 1] == 115) & _TAG_END[local[:, 2]])
                | ((local[:, 0] == 114) & (local[:, 1] == 111) & (local[:, 2] == 119) & _TAG_END[local[:, 3]])
            )
            if hit.any():
                s.unusual = True

    def _references(self, w: np.ndarray, letters: bool) -> None:
        """Largest row and column among references whose bytes start each row of `w`."""
        s = self.scan
        if letters:
            u0, u1, u2, u3 = ((w[:, j] >= 65) & (w[:, j] <= 90) for j in range(4))
            two = u0 & u1
            three = two & u2
            if (three & u3).any() or not u0.all():
                s.malformed = True
            for k, group in ((3, three), (2, two & ~u2), (1, u0 & ~u1)):  # wider references: larger columns
                if group.any():
                    col = np.zeros(int(group.sum()), dtype=np.int64)
                    for j in range(k):
                        col = col * 26 + (w[group, j].astype(np.int64) - 64)
                    s.max_col = max(s.max_col, int(col.max()))
                    break
            starts = u0.astype(np.intp) + two + three
            digits = np.lib.stride_tricks.sliding_window_view(w, 9, axis=1)[np.arange(len(w)), starts]
        else:
            digits = w[:, :9]
        s.max_row = max(s.max_row, _largest_number(digits, s))


def scan_chunks(
    chunks: Iterable[bytes], percent_styles: frozenset[int] = frozenset(), threads: int = 1
) -> tuple[SheetScan, bytes]:
    """What a `SheetScanner` fed `chunks` finds, and the chunks joined.

    The chunks are gathered into pieces of `_SPAN` bytes, each scanned in a pool of `threads` as
    soon as the next piece has arrived (a token may run into it). zlib and numpy release the
    GIL, so inflating the part and scanning it overlap, and the scans share the cores.
    """
    pieces: list[bytes] = []
    pending: list[Future[SheetScan]] = []
    held: list[bytes] = []
    size = 0

    def submit_ready(every: bool) -> None:
        while len(pending) < len(pieces) - (0 if every else 1):
            i = len(pending)
            # The first byte is never a token (as in `SheetScanner`): spaces stand before it.
            before = pieces[i - 1][-_BEHIND:] if i else b" " * (_BEHIND - 1)
            after = pieces[i + 1][:_WINDOW] if i + 1 < len(pieces) else b""
            pending.append(pool.submit(_scan_piece, before, pieces[i], after, percent_styles))

    with ThreadPoolExecutor(max(threads, 1)) as pool:
        for chunk in chunks:
            held.append(chunk)
            size += len(chunk)
            if size >= _SPAN:
                pieces.append(b"".join(held))
                held, size = [], 0
                submit_ready(every=False)
        if held:
            pieces.append(b"".join(held))
        submit_ready(every=True)
        xml = b"".join(pieces)
        out = _merged([f.result() for f in pending])
    out.utf16 = xml[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in xml[:64]
    return out, xml


def _scan_piece(before: bytes, piece: bytes, after: bytes, percent_styles: frozenset[int]) -> SheetScan:
    """The tokens starting in `piece`, with the bytes before and after it to look at."""
    scanner = SheetScanner(percent_styles)
    stop = len(before) + len(piece)
    buf = before + piece + after
    scanner._tokens(buf + b" " * (stop + _WINDOW - len(buf)), stop)  # spaces after the part's end
    return scanner.scan


_LARGEST = {"max_row", "max_col", "max_cells_in_row"}


def _merged(scans: list[SheetScan]) -> SheetScan:
    """One scan of a part from the scans of its pieces."""
    out = SheetScan()
    for f in fields(SheetScan):
        values = [getattr(s, f.name) for s in scans]
        if f.name == "styles":
            setattr(out, f.name, set().union(*values))
        elif f.name in _LARGEST:
            setattr(out, f.name, max(values, default=0))
        elif f.type == "int":
            setattr(out, f.name, sum(values))
        else:
            setattr(out, f.name, any(values))
    return out


def _digit_counts(w: np.ndarray) -> np.ndarray:
    """How many decimal digits start each row of `w` (uint8 bytes)."""
    run = np.ones(len(w), dtype=bool)
    n = np.zeros(len(w), dtype=np.int64)
    for j in range(w.shape[1]):
        run &= (w[:, j] >= 48) & (w[:, j] <= 57)
        if not run.any():
            break
        n += run
    return n


def _largest_number(w: np.ndarray, scan: SheetScan) -> int:
    """The largest decimal number starting a row of `w`: only the rows with the most digits count."""
    n = _digit_counts(w)
    longest = int(n.max(initial=0))
    if longest >= 8:
        scan.malformed = True
    if longest == 0:
        return 0
    # Numbers of equal length compare as their digits do: narrow down digit by digit.
    rows = np.flatnonzero(n == longest)
    for j in range(longest):
        digit = w[rows, j]
        rows = rows[digit == digit.max()]
    return int(w[rows[0], :longest].tobytes())


def exact_extent(xml: bytes) -> SheetScan:
    """The used range measured on every cell and row tag, whatever their syntax (the slow path)."""
    s = SheetScan()
    row = 0
    col = 0
    cells_in_row = 0
    for m in _ANY_TAG.finditer(xml):
        name, attrs, closing = m.group(2), m.group(3), m.group(1)
        if closing:
            continue
        if name == b"row":
            s.row_tags += 1
            r = _ATTR_ROW.search(attrs)
            row = int(r.group(1)) if r else row + 1
            if r:
                s.row_refs += 1
                if len(r.group(1)) > 7:
                    s.malformed = True
            s.max_row = max(s.max_row, row)
            s.max_cells_in_row = max(s.max_cells_in_row, cells_in_row)
            col = 0
            cells_in_row = 0
        elif name == b"c":
            s.cell_tags += 1
            cells_in_row += 1
            r = _ATTR_CELL.search(attrs)
            if r:
                s.cell_refs += 1
                letters, digits = r.group(1), r.group(2)
                if len(letters) > 3 or len(digits) > 7:
                    s.malformed = True
                    continue
                col = 0
                for ch in letters.upper():
                    col = col * 26 + ch - 64
                if digits:
                    s.max_row = max(s.max_row, int(digits))
            else:
                col += 1
            s.max_col = max(s.max_col, col)
        elif name == b"f":
            s.formulas = True
    s.max_cells_in_row = max(s.max_cells_in_row, cells_in_row)
    s.max_row = max(s.max_row, row)
    # Every cell was placed above, so the bounds are exact: no implied cells remain.
    s.cell_refs = s.cell_tags
    s.row_refs = s.row_tags
    return s


# -- merged ranges -------------------------------------------------------------------------------
_MERGE = b"mergeCell"
_MERGE_REF = re.compile(rb"""\sref\s*=\s*(["'])([^"']*)\1""")
_RANGE = re.compile(rb"\s*\$?([A-Za-z]{1,3})\$?(\d{1,7})(?::\$?([A-Za-z]{1,3})\$?(\d{1,7}))?\s*")
_MERGE_TAG_MAX = 4096  # no program writes a <mergeCell> tag longer than this
_HELD = 32  # bytes kept before a tag name: room for '<' and a namespace prefix


class MergeScanner:
    """The merged ranges of a worksheet part (`<mergeCell ref="A1:N1"/>`), fed its inflated chunks
    in order, before any parser sees them.

    `ranges` holds ((row0, col0), (row1, col1)), 0-based and inclusive (as calamine gives them),
    for the first `keep` tags; `count` counts every tag, so a sheet with millions costs no more
    than counting them. A tag whose reference cannot be read sets `malformed`: what this scan
    cannot measure, no reader may be given. Found by a C-speed search for the tag name; a tag
    cut between two chunks is held until the next one.
    """

    def __init__(self, keep: int):
        self.ranges: list[tuple[tuple[int, int], tuple[int, int]]] = []
        self.count = 0
        self.malformed = False
        self._keep = keep
        self._tail = b""

    def feed(self, chunk: bytes) -> None:
        buf = self._tail + chunk
        done = 0  # bytes before this are looked at
        at = buf.find(_MERGE)
        while at >= 0:
            after = at + len(_MERGE)
            if after >= len(buf):
                break  # the byte after the name is in the next chunk
            if buf[after] not in b" \t\r\n/>" or not _opens_element(buf, at):
                at = buf.find(_MERGE, after)  # <mergeCells>, </mergeCell>, or text
                continue
            end = buf.find(b">", after)
            if end < 0:
                if len(buf) - at > _MERGE_TAG_MAX:
                    self.malformed = True
                    done = len(buf)
                break
            self._tag(buf[after:end])
            done = end + 1
            at = buf.find(_MERGE, done)
        start = len(buf) - len(_MERGE) - _HELD if at < 0 else at - _HELD
        self._tail = buf[max(done, start, 0) :]

    def _tag(self, attrs: bytes) -> None:
        self.count += 1
        if self.count > self._keep:
            return
        ref = _MERGE_REF.search(attrs)
        m = _RANGE.fullmatch(ref.group(2)) if ref else None
        if m is None:
            self.malformed = True
            return
        r0, c0 = int(m.group(2)) - 1, _column_number(m.group(1)) - 1
        r1, c1 = (int(m.group(4)) - 1, _column_number(m.group(3)) - 1) if m.group(3) else (r0, c0)
        self.ranges.append(((min(r0, r1), min(c0, c1)), (max(r0, r1), max(c0, c1))))


def _opens_element(buf: bytes, at: int) -> bool:
    """Whether the name at `at` follows '<' or '<prefix:' (not '</', text, or an attribute)."""
    if at > 0 and buf[at - 1] == 60:  # <
        return True
    if at < 2 or buf[at - 1] != 58:  # :
        return False
    i = at - 2
    while i >= 0 and at - i < _HELD and _NAME[buf[i]]:
        i -= 1
    return i >= 0 and i < at - 2 and buf[i] == 60


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ch - 64
    return n


def clip_merges(
    ranges: list[tuple[tuple[int, int], tuple[int, int]]], rows: int, cols: int
) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """Merged ranges cut to the used range (`rows` × `cols` from A1), each once, in their order.

    Cells outside the used range are empty, so a merge over a whole row or column reads the same
    clipped; ranges left with one cell or none merge nothing and are dropped.
    """
    out = {}
    for (r0, c0), (r1, c1) in ranges:
        r1, c1 = min(r1, rows - 1), min(c1, cols - 1)
        if r0 <= r1 and c0 <= c1 and (r0 < r1 or c0 < c1):
            out[(r0, c0), (r1, c1)] = None
    return list(out)


def merged_area(ranges: list[tuple[tuple[int, int], tuple[int, int]]]) -> int:
    """Cells covered by `ranges`, counted once per range (overlaps count again)."""
    return sum((r1 - r0 + 1) * (c1 - c0 + 1) for (r0, c0), (r1, c1) in ranges)


_ANY_TAG = re.compile(rb"<(/?)(?:[\w.-]+:)?([\w.-]+)((?:\s[^>]*)?)>")
_ATTR_ROW = re.compile(rb"(?:^|\s)(?:[\w.-]+:)?r\s*=\s*[\"']\s*(\d+)")
_ATTR_CELL = re.compile(rb"(?:^|\s)(?:[\w.-]+:)?r\s*=\s*[\"']\s*([A-Za-z]*)(\d*)")

# -- exact positions (only for sheets the scan flagged) ------------------------------------------
_CELL = re.compile(rb"<(?:\w+:)?c(?=[\s>/])([^>]*?)(/?)>")
_CELL_END = re.compile(rb"</(?:\w+:)?c>")
_ATTR_R = re.compile(rb"\sr\s*=\s*[\"']([A-Z]{1,3})(\d{1,7})[\"']")
_ATTR_T = re.compile(rb"\st\s*=\s*[\"'](\w+)[\"']")
_ATTR_S = re.compile(rb"\ss\s*=\s*[\"'](\d+)[\"']")
_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")
_VALUE = re.compile(rb"<(?:\w+:)?v(?:\s[^>]*)?>([^<]*)</(?:\w+:)?v>")


def _position(attrs: bytes) -> tuple[int, int] | None:
    """0-based (row, column) from a cell tag's attributes."""
    m = _ATTR_R.search(attrs)
    if not m:
        return None
    col = 0
    for ch in m.group(1):
        col = col * 26 + ch - 64
    return int(m.group(2)) - 1, col - 1


def _cells(xml: bytes):
    """(attrs, content) of every cell element, content b'' for self-closing ones."""
    for m in _CELL.finditer(xml):
        if m.group(2):
            yield m.group(1), b""
            continue
        end = _CELL_END.search(xml, m.end())
        yield m.group(1), xml[m.end() : end.start()] if end else b""


def formula_cells_without_value(xml: bytes, zero_too: bool = False) -> set[tuple[int, int]]:
    """Cells with a formula but no cached result (files written by a program, never opened in Excel).

    `zero_too`: also cells whose cached result is 0 or empty text — what generators that do not
    calculate write (xlsxwriter writes <v>0</v>); the caller decides when those are not trusted.
    """
    out: set[tuple[int, int]] = set()
    for fm in _FORMULA.finditer(xml):
        start = _last_cell_start(xml, fm.start())
        if start < 0:
            continue
        m = _CELL.match(xml, start)
        if not m or m.group(2):
            continue
        end = _CELL_END.search(xml, m.end())
        content = xml[m.end() : end.start()] if end else b""
        if not _FORMULA.search(content):
            continue
        t = _ATTR_T.search(m.group(1))
        v = _VALUE.search(content)
        cached = v is not None and (v.group(1) != b"" or (t is not None and t.group(1) in (b"str", b"inlineStr")))
        if cached and zero_too:
            cached = not _zero_or_empty(v.group(1))
        if not cached:
            pos = _position(m.group(1))
            if pos:
                out.add(pos)
    return out


def _zero_or_empty(text: bytes) -> bool:
    try:
        return not text.strip() or float(text) == 0
    except ValueError:
        return False


def _last_cell_start(xml: bytes, before: int) -> int:
    """Start of the cell element that encloses position `before` (the last '<c ' or '<x:c ' before it)."""
    lo = max(0, before - 4096)
    window = xml[lo:before]
    best = -1
    for m in _CELL.finditer(window):
        best = m.start()
    return lo + best if best >= 0 else -1


def error_cells(xml: bytes) -> dict[tuple[int, int], str]:
    """Cells holding an error value (#DIV/0!, #N/A …), with the error text."""
    out: dict[tuple[int, int], str] = {}
    for attrs, content in _cells(xml):
        t = _ATTR_T.search(attrs)
        if t and t.group(1) == b"e":
            pos = _position(attrs)
            v = _VALUE.search(content)
            if pos:
                out[pos] = v.group(1).decode("utf-8", "replace") if v else "#ERROR"
    return out


def styled_cells(xml: bytes, styles: set[int]) -> set[tuple[int, int]]:
    """Numeric cells whose style is one of `styles` (percentage formats)."""
    out: set[tuple[int, int]] = set()
    wanted = {str(s).encode() for s in styles}
    for attrs, _content in _cells(xml):
        s = _ATTR_S.search(attrs)
        if not s or s.group(1) not in wanted:
            continue
        t = _ATTR_T.search(attrs)
        if t and t.group(1) != b"n":
            continue  # text, logical or error cells: the style does not change what was typed
        pos = _position(attrs)
        if pos:
            out.add(pos)
    return out
