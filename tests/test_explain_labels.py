"""A unit's or period's rows are found through a categorical's categories exactly as comparing
every row's text would find them (scoring.explain: 1.6M leaf rows at province size)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from scoring.explain import _labelled

COLUMNS = {
    "categorical": pd.Series(pd.Categorical(["U1", "U2", None, "U1", "U10"])),
    "unused category": pd.Series(pd.Categorical(["U1", "U2"], categories=["U0", "U1", "U2"])),
    "number categories": pd.Series(pd.Categorical([1, 2, 1, None])),
    "text": pd.Series(["U1", "U2", None, "U1"], dtype="str"),
    "object": pd.Series(["U1", 2, None, "nan"], dtype=object),
}


@pytest.mark.parametrize("name", COLUMNS)
@pytest.mark.parametrize("label", ["U1", "U0", "1", "2", "nan", "U10", ""])
def test_labelled_rows_are_those_whose_text_is_the_label(name: str, label: str) -> None:
    column = COLUMNS[name]
    expected = [not pd.isna(x) and str(x) == label for x in column.tolist()]
    np.testing.assert_array_equal(_labelled(column, label), np.array(expected, dtype=bool))
