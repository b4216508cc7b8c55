"""Exports of scored results: the Excel bulletin, a one-unit workbook and a CSV of the ranking.

Writers return bytes and never touch the file system or the database; text from users is
neutralised against formula injection (see `exports.safe_text`).
"""
