"""What tables show and what leaves them: no cell a spreadsheet would run, no Markdown from data.

- The table toolbar's own download / copy is off for the whole app (.streamlit/config.toml).
- Every table helper (ui.safe_table) shows formula-like text neutralised, numbers as numbers.
- Every page, with a unit and a login name that are formulas and markup, draws only guarded
  tables (AppTest, the demo district).
- 「下载 CSV」 writes the neutralised table only after re-checking the session, and audits it.
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
import streamlit as st
from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df
from streamlit.testing.v1 import AppTest
from test_pages import DEMO_USER, PAGE_PATHS, app, choose, demo_url  # noqa: F401 - fixtures

from exports.safe_text import FORMULA_TRIGGERS
from services.accounts import LoginRefused, authenticate, check_session, logout, update_account
from services.audit import audit_log
from services.bootstrap import DEMO_PASSWORD
from services.catalog import list_units, upsert_units
from services.errors import Conflict, Forbidden
from services.publishing import publish
from services.uploads import check_upload, commit, version_for
from services.values import current_values
from storage.db import get_engine
from ui.downloads import fresh_actor
from ui.safe_table import csv_file, guard, guard_cell, table_csv

FORMULA = '=HYPERLINK("http://e.invalid","x")'
MARKUP = '![x](http://127.0.0.1:9/x.png) [链接](http://example.invalid) :red[红] <a href="http://e.invalid">a</a>'
ROOT = Path(__file__).resolve().parents[1]


def unsafe_cells(frame: pd.DataFrame) -> list[str]:
    """Text cells (also inside lists) a spreadsheet would run as a formula."""
    found = []
    for column in frame.columns:
        for value in frame[column].tolist():
            values = value if isinstance(value, list | tuple) else [value]
            found += [v for v in values if isinstance(v, str) and guard_cell(v) != v]
    return found


def shown_text(table) -> pd.DataFrame:  # noqa: ANN001
    """What a table element displays: a Styler's display values, else its data."""
    styler = table.proto.arrow_data.styler
    if styler.display_values:
        return convert_arrow_bytes_to_pandas_df(styler.display_values)
    return table.value


def test_the_toolbar_export_of_tables_is_off_in_the_app_configuration() -> None:
    text = (ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8")
    assert "disableDataExport = true" in text
    assert st.get_option("client.disableDataExport") is True  # read from that file by Streamlit


def test_guard_neutralises_text_and_keeps_numbers() -> None:
    frame = pd.DataFrame(
        {
            "单位": [FORMULA, "+cmd|' /C calc'!A0", "普通卫生院", "@SUM(A1)", "－1＋1"],
            "较上期": ["+1.50", "-2", "—", "-3%", "1,234.5"],
            "等级": [["=1+1"], ["优秀"], [], ["合格"], ["-x"]],
            "总分": [91.5, -3.0, 70.0, 0.0, 1.0],
        }
    )
    shown = guard(frame)
    assert unsafe_cells(frame) and not unsafe_cells(shown)
    assert shown["单位"].tolist()[:3] == ["'" + FORMULA, "'+cmd|' /C calc'!A0", "普通卫生院"]
    assert shown["较上期"].tolist() == frame["较上期"].tolist()  # signed numbers are not formulas
    assert shown["总分"].dtype == float and shown["总分"].tolist() == frame["总分"].tolist()
    assert shown["等级"].tolist()[0] == ["'=1+1"]
    assert frame["单位"].iloc[0] == FORMULA  # the caller's frame is not changed

    table = guard(pa.Table.from_pandas(frame, preserve_index=False))
    assert not unsafe_cells(table.to_pandas()) and table.schema == pa.Table.from_pandas(frame).schema

    styled = guard(frame.style.format({"总分": "{:.1f}"}))
    html = styled.to_html()
    assert "&#39;=HYPERLINK" in html or "'=HYPERLINK" in html
    assert ">91.5<" in html  # the number format is kept


def test_table_csv_keeps_numbers_and_neutralises_every_text() -> None:
    frame = pd.DataFrame(
        {"单位": [FORMULA, "乙"], "变化": ["+1.50", "-2"], "总分": [-1.5, 2.0], "等级": [["优秀"], []]}
    )
    rows = pd.read_csv(io.BytesIO(table_csv(frame)), encoding="utf-8-sig", keep_default_na=False)
    assert rows["单位"].tolist() == ["'" + FORMULA, "乙"]
    assert rows["变化"].tolist() == ["'+1.50", "'-2"]  # in a file, text stays text
    assert rows["总分"].tolist() == [-1.5, 2.0]
    assert rows["等级"].tolist() == ["优秀", ""]
    assert table_csv(frame).startswith("\ufeff".encode())


@pytest.fixture
def hostile(demo_url: str, monkeypatch: pytest.MonkeyPatch) -> str:  # noqa: F811
    """The demo district with a unit named as a formula, one named as markup, and a failed login
    under a formula user name (it lands in the audit log)."""
    monkeypatch.setenv("DATABASE_URL", demo_url)
    monkeypatch.setenv("ASSESS_SEED_DEMO", "1")
    engine = get_engine()
    units = list_units(engine=engine).set_index("code")
    frame = units.loc[["C03", "C05"], ["name", "category"]].reset_index()
    frame["name"] = [FORMULA, MARKUP]
    upsert_units(frame, engine=engine)
    with pytest.raises(LoginRefused):
        authenticate(FORMULA, "wrong-password", engine=engine)
    # an assessor (named as a formula) leaves a formula as note on C03's indicator A1 in December
    current = current_values("community_monthly", "2025-12", engine=engine)
    value = current[(current["unit"] == "C03") & (current["code"] == "A1")]["value"].iloc[0]
    quoted = FORMULA.replace('"', '""')
    sheet = f'单位,指标编码,数值,考核人,备注\nC03,A1,{value},"{quoted}","{quoted}"\n'.encode()
    version = version_for("community_monthly", "2025-12", engine=engine)
    commit(check_upload(sheet, "notes.csv", version.id, "2025-12", engine=engine), "考核组", engine=engine)
    with contextlib.suppress(Conflict):  # what a unit account sees (already published by an earlier test)
        publish("community_monthly", "2025-12", "测试", "备注中的公式", engine=engine)
    return demo_url


def test_every_page_shows_only_guarded_tables(hostile: str, app: AppTest) -> None:  # noqa: F811
    choose(app, "community_monthly", "2025-08")
    app.session_state["unit"] = "C03"
    seen: set[str] = set()
    for page in PAGE_PATHS:
        app.switch_page(page).run()
        assert not app.exception, (page, app.exception)
        for table in app.dataframe:
            frame = shown_text(table)
            assert not unsafe_cells(frame), (page, unsafe_cells(frame))
            seen |= {v for c in frame.columns for v in frame[c].tolist() if isinstance(v, str)}
        for table in app.table:  # st.table renders its cells' display text as Markdown: escaped
            text = " ".join(str(v) for v in shown_text(table).to_numpy().ravel())
            bare = re.sub(r"\\.", "", text)  # what is left once escaped characters are taken out
            assert "[" not in bare and "<a" not in bare and ":red" not in bare, (page, text)
    assert "'" + FORMULA in seen  # the formula unit and the formula login did reach some tables
    assert any(v.endswith("'" + FORMULA) or v == "'" + FORMULA for v in seen)


@pytest.mark.parametrize("login_role", ["unit"])
def test_a_units_own_page_shows_an_assessors_formula_note_neutralised(hostile: str, app: AppTest) -> None:  # noqa: F811
    app.switch_page("pages/my_unit.py").run()
    period = next(w for w in app.selectbox if w.key and w.key.startswith("own_period_"))
    period.set_value("2025-12").run()
    assert not app.exception, app.exception
    tables = [shown_text(t) for t in app.dataframe]
    notes = next(t for t in tables if "备注" in t.columns)
    assert "'" + FORMULA in notes["备注"].tolist() and "'" + FORMULA in notes["考核人"].tolist()
    assert not [cell for t in tables for cell in unsafe_cells(t)]


def test_the_csv_button_rechecks_the_session_and_audits(hostile: str) -> None:
    engine = get_engine()
    token = authenticate(DEMO_USER["viewer"], DEMO_PASSWORD, engine=engine)
    frame = pd.DataFrame({"单位": [FORMULA], "总分": [-1.5]})
    drawn = check_session(token, engine=engine).actor
    file = csv_file(frame, "ranking", "排名.csv")

    def make() -> bytes:  # what the button's deferred callable does when clicked
        return file(fresh_actor(token, drawn, "export", "ranking"))

    before = len(audit_log(action="export", limit=1000, engine=engine))

    rows = pd.read_csv(io.BytesIO(make()), encoding="utf-8-sig")
    assert rows["单位"].tolist() == ["'" + FORMULA] and rows["总分"].tolist() == [-1.5]
    log = audit_log(action="export", limit=1000, engine=engine)
    assert len(log) == before + 1
    assert log.iloc[0]["target"] == "export:ranking" and "排名.csv" in log.iloc[0]["message"]

    update_account(DEMO_USER["viewer"], role="unit", unit_code="C01", engine=engine)  # demoted: no export
    with pytest.raises(Forbidden):
        make()
    logout(token, engine=engine)
    with pytest.raises(Forbidden):
        make()
    assert len(audit_log(action="export", limit=1000, engine=engine)) == before + 1
    assert FORMULA.startswith(FORMULA_TRIGGERS)


EDITOR = """
import pandas as pd
import streamlit as st
from ui.safe_table import edit_table

frame = pd.DataFrame({"等级": ["=A", "优秀"], "系数": [1.0, 0.9]})
st.session_state["back"] = list(edit_table(frame, disabled=["等级"], key="e")["等级"])
"""


def test_the_editor_shows_read_only_text_guarded_and_hands_back_what_it_was_given() -> None:
    at = AppTest.from_string(EDITOR).run()
    assert not at.exception, at.exception
    assert at.dataframe[0].value["等级"].tolist() == ["'=A", "优秀"]  # what the page shows
    assert at.session_state["back"] == ["=A", "优秀"]  # what the page computes with
