"""审定发布 (issue 19): drafts, publications, four eyes, what leadership sees, the upgrade of
existing data, and a publication racing an import — on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import multiprocessing
import threading
from typing import Any

import pandas as pd
import pytest
from conftest import SmallDb
from sqlalchemy import Engine, func, select

from services import permissions, submissions
from services.catalog import latest_version, upsert_units
from services.errors import Conflict, InvalidInput
from services.permissions import Actor
from services.publishing import publication, publications, publish, publish_preview, published_results, results_json
from services.results import results
from services.submissions import import_values
from storage.db import alembic_config, make_engine, reading
from storage.models import Publication, PublicationSubmission

P = "2025-03"
FULL = {u: {"D1": 40, "D2": 20, "K1": 1} for u in ("U1", "U2", "U3", "U4")}
ADMIN = Actor(1, "admin", "管理员甲", "admin")
ADMIN2 = Actor(2, "admin2", "管理员乙", "admin")
ASSESSOR = Actor(3, "kp", "考核员", "assessor", schemes=("t",))
VIEWER = Actor(4, "ld", "领导", "viewer")


def totals(r: Any) -> dict[str, float]:
    return dict(zip(r.units["unit"].astype(str), r.units["total"].astype(float), strict=True))


def as_role(monkeypatch: pytest.MonkeyPatch, actor: Actor) -> None:
    monkeypatch.setattr(permissions, "_ambient", lambda: actor)


def test_an_import_lands_in_the_draft_and_leadership_sees_it_only_once_published(
    small: SmallDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    small.put(P, FULL)
    assert published_results("t", P, engine=small.engine) is None
    as_role(monkeypatch, VIEWER)
    assert results("t", P, engine=small.engine) is None  # 本期考核结果尚未发布
    as_role(monkeypatch, ASSESSOR)
    draft = results("t", P, engine=small.engine)
    assert draft is not None and draft.draft and set(totals(draft)) == {"U1", "U2", "U3", "U4"}

    out = publish("t", P, by=ADMIN2, engine=small.engine)
    assert out.publication.seq == 1 and len(out.publication.submission_ids) == 1
    as_role(monkeypatch, VIEWER)
    shown = results("t", P, engine=small.engine)
    assert shown is not None and not shown.draft and totals(shown) == totals(draft)
    assert "第 1 次" in shown.publication.text


def test_publishing_is_refused_while_anything_is_unscorable_with_located_reasons(small: SmallDb) -> None:
    small.put(P, {**FULL, "U2": {"D2": 20, "K1": 0}})  # U2 misses D1
    with pytest.raises(InvalidInput) as exc:
        publish("t", P, "复核员", engine=small.engine)
    assert "不能发布" in str(exc.value) and "单位「U2」" in str(exc.value) and "D1" in str(exc.value)
    assert publication("t", P, engine=small.engine) is None
    preview = publish_preview("t", P, engine=small.engine)
    assert not preview.can_publish and preview.problems


def test_the_draft_scores_complete_units_and_lists_the_others_by_what_is_missing(
    small: SmallDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    small.put(P, {**FULL, "U2": {"D2": 20, "K1": 0}})
    as_role(monkeypatch, ASSESSOR)
    draft = results("t", P, engine=small.engine)
    assert draft is not None and draft.draft
    assert set(totals(draft)) == {"U1", "U3", "U4"}
    assert list(draft.incomplete["unit"]) == ["U2"]
    assert "D1" in draft.incomplete["missing"].iloc[0] and draft.incomplete["name"].iloc[0] == "乙中心"
    assert len(draft.explain("U1"))  # the detail of a complete unit is there too
    assert results("t", P, engine=small.engine) is draft  # remembered: a rerun does not score again
    small.put(P, {"U2": {"D1": 30}})
    complete = results("t", P, engine=small.engine)
    assert complete is not draft and complete.incomplete.empty and "U2" in set(totals(complete))


def test_four_eyes_refuses_the_uploader_and_can_be_switched_off(
    small: SmallDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    frame = small.frame(FULL)
    import_values(P, small.version_id, frame, "", "a.csv", b"a", by=ADMIN, engine=small.engine)
    with pytest.raises(Conflict, match="四眼原则") as exc:
        publish("t", P, by=ADMIN, engine=small.engine)
    assert "#1" in str(exc.value)
    monkeypatch.setenv("ASSESS_PUBLISH_FOUR_EYES", "0")
    assert publish_preview("t", P, by=ADMIN, engine=small.engine).can_publish
    monkeypatch.setenv("ASSESS_PUBLISH_FOUR_EYES", "other_scheme")  # required for other schemes only
    assert publish_preview("t", P, by=ADMIN, engine=small.engine).can_publish
    monkeypatch.delenv("ASSESS_PUBLISH_FOUR_EYES")
    out = publish("t", P, by=ADMIN2, engine=small.engine)
    assert out.publication.published_by == ADMIN2.label


def test_assessors_and_viewers_may_not_publish(small: SmallDb) -> None:
    small.put(P, FULL)
    for actor in (ASSESSOR, VIEWER):
        with pytest.raises(permissions.Forbidden, match="无权复核并发布考核结果"):
            publish("t", P, by=actor, engine=small.engine)


def test_published_results_change_only_when_republished_and_the_preview_shows_what_changes(
    small: SmallDb,
) -> None:
    first = small.put(P, FULL)
    publish("t", P, "复核员", engine=small.engine)
    before = totals(published_results("t", P, engine=small.engine))
    small.put(P, {"U3": {"D1": 10, "D2": 20, "K1": 1}})  # a correction of one unit
    assert totals(published_results("t", P, engine=small.engine)) == before
    submissions.rollback(first.submission_id, "测试员", "测试", engine=small.engine)
    assert totals(published_results("t", P, engine=small.engine)) == before  # rollbacks neither

    small.put(P, FULL)
    small.put(P, {"U3": {"D1": 10, "D2": 20, "K1": 1}})
    preview = publish_preview("t", P, engine=small.engine)
    assert preview.can_publish
    changed = preview.changes.set_index("unit")
    assert list(changed.index) == ["U3"]  # untouched units: not listed, unchanged
    assert changed.loc["U3", "change"] == "总分 75.00 → 45.00，排名 1 → 4"
    small.put(P, {"U4": {"D1": 0, "D2": 20, "K1": 1}})  # data changes after the preview was shown
    with pytest.raises(Conflict, match="核对之后又有变化"):
        publish("t", P, "复核员", expected_revision=preview.revision, engine=small.engine)
    again = publish_preview("t", P, engine=small.engine)
    out = publish("t", P, "复核员", expected_revision=again.revision, engine=small.engine)
    assert out.publication.seq == 2
    after = totals(published_results("t", P, engine=small.engine))
    assert after["U3"] == 45 and after["U4"] == 35 and after["U1"] == before["U1"]
    with pytest.raises(Conflict, match="完全相同，无需重新发布"):
        publish("t", P, "复核员", engine=small.engine)
    past = publications("t", P, engine=small.engine)
    assert list(past["seq"]) == [2, 1] and list(past["published_by"]) == ["复核员", "复核员"]


def test_a_repeat_preview_reads_no_values_and_a_category_change_rescores(
    small: SmallDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    from services import publishing

    small.put(P, FULL)
    reads = []
    real = publishing.current_values_in
    monkeypatch.setattr(publishing, "current_values_in", lambda s, ref: reads.append(ref.revision) or real(s, ref))
    first = publish_preview("t", P, engine=small.engine)
    again = publish_preview("t", P, engine=small.engine)
    assert len(reads) == 1 and first.units == again.units == 4 and again.can_publish
    small.put(P, {"U3": {"D1": 10, "D2": 20, "K1": 1}})  # a new revision is scored
    assert publish_preview("t", P, engine=small.engine).units == 4 and len(reads) == 2
    upsert_units(pd.DataFrame({"code": ["U9"], "name": ["新中心"], "category": ["测试类"]}), "管理员",
                 engine=small.engine)  # fmt: skip
    publish_preview("t", P, engine=small.engine)  # the register changed what scores read: scored again
    assert len(reads) == 3
    publish("t", P, "复核员", engine=small.engine)  # publishing uses the same (fresh) totals
    assert len(reads) == 3


def test_results_json_gives_the_published_results(small: SmallDb) -> None:
    small.put(P, FULL)
    with pytest.raises(Exception, match="本期考核结果尚未发布"):
        results_json("t", P, engine=small.engine)
    publish("t", P, "复核员", engine=small.engine)
    data = results_json("t", P, engine=small.engine)
    assert data["publication"]["seq"] == 1 and {u["unit"] for u in data["units"]} == {"U1", "U2", "U3", "U4"}
    assert all(isinstance(u["total"], int | float) for u in data["units"])


def test_the_upgrade_publishes_periods_that_already_have_data(small: SmallDb) -> None:
    """Downgrade to the schema before publishing existed, with data, then upgrade again."""
    from alembic import command

    small.put(P, FULL)
    small.put("2025-04", FULL)
    rolled = small.put("2025-04", {"U1": {"D1": 0, "D2": 0, "K1": 0}})
    submissions.rollback(rolled.submission_id, "测试员", "测试", engine=small.engine)
    expected = totals(results("t", "2025-04", published=False, engine=small.engine))
    cfg = alembic_config()
    for target in ("0003", "head"):  # 0003: the revision before publications
        with small.engine.execution_options(write=True).begin() as conn:
            cfg.attributes["connection"] = conn
            (command.downgrade if target == "0003" else command.upgrade)(cfg, target)
        small.engine.dispose()
    with reading(small.engine) as s:
        assert s.scalar(select(func.count()).select_from(Publication)) == 2
        rows = s.execute(select(PublicationSubmission.submission_id).order_by(PublicationSubmission.submission_id))
        assert [r[0] for r in rows] == [1, 2]  # the rolled-back submission is not published
    for label in (P, "2025-04"):
        shown = published_results("t", label, engine=small.engine)
        assert shown is not None and not shown.draft
    assert totals(published_results("t", "2025-04", engine=small.engine)) == expected


# -- a publication racing an import ----------------------------------------------------------
FORK = multiprocessing.get_context("fork")
N_UNITS = 200


def _import_holding_the_lock(url: str, halfway: Any, proceed: Any) -> None:
    """Import value set B, pausing inside the transaction (locks held) until told to go on."""
    real = submissions.insert_values

    def insert_then_wait(session, columns):  # noqa: ANN001, ANN202
        real(session, columns)
        session.flush()
        halfway.set()
        proceed.wait(120)

    submissions.insert_values = insert_then_wait
    engine = make_engine(url)
    units = [f"M{i:04d}" for i in range(N_UNITS)]
    frame = pd.DataFrame({"unit": units * 3, "code": ["D1"] * N_UNITS + ["D2"] * N_UNITS + ["K1"] * N_UNITS,
                          "value": [20.0] * N_UNITS + [10.0] * N_UNITS + [0.0] * N_UNITS})  # fmt: skip
    import_values(P, latest_version("t", engine=engine).id, frame, "考核二组", "b.csv", b"b", engine=engine)


def test_a_publication_racing_an_import_publishes_the_set_before_or_after_whole(small: SmallDb) -> None:
    units = [f"M{i:04d}" for i in range(N_UNITS)]
    upsert_units(pd.DataFrame({"code": units, "name": units, "category": "测试类"}), "测试员", engine=small.engine)
    small.put(P, {u: {"D1": 40, "D2": 20, "K1": 0} for u in units})  # set A: every unit 80
    small.engine.dispose()
    halfway, proceed = FORK.Event(), FORK.Event()
    child = FORK.Process(target=_import_holding_the_lock, args=(small.url, halfway, proceed))
    child.start()
    try:
        assert halfway.wait(60), "the import never got inside its transaction"
        outcome: list[Any] = []
        publisher = threading.Thread(target=lambda: outcome.append(publish("t", P, "复核员", engine=small.engine)))
        publisher.start()
        publisher.join(timeout=2)
        assert publisher.is_alive(), "the publication did not wait for the import in progress"
    finally:
        proceed.set()
    child.join(timeout=60)
    assert child.exitcode == 0
    publisher.join(timeout=120)
    assert outcome, "the publication did not finish"
    shown = published_results("t", P, engine=small.engine)
    assert set(totals(shown).values()) == {50.0}  # set B, whole: it committed before the publication
    assert len(outcome[0].publication.submission_ids) == 2


def test_a_publication_made_before_an_import_keeps_the_set_before(small: SmallDb) -> None:
    units = [f"M{i:04d}" for i in range(N_UNITS)]
    upsert_units(pd.DataFrame({"code": units, "name": units, "category": "测试类"}), "测试员", engine=small.engine)
    small.put(P, {u: {"D1": 40, "D2": 20, "K1": 0} for u in units})
    publish("t", P, "复核员", engine=small.engine)
    small.engine.dispose()
    halfway, proceed = FORK.Event(), FORK.Event()
    proceed.set()
    child = FORK.Process(target=_import_holding_the_lock, args=(small.url, halfway, proceed))
    child.start()
    child.join(timeout=60)
    assert child.exitcode == 0
    assert set(totals(published_results("t", P, engine=small.engine)).values()) == {80.0}  # set A, whole


# -- the command line -------------------------------------------------------------------------
@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture):  # noqa: ANN201
    from manage import main

    def run(engine: Engine, *argv: str) -> tuple[int, str, str]:
        monkeypatch.setenv("DATABASE_URL", small_url(engine))
        monkeypatch.setenv("ASSESS_USER", "运维员")
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def small_url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def test_publish_and_results_commands_with_refusals_and_exit_codes(small: SmallDb, cli) -> None:  # noqa: ANN001
    code, _, err = cli(small.engine, "results", "--scheme", "t", "--period", P)
    assert code == 4 and "本期考核结果尚未发布" in err
    code, _, err = cli(small.engine, "publish", "--scheme", "t", "--period", P)
    assert code == 4 and "没有任何有效数据" in err
    small.put(P, {**FULL, "U2": {"D2": 20, "K1": 0}})
    code, _, err = cli(small.engine, "publish", "--scheme", "t", "--period", P)
    assert code == 3 and "不能发布" in err and "单位「U2」" in err and "Traceback" not in err
    code, _, err = cli(small.engine, "publish", "--scheme", "t", "--period", "2025-13")
    assert code == 2 and "格式不对" in err
    small.put(P, {"U2": {"D1": 40}})
    code, out, _ = cli(small.engine, "publish", "--scheme", "t", "--period", P, "--dry-run")
    assert code == 0 and "可以发布" in out and publication("t", P, engine=small.engine) is None
    code, out, _ = cli(small.engine, "publish", "--scheme", "t", "--period", P)
    assert code == 0 and "第 1 次发布" in out
    assert publication("t", P, engine=small.engine).published_by == "运维员"
    code, _, err = cli(small.engine, "publish", "--scheme", "t", "--period", P)
    assert code == 3 and "无需重新发布" in err
    code, out, _ = cli(small.engine, "results", "--scheme", "t", "--period", P, "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["publication"]["seq"] == 1 and len(data["units"]) == 4
    code, out, _ = cli(small.engine, "results", "--scheme", "t", "--period", P, "--format", "csv")
    lines = out.strip().splitlines()
    assert code == 0 and lines[0].startswith("单位编码,单位,类别,总分,排名") and len(lines) == 5
    small.put(P, {"U3": {"D1": 10}})
    code, out, _ = cli(small.engine, "publish", "--scheme", "t", "--period", P)
    assert code == 0 and "丙中心（U3）：总分 75.00 → 45.00，排名 2 → 4" in out and "第 2 次发布" in out


def test_gongshi_comes_after_publishing(small: SmallDb) -> None:
    from services import periods

    small.put(P, FULL)
    with pytest.raises(Conflict, match="方案 t 的考核结果尚未审定发布，不能公示"):
        periods.publish_period(P, "张局长", engine=small.engine)
    publish("t", P, "复核员", engine=small.engine)
    assert periods.publish_period(P, "张局长", engine=small.engine).state == "published"


def test_the_new_audit_actions_have_chinese_names() -> None:
    import re
    from pathlib import Path

    from services.audit import ACTIONS

    root = Path(__file__).resolve().parents[1] / "services"
    for name in ("publishing.py", "progress.py", "reconcile.py"):
        for action in re.findall(r'audit\.record\(\s*session, \w+, "([a-z_.]+)"', (root / name).read_text("utf-8")):
            assert action in ACTIONS, (name, action)
    assert {"results.publish", "period.deadline", "reconcile.resolve"} <= set(ACTIONS)
