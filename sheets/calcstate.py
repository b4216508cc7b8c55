"""Whether the cached results of a workbook's formulas were calculated by a spreadsheet program.

A formula cell stores its formula and the result last calculated (`<v>`); the reader only sees
that result. Excel calculates every formula before saving and writes the calculation chain
(`xl/calcChain.xml`) with every workbook that holds formulas; LibreOffice and WPS calculate
before saving too, and name themselves in `docProps/app.xml`. Programs that write workbooks
without calculating them — openpyxl, xlsxwriter, and pandas through either — write no chain,
store 0 (xlsxwriter) or nothing (openpyxl) as every result, and declare
`<calcPr fullCalcOnLoad="1">` so that Excel recalculates when the file is opened.

The rule (docs/schemes.md, 上传): a workbook is *calculated* when its `<calcPr>` does not ask
for a full calculation on load AND it has a calculation chain or names LibreOffice or WPS as
the program that saved it. In a workbook that is not calculated, a formula whose stored result
is 0 or empty is not trusted (`Workbook.untrusted_formula_cells`): the value column would
otherwise import zeros. Any other stored result (a generator may write the value it computed)
is read as it is; a formula with no stored result is never read (`Workbook.formula_cells`).
"""

from __future__ import annotations

import re
import zipfile

_FULL_CALC = re.compile(rb"""<(?:[\w.-]+:)?calcPr\b[^>]*\bfullCalcOnLoad\s*=\s*["']\s*(?:1|true)\s*["']""")
_APPLICATION = re.compile(rb"<(?:[\w.-]+:)?Application>([^<]{0,200})<")
_CALCULATING_APPS = (b"libreoffice", b"openoffice", b"wps", b"kingsoft", b"et ")
_APP_PART = "docProps/app.xml"
_APP_MAX = 64 << 10  # a real app.xml is a few hundred bytes


def calculated_on_save(zf: zipfile.ZipFile, workbook_part: str, workbook_xml: bytes) -> bool:
    """True when the cached formula results can be trusted (see the module docstring).

    Called after every part passed the package checks, so the parts read here are bounded.
    """
    if _FULL_CALC.search(workbook_xml):
        return False
    names = zf.namelist()
    if any(n.lower().endswith("calcchain.xml") and n.lower().startswith("xl/") for n in names):
        return True
    if _APP_PART in names and zf.getinfo(_APP_PART).file_size <= _APP_MAX:
        m = _APPLICATION.search(zf.read(_APP_PART))
        if m and m.group(1).strip().lower().startswith(_CALCULATING_APPS):
            return True
    return False
