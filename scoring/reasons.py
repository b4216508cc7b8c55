"""Per-entity reason texts (一票否决, 不得评优, 等级至多…) kept as integer codes into a short list of
distinct texts.

Thousands of units hit by the same few rules then cost a few hundred strings and integer
factorisations, not a Python string per unit joined, compared and hashed again at the end.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd


class Reasons:
    """`code[e]` indexes `texts` (0 is no text); `has[e]` marks the entities with a reason."""

    def __init__(self, n: int) -> None:
        self.code = np.zeros(n, dtype=np.int64)
        self.texts: list[str] = [""]
        self.has = np.zeros(n, dtype=bool)

    def append(self, rows: np.ndarray, part: np.ndarray | int, parts: Sequence[str]) -> None:
        """Add `parts[part]` to the reasons of the entities `rows`, '；'-separated after any text
        they already have. Each distinct (text so far, part) pair is spelled once."""
        if not len(rows):
            return
        if not self.has[rows].any():  # no text so far on these rows: the part is the whole text
            self.code[rows] = len(self.texts) + np.asarray(part)  # (unused parts are never shown)
            self.texts += parts
            self.has[rows] = True
            return
        new, pairs = pd.factorize(self.code[rows] * len(parts) + part)
        base = len(self.texts)
        for pair in pairs.tolist():
            old, p = divmod(pair, len(parts))
            before = self.texts[old]
            self.texts.append(f"{before}；{parts[p]}" if before else parts[p])
        self.code[rows] = base + new
        self.has[rows] = True

    def put_first(self, rows: np.ndarray, head: str, other: Reasons) -> None:
        """Write `head` and the entity's text in `other` before its own reasons:
        「一票否决：<other>；<own>」."""
        if not len(rows):
            return
        n_other = len(other.texts)
        new, pairs = pd.factorize(self.code[rows] * n_other + other.code[rows])
        base = len(self.texts)
        for pair in pairs.tolist():
            own, o = divmod(pair, n_other)
            text = f"{head}{other.texts[o]}"
            self.texts.append(f"{text}；{self.texts[own]}" if self.texts[own] else text)
        self.code[rows] = base + new
        self.has[rows] = True

    def categorical(self) -> pd.Categorical:
        """The texts as a categorical: '' first, then each text in the order entities first show it
        (two codes spelling the same text are one category)."""
        rows = np.flatnonzero(self.has)
        sub, used = pd.factorize(self.code[rows])
        spelled, uniques = pd.factorize(np.array([self.texts[u] for u in used.tolist()], dtype=object))
        codes = np.zeros(len(self.code), dtype=np.int32)
        codes[rows] = spelled[sub] + 1
        # categories as an Index: from a plain list they are inferred and checked again (~0.1 ms)
        return pd.Categorical.from_codes(codes, pd.Index(["", *uniques]), validate=False)
