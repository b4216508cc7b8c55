"""方案管理's form editor under AppTest, as the demo admin: change a target, see the diff and the
units it moves, save a new version with a note; create a scheme from a copy and find it listed."""

from __future__ import annotations

import pandas as pd
from streamlit.testing.v1 import AppTest
from test_admin_pages import press, widget
from test_pages import app, demo_url  # noqa: F401 - fixtures

from services.audit import audit_log
from services.catalog import latest_version, list_schemes, scheme_versions


def _open(app: AppTest, scheme: str) -> AppTest:  # noqa: F811
    app.switch_page("pages/admin_schemes.py").run()
    app.selectbox(key="scheme_pick").set_value(scheme).run()
    assert not app.exception, app.exception
    return app


def test_explore(app: AppTest) -> None:  # noqa: F811
    _open(app, "township_annual")
    print([ (w.label, w.key) for w in app.selectbox])
    print([ (w.label, w.key, w.value) for w in app.number_input][:40])
    print([e.value for e in app.error], [s.value for s in app.success], [c.value for c in app.code])
    print([w.label for w in app.text_input])
    print(len(app.dataframe), app.get("arrow_data_editor"))
