"""The view in the address bar: scheme, period, peer group, parent unit, unit and item live in the
URL query (…/unit_detail?scheme=community_monthly&period=2025-08&unit=C03&item=B2), so a link can
be bookmarked or sent, survives a refresh, and brings a signed-out user back to it after signing in.

Each run, `apply_url()` (app.py, before any chooser is drawn) lets a query the app did not write
itself — a pasted link, a refresh, a message's link — choose the view; the choosers then validate
it like any remembered choice (ui/filters.py drops a scheme or period that does not exist). After
the choosers, `write_url()` puts the view back in the address bar. A value the app wrote itself is
not applied again, so a chooser the user just changed is not overridden by the old address.
"""

from __future__ import annotations

from urllib.parse import urlencode

import streamlit as st

from scoring.periods import period_type

KEYS = ("scheme", "period", "group", "parent", "unit", "item")
_WRITTEN = "_url_written"  # the query this session last wrote (a dict of KEYS)
_RETURN = "_url_return"  # (page stem, query) a signed-out user asked for


def _asked() -> dict[str, str]:
    params = st.query_params
    return {k: str(params[k]) for k in KEYS if params.get(k)}


def choose(
    scheme: str | None = None,
    period: str | None = None,
    *,
    unit: str | None = None,
    item: str | None = None,
    group: str | None = None,
    parent: str | None = None,
) -> None:
    """Preset the shared choosers (ui/filters.py keeps their state under these keys) and the unit
    and item a page opens. Call before the choosers are drawn: at the start of a run, or in a
    button's callback."""
    if scheme:
        _set("f_scheme", scheme)
        if period:
            kind = period_type(period) or "month"
            _set(f"f_kind_{scheme}", kind)
            _set(f"f_period_{scheme}_{kind}", period)
    if group:
        _set("f_category", group)
    if parent:
        _set("f_parent", parent)
    if unit:
        st.session_state["unit"] = unit
    if item:
        st.session_state["item"] = item


def _set(key: str, value: str) -> None:
    st.session_state[key] = value
    st.session_state[f"_kept_{key}"] = value  # survives a page change (ui.filters._kept)


def apply_url() -> None:
    """A query this session did not write chooses the view (see the module's note)."""
    asked = _asked()
    written = st.session_state.get(_WRITTEN) or {}
    if not asked or all(written.get(k) == v for k, v in asked.items()):
        return
    choose(
        asked.get("scheme") or _current_scheme(),
        asked.get("period"),
        unit=asked.get("unit"),
        item=asked.get("item"),
        group=asked.get("group"),
        parent=asked.get("parent"),
    )
    st.session_state[_WRITTEN] = written | asked


def asked(key: str) -> str | None:
    """The address's `key` when it is not what this session wrote (a link, a refresh) — for a
    page with choosers of its own (全区总览's month)."""
    value = st.query_params.get(key)
    if not value or (st.session_state.get(_WRITTEN) or {}).get(key) == value:
        return None
    return str(value)


def _current_scheme() -> str | None:
    return st.session_state.get("f_scheme") or st.session_state.get("_kept_f_scheme")


def write_url(**values: str | None) -> None:
    """Put these parts of the view in the address bar (None removes one); other query
    parameters (a message's ?task=…) are left as they are."""
    params = st.query_params
    written = dict(st.session_state.get(_WRITTEN) or {})
    for key, value in values.items():
        if key not in KEYS:
            raise ValueError(key)
        if value is None or value == "":
            if key in params:
                del params[key]
            written.pop(key, None)
        else:
            if params.get(key) != str(value):
                params[key] = str(value)
            written[key] = str(value)
    st.session_state[_WRITTEN] = written


def remember_request(stem: str) -> None:
    """Signed out: remember the page and view asked for, to return to after signing in."""
    query = {k: v for k, v in st.query_params.to_dict().items() if isinstance(v, str)}
    st.session_state[_RETURN] = (stem, query)


def requested() -> tuple[str, dict[str, str]] | None:
    """(page stem, query) a signed-out user asked for, if any (kept until signed in)."""
    return st.session_state.get(_RETURN)


def forget_request() -> None:
    st.session_state.pop(_RETURN, None)


def relative_link(stem: str, query: dict[str, str]) -> str:
    """The app-relative address of a page and its query (`unit_detail?scheme=…`)."""
    return stem + (f"?{urlencode(query)}" if query else "")


def open_page(page: str, **view: str | None) -> None:
    """Open `page` on this view (scheme, period, unit, item …): the address carries it, so the
    page opened is the one a bookmark of it would open (apply_url)."""
    unknown = set(view) - set(KEYS)
    if unknown:
        raise ValueError(", ".join(sorted(unknown)))
    st.switch_page(page, query_params={k: str(v) for k, v in view.items() if v})
