"""Engines, migrations and lock handling on both databases."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from conftest import SmallDb
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError, OperationalError

from storage import db
from storage.db import DatabaseBusy, database_url, make_engine, migrate, run_write
from storage.models import Base, Unit


def test_migrations_create_exactly_the_models(database: Engine) -> None:
    with database.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(ctx, Base.metadata) == []
        assert ctx.get_current_revision() == db.head_revision()


def test_migrate_again_does_nothing(database: Engine) -> None:
    assert migrate(database) is False


def test_foreign_keys_are_enforced(database: Engine) -> None:
    with pytest.raises(IntegrityError), db.writing(database) as s:
        s.add(Unit(code="A", name="甲", category_id=999, aliases=[], attributes={}))


def test_sqlite_runs_in_wal_mode_with_foreign_keys_and_a_busy_timeout(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/new/dir/a.db")  # the directory is created on first use
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == db.SQLITE_BUSY_TIMEOUT_MS
    assert (tmp_path / "new" / "dir" / "a.db").exists()


def test_database_url_defaults_to_a_sqlite_file_under_var(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert database_url() == f"sqlite:///{db.PROJECT_ROOT / 'var' / 'assessment.db'}"
    assert db.uses_default_database()
    monkeypatch.setenv("DATABASE_URL", "postgres://app:secret@db.internal:5432/assess")
    assert database_url() == "postgresql+psycopg://app:secret@db.internal:5432/assess"
    assert database_url("postgresql://h/d") == "postgresql+psycopg://h/d"
    assert not db.uses_default_database()


def test_the_var_directory_is_ignored_by_git() -> None:
    ignored = (db.PROJECT_ROOT / ".gitignore").read_text().splitlines()
    assert "/var/" in ignored


def test_unknown_database_kinds_are_refused() -> None:
    with pytest.raises(ValueError, match="不支持的数据库"):
        make_engine("mysql://x/y")


# -- lock conflicts --------------------------------------------------------------------------
def test_transient_conflicts_are_retried(database: Engine) -> None:
    calls = []

    def flaky(session):  # noqa: ANN001, ANN202
        calls.append(1)
        if len(calls) < 3:
            raise OperationalError("UPDATE …", {}, sqlite3.OperationalError("database is locked"))
        return session.execute(text("SELECT 1")).scalar()

    assert run_write(database, flaky) == 1 and len(calls) == 3


def test_persistent_lock_becomes_a_chinese_busy_message(database: Engine) -> None:
    def always_locked(session):  # noqa: ANN001, ANN202
        raise OperationalError("UPDATE …", {}, sqlite3.OperationalError("database is locked"))

    with pytest.raises(DatabaseBusy, match="数据库繁忙"):
        run_write(database, always_locked, deadline_s=0.2)


def test_other_errors_are_not_retried(database: Engine) -> None:
    calls = []

    def broken(session):  # noqa: ANN001, ANN202
        calls.append(1)
        raise OperationalError("SELECT …", {}, sqlite3.OperationalError("no such table: nothing"))

    with pytest.raises(OperationalError):
        run_write(database, broken)
    assert len(calls) == 1


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_an_import_waits_out_a_writer_that_holds_the_lock_too_long(
    small: SmallDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    """busy_timeout shorter than the other writer's transaction: SQLite says 'database is locked'
    and the import is retried until the lock is free; the user sees only success."""
    monkeypatch.setattr(db, "SQLITE_BUSY_TIMEOUT_MS", 20)
    impatient = make_engine(small.url)
    holder = sqlite3.connect(impatient.url.database, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    release = threading.Timer(0.6, holder.execute, args=("COMMIT",))
    release.start()
    started = time.monotonic()
    out = SmallDb(impatient, small.version_id).put("2025-03", {"U1": {"D1": 1, "D2": 2}})
    assert not out.noop and time.monotonic() - started >= 0.5
    release.join()
    holder.close()
    impatient.dispose()
