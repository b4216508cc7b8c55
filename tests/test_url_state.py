"""The view lives in the address (issue 21): scheme, period, unit and item in the URL query choose
what a page shows, the choosers write it back, and a link opened while signed out is where the
user lands after signing in. AppTest on the demo district; tests/test_browser_leadership.py does
the same in a real browser."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest
from test_pages import APP, DEMO_USER, _as_a_running_server, choose, demo_url, login  # noqa: F401

from reports.overview import ordered
from services.dashboard import period_view
from services.permissions import trusted

SCHEME = "community_monthly"


@pytest.fixture
def fresh(demo_url: str, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201, F811
    """A new browser: the app before anyone signed in (call it with the address's query)."""
    monkeypatch.setenv("DATABASE_URL", demo_url)
    monkeypatch.setenv("ASSESS_SEED_DEMO", "1")
    _as_a_running_server(monkeypatch)

    def make(query: dict[str, str] | None = None, page: str | None = None) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=90)
        at.query_params.update(query or {})
        at.run()
        if page:
            at.switch_page(page).run()
        assert not at.exception, at.exception
        return at

    return make


def _units(at: AppTest):  # noqa: ANN202
    return next(s for s in at.selectbox if s.label == "单位")


def _last_unit_and_its_worst_item(period: str) -> tuple[str, str]:
    """Computed here from the results service, not from the page under test."""
    with trusted():
        view = period_view(SCHEME, period)
    unit = str(ordered(view.units).iloc[-1]["unit"])
    explained = view.detail.explain(unit)
    lost = explained[explained["lost"] > 1e-9].sort_values(["lost", "code"], ascending=[False, True])
    return unit, str(lost.iloc[0]["code"])


def test_choosing_a_scheme_and_period_puts_them_in_the_address(fresh) -> None:  # noqa: ANN001
    at = login(fresh(), DEMO_USER["admin"])
    at.switch_page("pages/ranking.py").run()
    choose(at, SCHEME, "2025-08")
    assert at.query_params["scheme"] == SCHEME and at.query_params["period"] == "2025-08"
    choose(at, SCHEME, "2025-07")
    assert at.query_params["period"] == "2025-07"  # the chooser wins over the address it wrote itself


def test_a_link_opens_its_period_unit_and_item(fresh) -> None:  # noqa: ANN001
    unit, item = _last_unit_and_its_worst_item("2025-07")
    at = login(fresh(), DEMO_USER["admin"])
    at.query_params.update({"scheme": SCHEME, "period": "2025-07", "unit": unit, "item": item})
    at.switch_page("pages/unit_detail.py").run()
    assert not at.exception, at.exception
    assert at.selectbox(key=f"f_period_{SCHEME}_month").value == "2025-07"
    assert _units(at).value == unit
    assert any(h.value.startswith(f"指标详情：{item} ") for h in at.subheader)
    assert at.query_params["unit"] == unit and at.query_params["item"] == item
    # Another unit chosen on the page: the address follows, and the other unit's item is closed.
    with trusted():
        other = next(u for u in period_view(SCHEME, "2025-07").units["unit"] if u != unit)
    _units(at).set_value(other).run()
    assert at.query_params["unit"] != unit and "item" not in at.query_params
    assert not any(h.value.startswith("指标详情") for h in at.subheader)


def test_a_link_opened_signed_out_is_where_sign_in_lands(fresh) -> None:  # noqa: ANN001
    # The page of the address is kept by Streamlit itself (and by the sign-in route behind
    # serve.py, tests/test_http_security.py); the view in its query must survive the login.
    at = fresh({"scheme": SCHEME, "period": "2025-07"})
    assert [t.value for t in at.title] == ["登录"]  # nobody signed in: the login, at the link's address
    login(at, DEMO_USER["viewer"])
    assert [t.value for t in at.title] == ["全区总览"]  # leadership's home page
    assert at.selectbox(key="cockpit_month").value == "2025-07"  # the link's month, not the newest
    at.switch_page("pages/overview.py").run()
    assert at.selectbox(key="f_scheme").value == SCHEME
    assert at.selectbox(key=f"f_period_{SCHEME}_month").value == "2025-07"


def test_a_link_to_a_scheme_that_does_not_exist_falls_back_quietly(fresh) -> None:  # noqa: ANN001
    at = login(fresh(), DEMO_USER["admin"])
    at.query_params.update({"scheme": "no_such_scheme", "period": "1999-01", "unit": "ZZZ"})
    at.switch_page("pages/unit_detail.py").run()
    assert not at.exception and not at.error, (at.exception, [e.value for e in at.error])
    assert at.query_params["scheme"] != "no_such_scheme"  # the address now says what is shown
