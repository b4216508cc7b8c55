"""ui.derived: tables a page derives are reused on a rerun and made anew when the data or the
units shown change."""

from __future__ import annotations

import pandas as pd

from ui.derived import derived


def test_a_rerun_reuses_and_a_change_of_data_or_filter_remakes() -> None:
    made = []

    def make(tag: str):  # noqa: ANN202
        made.append(tag)
        return pd.DataFrame({"made": [len(made)]})

    units = pd.Series(["U1", "U2", "U3"])
    first = derived("fp-1", units, ("lost", None), lambda: make("a"))
    assert derived("fp-1", units.copy(), ("lost", None), lambda: make("b")) is first and made == ["a"]
    derived("fp-1", units[:2], ("lost", None), lambda: make("c"))  # a category filter chosen
    derived("fp-2", units, ("lost", None), lambda: make("d"))  # an import or a rename
    derived("fp-1", units, ("lost", "核心指标"), lambda: make("e"))  # another tag
    assert made == ["a", "c", "d", "e"]
    for i in range(3):  # large tables: only the last two are kept
        derived("fp-big", units, i, lambda i=i: make(f"big{i}"), large=True)
    derived("fp-big", units, 0, lambda: make("big0 again"), large=True)
    assert made[-1] == "big0 again"
