"""The 审定发布 page and what each role's result pages show of drafts (issue 19), under AppTest on
a private copy of the demo district (whose months are all published)."""

from __future__ import annotations

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest
from test_pages import choose, demo_url, signed_in_app  # noqa: F401 - demo_url is a fixture

from services.catalog import latest_version
from services.submissions import import_values
from storage.db import make_engine

KEY, P = "community_monthly", "2025-12"


@pytest.fixture
def changed(demo_url: str) -> str:  # noqa: F811
    """C03's D-values corrected in the draft of 2025-12 (not published)."""
    engine = make_engine(demo_url)
    from services.values import current_values

    values = current_values(KEY, P, engine=engine)
    mine = values[values["unit"].astype(str) == "C03"].copy()
    frame = pd.DataFrame(
        {"unit": "C03", "code": mine["code"].astype(str), "value": mine["value"] * 0, "na": mine["na"],
         "assessor": mine["assessor"].astype(str)}
    )  # fmt: skip
    frame.loc[frame["na"], "value"] = float("nan")
    version = latest_version(KEY, engine=engine).id
    import_values(P, version, frame, "测试考核员", "c03.csv", b"c03", engine=engine)
    engine.dispose()
    return demo_url


def _app(url: str, role: str, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    return signed_in_app(url, role, monkeypatch)


def test_leadership_sees_the_published_result_and_the_admin_the_draft_until_published(
    changed: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from services.publishing import published_results
    from services.results import results

    engine = make_engine(changed)
    published = published_results(KEY, P, engine=engine).units.set_index("unit")["total"]
    draft = results(KEY, P, published=False, engine=engine).units.set_index("unit")["total"]
    assert draft["C03"] < published["C03"]

    viewer = _app(changed, "viewer", monkeypatch)
    choose(viewer, KEY, P)
    viewer.switch_page("pages/ranking.py").run()
    assert not viewer.exception, viewer.exception
    assert not any("草稿" in w.value for w in viewer.warning)
    assert any("已发布（第 1 次" in c.value for c in viewer.caption)

    admin = _app(changed, "admin", monkeypatch)
    choose(admin, KEY, P)
    admin.switch_page("pages/ranking.py").run()
    assert any("草稿" in w.value for w in admin.warning)

    admin.switch_page("pages/publish.py").run()
    assert not admin.exception, admin.exception
    table = next(d.value for d in admin.dataframe if "变化" in d.value.columns)
    assert "C03" in list(table["单位编码"])  # the corrected unit, and units whose rank it moved
    assert all(u == "C03" or c.startswith("排名") for u, c in zip(table["单位编码"], table["变化"], strict=True))
    button = next(b for b in admin.button if b.label == "确认发布")
    button.click().run()
    assert any("请先勾选" in e.value for e in admin.error)  # no publication without confirming
    admin.checkbox(key="publish_confirm").check()  # inside a form: sent with the submit
    next(b for b in admin.button if b.label == "确认发布").click().run()
    assert not admin.exception, admin.exception
    assert any("第 2 次发布" in s.value for s in admin.success), [e.value for e in admin.error] + [
        s.value for s in admin.success
    ]
    after = published_results(KEY, P, engine=engine).units.set_index("unit")["total"]
    assert after["C03"] == draft["C03"]
    engine.dispose()


def test_the_reconciliation_page_resolves_a_difference_with_a_reason(
    demo_url: str,  # noqa: F811 - the fixture
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    admin = _app(demo_url, "admin", monkeypatch)
    choose(admin, KEY, "2025-08")
    admin.switch_page("pages/reconcile.py").run()
    assert not admin.exception, admin.exception
    table = admin.dataframe[0].value
    assert set(table["状态"]) == {"差异较大"} and {"考核一组", "考核二组"} <= set(table.columns)
    first = admin.selectbox(key="reconcile_cell").value
    admin.radio(key="reconcile_action").set_value("average")
    next(b for b in admin.button if b.label == "确认处理").click().run()
    assert any("必须填写原因" in e.value for e in admin.error)
    admin.text_input(key="reconcile_reason").input("两组复核后以一组为准")
    admin.radio(key="reconcile_action").set_value("average")
    admin.selectbox(key="reconcile_cell").set_value(first)
    next(b for b in admin.button if b.label == "确认处理").click().run()
    assert any("不能取平均" in e.value for e in admin.error)  # a yes/no item: 0.5 is no answer
    admin.radio(key="reconcile_action").set_value("choose")
    admin.selectbox(key="reconcile_team").set_value("考核一组")
    next(b for b in admin.button if b.label == "确认处理").click().run()
    assert not admin.exception, admin.exception
    assert any("已处理" in s.value and "重新发布后生效" in s.value for s in admin.success), [
        e.value for e in admin.error
    ]
    assert len(admin.dataframe[0].value) == len(table) - 1


@pytest.fixture
def new_month(demo_url: str) -> str:  # noqa: F811
    """2026-01 with data for two units (C01 complete, C02 partial), not published."""
    engine = make_engine(demo_url)
    from services.values import current_values

    values = current_values(KEY, P, engine=engine)
    c01 = values[values["unit"].astype(str) == "C01"].drop_duplicates("code")
    c02 = values[values["unit"].astype(str) == "C02"].drop_duplicates("code").head(3)
    frame = pd.concat([c01, c02])[["unit", "code", "value", "na"]].astype({"unit": str, "code": str})
    version = latest_version(KEY, engine=engine).id
    import_values("2026-01", version, frame.assign(assessor="考核一组"), "测试考核员", "1月.csv", b"j", engine=engine)
    engine.dispose()
    return demo_url


RESULT_PAGES = ["overview", "ranking", "unit_detail", "criteria", "trends", "meeting"]


@pytest.mark.parametrize("role", ["viewer", "admin"])
def test_every_results_page_shows_published_or_draft_never_an_error(
    new_month: str, monkeypatch: pytest.MonkeyPatch, role: str
) -> None:
    at = _app(new_month, role, monkeypatch)
    for page in RESULT_PAGES:
        choose(at, KEY, "2026-01")
        at.switch_page(f"pages/{page}.py").run()
        assert not at.exception, (page, at.exception)
        assert not at.error, (page, [e.value for e in at.error])
        shown = [i.value for i in at.info] + [w.value for w in at.warning]
        if role == "viewer" or page == "meeting":  # leadership and the meeting: published only
            assert any("本期考核结果尚未发布" in t for t in shown), (page, shown)
        elif page != "trends":
            assert any(t.startswith("草稿") for t in shown), (page, shown)
    for page in RESULT_PAGES:
        choose(at, KEY, "2025-12")
        at.switch_page(f"pages/{page}.py").run()
        assert not at.exception, (page, at.exception)
        assert not at.error, (page, [e.value for e in at.error])
