"""Engines, transactions and migrations, for SQLite (the default) and PostgreSQL.

`DATABASE_URL` chooses the database. Without it the app uses a SQLite file in `var/` under the
project root (git-ignored), created on first use.

SQLite notes. The file runs in WAL mode, so readers never block the writer and vice versa.
Write transactions start with BEGIN IMMEDIATE: they take the write lock up front and wait for it
(busy_timeout) instead of failing half-way when a read transaction tries to become a write one.
What still comes back as "database is locked" after the timeout is retried by `run_write`, so
it never reaches a user; writes are kept short so the waits are short.
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from alembic.config import Config

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SQLITE_PATH = PROJECT_ROOT / "var" / "assessment.db"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

SQLITE_BUSY_TIMEOUT_MS = 10_000
WRITE_DEADLINE_S = 180.0  # give up retrying (and tell the user the database is busy) after this
_MIGRATION_LOCK_KEY = 4_711_2026  # PostgreSQL advisory lock: one migrator at a time

log = logging.getLogger(__name__)
T = TypeVar("T")


class DatabaseBusy(Exception):
    """Writes kept failing on locks for longer than WRITE_DEADLINE_S. The message is for users."""


# -- URLs and engines ------------------------------------------------------------------------
def database_url(url: str | None = None) -> str:
    """The URL to use: `url`, else DATABASE_URL, else the default SQLite file.

    `postgres://` and `postgresql://` URLs are pointed at psycopg 3, the driver installed.
    """
    url = (url or os.environ.get("DATABASE_URL") or "").strip()
    if not url:
        return f"sqlite:///{DEFAULT_SQLITE_PATH}"
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def uses_default_database() -> bool:
    return not (os.environ.get("DATABASE_URL") or "").strip()


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


_engines: dict[tuple[int, str], Engine] = {}
_engines_lock = threading.Lock()


def get_engine(url: str | None = None) -> Engine:
    """One engine per URL and process (pools must not cross a fork)."""
    resolved = database_url(url)
    key = (os.getpid(), resolved)
    with _engines_lock:
        engine = _engines.get(key)
        if engine is None:
            engine = _engines[key] = make_engine(resolved)
        return engine


def make_engine(url: str) -> Engine:
    """A new engine with this project's connection settings for its kind of database."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url)
    if parsed.get_backend_name() == "postgresql":
        return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)
    raise ValueError(f"不支持的数据库：{parsed.get_backend_name()}（DATABASE_URL 应为 sqlite:/// 或 postgresql://）")


def _sqlite_engine(url: str) -> Engine:
    path = make_url(url).database
    if path and path != ":memory:" and not path.startswith("file:"):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:  # noqa: ANN001
        # The driver's own implicit BEGIN is turned off; `_on_begin` below emits ours.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        # FULL: a commit survives a power cut, not only a crash of the app (the cost is one fsync
        # per commit, and imports commit once).
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA cache_size=-65536")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:  # noqa: ANN001
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("write") else "BEGIN")

    return engine


# -- transactions ----------------------------------------------------------------------------
@contextmanager
def writing(engine: Engine) -> Iterator[Session]:
    """A session in a write transaction (BEGIN IMMEDIATE on SQLite), committed on success."""
    with Session(engine.execution_options(write=True), expire_on_commit=False) as session, session.begin():
        yield session


@contextmanager
def reading(engine: Engine) -> Iterator[Session]:
    """A session for reads: one consistent snapshot on both databases, never takes the write lock."""
    with Session(engine, expire_on_commit=False) as session, session.begin():
        if engine.dialect.name == "postgresql":
            # Several SELECTs that must agree (values and their fingerprint) see one snapshot.
            session.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY"))
        yield session


def is_transient(exc: BaseException) -> bool:
    """A lock or serialisation conflict: the same transaction, run again, will succeed."""
    orig = getattr(exc, "orig", exc)
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate in ("40001", "40P01", "55P03"):  # serialization failure, deadlock, lock not available
        return True
    message = str(orig).lower()
    return "database is locked" in message or "database table is locked" in message or "sqlite_busy" in message


def run_write(engine: Engine, work: Callable[[Session], T], *, deadline_s: float = WRITE_DEADLINE_S) -> T:
    """Run `work(session)` in a write transaction, again from the start on a transient conflict.

    `work` must do nothing but database work (it may run more than once). Exceptions that are
    not lock conflicts propagate unchanged, after the transaction is rolled back.
    """
    return _retrying(lambda: _once(engine, work, writing), deadline_s)


def run_read(engine: Engine, work: Callable[[Session], T]) -> T:
    """`work(session)` in a read transaction, retried on the rare lock conflict of a reader."""
    return _retrying(lambda: _once(engine, work, reading), WRITE_DEADLINE_S)


def _once(engine: Engine, work: Callable[[Session], T], opener: Callable) -> T:
    with opener(engine) as session:
        return work(session)


def _retrying(attempt: Callable[[], T], deadline_s: float) -> T:
    start = time.monotonic()
    delay = 0.02
    tries = 0
    while True:
        tries += 1
        try:
            return attempt()
        except DBAPIError as exc:
            if not is_transient(exc):
                raise
            waited = time.monotonic() - start
            if waited > deadline_s:
                raise DatabaseBusy(
                    f"数据库繁忙：已等待 {waited:.0f} 秒、重试 {tries} 次仍未能写入，请稍后再试。"
                    "（可能有大批量导入正在进行）"
                ) from exc
            log.info("transient database conflict (try %d): %s", tries, exc.orig)
            time.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, 1.0)


# -- migrations ------------------------------------------------------------------------------
# Alembic is imported inside these functions: it costs a third of a second at start-up, and
# after the first check a running app never needs it again.
def alembic_config() -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


@cache
def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def migrate(engine: Engine) -> bool:
    """Create or upgrade the schema to the newest revision. True if anything was applied.

    Safe when several processes start at once: migrations run under the write lock (SQLite) or
    an advisory lock (PostgreSQL), and whoever comes second finds nothing left to do.
    """
    if current_revision(engine) == head_revision():
        return False
    from alembic import command
    from alembic.runtime.migration import MigrationContext

    cfg = alembic_config()
    with engine.execution_options(write=True).begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK_KEY})
        if MigrationContext.configure(conn).get_current_revision() == head_revision():
            return False
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    return True
