"""Reason texts kept as codes (scoring/reasons.py): joined, prefixed and turned into categoricals
exactly as the per-unit strings were."""

from __future__ import annotations

import numpy as np

from scoring.reasons import Reasons


def test_parts_join_in_order_and_equal_texts_share_one_category() -> None:
    r = Reasons(5)
    r.append(np.array([1, 3]), 0, ["甲未达标"])
    r.append(np.array([0, 1, 3]), np.array([0, 1, 1]), ["核心指标得分率 55.0%", "核心指标得分率 40.0%"])
    r.append(np.array([4]), 0, ["甲未达标；核心指标得分率 40.0%"])  # spelled like unit 1's by another path
    cat = r.categorical()
    assert list(cat) == [
        "核心指标得分率 55.0%",
        "甲未达标；核心指标得分率 40.0%",
        "",
        "甲未达标；核心指标得分率 40.0%",
        "甲未达标；核心指标得分率 40.0%",
    ]
    # '' first, then each text where a unit first shows it; one category per text
    assert list(cat.categories) == ["", "核心指标得分率 55.0%", "甲未达标；核心指标得分率 40.0%"]
    assert r.has.tolist() == [True, True, False, True, True]


def test_put_first_names_the_other_reason_before_the_own() -> None:
    veto, award = Reasons(3), Reasons(3)
    veto.append(np.array([0, 2]), 0, ["重大医疗事故"])
    award.append(np.array([1, 2]), 0, ["核心指标未达标"])
    award.put_first(np.flatnonzero(veto.has), "一票否决：", veto)
    assert list(award.categorical()) == [
        "一票否决：重大医疗事故",
        "核心指标未达标",
        "一票否决：重大医疗事故；核心指标未达标",
    ]
    assert award.has.tolist() == [True, True, True]


def test_no_reason_at_all_is_one_empty_category() -> None:
    cat = Reasons(2).categorical()
    assert list(cat) == ["", ""] and list(cat.categories) == [""]
