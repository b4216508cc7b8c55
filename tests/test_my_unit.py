"""本单位结果 (issue 20, part 4): a unit account's own page and its own report.

The page is formatted as the administrator's 单位详情 shows the same unit (the same figures, the
same consequence text), shows its peers as numbers only, and never another unit's name, code or
data — in any period, when a period cannot be scored, nor in the workbook it downloads. Services
on SQLite and PostgreSQL (`demo_database`), pages under AppTest on a copy of the demo district.
"""

from __future__ import annotations

import contextlib
import io
import json
import zipfile
from collections.abc import Iterator
from xml.etree import ElementTree

import openpyxl
import pandas as pd
import pytest
from google.protobuf import text_format
from sqlalchemy import Engine
from streamlit.proto.Metric_pb2 import Metric as MetricProto
from streamlit.testing.v1 import AppTest
from test_pages import APP, DEMO_USER, _as_a_running_server, choose, demo_url, login  # noqa: F401

import services.own_unit
import ui.downloads
from scoring.errors import ScoringInputError
from services.accounts import create_account, update_account
from services.audit import audit_log
from services.bootstrap import DEMO_PASSWORD
from services.catalog import list_units
from services.errors import Conflict, Forbidden, NotFound
from services.own_unit import INCOMPLETE, ResultsIncomplete, own_report, own_unit
from services.permissions import Actor
from services.results import results
from storage.db import get_engine

KEY = "community_monthly"
UNIT = Actor(
    50, "u", "单位", "unit", unit_code="C03", unit_name="西城街道社区卫生服务中心", unit_category="社区卫生服务中心"
)
VIEWER = Actor(51, "v", "领导", "viewer")


def others(unit: str, engine: Engine | None = None) -> list[str]:
    """Every other unit's code and name in the register (all schemes, all categories)."""
    units = list_units(engine=engine)
    units = units[units["code"].astype(str) != unit]
    return [*units["code"].astype(str), *units["name"].astype(str)]


def workbook_text(data: bytes) -> str:
    """Every text and attribute of every XML part of an xlsx file (cells, sheet names, headers,
    properties), but the file's own timestamps and the writer's colour theme, whose hex colours
    and times read like unit codes (C0504D, T05:25)."""
    out = []
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for name in z.namelist():
            if name.startswith("xl/theme/"):
                continue
            for node in ElementTree.fromstring(z.read(name)).iter():
                if not node.tag.endswith(("}created", "}modified")):
                    out.extend([node.text or "", *node.attrib.values()])
    return "\n".join(out)


# -- the service -----------------------------------------------------------------------------------
def test_the_unit_sees_its_peer_groups_median_and_best_and_its_distance_to_the_line(demo_database: Engine) -> None:
    mine = own_unit(KEY, "2025-12", by=UNIT, engine=demo_database)
    everyone = results(KEY, "2025-12", engine=demo_database).units  # as the operator: all units
    peers = everyone[everyone["category"].astype(str) == "社区卫生服务中心"]["total"]
    assert mine.peer_median == pytest.approx(float(peers.median()))
    assert mine.peer_best == pytest.approx(float(peers.max()))
    assert mine.peer_best > mine.row["total"]  # C03 is below the line all year in the demo
    line = mine.scheme.bottom.threshold
    assert mine.row["gap_bottom_line"] == pytest.approx(round(mine.row["total"] - line, mine.scheme.decimals))
    assert mine.row["gap_bottom_line"] < 0
    assert set(mine.history["unit"]) == {"C03"} and len(mine.history) == 12
    assert {"delta_total", "delta_rank", "bottom", "veto"} <= set(mine.history.columns)
    assert list(mine.history["period"]) == sorted(mine.history["period"])


def test_the_own_report_holds_the_unit_alone_and_is_audited(demo_database: Engine) -> None:
    before = len(audit_log(action="export", limit=1000, engine=demo_database))
    data = own_report(KEY, "2025-12", by=UNIT, engine=demo_database)
    text = workbook_text(data)
    assert "西城街道社区卫生服务中心" in text and "C03" in text
    leaked = [x for x in others("C03", demo_database) if x in text]
    assert not leaked, leaked
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["概况", "各标签得分", "评分明细", "历史"]  # 社区 has ★核心指标 tags
    history = [r[0] for r in book["历史"].iter_rows(min_row=3, values_only=True) if r[0]]
    assert len(history) == 12 and history[-1] == "2025年12月"
    log = audit_log(action="export", limit=1000, engine=demo_database)
    assert len(log) == before + 1
    assert log.iloc[0]["target"] == "unit:C03" and "2025年12月" in log.iloc[0]["message"]
    assert log.iloc[0]["actor"] == UNIT.label


def test_a_unit_cannot_have_another_units_report_and_refusals_leave_no_export(demo_database: Engine) -> None:
    before = len(audit_log(action="export", limit=1000, engine=demo_database))
    with pytest.raises(Forbidden):
        own_report(KEY, "2025-12", "C01", by=UNIT, engine=demo_database)
    outsider = Actor(52, "x", "乡镇卫生院账户", "unit", unit_code="T01", unit_category="乡镇卫生院")
    with pytest.raises(Forbidden):
        own_report(KEY, "2025-12", "C03", by=outsider, engine=demo_database)
    assert len(audit_log(action="export", limit=1000, engine=demo_database)) == before
    # others download it through their export permission (a viewer has it), as on 单位详情
    assert own_report(KEY, "2025-12", "C01", by=VIEWER, engine=demo_database)[:2] == b"PK"


def test_the_own_report_of_a_period_not_published_or_not_scorable_names_no_other_unit(
    demo_database: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(NotFound) as none:
        own_report(KEY, "2030-01", by=UNIT, engine=demo_database)
    assert "尚未发布" in str(none.value)

    def unscorable(*args: object, **kwargs: object) -> None:
        raise ScoringInputError([f"单位 {x} 缺少 A2" for x in others("C03", demo_database)])

    monkeypatch.setattr(services.own_unit, "results", unscorable)
    with pytest.raises(ResultsIncomplete) as incomplete:
        own_report(KEY, "2025-12", by=UNIT, engine=demo_database)
    assert str(incomplete.value) == INCOMPLETE


# -- the page --------------------------------------------------------------------------------------
def _app(url: str, username: str, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("ASSESS_SEED_DEMO", "1")
    _as_a_running_server(monkeypatch)
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    login(at, username)
    assert not at.error, [e.value for e in at.error]
    return at


@pytest.fixture
def unit_app(demo_url: str, monkeypatch: pytest.MonkeyPatch) -> AppTest:  # noqa: F811
    at = _app(demo_url, DEMO_USER["unit"], monkeypatch)
    at.switch_page("pages/my_unit.py").run()
    assert not at.exception, at.exception
    return at


def unit_account(url: str, code: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A unit account of `code` in the app's database (the demo has one, of C03)."""
    if code == "C03":
        return DEMO_USER["unit"]
    monkeypatch.setenv("DATABASE_URL", url)
    username = f"unit-{code.lower()}"
    with contextlib.suppress(Conflict):  # else made by an earlier test of this module
        create_account(
            username, f"{code} 账户", "unit", DEMO_PASSWORD, unit_code=code, is_demo=True, engine=get_engine()
        )
    return username


def own_period(at: AppTest, period: str, kind: str = "month") -> AppTest:
    if kind != "month":
        at.segmented_control(key=f"own_kind_{KEY}").set_value(kind).run()
    at.selectbox(key=f"own_period_{KEY}_{kind}").set_value(period).run()
    assert not at.exception, at.exception
    return at


def _leaves(node: object) -> Iterator[object]:
    children = getattr(node, "children", None)
    if isinstance(children, dict):
        for child in children.values():
            yield from _leaves(child)
    else:
        yield node


def rendered(at: AppTest) -> str:
    """All a page shows: every element's text, every table's cells, every chart's data."""
    parts = []
    for element in [*_leaves(at.main), *_leaves(at.sidebar)]:
        proto = getattr(element, "proto", None)
        if element.type in ("dataframe", "arrow_data_frame"):
            parts.append(element.value.to_string())
            parts.append(proto.columns)
        elif element.type == "plotly_chart":
            parts.append(json.dumps(json.loads(proto.spec), ensure_ascii=False))
        elif proto is not None:
            parts.append(text_format.MessageToString(proto, as_utf8=True))
    return "\n".join(parts)


def tables(at: AppTest) -> dict[str, tuple[pd.DataFrame, dict]]:
    """The drill-down tables by their kind, each with its column settings (the number formats)."""
    out = {}
    for frame in at.dataframe:
        columns = set(frame.value.columns)
        kind = "tags" if "标签" in columns else "dimensions" if "得分率" in columns else None
        kind = kind or ("lost" if {"失分", "计分过程"} <= columns else None)
        if kind:
            out[kind] = (frame.value, json.loads(frame.proto.columns))
    return out


def shown(at: AppTest) -> dict:
    return {
        "metrics": [(m.label, m.value, m.proto.delta) for m in at.metric],
        "alerts": [
            e.value for e in [*at.error, *at.warning] if e.value.startswith(("末位", "一票否决", "不得评先评优"))
        ],
        "next grade": [c.value for c in at.caption if "距上一等级" in c.value],
        "tables": tables(at),
    }


@pytest.mark.parametrize(("code", "period"), [("C03", "2025-12"), ("C07", "2025-08")])
def test_the_unit_page_shows_the_same_figures_and_consequences_as_the_administrators_view(
    demo_url: str,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    code: str,
    period: str,
) -> None:
    """C03 is below the line (末位) in December, C07 vetoed in August: 31.73 / 79.32% / 1.00 on
    both pages, not 31.7261 / 0.6733 / 0.996 on the unit's."""
    mine = own_period(_app(demo_url, unit_account(demo_url, code, monkeypatch), monkeypatch).switch_page(
        "pages/my_unit.py").run(), period)  # fmt: skip
    admin = choose(_app(demo_url, DEMO_USER["admin"], monkeypatch), KEY, period)
    admin.session_state["unit"] = code
    admin.switch_page("pages/unit_detail.py").run()
    assert not admin.exception, admin.exception
    ours, theirs = shown(mine), shown(admin)
    assert [x for x in others(code, get_engine()) if x in rendered(admin)]  # `rendered` does see units
    assert [m[0] for m in ours["metrics"]] == ["总分", "同类名次", "等级", "同类中位数", "同类最高"]
    assert ours["metrics"] == theirs["metrics"]
    assert ours["alerts"] == theirs["alerts"] and ours["alerts"]  # 末位 / 一票否决 and what follows
    assert ours["next grade"] == theirs["next grade"]
    assert set(ours["tables"]) == set(theirs["tables"]) == {"dimensions", "tags", "lost"}  # ★核心指标 (h33)
    for kind, (frame, columns) in ours["tables"].items():
        pd.testing.assert_frame_equal(frame, theirs["tables"][kind][0])
        assert columns == theirs["tables"][kind][1]  # the same number formats
    formats = {name: c.get("type_config", {}).get("format") for name, c in ours["tables"]["dimensions"][1].items()}
    assert formats["得分率"] == "percent" and formats["得分"] == "%.2f"
    lost = next(f for f in mine.dataframe if "失分" in f.value.columns)  # after 各标签得分 when tagged
    assert json.loads(lost.proto.columns)["失分"]["type_config"]["format"] == "%.2f"
    assert mine.metric[0].value.count(".") == 1 and len(mine.metric[0].value.split(".")[1]) == 2
    if code == "C03":
        assert any("处理：" in a for a in ours["alerts"])  # the scheme's bottom.consequence
        assert any(a.startswith("不得评先评优：末位") for a in ours["alerts"])  # 末位 is never eligible
        gap = round(80 - float(mine.metric[0].value), 2)  # the demo's line: 80 分
        assert f"低于末位线（80 分）{gap:.2f} 分。" in [c.value for c in mine.caption]
    else:
        assert any(a.startswith("一票否决：") and "不得评先评优" in a for a in ours["alerts"])


def test_the_unit_page_shows_rank_change_history_and_its_download(unit_app: AppTest) -> None:
    at = own_period(unit_app, "2025-12")
    rank = next(m for m in at.metric if m.label == "同类名次")
    assert rank.proto.delta in {"—", *(f"{a}{n}" for a in "↑↓" for n in range(1, 9))}
    history = next(f.value for f in at.dataframe if "期间" in f.value.columns)
    assert list(history.columns) == ["期间", "总分", "较上期", "同类名次", "名次变化", "等级", "标记"]
    assert len(history) == 12 and history.iloc[0]["期间"] == "2025年12月"  # newest first
    flags = own_unit(KEY, "2025-12", "C03").history.iloc[::-1]  # as the operator: the true flags
    assert list(history["标记"]) == ["末位" if b else "" for b in flags["bottom"]]
    assert list(history["总分"]) == list(flags["total"])
    assert [b.proto.label for b in at.get("download_button")] == ["下载本单位考核结果（Excel）"]
    assert [c.value for c in at.caption if "末位线（" in c.value]
    # a quarter is the mean of its months: no criteria, so no workbook
    own_period(at, "2025-Q4", "quarter")
    assert not at.get("download_button")
    assert at.metric[0].label == "总分"


def test_the_download_is_the_accounts_own_report_rechecked_and_audited(
    demo_url: str,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made = []
    original = ui.downloads.deferred

    def keep(*args: object, **kwargs: object) -> object:  # what the button would call when clicked
        made.append(original(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(ui.downloads, "deferred", keep)
    at = _app(demo_url, DEMO_USER["unit"], monkeypatch).switch_page("pages/my_unit.py").run()
    own_period(at, "2025-12")
    engine = get_engine()
    before = len(audit_log(action="export", limit=1000, engine=engine))
    data = made[-1]()
    text = workbook_text(data)
    assert "西城街道社区卫生服务中心" in text
    assert not [x for x in others("C03", engine) if x in text]
    log = audit_log(action="export", limit=1000, engine=engine)
    assert len(log) == before + 1 and log.iloc[0]["target"] == "unit:C03"
    name = next(b.proto for b in at.get("download_button")).label
    assert name == "下载本单位考核结果（Excel）"
    # the account moved to another unit while the button was on screen: it serves nothing
    update_account(DEMO_USER["unit"], unit_code="C01", engine=engine)
    try:
        with pytest.raises(Forbidden):
            made[-1]()
    finally:
        update_account(DEMO_USER["unit"], unit_code="C03", engine=engine)
    assert len(audit_log(action="export", limit=1000, engine=engine)) == before + 1


@pytest.mark.parametrize(("code", "kind"), [("C03", "month"), ("C03", "quarter"), ("C03", "year"), ("C07", "month")])
def test_the_unit_page_never_shows_another_unit_in_any_period(
    demo_url: str,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    code: str,
    kind: str,
) -> None:
    at = _app(demo_url, unit_account(demo_url, code, monkeypatch), monkeypatch).switch_page("pages/my_unit.py").run()
    assert not at.exception, at.exception
    names = others(code, get_engine())
    if kind != "month":
        at.segmented_control(key=f"own_kind_{KEY}").set_value(kind).run()
    select = at.selectbox(key=f"own_period_{KEY}_{kind}")
    for period in select.options:
        at.selectbox(key=f"own_period_{KEY}_{kind}").set_value(period).run()
        assert not at.exception, at.exception
        text = rendered(at)
        assert code in text and at.metric, period
        leaked = [x for x in names if x in text]
        assert not leaked, (period, leaked)


def test_the_unit_page_of_a_period_that_cannot_be_scored_names_no_other_unit(
    unit_app: AppTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = others("C03", get_engine())

    def unscorable(*args: object, **kwargs: object) -> None:  # the scoring error lists other units' cells
        raise ScoringInputError([f"单位 {x} 缺少 A2" for x in names])

    monkeypatch.setattr(services.own_unit, "period_view", unscorable)
    own_period(unit_app, "2025-11")
    assert [i.value for i in unit_app.info] == [INCOMPLETE]
    assert not unit_app.metric and not unit_app.get("download_button")
    text = rendered(unit_app)
    assert not [x for x in names if x in text]


def test_the_rank_tile_draws_no_arrow_of_its_own(unit_app: AppTest) -> None:
    """Found in the browser: the tile's text already says ↓3 / ↑1 / —, and Streamlit drew an up
    arrow beside every one of them (「↑ ↓3」 for a unit that fell three places, 「↑ —」 for none)."""
    for period in ("2025-09", "2025-12"):  # the demo unit fell three places in September; none in December
        at = own_period(unit_app, period)
        rank = next(m for m in at.metric if m.label == "同类名次")
        assert rank.proto.delta in {"↓3", "—"} and rank.proto.direction == MetricProto.MetricDirection.NONE
