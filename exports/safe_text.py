"""Neutralising text that a spreadsheet could read as a formula (CSV / formula injection).

Unit names, notes and reasons come from users. In an xlsx written with `write_string` such text
is always a string cell, but a bulletin gets opened, edited and re-saved as CSV, and a CSV cell
that starts with `=`, `+`, `-` or `@` (or a tab / carriage return, which some programs skip
before looking) is run as a formula when the CSV is opened again.

We prefix such text with a single quote ('), as OWASP recommends for CSV. A zero-width space would
do the same job invisibly, but invisible characters make a name differ from what the eye reads
(search, de-duplication and VLOOKUP fail without anyone seeing why), while the visible quote tells
the reader that the text was altered on purpose. The same rule is used for xlsx and CSV so that a
workbook re-saved as CSV stays safe.
"""

from __future__ import annotations

# ASCII triggers, their full-width forms (an IME can turn them into formulas on re-entry),
# and the control characters some importers skip before looking.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")


def neutralise(text: object) -> str:
    """`text` as a string that no spreadsheet reads as a formula ('' for None)."""
    s = "" if text is None else str(text)
    return "'" + s if s.startswith(FORMULA_TRIGGERS) else s
