"""Getting the database ready when the app starts: migrate, and on a fresh install load the demo.

In demo mode (`should_seed_demo()`) one demo account per role also exists (DEMO_ACCOUNTS, all
with DEMO_PASSWORD); they are refused at sign-in whenever the app is not in demo mode.

`ensure_ready()` is called on every Streamlit run, so after the first call in a process it
returns at once.
"""

from __future__ import annotations

import logging
import os
import threading

from sqlalchemy import Engine, select

from services._db import engine_or_default, read
from storage.db import migrate, uses_default_database
from storage.models import Account, Unit

log = logging.getLogger(__name__)
DEMO_PASSWORD = "demo-password"
# username, display name, role, unit (unit accounts), assigned schemes and categories (assessors)
DEMO_ACCOUNTS = (
    ("demo-admin", "演示管理员", "admin", None, (), ()),
    ("demo-assessor", "演示考核员", "assessor", None, ("community_monthly",), ("社区卫生服务中心",)),
    ("demo-viewer", "演示领导", "viewer", None, (), ()),
    ("demo-unit", "演示单位（西城街道社区卫生服务中心）", "unit", "C03", (), ()),
)
_ready: set[str] = set()
_lock = threading.Lock()


def should_seed_demo() -> bool:
    """ASSESS_SEED_DEMO=1/0 decides; unset, only the default SQLite database gets the demo
    (a fresh machine shows something; a production database is never filled with it)."""
    flag = os.environ.get("ASSESS_SEED_DEMO", "").strip().lower()
    if flag in ("1", "true", "yes"):
        return True
    if flag in ("0", "false", "no"):
        return False
    return uses_default_database()


def ensure_ready(engine: Engine | None = None) -> Engine:
    """Create or migrate the schema, and load the demo district into an empty database."""
    eng = engine_or_default(engine)
    key = eng.url.render_as_string(hide_password=True)
    if key in _ready:
        return eng
    with _lock:
        if key in _ready:
            return eng
        if migrate(eng):
            log.info("database schema created or upgraded: %s", key)
        empty = read(eng, lambda s: s.scalar(select(Unit.id).limit(1)) is None)
        if empty and should_seed_demo():
            from services.seed import seed_demo

            log.info("empty database: loading the demo district")
            log.info(seed_demo(engine=eng).message)
        if should_seed_demo():
            ensure_demo_accounts(eng)
        _ready.add(key)
    return eng


def ensure_demo_accounts(engine: Engine | None = None) -> None:
    """Create the demo accounts that do not exist yet (those whose unit is missing are skipped)."""
    from services.accounts import create_account
    from services.errors import Conflict, InvalidInput

    existing = set(read(engine, lambda s: list(s.scalars(select(Account.username)))))
    for username, name, role, unit, schemes, categories in DEMO_ACCOUNTS:
        if username in existing:
            continue
        try:
            create_account(
                username, name, role, DEMO_PASSWORD, unit_code=unit, schemes=schemes, categories=categories,
                is_demo=True, actor="系统（演示模式）", engine=engine,
            )  # fmt: skip
        except (Conflict, InvalidInput) as exc:  # a concurrent start made it, or the demo unit is gone
            log.info("demo account %s not created: %s", username, exc)
