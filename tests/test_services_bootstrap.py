"""First start: the app creates and migrates the database and loads the demo district itself."""

from __future__ import annotations

import multiprocessing
import time
import traceback
from pathlib import Path
from typing import Any

import pytest
from conftest import url_of
from sqlalchemy import Engine, func, select

from services import bootstrap
from services.seed import seed_demo
from services.submissions import history
from storage import db
from storage.db import get_engine, make_engine, reading
from storage.integrity import check
from storage.models import Submission, Unit


def census(engine: Engine) -> tuple[int, int]:
    with reading(engine) as s:
        return (
            s.scalar(select(func.count()).select_from(Unit)),
            s.scalar(select(func.count()).select_from(Submission)),
        )


def test_a_fresh_machine_gets_the_database_and_the_demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("ASSESS_SEED_DEMO", raising=False)
    monkeypatch.setattr(db, "DEFAULT_SQLITE_PATH", tmp_path / "var" / "assessment.db")
    engine = bootstrap.ensure_ready()
    assert (tmp_path / "var" / "assessment.db").exists()
    assert census(engine) == (100, 26)
    started = time.perf_counter()
    assert bootstrap.ensure_ready() is engine
    assert time.perf_counter() - started < 0.01  # every Streamlit rerun calls it
    engine.dispose()


def test_a_configured_database_is_migrated_but_not_filled_with_the_demo(
    database: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", url_of(database))
    monkeypatch.delenv("ASSESS_SEED_DEMO", raising=False)
    assert census(bootstrap.ensure_ready(get_engine())) == (0, 0)


def test_the_demo_can_be_asked_for_on_any_database(database: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", url_of(database))
    monkeypatch.setenv("ASSESS_SEED_DEMO", "1")
    assert census(bootstrap.ensure_ready(get_engine())) == (100, 26)


def test_seeding_the_demo_again_changes_nothing(demo_database: Engine) -> None:
    before = census(demo_database), history(engine=demo_database)
    report = seed_demo(engine=demo_database)
    assert (report.units_created, report.units_updated, report.schemes_created, report.imported) == (0, 0, 0, 0)
    assert report.unchanged == 26 and "26 份已存在" in report.message
    assert census(demo_database) == before[0]
    assert history(engine=demo_database)["id"].tolist() == before[1]["id"].tolist()


def _start_app(url: str, report: Any) -> None:
    try:
        bootstrap.ensure_ready(make_engine(url))
        report.put("ok")
    except BaseException:  # noqa: BLE001 - the traceback goes back to the test
        report.put(traceback.format_exc())


def test_two_replicas_starting_together_on_an_empty_database(
    database: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both migrate and seed at once: one does the work, the other finds it done."""
    url = url_of(database)
    if database.dialect.name == "sqlite":  # truly fresh: not even the schema exists
        url = f"sqlite:///{tmp_path}/fresh.db"
    monkeypatch.setenv("ASSESS_SEED_DEMO", "1")
    database.dispose()
    fork = multiprocessing.get_context("fork")
    report = fork.Queue()
    replicas = [fork.Process(target=_start_app, args=(url, report)) for _ in range(2)]
    for r in replicas:
        r.start()
    outcomes = [report.get(timeout=120) for _ in replicas]
    for r in replicas:
        r.join(timeout=30)
    assert outcomes == ["ok", "ok"], outcomes[0] if outcomes[0] != "ok" else outcomes[1]
    engine = make_engine(url)
    assert census(engine) == (100, 26)
    assert check(engine) == []
    engine.dispose()
