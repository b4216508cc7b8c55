"""First start: the app creates and migrates the database; the demo district and demo accounts
only when demo mode is asked for (ASSESS_SEED_DEMO=1); otherwise the first administrator is
made on the first-run page with the setup code the server printed."""

from __future__ import annotations

import multiprocessing
import time
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import url_of
from sqlalchemy import Engine, func, select

from data.demo import build_demo
from services import bootstrap
from services.accounts import LoginRefused, authenticate, check_session
from services.errors import Conflict, InvalidInput
from services.seed import seed_demo
from services.submissions import history
from storage import db
from storage.db import get_engine, make_engine, reading
from storage.integrity import check
from storage.models import Account, Submission, Unit

# one submission per scheme and period of the demo district
DEMO_SUBMISSIONS = sum(frame["period"].nunique() for frame in build_demo().values.values())


def census(engine: Engine) -> tuple[int, int]:
    with reading(engine) as s:
        return (
            s.scalar(select(func.count()).select_from(Unit)),
            s.scalar(select(func.count()).select_from(Submission)),
        )


@pytest.fixture
def default_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The default SQLite file of a fresh machine (no DATABASE_URL), under tmp_path."""
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setattr(db, "DEFAULT_SQLITE_PATH", tmp_path / "var" / "assessment.db")
    bootstrap._ready.clear()
    yield tmp_path / "var" / "assessment.db"
    bootstrap._ready.clear()
    get_engine().dispose()


@pytest.mark.parametrize("flag", [None, "", "0", "no", "demo"])
def test_a_fresh_machine_gets_the_database_but_no_demo_unless_asked(
    default_database: Path, monkeypatch: pytest.MonkeyPatch, flag: str | None
) -> None:
    """Security finding 1: the default SQLite file used to get the demo district and the demo
    administrator whose password the login page prints."""
    if flag is None:
        monkeypatch.delenv("ASSESS_SEED_DEMO", raising=False)
    else:
        monkeypatch.setenv("ASSESS_SEED_DEMO", flag)
    engine = bootstrap.ensure_ready()
    assert default_database.exists()
    assert census(engine) == (0, 0)
    assert not bootstrap.should_seed_demo()
    with reading(engine) as s:
        assert s.scalar(select(func.count()).select_from(Account)) == 0
    assert bootstrap.needs_first_admin(engine=engine)
    with pytest.raises(LoginRefused):
        authenticate("demo-admin", bootstrap.DEMO_PASSWORD, engine=engine)
    started = time.perf_counter()
    assert bootstrap.ensure_ready() is engine
    assert time.perf_counter() - started < 0.01  # every Streamlit rerun calls it


def test_the_demo_on_the_default_database_when_asked_for(
    default_database: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASSESS_SEED_DEMO", "1")
    engine = bootstrap.ensure_ready()
    assert census(engine) == (100, DEMO_SUBMISSIONS)
    assert not bootstrap.needs_first_admin(engine=engine)
    token = authenticate("demo-admin", bootstrap.DEMO_PASSWORD, engine=engine)
    assert check_session(token, engine=engine).actor.role == "admin"


def test_a_configured_database_is_migrated_but_not_filled_with_the_demo(
    database: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", url_of(database))
    monkeypatch.delenv("ASSESS_SEED_DEMO", raising=False)
    assert census(bootstrap.ensure_ready(get_engine())) == (0, 0)


def test_the_first_administrator_needs_the_printed_setup_code(
    database: Engine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.delenv("ASSESS_SEED_DEMO", raising=False)
    monkeypatch.setattr(bootstrap, "_setup", {})
    code = bootstrap.setup_code()
    assert code in capsys.readouterr().err  # the operator reads it in the server's log
    assert bootstrap.setup_code() == code  # one code per process until it is used
    with pytest.raises(InvalidInput, match="设置码不正确"):
        bootstrap.create_first_admin("0000-0000-0000", "boss", "局长", "a-long-password-1", engine=database)
    with pytest.raises(InvalidInput, match="至少"):  # the password rules hold here too
        bootstrap.create_first_admin(code, "boss", "局长", "short", engine=database)
    assert bootstrap.needs_first_admin(engine=database)
    made = bootstrap.create_first_admin(f" {code} ", "boss", "局长", "a-long-password-1", engine=database)
    assert (made.username, made.role) == ("boss", "admin")
    assert not bootstrap.needs_first_admin(engine=database)
    token = authenticate("boss", "a-long-password-1", engine=database)
    assert check_session(token, engine=database).actor.role == "admin"
    # The code was used up; a new one (printed again) cannot make a second administrator.
    again = bootstrap.setup_code()
    assert again != code and again in capsys.readouterr().err
    with pytest.raises(Conflict, match="已有管理员"):
        bootstrap.create_first_admin(again, "boss2", "副局长", "a-long-password-2", engine=database)


def test_guessing_the_setup_code_replaces_it(database: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ASSESS_SEED_DEMO", raising=False)
    monkeypatch.setattr(bootstrap, "_setup", {})
    code = bootstrap.setup_code()
    for _ in range(bootstrap.SETUP_CODE_TRIES - 1):
        with pytest.raises(InvalidInput, match="设置码不正确"):
            bootstrap.create_first_admin("1", "boss", "局长", "a-long-password-1", engine=database)
    with pytest.raises(InvalidInput, match="已生成新的设置码"):
        bootstrap.create_first_admin("1", "boss", "局长", "a-long-password-1", engine=database)
    with pytest.raises(InvalidInput, match="设置码不正确"):  # the old code no longer works
        bootstrap.create_first_admin(code, "boss", "局长", "a-long-password-1", engine=database)
    assert bootstrap.needs_first_admin(engine=database)


def test_demo_accounts_do_not_count_as_the_first_administrator(
    database: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database that once ran the demo still asks for a real administrator outside demo mode."""
    monkeypatch.setenv("ASSESS_SEED_DEMO", "1")
    seed_demo(engine=database)
    bootstrap.ensure_demo_accounts(database)
    assert not bootstrap.needs_first_admin(engine=database)
    monkeypatch.setenv("ASSESS_SEED_DEMO", "0")
    assert bootstrap.needs_first_admin(engine=database)


def test_the_demo_can_be_asked_for_on_any_database(database: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", url_of(database))
    monkeypatch.setenv("ASSESS_SEED_DEMO", "1")
    assert census(bootstrap.ensure_ready(get_engine())) == (100, DEMO_SUBMISSIONS)


def test_seeding_the_demo_again_changes_nothing(demo_database: Engine) -> None:
    before = census(demo_database), history(engine=demo_database)
    report = seed_demo(engine=demo_database)
    assert (report.units_created, report.units_updated, report.schemes_created, report.imported) == (0, 0, 0, 0)
    assert report.unchanged == DEMO_SUBMISSIONS and f"{DEMO_SUBMISSIONS} 份已存在" in report.message
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
    assert census(engine) == (100, DEMO_SUBMISSIONS)
    assert check(engine) == []
    engine.dispose()


def test_a_first_start_says_what_it_is_doing_in_chinese(
    default_database: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Seeding the demo takes seconds to a minute: the first page shows each step, not a bare spinner."""
    from chinese_text import problem

    monkeypatch.setenv("ASSESS_SEED_DEMO", "1")
    heard: list[tuple[float, str]] = []
    engine = bootstrap.ensure_ready(progress=lambda share, text: heard.append((share, text)))
    shares = [share for share, _ in heard]
    assert shares == sorted(shares) and shares[0] == 0.0 and heard[-1] == (1.0, "数据库已就绪")
    loads = [text for _, text in heard if text.startswith("正在载入演示数据")]
    assert len(loads) == census(engine)[1] > 0  # one step per month imported, counted 「（n/N）」
    assert loads[0].endswith(f"（1/{len(loads)}）") and loads[-1].endswith(f"（{len(loads)}/{len(loads)}）")
    assert not [p for _, text in heard if (p := problem("进度", text, ["community_monthly"]))]
    heard.clear()
    assert bootstrap.is_ready()
    bootstrap.ensure_ready(progress=lambda share, text: heard.append((share, text)))
    assert heard == []  # ready: nothing to do and nothing to say
