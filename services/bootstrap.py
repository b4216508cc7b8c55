"""Getting the database ready when the app starts: migrate; the demo only when asked for; the
first administrator of a real installation.

- Demo mode is chosen explicitly (`ASSESS_SEED_DEMO=1`) and never by default: a real installation
  must not get a fictional district nor accounts whose password is printed on the login page.
  In demo mode the demo district is loaded into an empty database and one demo account per role
  exists (DEMO_ACCOUNTS, all with DEMO_PASSWORD); outside it they are refused at sign-in.
- A real installation with no administrator yet shows the first-run page (pages/setup.py)
  instead of the login. Whoever reaches the server first must not become its administrator, so
  the page asks for a one-time setup code that only the operator can read: the server prints it
  in its own log (`setup_code()`). `python manage.py create-user` is the other way.

`ensure_ready()` is called on every Streamlit run, so after the first call in a process it
returns at once.
"""

from __future__ import annotations

import hmac
import logging
import os
import secrets
import sys
import threading
from collections.abc import Callable

from sqlalchemy import Engine, select

from services._db import engine_or_default, read
from services.errors import Conflict, InvalidInput
from services.permissions import Actor, trusted
from storage.db import migrate
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
SETUP_CODE_TRIES = 5  # wrong setup codes before the code is replaced by a new one
_ready: set[str] = set()
_lock = threading.Lock()
_setup: dict[str, str | int] = {}  # this process's setup code and the wrong tries against it
_setup_lock = threading.Lock()


def should_seed_demo() -> bool:
    """Demo mode only when ASSESS_SEED_DEMO=1 (or true/yes) says so; anything else is a real
    installation, whatever the database (a forgotten variable must never open demo accounts)."""
    return os.environ.get("ASSESS_SEED_DEMO", "").strip().lower() in ("1", "true", "yes")


Progress = Callable[[float, str], None]  # (share done 0–1, what is being done, in Chinese)


def is_ready(engine: Engine | None = None) -> bool:
    """Whether this process has already got the database ready (then ensure_ready costs nothing)."""
    return engine_or_default(engine).url.render_as_string(hide_password=True) in _ready


def ensure_ready(engine: Engine | None = None, progress: Progress | None = None) -> Engine:
    """Create or migrate the schema, and load the demo district into an empty database.

    `progress` hears each step, so a first start (seconds to a minute for the demo) shows what it
    is doing rather than a bare spinner."""
    eng = engine_or_default(engine)
    key = eng.url.render_as_string(hide_password=True)
    if key in _ready:
        return eng
    tell = progress or (lambda share, text: None)
    with _lock:
        if key in _ready:
            return eng
        tell(0.0, "正在检查并升级数据库结构……")
        if migrate(eng):
            log.info("database schema created or upgraded: %s", key)
        empty = read(eng, lambda s: s.scalar(select(Unit.id).limit(1)) is None)
        if empty and should_seed_demo():
            from services.seed import seed_demo

            log.info("empty database: loading the demo district")
            log.info(seed_demo(engine=eng, progress=lambda share, text: tell(0.05 + 0.9 * share, text)).message)
        if should_seed_demo():
            tell(0.95, "正在创建演示账号……")
            ensure_demo_accounts(eng)
        tell(1.0, "数据库已就绪")
        _ready.add(key)
    return eng


def ensure_demo_accounts(engine: Engine | None = None) -> None:
    """Create the demo accounts that do not exist yet (those whose unit is missing are skipped)."""
    from services.accounts import create_account

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


# -- the first administrator of a real installation ------------------------------------------
def needs_first_admin(*, engine: Engine | None = None) -> bool:
    """True outside demo mode while no usable administrator exists (demo accounts do not count:
    they are refused outside demo mode)."""
    if should_seed_demo():
        return False
    query = select(Account.id).where(Account.role == "admin", Account.active, Account.is_demo.is_(False)).limit(1)
    return read(engine, lambda s: s.scalar(query) is None)


def _new_code() -> str:
    code = "-".join(f"{secrets.randbelow(10_000):04d}" for _ in range(3))
    _setup.update(code=code, wrong=0)
    # The operator's console or service log: readable by whoever runs the server, not by visitors.
    print(
        f"[卫生健康绩效考核] 尚无管理员账户。首次设置页面的设置码：{code}"
        "（或在服务器上运行 python manage.py create-user 用户名 --role admin）",
        file=sys.stderr,
        flush=True,
    )
    log.warning("no administrator yet: the first-run setup code was printed on standard error")
    return code


def setup_code() -> str:
    """This process's one-time setup code for the first-run page (made and printed on first use)."""
    with _setup_lock:
        return str(_setup.get("code") or _new_code())


def create_first_admin(
    code: str, username: str, display_name: str, password: str, *, engine: Engine | None = None
) -> Actor:
    """Create the first administrator from the first-run page, if `code` is this process's setup
    code and there is still no administrator. Raises InvalidInput (wrong code, bad name or
    password) or Conflict (an administrator exists already)."""
    from services.accounts import create_account

    with _setup_lock:
        expected = str(_setup.get("code") or _new_code())
        if not hmac.compare_digest((code or "").strip().encode(), expected.encode()):
            _setup["wrong"] = int(_setup.get("wrong", 0)) + 1
            if int(_setup["wrong"]) >= SETUP_CODE_TRIES:  # guessing: the printed code is replaced
                _new_code()
                raise InvalidInput(f"设置码连续 {SETUP_CODE_TRIES} 次错误，已生成新的设置码，请查看服务器日志。")
            raise InvalidInput("设置码不正确，请查看服务器日志中最新打印的设置码。")
        if not needs_first_admin(engine=engine):
            raise Conflict("系统已有管理员，请直接登录。")
        with trusted():  # the setup code is the permission here: nobody is signed in yet
            made = create_account(username, display_name, "admin", password, actor="首次设置（设置码）", engine=engine)
        _setup.clear()  # used once; a later need makes and prints a new one
    return made
