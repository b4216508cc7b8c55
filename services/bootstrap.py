"""Getting the database ready when the app starts: migrate, and on a fresh install load the demo.

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
from storage.models import Unit

log = logging.getLogger(__name__)
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
        _ready.add(key)
    return eng
