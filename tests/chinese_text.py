"""What counts as English, a Python value or a raw scheme key in text a user reads (issue 21),
shared by the page walk (test_no_english) and the export walk (test_no_english_exports), and the
readers that turn a downloaded file (Excel, Word, CSV) into the texts a person sees in it."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator

ALLOWED_WORDS = {
    "excel", "word", "pdf", "csv", "jpg", "jpeg", "png", "xlsx", "xlsm", "docx", "doc", "xls", "wps", "yaml", "yml",
    "ods", "xlsb", "utf", "gbk", "mb", "kb",  # file formats, text encodings and sizes, as on any Chinese form
}  # fmt: skip
# What is not a word of the interface: e-mail addresses, file names, web addresses, the demo
# account names (demo-admin …, in the demo banner and the accounts table), `code` a person types.
NOT_WORDS = re.compile(
    r"[\w.+-]+@[\w-]+(\.[\w-]+)+"
    r"|\S+\.(xlsx|xlsm|xls|csv|docx|doc|pdf|jpg|jpeg|png|yaml|yml|txt)\b"
    r"|https?://\S+"
    r"|\bdemo-\w+"
    r"|`[^`]*`"
    # Streamlit's Markdown directives are drawn, not shown: :gray[…], :material/upload:, :red-background[…]
    r"|:(?:red|orange|yellow|green|blue|violet|gray|grey|rainbow|primary)(?:-background|-badge)?\["
    r"|:material/\w+:"
    r"|\]\(#[\w-]+\)",  # a Markdown link's in-page target, [查看名单](#flagged): not drawn
    re.IGNORECASE,
)
WORD = re.compile(r"[A-Za-z]{2,}")
PYTHON_VALUES = re.compile(r"\b(None|nan|NaN|NaT|True|False)\b")
UTC_OFFSET = re.compile(r"\d{2}:\d{2}(:\d{2})?(\.\d+)?[+-]\d{2}:?\d{2}\b")


def problem(kind: str, text: str, scheme_keys: Iterable[str]) -> str | None:
    """A line naming what is wrong with `text` (shown as `kind`), or None when it is fine."""
    cleaned = NOT_WORDS.sub(" ", text)
    keys = [k for k in scheme_keys if re.search(rf"(?<![\w]){re.escape(k)}(?![\w])", text)]
    words = [w for w in WORD.findall(cleaned) if w.lower() not in ALLOWED_WORDS]
    values = PYTHON_VALUES.findall(cleaned)
    offsets = UTC_OFFSET.findall(text)
    if keys or words or values or offsets:
        return f"{kind}: {text[:160]!r} — {sorted(set(keys + words + values))}"
    return None


def problems_in(texts: Iterable[tuple[str, str]], scheme_keys: Iterable[str]) -> list[str]:
    keys = list(scheme_keys)
    return [p for kind, text in texts if (p := problem(kind, text, keys))]


# -- files -------------------------------------------------------------------------------------


def xlsx_texts(data: bytes) -> Iterator[tuple[str, str]]:
    """Sheet names, every text cell (headers included; formulas are not shown, their results
    are), the printed header and footer, and the document properties a user sees in Excel."""
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data))
    props = book.properties
    for attr in ("title", "subject", "creator", "description", "keywords", "category", "lastModifiedBy"):
        value = getattr(props, attr, None)
        if isinstance(value, str) and value:
            yield f"属性 {attr}", value
    for sheet in book.worksheets:
        if sheet.sheet_state == "veryHidden":
            continue  # Excel offers no way to show it: the upload template's _meta, read back by the app
        yield "工作表名", sheet.title
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.data_type != "f":
                    yield f"{sheet.title}!{cell.coordinate}", cell.value
                if cell.comment is not None:
                    yield f"{sheet.title}!{cell.coordinate} 批注", cell.comment.text
        for part in (sheet.oddHeader, sheet.oddFooter, sheet.evenHeader, sheet.evenFooter):
            for side in (part.left, part.center, part.right):
                if side.text:
                    yield f"{sheet.title} 页眉页脚", re.sub(r"&[A-Z]|&\"[^\"]*\"|&\d+", " ", side.text)


def docx_texts(data: bytes) -> Iterator[tuple[str, str]]:
    """Every paragraph, table cell, header and footer, and the document properties."""
    from docx import Document

    document = Document(io.BytesIO(data))
    props = document.core_properties
    for attr in ("title", "subject", "author", "comments", "keywords", "category", "last_modified_by"):
        value = getattr(props, attr, None)
        if isinstance(value, str) and value:
            yield f"属性 {attr}", value

    def blocks(container: object, where: str) -> Iterator[tuple[str, str]]:
        for paragraph in container.paragraphs:  # type: ignore[attr-defined]
            if paragraph.text.strip():
                yield where, paragraph.text
        for table in container.tables:  # type: ignore[attr-defined]
            for row in table.rows:
                for cell in row.cells:
                    yield from blocks(cell, f"{where} 表格")

    yield from blocks(document, "正文")
    for section in document.sections:
        for part, name in ((section.header, "页眉"), (section.footer, "页脚"), (section.first_page_header, "页眉")):
            if not part.is_linked_to_previous or part is section.header:
                yield from blocks(part, name)


def csv_texts(data: bytes | str) -> Iterator[tuple[str, str]]:
    text = data if isinstance(data, str) else data.decode("utf-8-sig")
    for i, row in enumerate(csv.reader(io.StringIO(text))):
        for value in row:
            if value:
                yield f"CSV 第 {i + 1} 行", value


def file_texts(data: bytes | str) -> Iterator[tuple[str, str]]:
    """The texts of a downloaded file, by its content: an Office file (zip) or CSV text."""
    if isinstance(data, bytes) and data[:2] == b"PK":
        names = zipfile.ZipFile(io.BytesIO(data)).namelist()
        if any(n.startswith("word/") for n in names):
            yield from docx_texts(data)
            return
        if any(n.startswith("xl/") for n in names):
            yield from xlsx_texts(data)
            return
        raise AssertionError(f"unknown Office file: {names[:5]}")
    yield from csv_texts(data)
