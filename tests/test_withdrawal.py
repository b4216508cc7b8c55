"""撤回 that cannot surprise (issue 19): what a withdrawal changes is shown first; an assessor
withdraws only their own submissions; the form is empty after a withdrawal; published results
change only when republished."""

from __future__ import annotations

import pytest
from conftest import SmallDb
from test_upload_page import KEY, PERIOD, at, engine, role  # noqa: F401 - fixtures

from services.errors import Forbidden
from services.permissions import Actor
from services.publishing import publish, published_results
from services.submissions import history, import_values, rollback
from services.withdrawal import withdrawal_preview

P = "2025-03"
FULL = {u: {"D1": 40, "D2": 20, "K1": 1} for u in ("U1", "U2", "U3", "U4")}


def test_the_preview_names_the_units_totals_and_ranks_that_change(small: SmallDb) -> None:
    first = small.put(P, FULL)
    fix = small.put(P, {"U2": {"D1": 10}})
    preview = withdrawal_preview(fix.submission_id, engine=small.engine)
    assert (preview.withdrawn, preview.restored) == (1, 1)
    row = preview.units.set_index("unit").loc["U2"]
    assert row["change"] == "总分 45.00 → 75.00，名次 4 → 1"
    assert list(preview.units["unit"]) == ["U2"]  # the others keep total and rank (tied first)
    assert "撤下 1 个当前数值，恢复 1 个此前的数值" in preview.summary
    whole = withdrawal_preview(first.submission_id, engine=small.engine)
    assert whole.withdrawn == 11 and whole.restored == 0
    assert set(whole.units["change"]) == {"撤回后不再计分（数据不完整或无数据）"}


def test_an_assessor_may_preview_and_withdraw_only_their_own(small: SmallDb) -> None:
    mine = Actor(7, "kp", "考核员", "assessor", schemes=("t",))
    other = small.put(P, FULL)
    with pytest.raises(Forbidden, match="只能撤回本人上传的提交；提交 #1 由 测试员 上传"):
        withdrawal_preview(other.submission_id, by=mine, engine=small.engine)
    with pytest.raises(Forbidden, match="只能撤回本人上传的提交"):
        rollback(other.submission_id, "", "不对", by=mine, engine=small.engine)
    frame = small.frame({"U1": {"D1": 1}})
    own = import_values(P, small.version_id, frame, "", "a.csv", b"a", by=mine, engine=small.engine)
    assert withdrawal_preview(own.submission_id, by=mine, engine=small.engine).withdrawn == 1
    assert rollback(own.submission_id, "", "录错了", by=mine, engine=small.engine).withdrawn == 1


def test_published_results_do_not_change_on_a_withdrawal(small: SmallDb) -> None:
    small.put(P, FULL)
    fix = small.put(P, {"U2": {"D1": 10}})
    publish("t", P, "复核员", engine=small.engine)
    before = published_results("t", P, engine=small.engine).units.set_index("unit")["total"].to_dict()
    rollback(fix.submission_id, "测试员", "撤回更正", engine=small.engine)
    after = published_results("t", P, engine=small.engine).units.set_index("unit")["total"].to_dict()
    assert after == before and before["U2"] == 45


def test_the_form_is_empty_after_a_withdrawal(at, engine) -> None:  # noqa: ANN001, F811
    from test_upload_page import _button

    original = int(history(KEY, PERIOD, engine=engine)["id"].iloc[0])
    frame = import_values  # a second submission to the same month (a correction)
    from services.catalog import latest_version
    from services.values import current_values

    values = current_values(KEY, PERIOD, engine=engine)
    one = values[values["unit"].astype(str) == "C01"][["unit", "code", "value", "na", "assessor"]].copy()
    one["unit"] = one["unit"].astype(str)
    one["code"] = one["code"].astype(str)
    fix = frame(PERIOD, latest_version(KEY, engine=engine).id, one.assign(value=one["value"].fillna(0) * 0),
                "测试", "更正.csv", b"f", engine=engine)  # fmt: skip
    at.switch_page("pages/submissions.py").run()
    at.selectbox(key="entry_scheme").set_value(KEY).run()
    at.selectbox(key=f"sub_period_{KEY}").set_value(PERIOD).run()
    at.selectbox(key="sub_target_0").set_value(fix.submission_id).run()
    at.text_input(key="sub_reason_0").input("更正有误")
    at.checkbox(key="sub_confirm_0").check()
    _button(at, "确认撤回").click().run()
    assert not at.exception, at.exception
    assert any(f"已撤回提交 #{fix.submission_id}" in s.value for s in at.success)
    assert at.selectbox(key="sub_target_1").value is None  # a fresh form: the original is not preselected
    assert history(KEY, PERIOD, engine=engine).set_index("id").loc[original, "status"] == "active"
