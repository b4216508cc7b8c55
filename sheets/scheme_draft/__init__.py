"""Importing the 评分细则表 a bureau already has (Word or Excel, not made by this product) as a
draft scheme: the tree, codes, points, rule texts, methods recognised from the phrasings, and a
row-by-row report of what was recognised and what a person must decide. Nothing is saved here."""

from sheets.scheme_draft.draft import Draft, DraftRefused, DraftRow
from sheets.scheme_draft.reader import read_draft

__all__ = ["Draft", "DraftRefused", "DraftRow", "read_draft"]
