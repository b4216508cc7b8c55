"""Corrections replace, a new team adds (issue 19): what an upload says it is decides whose values
its cells replace; the preview says why each unit's total changes."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import NA, SmallDb

from services.errors import InvalidInput
from services.results import results
from services.uploads import check_upload, commit, make_template

P = "2025-03"
FIRST = {"U1": {"D1": 40, "D2": 20, "K1": 0}, "U2": {"D1": 30, "D2": 25, "K1": 1}, "U3": {"D1": 35, "D2": 15, "K1": 2}}


def totals(db: SmallDb) -> dict[str, float]:
    r = results("t", P, published=False, engine=db.engine)
    return dict(zip(r.units["unit"].astype(str), r.units["total"].astype(float), strict=True))


def long_csv(cells: dict, assessor: str = "") -> bytes:
    rows = [(u, c, v, assessor) for u, codes in cells.items() for c, v in codes.items()]
    return pd.DataFrame(rows, columns=["单位", "指标编码", "数值", "考核人"]).to_csv(index=False).encode("utf-8-sig")


@pytest.fixture
def team1(small: SmallDb) -> SmallDb:
    small.put(P, FIRST, assessor="考核一组")
    return small


def test_a_prefilled_template_corrected_in_one_unit_changes_only_that_unit(team1: SmallDb) -> None:
    """The issue's journey: 预填当前数据, change one unit, upload — untouched units stay the same."""
    import io

    import openpyxl

    before = totals(team1)
    data = make_template(team1.version_id, P, "wide", prefill=True, engine=team1.engine)
    book = openpyxl.load_workbook(io.BytesIO(data))
    ws = book.worksheets[0]
    cell = next(c for row in ws.iter_rows() for c in row if c.value == 35)  # U3's D1
    cell.value = 10
    out = io.BytesIO()
    book.save(out)
    check = check_upload(out.getvalue(), "更正.xlsx", team1.version_id, P, mode="correction", engine=team1.engine)
    assert check.ok and check.preview.blocked is None, check.errors or check.preview.blocked
    effect = check.preview.effect.set_index("unit")
    assert effect.loc["U3", "status"] == "total" and effect.loc["U3", "why"] == "更正 D1"
    assert (effect.drop(index="U3")["status"].isin(["same", "rank"])).all()
    commit(check, "测试员", engine=team1.engine)
    after = totals(team1)
    assert after["U3"] == before["U3"] - 25
    assert {u: after[u] for u in ("U1", "U2")} == {u: before[u] for u in ("U1", "U2")}


def test_a_correction_without_a_team_column_replaces_the_only_team(team1: SmallDb) -> None:
    check = check_upload(
        long_csv({"U2": {"D1": 10}}), "c.csv", team1.version_id, P, mode="correction", engine=team1.engine
    )
    assert check.preview.blocked is None
    assert set(check.parsed.values["assessor"]) == {"考核一组"}
    commit(check, "测试员", engine=team1.engine)
    assert team1.current(P)[("U2", "D1", "考核一组")] == 10 and ("U2", "D1", "") not in team1.current(P)


def test_a_new_team_adds_and_the_preview_says_the_values_are_averaged(team1: SmallDb) -> None:
    check = check_upload(long_csv({"U1": {"D1": 20, "D2": 20, "K1": 0}}), "n.csv", team1.version_id, P,
                         assessor="考核二组", mode="new_team", engine=team1.engine)  # fmt: skip
    assert check.preview.blocked is None
    why = check.preview.effect.set_index("unit").loc["U1", "why"]
    assert "新增 D1、D2、K1" in why and "与「考核一组」的数值取平均" in why
    commit(check, "测试员", engine=team1.engine)
    assert totals(team1)["U1"] == 70  # (40 + 20) / 2 + 20 + 20


def test_refusals_say_which_it_is(team1: SmallDb) -> None:
    team1.put(P, {"U1": {"D1": 20}}, assessor="考核二组")
    cases = [
        ("correction", None, "", "请在「考核组」中填写要更正哪一组"),
        ("correction", "考核三组", "", "本期没有考核组「考核三组」的数据"),
        ("new_team", "考核一组", "", "考核组「考核一组」本期已有数据"),
        ("new_team", None, "", "新的考核组须填写考核组名称"),
        ("correction", "考核一组", "考核二组", "与所选的考核组「考核一组」不一致"),
    ]
    for mode, team, in_file, message in cases:
        check = check_upload(long_csv({"U2": {"D1": 1}}, in_file), "x.csv", team1.version_id, P, assessor=team,
                             mode=mode, engine=team1.engine)  # fmt: skip
        assert check.preview.blocked is not None and message in check.preview.blocked, (
            mode,
            team,
            check.preview.blocked,
        )


def test_prefilling_with_several_teams_asks_which(team1: SmallDb) -> None:
    team1.put(P, {"U1": {"D1": 20}}, assessor="考核二组")
    with pytest.raises(InvalidInput, match="请先填写要预填哪一个考核组"):
        make_template(team1.version_id, P, "wide", prefill=True, engine=team1.engine)
    assert make_template(team1.version_id, P, "wide", prefill=True, assessor="考核二组", engine=team1.engine)


# -- reconciliation ---------------------------------------------------------------------------
def test_reconciliation_shows_teams_side_by_side_and_resolves_with_a_reason(team1: SmallDb) -> None:
    from services.audit import audit_log
    from services.reconcile import reconciliation, resolve
    from services.submissions import rollback

    team1.put(P, {"U1": {"D1": 20, "D2": NA, "K1": 0}, "U2": {"D1": 29}}, assessor="考核二组")
    found = reconciliation("t", P, engine=team1.engine)
    cells = found.cells.set_index(["unit", "code"])
    assert found.teams == ["考核一组", "考核二组"]
    assert cells.loc[("U1", "D1"), "status"] == "差异较大"  # 20 of 50 points apart
    assert (cells.loc[("U1", "D1"), "考核一组"], cells.loc[("U1", "D1"), "考核二组"]) == ("40", "20")
    assert cells.loc[("U1", "D2"), "status"] == "冲突" and cells.loc[("U1", "D2"), "考核二组"] == "不适用"
    assert cells.loc[("U2", "D1"), "status"] == "差异在允许范围内"  # 1 of 50
    assert cells.loc[("U1", "K1"), "status"] == "一致"

    with pytest.raises(InvalidInput, match="必须填写原因"):
        resolve("t", P, "U1", "D1", "choose", " ", team="考核一组", engine=team1.engine)
    out = resolve("t", P, "U1", "D1", "choose", "现场复核以一组为准", team="考核一组", user="组长", engine=team1.engine)
    current = team1.current(P)
    assert current[("U1", "D1", "考核一组")] == 40 and current[("U1", "D1", "考核二组")] == 40
    resolve("t", P, "U1", "D2", "na", "该院本月无此业务", engine=team1.engine)
    assert team1.current(P)[("U1", "D2", "考核一组")] == NA
    after = reconciliation("t", P, engine=team1.engine).cells.set_index(["unit", "code"])
    assert after.loc[("U1", "D1"), "status"] == "一致" and after.loc[("U1", "D2"), "status"] == "一致"
    log = audit_log(action="reconcile.resolve", engine=team1.engine)
    assert len(log) == 2 and "现场复核以一组为准" in " ".join(log["message"])
    rollback(out.submission_id, "组长", "撤回核对", engine=team1.engine)  # an ordinary submission
    assert team1.current(P)[("U1", "D1", "考核二组")] == 20


def test_reconciliation_reads_the_values_once_per_revision(team1: SmallDb, monkeypatch: pytest.MonkeyPatch) -> None:
    from services import reconcile
    from services.submissions import rollback

    out = team1.put(P, {"U1": {"D1": 20}}, assessor="考核二组")
    reads = []
    real = reconcile.current_values
    monkeypatch.setattr(reconcile, "current_values", lambda *a, **k: reads.append(a) or real(*a, **k))
    first = reconcile.reconciliation("t", P, engine=team1.engine).cells
    again = reconcile.reconciliation("t", P, engine=team1.engine).cells
    assert len(reads) == 1 and first.equals(again)  # a repeat visit of the same revision
    assert first.set_index(["unit", "code"]).loc[("U1", "D1"), "考核二组"] == "20"
    monkeypatch.setenv(reconcile.THRESHOLD_ENV, "0.5")  # 20 of 50 points is now within bounds
    relaxed = reconcile.reconciliation("t", P, engine=team1.engine).cells.set_index(["unit", "code"])
    assert len(reads) == 2 and relaxed.loc[("U1", "D1"), "status"] == "差异在允许范围内"
    rollback(out.submission_id, "组长", "撤回", engine=team1.engine)  # a new revision: team two is gone
    assert reconcile.reconciliation("t", P, engine=team1.engine).cells.empty and len(reads) == 3


def test_an_upload_whose_team_does_not_fit_is_never_committed(team1: SmallDb) -> None:
    team1.put(P, {"U1": {"D1": 20}}, assessor="考核二组")
    check = check_upload(long_csv({"U2": {"D1": 1}}), "x.csv", team1.version_id, P, mode="correction",
                         engine=team1.engine)  # fmt: skip
    with pytest.raises(InvalidInput, match="未导入：本期已有"):
        commit(check, "测试员", engine=team1.engine)
    assert team1.current(P)[("U2", "D1", "考核一组")] == 30


def test_the_import_command_takes_the_kind_of_upload(team1: SmallDb, tmp_path, monkeypatch, capsys) -> None:  # noqa: ANN001
    from manage import main

    monkeypatch.setenv("DATABASE_URL", team1.engine.url.render_as_string(hide_password=False))
    path = tmp_path / "更正.csv"
    path.write_bytes(long_csv({"U2": {"D1": 10}}))
    code = main(["import", "--scheme", "t", "--period", P, "--as", "correction", str(path)])
    out = capsys.readouterr().out
    assert code == 0 and "更正 D1" in out
    assert team1.current(P)[("U2", "D1", "考核一组")] == 10 and ("U2", "D1", "") not in team1.current(P)
