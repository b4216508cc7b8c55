"""Every file the app hands out, for every role, in Chinese only (issue 21): what each page's
download buttons make (the Excel bulletin, the 全区通报 in Word and Excel, the unit report, the
upload template, the CSV downloads of ranking, criteria, units and the audit log) and what
`python manage.py export-bulletin` writes. Read as a person reads them — every sheet name and
text cell, every paragraph, table cell, header and footer, every CSV field, and the document
properties Excel and Word show — under the same rules as the pages (tests/chinese_text.py).

Files people uploaded (证明材料, 申诉 attachments, original submissions, a marked-up upload) are
theirs, not the app's text, and are not read.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from chinese_text import file_texts, problems_in
from streamlit.testing.v1 import AppTest
from test_no_english import ROLES, role_page_cases
from test_pages import demo_url, signed_in_app  # noqa: F401 - demo_url: fixture

import ui.downloads
from services.catalog import list_schemes
from services.permissions import trusted
from storage.db import get_engine

# Downloads whose file is what a person uploaded, not text the app wrote.
THEIRS = ("attachment:", "objection:", "submission:", "task_file:", "annotated_upload")
Offered = dict[str, Callable[[], object]]
KNOWN: dict[tuple[str, str], str] = {}  # (role, page) → why its downloads still fail; none today


@pytest.fixture(scope="module")
def scheme_keys(demo_url: str) -> set[str]:  # noqa: F811
    with trusted():
        return {v.scheme_key for v in list_schemes(engine=get_engine(demo_url))}


@pytest.fixture(scope="module")
def offered() -> Iterator[Offered]:
    """Every download button drawn from now on: `what` -> the callable that makes its file
    (ui.downloads.deferred, so the file is made as a click would make it, re-checked)."""
    seen: Offered = {}
    original = ui.downloads.deferred

    def recording(make: Callable, permission: str, what: str) -> Callable[[], object]:
        run = original(make, permission, what)
        seen[what] = run
        return run

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(ui.downloads, "deferred", recording)
        yield seen


@pytest.fixture(scope="module")
def apps(demo_url: str, offered: Offered) -> Iterator[Callable[[str], AppTest]]:  # noqa: F811
    made: dict[str, AppTest] = {}
    with pytest.MonkeyPatch.context() as mp:

        def get(role: str) -> AppTest:
            if role not in made:
                made[role] = signed_in_app(demo_url, role, mp)
            return made[role]

        yield get


# Cells that hold a scheme's key by design: the 评分细则 workbook's 「方案编码」 field, which a person
# edits there and which reads the workbook back into the same scheme.
KEY_FIELDS = {"scheme_book": ("方案信息", "方案编码")}


def _key_field_cells(what: str, data: bytes | str) -> set[str]:
    kind = what.split(":", 1)[0]
    if kind not in KEY_FIELDS or not isinstance(data, bytes):
        return set()
    from openpyxl import load_workbook

    sheet_name, label = KEY_FIELDS[kind]
    sheet = load_workbook(io.BytesIO(data))[sheet_name]
    return {f"{sheet_name}!B{row[0].row}" for row in sheet.iter_rows(max_col=1) if row[0].value == label}


def check(files: dict[str, object], scheme_keys: set[str]) -> list[str]:
    found = []
    for what, data in files.items():
        assert isinstance(data, bytes | str) and data, f"{what}: no file"
        keep = _key_field_cells(what, data)
        found += [f"{what}: {p}" for kind, text in file_texts(data) if kind not in keep for p in problems_in([(kind, text)], scheme_keys)]  # fmt: skip
    return found


MADE: dict[str, set[str]] = {role: set() for role in ROLES}  # role -> kinds of file checked


CASES = role_page_cases(KNOWN)


@pytest.mark.parametrize(("role", "page"), CASES)
def test_every_download_speaks_chinese_only(
    apps, offered: Offered, scheme_keys: set[str], role: str, page: str
) -> None:  # noqa: ANN001
    at = apps(role)
    offered.clear()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    files = {}
    for what, make in offered.items():
        if what.startswith(THEIRS):
            continue
        files[what] = make()
        MADE[role].add(what.split(":")[0])
    found = check(files, scheme_keys)
    assert not found, f"{role} {page}:\n" + "\n".join(found)


def test_the_walk_made_the_files_each_role_may_take() -> None:
    """The walk above did reach the downloads (a renamed `what` or a hidden button would
    otherwise make it pass on nothing)."""
    if not all(MADE.values()):
        pytest.skip("the walk did not run in this session")
    exported = {"bulletin", "ranking_csv", "district_docx", "district_xlsx", "ranking", "criteria_lost"}
    for role in ("admin", "assessor", "viewer"):
        assert exported <= MADE[role], (role, MADE[role])
    assert {"template", "units", "audit"} & MADE["admin"]
    assert "unit_report" in MADE["unit"], MADE["unit"]


@pytest.mark.parametrize("period", ["2025-12", "2025"])  # the demo's last month, and its year (annual schemes)
def test_cli_exports_speak_chinese_only(demo_url: str, scheme_keys: set[str], tmp_path: Path, period: str) -> None:  # noqa: F811
    from manage import main
    from services.district_bulletin import published_schemes

    with trusted():
        published = [key for key, _ in published_schemes(period, engine=get_engine(demo_url))]
    assert published, period
    runs = {"全区.xlsx": [], "全区.docx": ["--format", "docx"]} | {f"{k}.xlsx": ["--scheme", k] for k in published}
    files = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DATABASE_URL", demo_url)
        for name, extra in runs.items():
            out = tmp_path / name
            assert main(["export-bulletin", "--period", period, "--out", str(out), "--by", "李四", *extra]) == 0, name
            files[f"export-bulletin {period} {name}"] = out.read_bytes()
    found = check(files, scheme_keys)
    assert not found, "\n".join(found)


ROLLED_UP = [("community_monthly", "quarter"), ("community_monthly", "year"), ("hospital_monthly", "quarter")]


@pytest.mark.parametrize(("scheme", "kind"), ROLLED_UP)
def test_rolled_up_views_download_in_chinese_only(
    apps,  # noqa: ANN001
    offered: Offered,
    scheme_keys: set[str],
    demo_url: str,  # noqa: F811
    scheme: str,
    kind: str,
) -> None:
    """A quarter's or a year's roll-up has no leaves, no grades of its own: its downloads (the
    ranking CSV, the criteria CSVs, the bulletin's CSV) must not fill the gaps with None."""
    from services.dashboard import period_choices

    with trusted():
        period = period_choices(scheme, engine=get_engine(demo_url))[kind][0]
    at = apps("admin")
    for key, value in (("f_scheme", scheme), (f"f_kind_{scheme}", kind), (f"f_period_{scheme}_{kind}", period)):
        at.session_state[key] = value
        at.session_state[f"_kept_{key}"] = value
    files = {}
    for page in ("pages/meeting.py", "pages/ranking.py", "pages/criteria.py"):
        offered.clear()
        at.switch_page(page).run()
        assert not at.exception, at.exception
        assert period in str(at.session_state["filters"]), (page, at.session_state["filters"])
        # The Excel bulletin and the 全区通报 are offered disabled for a roll-up (made per month).
        made = {
            what: make for what, make in offered.items() if not what.startswith(("bulletin:", "district_", *THEIRS))
        }
        files |= {f"{page} {what}": make() for what, make in made.items()}
    assert any("ranking" in what for what in files), sorted(files)
    found = check(files, scheme_keys)
    assert not found, f"{scheme} {kind} {period}:\n" + "\n".join(found)
