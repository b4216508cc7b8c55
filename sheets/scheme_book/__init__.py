"""The 评分细则 workbook: a scheme as bureaus publish it, and its parameters editable in Excel/WPS."""

from sheets.scheme_book.reader import NotOurBook, SchemeBookError, read_scheme_book
from sheets.scheme_book.writer import write_scheme_book
from sheets.scheme_book.yamltext import scheme_yaml

__all__ = ["NotOurBook", "SchemeBookError", "read_scheme_book", "scheme_yaml", "write_scheme_book"]
